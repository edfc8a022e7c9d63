// Japanese and English: the language (saved choice, else the browser's), t(), and re-rendering.
import { LANGUAGES, MESSAGES } from './messages.js';

const SAVED = 'kukan.lang';
const renderers = new Map(); // element -> () => html, re-run when the language changes
const listeners = [];
let lang = chooseLanguage();

// The saved choice, else the first of navigator.languages we speak, else English.
export function chooseLanguage() {
  const saved = localStorage.getItem(SAVED);
  if (saved && saved in MESSAGES) return saved;
  for (const tag of navigator.languages || [navigator.language || '']) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (base in MESSAGES) return base;
  }
  return 'en';
}

export function getLanguage() {
  return lang;
}

export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function fill(text, params, escape) {
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? escape(params[name]) : m));
}

// A message as plain text (for textContent and attributes).
export function t(key, params = {}) {
  const text = MESSAGES[lang][key] ?? MESSAGES.en[key] ?? key;
  return fill(text, params, String);
}

// A message as HTML: `_html` messages keep their markup, every parameter is escaped.
export function tHtml(key, params = {}) {
  const text = MESSAGES[lang][key] ?? MESSAGES.en[key] ?? key;
  return fill(key.endsWith('_html') ? text : escapeHtml(text), params, escapeHtml);
}

// Show fn()'s HTML in el now and again after every language switch.
export function render(el, fn) {
  renderers.set(el, fn);
  el.innerHTML = fn();
}

export function onLanguageChange(fn) {
  listeners.push(fn);
}

// Translate the static page: data-i18n (text), data-i18n-html (markup, params from
// data-i18n-params), data-i18n-placeholder, data-i18n-title.
export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-html]')) {
    el.innerHTML = tHtml(el.dataset.i18nHtml, JSON.parse(el.dataset.i18nParams || '{}'));
  }
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  if (root === document) {
    document.documentElement.lang = lang;
    document.title = t('title');
  }
}

export function setLanguage(next) {
  if (!(next in MESSAGES)) return;
  lang = next;
  localStorage.setItem(SAVED, next);
  translate();
  for (const [el, fn] of renderers) {
    if (el.isConnected) el.innerHTML = fn();
    else renderers.delete(el);
  }
  for (const fn of listeners) fn(next);
  updateSwitch();
}

function updateSwitch() {
  for (const b of document.querySelectorAll('#lang-switch button')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
}

// The visible switch: one button per language, named in its own language.
export function setupLanguageSwitch() {
  const box = document.getElementById('lang-switch');
  box.innerHTML = Object.entries(LANGUAGES).map(([code, name]) =>
    `<button type="button" data-lang="${code}" lang="${code}">${escapeHtml(name)}</button>`).join('');
  box.addEventListener('click', (e) => {
    const code = e.target.closest('button')?.dataset.lang;
    if (code) setLanguage(code);
  });
  translate();
  updateSwitch();
}

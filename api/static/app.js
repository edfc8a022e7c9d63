// The Kukan web map: voxels in 3D over the city's own buildings and roads.
import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';
import { authHeaders, getKey, setKey } from './api.js';
import { getLanguage, onLanguageChange, setupLanguageSwitch, tHtml, translate } from './i18n.js';
import { ATTRIBUTION, KEY_LAYERS, KINDS, addCityLayers, addKeyLayers, addLocalLayers, baseStyle, tileUrl } from './layers.js';
import { setupInspect } from './inspect.js';
import { setupRoute } from './route.js';
import { setupRestrict } from './restrict.js';
import { setupLive } from './live.js';

const HELSINKI = { center: [24.944, 60.171], zoom: 15, pitch: 50, bearing: -20 };
const $ = (id) => document.getElementById(id);
const base = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const app = $('app');

function getTime() {
  return new Date(base.getTime() + Number($('time').value) * 60_000);
}

function webglAvailable() {
  try {
    const canvas = document.createElement('canvas');
    return Boolean(canvas.getContext('webgl2') || canvas.getContext('webgl'));
  } catch {
    return false;
  }
}

// Instead of a blank canvas: say that WebGL is missing and what to do.
function showNoWebgl(error) {
  app.dataset.webgl = 'no';
  const box = document.createElement('div');
  box.id = 'webgl-error';
  box.setAttribute('role', 'alert');
  $('map').replaceChildren(box);
  const html = () => `<h2>${tHtml('webgl.title')}</h2><p>${tHtml('webgl.body_html')}</p>`;
  box.innerHTML = html();
  onLanguageChange(() => { box.innerHTML = html(); });
  if (error) console.warn('WebGL:', error.message || error);
}

function createMap() {
  const map = new maplibregl.Map({
    container: 'map',
    style: baseStyle(),
    ...HELSINKI,
    maxPitch: 75,
    attributionControl: false,
    canvasContextAttributes: { preserveDrawingBuffer: true },
    transformRequest: (url) => (url.startsWith(`${location.origin}/v1/`) ? { url, headers: authHeaders() } : { url }),
  });
  map.setPadding({ left: 330, top: 0, right: 0, bottom: 0 }); // keep the city clear of the panel
  map.addControl(new maplibregl.NavigationControl({ visualizePitch: true }), 'top-right');
  map.addControl(new maplibregl.ScaleControl(), 'bottom-right');
  map.addControl(new maplibregl.AttributionControl({ compact: false, customAttribution: ATTRIBUTION }), 'bottom-right');
  return map;
}

function setupTime(map) {
  const showTime = () => {
    const t = getTime();
    $('time-label').textContent = `${t.toLocaleString(getLanguage())} (${t.toISOString().slice(11, 16)} UTC)`;
  };
  // Reload the time-dependent tiles at the slider's instant.
  const refreshTiles = () => {
    const time = getTime();
    for (const layer of KEY_LAYERS) map.getSource(layer)?.setTiles([tileUrl(layer, time)]);
  };
  const setTime = (date) => {
    const minutes = Math.round((date.getTime() - base.getTime()) / 60_000);
    const input = $('time');
    input.value = String(Math.max(Number(input.min), Math.min(Number(input.max), minutes)));
    showTime();
    refreshTiles();
  };
  let pending;
  $('time').addEventListener('input', () => {
    showTime();
    clearTimeout(pending);
    pending = setTimeout(refreshTiles, 250);
  });
  $('time-now').addEventListener('click', () => setTime(new Date()));
  onLanguageChange(showTime);
  showTime();
  return { setTime, refreshTiles };
}

function buildLegend(map) {
  $('legend').innerHTML = KINDS.map((k) => `<label class="legend-row${k.needsKey ? ' needs-key' : ''}">
      <input type="checkbox" data-kind="${k.id}" checked>
      <span class="swatch" style="background:${k.color}"></span><span data-i18n="kind.${k.id}"></span></label>`).join('');
  translate($('legend'));
  $('legend').addEventListener('change', (e) => {
    const kind = KINDS.find((k) => k.id === e.target.dataset.kind);
    for (const layer of kind.layers) {
      if (map.getLayer(layer)) map.setLayoutProperty(layer, 'visibility', e.target.checked ? 'visible' : 'none');
    }
  });
}

// Roads come as GeoJSON for the visible area (with a margin), reloaded when the view moves far.
function roadsLoader(map) {
  let roadsBox = null;
  return () => {
    const b = map.getBounds();
    const inside = roadsBox && b.getWest() >= roadsBox[0] && b.getSouth() >= roadsBox[1] &&
      b.getEast() <= roadsBox[2] && b.getNorth() <= roadsBox[3];
    if (inside || map.getZoom() < 13) return;
    const dx = (b.getEast() - b.getWest()) / 2;
    const dy = (b.getNorth() - b.getSouth()) / 2;
    const box = [b.getWest() - dx, b.getSouth() - dy, b.getEast() + dx, b.getNorth() + dy];
    if ((box[2] - box[0]) * (box[3] - box[1]) > 0.01) return;
    roadsBox = box;
    map.getSource('roads').setData(`${location.origin}/v1/map/roads.geojson?bbox=${box.map((v) => v.toFixed(6)).join(',')}`);
  };
}

// The key field, and where the demo keys are (the server fills in the meta tag).
function setupKey() {
  $('key').value = getKey();
  $('key-save').addEventListener('click', () => { setKey($('key').value); location.reload(); });
  $('key-clear').addEventListener('click', () => { setKey(''); location.reload(); });
  app.dataset.auth = getKey() ? 'yes' : 'no';
  const told = document.querySelector('meta[name=kukan-demo-keys]')?.content || '';
  const path = told && !told.includes('{{') ? told : '.data/demo-keys.json';
  const hint = $('key-hint');
  hint.dataset.i18nHtml = path.startsWith('/') ? 'key.demo_abs_html' : 'key.demo_html';
  hint.dataset.i18nParams = JSON.stringify({ path });
}

setupKey();
setupLanguageSwitch();
let map = null;
try {
  map = webglAvailable() ? createMap() : null;
} catch (err) {
  showNoWebgl(err);
}
if (!map) {
  if (!app.dataset.webgl) showNoWebgl();
  app.dataset.ready = 'yes';
} else {
  window.kukanMap = map; // for the console and the end-to-end test
  const setMode = (mode) => {
    app.dataset.mode = mode;
    map.getCanvas().style.cursor = mode === 'inspect' ? '' : 'crosshair';
  };
  const { setTime, refreshTiles } = setupTime(map);
  buildLegend(map);
  setMode('inspect');
  map.on('load', () => {
    addCityLayers(map);
    const loadRoads = roadsLoader(map);
    map.on('moveend', loadRoads);
    loadRoads();
    if (getKey()) addKeyLayers(map, getTime());
    addLocalLayers(map);
    const ctx = { getTime, setTime, setMode, refreshTiles };
    setupInspect(map, { getTime, isActive: () => app.dataset.mode === 'inspect' });
    setupRoute(map, maplibregl, ctx);
    setupRestrict(map, ctx);
    if (getKey()) setupLive(map);
    app.dataset.ready = 'yes';
  });
  map.on('error', (e) => console.error('map error:', e.error?.message || e));
}

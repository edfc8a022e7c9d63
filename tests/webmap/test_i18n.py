"""The web map in Japanese and English: chosen from the browser's languages, switchable, saved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.webmap.conftest import CHROMIUM

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (make test installs Debian's chromium)"
)

VIEWPORT = {"width": 1100, "height": 700}
READY = "() => document.querySelector('#app[data-ready=yes]')"
MESSAGES = "async () => (await import('/static/messages.js')).MESSAGES"
STATIC_TEXT = """() => ({
    lang: document.documentElement.lang,
    title: document.title,
    text: [...document.querySelectorAll('[data-i18n]')].map((e) => [e.dataset.i18n, e.textContent]),
    placeholder: [...document.querySelectorAll('[data-i18n-placeholder]')].map(
        (e) => [e.dataset.i18nPlaceholder, e.placeholder]),
    title_attr: [...document.querySelectorAll('[data-i18n-title]')].map(
        (e) => [e.dataset.i18nTitle, e.title]),
})"""
PANEL_WORDS = """() => {  // the panel's visible text without code samples
    const panel = document.getElementById('panel').cloneNode(true);
    panel.querySelectorAll('code').forEach((c) => c.remove());
    return panel.innerText; }"""
LATIN_OK = {"Kukan", "API", "Bearer", "English", "UTC", "ID", "WebGL"}
"""Latin words a Japanese page may show: names, acronyms and the English switch button."""


@pytest.fixture()
def context_of(browser: Any) -> Iterator[Any]:
    """Open browser contexts with a locale (and optionally navigator.languages); close them."""
    made: list[Any] = []

    def make(locale: str, languages: list[str] | None = None) -> Any:
        context = browser.new_context(viewport=VIEWPORT, locale=locale)
        if languages:
            context.add_init_script(
                f"Object.defineProperty(navigator, 'languages', {{ get: () => {languages!r} }});"
            )
        made.append(context)
        return context

    yield make
    for c in made:
        c.close()


def open_page(context: Any, live_server: str) -> tuple[Any, list[str]]:
    """The map page, ready, and the list its errors go to."""
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.goto(f"{live_server}/")
    pg.wait_for_function(READY, timeout=30_000)
    return pg, errors


def assert_in_language(pg: Any, lang: str) -> None:
    """Every translated element of the page shows ``lang``'s string."""
    tables = pg.evaluate(MESSAGES)
    shown = pg.evaluate(STATIC_TEXT)
    assert shown["lang"] == lang
    assert shown["title"] == tables[lang]["title"]
    for kind in ("text", "placeholder", "title_attr"):
        assert shown[kind], f"no {kind} is translated"
        wrong = [(k, v) for k, v in shown[kind] if v != tables[lang][k]]
        assert not wrong, f"{kind} not in {lang}: {wrong}"
    pressed = pg.locator("#lang-switch button[aria-pressed=true]")
    assert pressed.count() == 1 and pressed.get_attribute("data-lang") == lang


def test_message_tables_agree(context_of: Any, live_server: str) -> None:
    pg, _ = open_page(context_of("en-US"), live_server)
    tables = pg.evaluate(MESSAGES)
    assert set(tables) == {"en", "ja"}
    assert set(tables["en"]) == set(tables["ja"])
    for key, en in tables["en"].items():
        ja = tables["ja"][key]
        assert re.findall(r"\{\w+\}", en) == re.findall(r"\{\w+\}", ja), key
        assert re.findall(r"</?\w+", en) == re.findall(r"</?\w+", ja) or key.endswith("_html"), key
    untranslated = [k for k, v in tables["en"].items() if v == tables["ja"][k]]
    assert set(untranslated) <= {"unit.m"}, untranslated


def test_japanese_browser_gets_japanese(context_of: Any, live_server: str) -> None:
    pg, errors = open_page(context_of("ja-JP"), live_server)
    assert_in_language(pg, "ja")
    assert pg.locator("#key-panel h2").inner_text() == "APIキー"
    hint = pg.locator("#key-hint").inner_text()
    assert "デモ用のキー" in hint and ".data/demo-keys.json" in hint
    assert pg.locator("#legend").inner_text().split("\n")[0].strip() == "建物(障害物)"
    latin = set(re.findall(r"[A-Za-z]{2,}", pg.evaluate(PANEL_WORDS))) - LATIN_OK
    assert not latin, f"English left on the Japanese page: {sorted(latin)}"
    assert not errors, errors


def test_the_first_language_we_speak_wins(context_of: Any, live_server: str) -> None:
    pg, _ = open_page(context_of("fr-FR", ["fr-FR", "ja-JP", "en-US"]), live_server)
    assert_in_language(pg, "ja")
    pg, _ = open_page(context_of("de-DE", ["de-DE"]), live_server)
    assert_in_language(pg, "en")


def test_the_switch_changes_every_string_and_is_remembered(
    context_of: Any, live_server: str
) -> None:
    context = context_of("en-US")
    pg, errors = open_page(context, live_server)
    assert_in_language(pg, "en")
    pg.evaluate(  # a click on the map: the inspector's answer is drawn in the current language
        """() => { const m = window.kukanMap; const p = m.project([24.944, 60.171]);
            m.fire('click', { point: p, lngLat: m.unproject(p), originalEvent: {} }); }"""
    )
    pg.locator("[data-testid=spatial-id]").wait_for(timeout=10_000)
    out = pg.locator("#inspect-out")
    assert "Paste an API key" in out.inner_text()
    pg.click("#lang-switch button[data-lang=ja]")
    assert_in_language(pg, "ja")
    assert "占有状況を見るにはAPIキーを貼り付けてください" in out.inner_text()
    assert "高度" in out.inner_text()
    assert pg.evaluate("() => localStorage.getItem('kukan.lang')") == "ja"
    pg.reload()  # the choice outlives the page, over the browser's English
    pg.wait_for_function(READY, timeout=30_000)
    assert_in_language(pg, "ja")
    pg.click("#lang-switch button[data-lang=en]")
    assert_in_language(pg, "en")
    assert not errors, errors

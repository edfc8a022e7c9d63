"""Without WebGL the web map says so (and what to do) instead of showing a blank canvas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.webmap.conftest import CHROMIUM

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (make test installs Debian's chromium)"
)

NO_WEBGL = [
    "--no-sandbox", "--disable-gpu", "--disable-webgl", "--disable-3d-apis",
    "--disable-background-networking", "--disable-component-update", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser_without_webgl(playwright: Any) -> Iterator[Any]:
    """Debian's headless Chromium with WebGL turned off."""
    b = playwright.chromium.launch(executable_path=str(CHROMIUM), args=NO_WEBGL, headless=True)
    yield b
    b.close()


def test_the_map_says_webgl_is_missing(browser_without_webgl: Any, live_server: str) -> None:
    context = browser_without_webgl.new_context(locale="en-US")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(f"{live_server}/")
    assert not pg.evaluate(
        """() => { const c = document.createElement('canvas');
            return Boolean(c.getContext('webgl2') || c.getContext('webgl')); }"""
    ), "this Chromium still has WebGL: the test would prove nothing"
    box = pg.locator("#webgl-error")
    box.wait_for(state="visible", timeout=30_000)
    text = box.inner_text()
    assert "WebGL is unavailable" in text and "hardware acceleration" in text
    assert box.get_attribute("role") == "alert"
    assert pg.locator("#map canvas").count() == 0
    assert pg.locator("#key-panel").is_visible()  # the rest of the page still explains itself
    pg.click("#lang-switch button[data-lang=ja]")
    assert "WebGLが使えません" in box.inner_text()
    assert not errors, errors
    context.close()

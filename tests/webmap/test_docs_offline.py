"""/docs and /redoc render the API with every request to another host aborted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.webmap.conftest import CHROMIUM

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (make test installs Debian's chromium)"
)


@pytest.fixture()
def offline(browser: Any, live_server: str) -> Iterator[tuple[Any, list[str], list[str]]]:
    """A page that can reach only the live server; the aborted URLs and the page's errors."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    aborted: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(live_server):
            route.continue_()
        else:
            aborted.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg, aborted, errors
    context.close()


@pytest.fixture(scope="module")
def operations(live_server: str) -> dict[str, list[str]]:
    """Path -> operation summaries of the live OpenAPI."""
    spec = httpx.get(f"{live_server}/openapi.json").json()
    return {p: [op["summary"] for op in item.values()] for p, item in spec["paths"].items()}


def test_swagger_ui_renders_offline(
    offline: tuple[Any, list[str], list[str]], live_server: str, operations: dict[str, list[str]]
) -> None:
    pg, aborted, errors = offline
    pg.goto(f"{live_server}/docs")
    pg.locator(".opblock").first.wait_for(timeout=30_000)
    n = sum(len(s) for s in operations.values())
    pg.wait_for_function(f"() => document.querySelectorAll('.opblock').length >= {n}")
    paths = "(es) => es.map((e) => e.dataset.path)"
    assert set(pg.eval_on_selector_all(".opblock-summary-path", paths)) == set(operations)
    assert not aborted, aborted
    assert not errors, errors


def test_redoc_renders_offline(
    offline: tuple[Any, list[str], list[str]], live_server: str, operations: dict[str, list[str]]
) -> None:
    pg, aborted, errors = offline
    pg.goto(f"{live_server}/redoc")
    pg.locator("[role=menuitem]").first.wait_for(timeout=30_000)
    menu = pg.locator(".menu-content").text_content() or ""  # tags start collapsed
    missing = [s for ss in operations.values() for s in ss if s not in menu]
    assert not missing, f"operations not in ReDoc's menu: {missing}"
    text = pg.locator("body").inner_text()
    missing = [p for p in operations if p not in text]
    assert not missing, f"paths ReDoc does not show: {missing}"
    assert not aborted, aborted
    assert not errors, errors

"""The web map's server side over plain HTTP (no browser): the page, its files, public map data."""

from __future__ import annotations

import math
import re
from pathlib import Path

import httpx
import pytest

from api.routers.map import shown_path
from api.settings import REPO_ROOT, Settings
from tests.conftest import Key
from tests.webmap.conftest import SOURCE, City

ROADS_BBOX = "24.94,60.165,24.95,60.175"
MVT = "application/vnd.mapbox-vector-tile"


def tile_of(lng: float, lat: float, z: int) -> tuple[int, int]:
    """The Web Mercator tile x, y holding a point at zoom z."""
    n = 1 << z
    rad = math.radians(lat)
    return int((lng + 180) / 360 * n), int((1 - math.asinh(math.tan(rad)) / math.pi) / 2 * n)


SENATE = tile_of(24.952, 60.1695, 15)
"""A zoom-15 tile of central Helsinki (buildings and the reservation's neighbourhood)."""


def test_page_and_assets_need_no_key(client: httpx.Client, settings: Settings) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "maplibre-gl" in r.text
    told = re.search(r'<meta name="kukan-demo-keys" content="([^"]*)">', r.text)
    assert told, "the page is not told where the demo keys are"
    assert told.group(1) == shown_path(settings.demo_keys_file) == ".data/demo-keys.json"
    for path in ("/static/app.js", "/static/i18n.js", "/static/messages.js"):
        js = client.get(path)
        assert js.status_code == 200 and "javascript" in js.headers["content-type"], path
    js = client.get("/static/vendor/maplibre-gl/maplibre-gl.mjs")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert client.get("/static/vendor/maplibre-gl/LICENSE.txt").status_code == 200


def test_demo_keys_path_is_shown_relative_to_the_checkout_when_inside_it(tmp_path: Path) -> None:
    assert shown_path(REPO_ROOT / ".data" / "demo-keys.json") == ".data/demo-keys.json"
    outside = tmp_path / "keys.json"
    assert shown_path(outside) == str(outside)


def test_roads_geojson_needs_no_key(client: httpx.Client, city: City) -> None:
    r = client.get("/v1/map/roads.geojson", params={"bbox": ROADS_BBOX})
    assert r.status_code == 200, r.text
    feats = r.json()["features"]
    assert feats and feats[0]["geometry"]["type"] == "LineString"
    assert {"highway", "name", "walk", "drive"} <= set(feats[0]["properties"])
    assert {True} <= {f["properties"]["drive"] for f in feats}
    assert {True} <= {f["properties"]["walk"] for f in feats}
    big = client.get("/v1/map/roads.geojson", params={"bbox": "24,60,25,61"})
    assert big.status_code == 422
    assert big.headers["content-type"].startswith("application/problem+json")
    assert "bbox" in big.text


def test_obstacle_tiles_need_no_key_and_name_no_owner(
    client: httpx.Client, city: City, admin_key: Key
) -> None:
    x, y = SENATE
    public = client.get(f"/v1/map/obstacles/15/{x}/{y}.mvt")
    assert public.status_code == 200, public.text
    assert public.headers["content-type"] == MVT
    assert b"obstacle_kind" in public.content and b"altitude_upper" in public.content
    # the keyed tile tells an admin who imported each building; the public one does not
    keyed = client.get(f"/v1/tiles/obstacles/15/{x}/{y}.mvt", headers=admin_key.headers)
    assert keyed.status_code == 200
    for owner_attribute in (b"source_ref", SOURCE.encode()):
        assert owner_attribute in keyed.content
        assert owner_attribute not in public.content
    assert b"principal_id" not in public.content
    assert client.get(f"/v1/map/obstacles/11/{x >> 4}/{y >> 4}.mvt").status_code == 422
    assert client.get("/v1/map/obstacles/15/0/0.mvt").status_code == 204


def test_who_flies_where_still_needs_a_key(client: httpx.Client, city: City) -> None:
    x, y = SENATE
    for path in (
        f"/v1/tiles/reservations/15/{x}/{y}.mvt",
        f"/v1/tiles/restrictions/15/{x}/{y}.mvt",
        f"/v1/tiles/obstacles/15/{x}/{y}.mvt",
        "/v1/reservations",
        f"/v1/reservations/{city.reservation_id}",
        "/v1/restrictions",
        "/v1/vehicles",
    ):
        assert client.get(path).status_code == 401, path
    for layer in ("reservations", "restrictions"):  # the public prefix serves obstacles only
        assert client.get(f"/v1/map/{layer}/15/{x}/{y}.mvt").status_code == 404, layer
    ops = client.get("/openapi.json").json()["paths"]
    public = [p for p in ops if p.startswith("/v1/map/")]
    assert sorted(public) == ["/v1/map/obstacles/{z}/{x}/{y}.mvt", "/v1/map/roads.geojson"]
    for p in public:
        assert "security" not in ops[p]["get"], p
        assert "401" not in ops[p]["get"]["responses"], p
    assert ops["/v1/tiles/{layer}/{z}/{x}/{y}.mvt"]["get"]["security"]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_our_files(client: httpx.Client, page: str) -> None:
    r = client.get(page)
    assert r.status_code == 200 and "/openapi.json" in r.text
    urls = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert urls, r.text
    assert all(u.startswith(("/static/vendor/", "data:")) for u in urls), urls
    assert not re.findall(r"https?://", r.text), f"{page} names a remote URL"
    for u in urls:
        if u.startswith("/static/"):
            asset = client.get(u)
            assert asset.status_code == 200 and len(asset.content) > 10_000, u

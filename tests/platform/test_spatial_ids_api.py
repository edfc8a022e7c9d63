"""The spatial ID endpoints (no authentication) over the live server."""

from __future__ import annotations

import httpx
import pytest

import spatialid
from spatialid import Voxel

TOKYO_STATION = "20/3/931389/412906"
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[139.76, 35.68], [139.77, 35.68], [139.77, 35.69], [139.76, 35.69], [139.76, 35.68]]
    ],
}


def test_get_spatial_id_feature(client: httpx.Client) -> None:
    r = client.get(f"/v1/spatial-ids/{TOKYO_STATION}")
    assert r.status_code == 200
    feature = r.json()
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "Polygon"
    props = feature["properties"]
    v = Voxel(20, 3, 931389, 412906)
    west, south, bottom, east, north, top = spatialid.voxel_bounds(v)
    assert props["id"] == TOKYO_STATION
    assert props["zoom"] == 20
    assert props["bounds"] == pytest.approx(
        {"west": west, "south": south, "bottom": bottom, "east": east, "north": north, "top": top}
    )
    assert (props["altitude_lower"], props["altitude_upper"]) == (96.0, 128.0)
    assert props["altitude_datum"] == "W84"
    assert props["centre"] == pytest.approx(list(spatialid.voxel_center(v)))
    assert props["parent"] == str(spatialid.parent(v))
    assert props["children_count"] == 8
    ring = feature["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
    assert feature["bbox"] == pytest.approx([west, south, bottom, east, north, top])


def test_get_negative_f_and_root(client: httpx.Client) -> None:
    assert client.get("/v1/spatial-ids/25/-1/0/0").json()["properties"]["altitude_upper"] == 0.0
    root = client.get("/v1/spatial-ids/0/0/0/0").json()["properties"]
    assert root["parent"] is None


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("20/3/1048576/412906", "path.x"),
        ("20/3/931389/-1", "path.y"),
        ("20/1048576/931389/412906", "path.f"),
        ("31/0/0/0", "path.z"),
        ("20/3/abc/412906", "path.x"),
    ],
)
def test_get_out_of_range_is_422(client: httpx.Client, path: str, field: str) -> None:
    r = client.get(f"/v1/spatial-ids/{path}")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in r.json()["errors"]}


def test_cover_expanded_and_compact(client: httpx.Client) -> None:
    body = {"geometry": SQUARE, "zoom": 16, "altitude_lower": 0, "altitude_upper": 100}
    r = client.post("/v1/spatial-ids/cover", json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    expected = spatialid.geometry_to_voxels(SQUARE, 16, alt_lower=0, alt_upper=100)
    assert data["zoom"] == 16
    assert data["count"] == len(data["ids"]) == len(expected)
    assert set(data["ids"]) == {str(v) for v in expected}
    compact = client.post("/v1/spatial-ids/cover", json={**body, "compact": True}).json()
    assert compact["count"] == len(compact["ids"]) <= data["count"]


def test_cover_over_the_cap_is_413(client: httpx.Client, settings: object) -> None:
    body = {"geometry": SQUARE, "zoom": 24, "altitude_lower": 0, "altitude_upper": 100}
    r = client.post("/v1/spatial-ids/cover", json=body)
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["cap"] == 5_000
    assert problem["count_at_least"] > 5_000
    assert "5000" in problem["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"zoom": 31}, "body.zoom"),
        ({"altitude_upper": -10}, "body.altitude_upper"),
        ({"geometry": {"type": "Blob", "coordinates": []}}, "body.geometry"),
        ({"geometry": "not geojson"}, "body.geometry"),
        ({"colour": "red"}, "body.colour"),
        ({"altitude_datum": "EGM96"}, "body.altitude_datum"),
    ],
)
def test_cover_bad_input_is_422(client: httpx.Client, body: dict[str, object], field: str) -> None:
    full = {"geometry": SQUARE, "zoom": 16, "altitude_lower": 0, "altitude_upper": 100, **body}
    r = client.post("/v1/spatial-ids/cover", json=full)
    assert r.status_code == 422, r.text
    assert field in {e["field"] for e in r.json()["errors"]}

"""Occupancy bad input: 4xx problem+json naming the field; 401 without a token."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Key
from tests.occupancy.helpers import bbox, occupancy, problem_fields, spot
from tests.reservations.helpers import window


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "140,35,139,36"}, "bbox"),
        ({"bbox": "140,35,141,95"}, "bbox"),
        ({"zoom": 40}, "query.zoom"),
        ({"zoom": -1}, "query.zoom"),
        ({"alt_lower": 100, "alt_upper": 50}, "alt_upper"),
        ({"aggregate": "s2:9"}, "aggregate"),
        ({"aggregate": "zoom:22"}, "aggregate"),
        ({"aggregate": "h3:16"}, "aggregate"),
        ({"time_start": "2030-01-01T00:00:00"}, "query.time_start"),
    ],
)
def test_bad_query_names_field(
    client: httpx.Client, operator_key: Key, params: dict[str, object], field: str
) -> None:
    x, y = spot()
    query = {"bbox": bbox(x, y), **params}
    assert field in problem_fields(occupancy(client, operator_key, **query))


def test_reversed_time_is_422(client: httpx.Client, operator_key: Key) -> None:
    t0, t1 = window(2, 1)
    x, y = spot()
    r = occupancy(client, operator_key, bbox=bbox(x, y), time_start=t1, time_end=t0)
    assert problem_fields(r) == {"time_end"}


def test_too_big_is_413_naming_the_region(client: httpx.Client, operator_key: Key) -> None:
    r = occupancy(client, operator_key, bbox="139,35,140,36", zoom=25)
    assert problem_fields(r, 413) == {"bbox"}
    assert "cap" in r.json()["detail"]
    body = {
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[139, 35], [140, 35], [140, 36], [139, 35]]],
        },
        "zoom": 24,
    }
    r = client.post("/v1/occupancy/query", headers=operator_key.headers, json=body)
    assert problem_fields(r, 413) == {"geometry"}
    r = client.post(
        "/v1/occupancy/query",
        headers=operator_key.headers,
        json={"spatial_ids": ["5/0/28/12"], "zoom": 20},
    )
    assert problem_fields(r, 413) == {"spatial_ids"}


def test_post_bad_bodies(client: httpx.Client, operator_key: Key) -> None:
    post = "/v1/occupancy/query"
    r = client.post(post, headers=operator_key.headers, json={"zoom": 20})
    assert r.status_code == 422
    r = client.post(post, headers=operator_key.headers, json={"spatial_ids": ["20/1/2"]})
    assert problem_fields(r) == {"spatial_ids[0]"}
    bad = {"geometry": {"type": "Polygon", "coordinates": "nope"}}
    fields = problem_fields(client.post(post, headers=operator_key.headers, json=bad))
    assert fields == {"body.geometry.Polygon.coordinates"}  # refused by the GeoJSON schema


def test_requires_token(client: httpx.Client) -> None:
    x, y = spot()
    r = client.get("/v1/occupancy", params={"bbox": bbox(x, y)})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = client.post("/v1/occupancy/query", json={"spatial_ids": ["20/0/1/1"]})
    assert r.status_code == 401

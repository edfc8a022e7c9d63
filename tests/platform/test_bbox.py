"""The one ``bbox`` parser behind every endpoint that takes one: 422 naming ``bbox``."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Key
from tests.occupancy.helpers import problem_fields

ENDPOINTS = ("/v1/reservations", "/v1/occupancy", "/v1/map/roads.geojson")
GOOD = "139.76,35.68,139.761,35.681"


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    "bbox",
    [
        "1,2,3",  # three numbers
        "a,b,c,d",  # not numbers
        "140,35,139,36",  # west > east
        "139,36,140,35",  # south > north
        "139,35,139,36",  # empty
        "-181,35,140,36",  # longitude out of range
        "139,35,140,95",  # latitude out of range
        "nan,35,140,36",
    ],
)
def test_bad_bbox_is_422_naming_bbox(
    client: httpx.Client, operator_key: Key, path: str, bbox: str
) -> None:
    r = client.get(path, headers=operator_key.headers, params={"bbox": bbox})
    assert problem_fields(r) == {"bbox"}


@pytest.mark.parametrize("path", ENDPOINTS)
def test_good_bbox_is_accepted(client: httpx.Client, operator_key: Key, path: str) -> None:
    r = client.get(path, headers=operator_key.headers, params={"bbox": GOOD})
    assert r.status_code == 200, r.text


def test_the_map_bounds_the_size(client: httpx.Client, operator_key: Key) -> None:
    big = "139,35,140,36"
    r = client.get("/v1/map/roads.geojson", headers=operator_key.headers, params={"bbox": big})
    assert problem_fields(r) == {"bbox"}
    assert "square degrees" in r.json()["detail"]

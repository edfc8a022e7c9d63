"""Robots and cars snap to a road only within a distance: farther is 422 ``no_edge_nearby``
naming the end and the distance, for one route and per fleet item, over HTTP.

Uses the ``footways`` source of ``tests/routes/conftest.py`` (a west footway along the
first 200 m east of its corner).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from tests.conftest import Key
from tests.pgtools import serve
from tests.routes.conftest import Roads
from tests.routes.helpers import at, point, vehicle

TOKYO = point(139.767125, 35.681236, 0)
"""Tokyo Station: no test imports roads anywhere near it."""


def _plan(
    client: httpx.Client,
    key: Key,
    vid: str,
    o: dict[str, float],
    d: dict[str, float],
    **extra: Any,
) -> httpx.Response:
    return client.post(
        "/v1/routes",
        headers=key.headers,
        json={"vehicle_id": vid, "origin": o, "destination": d, "departure_time": at(40), **extra},
    )


def _too_far(r: httpx.Response, field: str) -> float:
    """The distance of a ``no_edge_nearby`` problem naming ``field``."""
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["reason"] == "no_edge_nearby", body
    assert body["field"] == field
    assert [e["field"] for e in body["errors"]] == [field]
    assert f"{body['distance_m']:.1f} m" in body["detail"]
    return float(body["distance_m"])


def test_a_robot_in_tokyo_is_not_snapped_to_a_road_far_away(
    client: httpx.Client, make_key: Callable[..., Key], footways: Roads
) -> None:
    key = make_key("fleet")
    robot = vehicle(client, key.headers, kind="robot")
    near_tokyo = point(TOKYO["lng"] + 0.001, TOKYO["lat"], 0)
    named = _plan(client, key, robot, TOKYO, near_tokyo, source=footways.source)
    assert _too_far(named, "origin") > 1_000_000  # thousands of km, not a 0 m route
    assert named.json()["max_distance_m"] == 50
    nearest = _plan(client, key, robot, TOKYO, near_tokyo)  # whatever source is nearest
    assert _too_far(nearest, "origin") > 1_000


def test_a_robot_snaps_within_its_distance_and_not_beyond(
    client: httpx.Client, make_key: Callable[..., Key], footways: Roads
) -> None:
    key = make_key("fleet")
    robot = vehicle(client, key.headers, kind="robot")
    src = footways.source
    near = _plan(client, key, robot, footways.at(20, 30), footways.at(180, -30), source=src)
    assert near.status_code == 200, near.text
    far_origin = _plan(client, key, robot, footways.at(100, 70), footways.at(180, 0), source=src)
    assert 69 < _too_far(far_origin, "origin") < 71
    far_goal = _plan(client, key, robot, footways.at(20, 0), footways.at(100, -60), source=src)
    assert 59 < _too_far(far_goal, "destination") < 61


@pytest.fixture(scope="module")
def wide_server(database_url: str) -> Iterator[str]:
    """A second server on the test database whose robots snap within 100 m."""
    settings = Settings(database_url=database_url, route_budget_s=120, snap_distance_robot_m=100)
    with serve(create_app(settings)) as base:
        yield base


def test_the_snap_distance_is_a_setting(
    wide_server: str, make_key: Callable[..., Key], footways: Roads
) -> None:
    key = make_key("fleet")
    with httpx.Client(base_url=wide_server, timeout=60) as c:
        robot = vehicle(c, key.headers, kind="robot")
        src = footways.source
        r = _plan(c, key, robot, footways.at(100, 70), footways.at(180, 0), source=src)
        assert r.status_code == 200, r.text
        r = _plan(c, key, robot, footways.at(100, 130), footways.at(180, 0), source=src)
        assert 129 < _too_far(r, "origin") < 131
        assert r.json()["max_distance_m"] == 100


def test_a_fleet_item_too_far_from_the_roads_says_so(
    client: httpx.Client, make_key: Callable[..., Key], footways: Roads
) -> None:
    key = make_key("fleet")
    robots = [vehicle(client, key.headers, kind="robot") for _ in range(3)]
    t, src = at(170), footways.source

    def item(vid: str, o: dict[str, float], d: dict[str, float]) -> dict[str, Any]:
        return {
            "vehicle_id": vid,
            "origin": o,
            "destination": d,
            "departure_time": t,
            "source": src,
            "reserve": True,
        }

    requests = [
        item(robots[0], footways.at(10, 0), footways.at(90, 0)),
        item(robots[1], footways.at(10, 2_000), footways.at(150, 0)),  # 2 km north of it
        item(robots[2], footways.at(110, 0), footways.at(190, 80)),  # 80 m off the road
    ]
    r = client.post("/v1/fleets/routes", headers=key.headers, json={"requests": requests})
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [x["reason"] for x in res] == [None, "no_edge_nearby", "no_edge_nearby"]
    assert res[0]["reservation"]["state"] == "accepted"
    assert "origin" in res[1]["detail"] and " m from the nearest usable road" in res[1]["detail"]
    assert re.search(r"destination is (79|80)\.\d m", res[2]["detail"]), res[2]["detail"]
    for failed in res[1:]:
        assert failed["route"] is None and failed["reservation"] is None

"""POST /v1/routes for drones over real HTTP and PostGIS: plan, reserve, avoid, fail."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.settings import Settings
from registry.db import session_scope
from tests.conftest import Key
from tests.pgtools import serve
from tests.routes.helpers import (
    at,
    offset,
    overlapping_pairs,
    place,
    point,
    route_windows_overlap,
    stored_hits,
    vehicle,
)


def square(lng: float, lat: float, half_m: float) -> dict[str, object]:
    """A GeoJSON square of side ``2 * half_m`` centred at (lng, lat)."""
    w, s = offset(lng, lat, -half_m, -half_m)
    e, n = offset(lng, lat, half_m, half_m)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def body(
    vid: str, a: tuple[float, float], b: tuple[float, float], minutes: float = 30, **extra: object
) -> dict[str, object]:
    """A route request from a to b at 60 m."""
    return {
        "vehicle_id": vid,
        "origin": point(*a),
        "destination": point(*b),
        "departure_time": at(minutes),
        **extra,
    }


def test_plan_and_reserve_then_a_second_drone_avoids_the_first(
    client: httpx.Client, operator_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    a = place()
    b = offset(*a, 300.0, 0.0)
    c, d = offset(*a, 150.0, -100.0), offset(*a, 150.0, 100.0)  # crosses a-b at its middle
    v1, v2 = (vehicle(client, operator_key.headers) for _ in range(2))
    depart = at(30)
    crossing = body(v2, c, d, departure_time=depart)
    straight = client.post("/v1/routes", headers=operator_key.headers, json=crossing)
    assert straight.status_code == 200, straight.text
    r = client.post(
        "/v1/routes",
        headers=operator_key.headers,
        json=body(v1, a, b, reserve=True, departure_time=depart),
    )
    assert r.status_code == 201, r.text
    first = r.json()
    route = first["route"]
    assert route["planner"] == "drone" and route["zoom"] == 23
    assert route["length_m"] >= 290
    assert len(route["times"]) == len(route["geometry"]["coordinates"])
    assert route["arrival"] > route["departure"]
    rid = first["reservation"]["id"]
    got = client.get(f"/v1/reservations/{rid}", headers=operator_key.headers)
    assert got.status_code == 200 and got.json()["state"] == "accepted"
    with session_scope(db_sessions) as s:
        assert stored_hits(
            s, route["spatial_ids"], "reservation_boxes", f"b.reservation_id = '{rid}'"
        ) == len(route["spatial_ids"])
    # planned before the first was reserved, the crossing meets it: they interact
    assert route_windows_overlap(route["spatial_ids"], straight.json()["route"]["spatial_ids"])

    r2 = client.post("/v1/routes", headers=operator_key.headers, json={**crossing, "reserve": True})
    assert r2.status_code == 201, r2.text
    second = r2.json()
    assert route_windows_overlap(route["spatial_ids"], second["route"]["spatial_ids"]) == 0
    with session_scope(db_sessions) as s:
        assert overlapping_pairs(s, [rid, second["reservation"]["id"]]) == 0


def test_a_restriction_created_after_a_route_is_avoided_by_the_next(
    client: httpx.Client, make_key: Callable[..., Key], db_sessions: sessionmaker[Session]
) -> None:
    op, city = make_key("operator"), make_key("municipality")
    a = place()
    b = offset(*a, 300.0, 0.0)
    mid = offset(*a, 150.0, 0.0)
    vid = vehicle(client, op.headers)
    r = client.post("/v1/routes", headers=op.headers, json=body(vid, a, b))
    assert r.status_code == 200, r.text
    restr = client.post(
        "/v1/restrictions",
        headers=city.headers,
        json={
            "geometry": square(*mid, 25.0),
            "altitude_lower": 0,
            "altitude_upper": 400,
            "reason": "crane",
            "time_start": at(0),
            "time_end": at(240),
        },
    )
    assert restr.status_code == 201, restr.text
    rid = restr.json()["id"]
    with session_scope(db_sessions) as s:
        assert (
            stored_hits(
                s, r.json()["route"]["spatial_ids"], "blocker_boxes", f"b.restriction_id = '{rid}'"
            )
            > 0
        )
    again = client.post("/v1/routes", headers=op.headers, json=body(vid, a, b))
    assert again.status_code == 200, again.text
    with session_scope(db_sessions) as s:
        assert (
            stored_hits(
                s,
                again.json()["route"]["spatial_ids"],
                "blocker_boxes",
                f"b.restriction_id = '{rid}'",
            )
            == 0
        )


def test_unreachable_destinations_are_422_with_the_reason(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    op, admin = make_key("operator"), make_key("admin")
    a = place()
    b = offset(*a, 200.0, 0.0)
    obstacle = client.post(
        "/v1/obstacles",
        headers=admin.headers,
        json={
            "geometry": square(*b, 15.0),
            "height_m": 200.0,
            "source": "routes-test",
        },
    )
    assert obstacle.status_code == 201, obstacle.text
    vid = vehicle(client, op.headers, altitude_upper_m=120.0)
    r = client.post("/v1/routes", headers=op.headers, json=body(vid, a, b))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["reason"] == "destination_blocked"
    high = body(vid, a, offset(*a, -200.0, 0.0))
    high["destination"]["alt"] = 300.0  # type: ignore[index]
    r = client.post("/v1/routes", headers=op.headers, json=high)
    assert r.status_code == 422 and r.json()["reason"] == "outside_altitude_band", r.text


def test_another_operators_vehicle_is_404_and_bad_input_names_the_field(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    mine, theirs = make_key("operator"), make_key("operator")
    vid = vehicle(client, theirs.headers)
    a = place()
    r = client.post("/v1/routes", headers=mine.headers, json=body(vid, a, offset(*a, 50, 0)))
    assert r.status_code == 404, r.text
    bad = body(vid, a, offset(*a, 50, 0))
    bad["origin"] = {"lng": a[0], "lat": 100.0, "alt": 60}
    bad["departure_time"] = "2030-01-01T10:00:00"
    r = client.post("/v1/routes", headers=mine.headers, json=bad)
    assert r.status_code == 422, r.text
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"body.origin.lat", "body.departure_time"} <= fields
    r = client.post("/v1/routes", json=body(vid, a, offset(*a, 50, 0)))
    assert r.status_code == 401


@pytest.fixture(scope="module")
def tiny_budget(database_url: str) -> Iterator[str]:
    """A second server whose searches may expand only a handful of states."""
    with serve(create_app(Settings(database_url=database_url, route_max_expansions=5))) as base:
        yield base


def test_a_tiny_search_budget_gives_a_clear_error(tiny_budget: str, operator_key: Key) -> None:
    with httpx.Client(base_url=tiny_budget, timeout=30) as c:
        vid = vehicle(c, operator_key.headers)
        a = place()
        r = c.post(
            "/v1/routes", headers=operator_key.headers, json=body(vid, a, offset(*a, 400.0, 0.0))
        )
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["reason"] == "budget_exceeded"
    assert "budget" in problem["detail"]


def _gap_m(sid: str, centre: tuple[float, float], half_m: float) -> float:
    """Horizontal distance in metres from a route voxel to the square obstacle."""
    from spatialid import parse_voxel, voxel_bounds

    w, s, _, e, n, _ = voxel_bounds(parse_voxel(sid))
    (x0, y0), (x1, y1) = (offset_m(centre, w, s)), (offset_m(centre, e, n))
    dx = max(0.0, x0 - half_m, -half_m - x1)
    dy = max(0.0, y0 - half_m, -half_m - y1)
    return float((dx * dx + dy * dy) ** 0.5)


def offset_m(centre: tuple[float, float], lng: float, lat: float) -> tuple[float, float]:
    """East and north metres of (lng, lat) from ``centre`` (local equirectangular)."""
    import math

    k = 111_320.0
    return ((lng - centre[0]) * k * math.cos(math.radians(centre[1])), (lat - centre[1]) * k)


def test_a_clearance_keeps_the_drone_that_far_from_obstacles(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    op, admin = make_key("operator"), make_key("admin")
    a = place()
    b = offset(*a, 300.0, 0.0)
    mid = offset(*a, 150.0, 8.0)
    obstacle = client.post(
        "/v1/obstacles",
        headers=admin.headers,
        json={
            "geometry": square(*mid, 15.0),
            "height_m": 200.0,
            "source": "clearance-test",
        },
    )
    assert obstacle.status_code == 201, obstacle.text
    vid = vehicle(client, op.headers, altitude_upper_m=120.0)
    gaps = {}
    for clearance in (None, 20.0):
        extra = {} if clearance is None else {"clearance_m": clearance}
        r = client.post("/v1/routes", headers=op.headers, json=body(vid, a, b, **extra))
        assert r.status_code == 200, r.text
        gaps[clearance] = min(_gap_m(s["id"], mid, 15.0) for s in r.json()["route"]["spatial_ids"])
    assert gaps[None] < 5.0  # hugs the obstacle
    assert gaps[20.0] >= 20.0 - 0.5  # metres of the local metric vs Mercator's scale
    bad = client.post("/v1/routes", headers=op.headers, json=body(vid, a, b, clearance_m=-1))
    assert bad.status_code == 422 and "clearance_m" in bad.text

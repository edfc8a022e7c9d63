"""Restrictions and obstacles block exactly their declared band up and down, say what they
store, and every refusal they cause names them (a reservation only as "another
reservation"), over HTTP on PostGIS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from spatialid import lnglat_to_voxel
from tests.conftest import Key
from tests.routes.conftest import Roads
from tests.routes.helpers import at, offset, place, point, vehicle

WINDOW = ("time_start", "time_end")


def square(lng: float, lat: float, half_m: float) -> dict[str, object]:
    """A GeoJSON square of side ``2 * half_m`` centred at (lng, lat)."""
    w, s = offset(lng, lat, -half_m, -half_m)
    e, n = offset(lng, lat, half_m, half_m)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def bbox(lng: float, lat: float, half_m: float) -> str:
    """``w,s,e,n`` of the square of :func:`square`."""
    w, s = offset(lng, lat, -half_m, -half_m)
    e, n = offset(lng, lat, half_m, half_m)
    return f"{w},{s},{e},{n}"


def route(
    client: httpx.Client, key: Key, vid: str, a: tuple[float, float], b: tuple[float, float],
    alt: float, **extra: Any,
) -> httpx.Response:  # fmt: skip
    """POST /v1/routes from ``a`` to ``b`` at ``alt`` metres, departing in 30 minutes."""
    return client.post(
        "/v1/routes",
        headers=key.headers,
        json={
            "vehicle_id": vid,
            "origin": point(*a, alt),
            "destination": point(*b, alt),
            "departure_time": at(30),
            **extra,
        },
    )


def kinds(client: httpx.Client, key: Key, box: str, lower: float, upper: float) -> set[str]:
    """The kinds an occupancy query over ``box`` and the band finds (now onwards)."""
    r = client.get(
        "/v1/occupancy",
        headers=key.headers,
        params={"bbox": box, "time_start": at(1), "alt_lower": lower, "alt_upper": upper},
    )
    assert r.status_code == 200, r.text
    return {k for c in r.json()["cells"] for k, n in c["kinds"].items() if n}


def stored_f(session: Session, column: str, owner: str) -> tuple[int, int]:
    """The lowest and highest leaf f bound of an owner's stored blocker boxes."""
    row = session.execute(
        text(f"SELECT min(lower(f)), max(upper(f)) FROM blocker_boxes WHERE {column} = :o"),
        {"o": owner},
    ).one()
    return int(row[0]), int(row[1])


def test_a_wide_low_restriction_blocks_its_band_only_and_is_named(
    client: httpx.Client, make_key: Callable[..., Key], db_sessions: sessionmaker[Session]
) -> None:
    op, town = make_key("operator"), make_key("municipality")
    centre = place()
    r = client.post(
        "/v1/restrictions",
        headers=town.headers,
        json={
            "geometry": square(*centre, 1500.0),
            "altitude_lower": 0,
            "altitude_upper": 150,
            "reason": "festival",
            "zoom": 16,  # voxels 512 m tall: the band must not be rounded to them
        },
    )
    assert r.status_code == 201, r.text
    rid, extent = r.json()["id"], r.json()["stored_extent"]
    assert r.json()["altitude_upper"] == 150
    assert extent["horizontal_zoom"] == 16 and extent["vertical_resolution_m"] == 1.0
    assert extent["altitude_lower"] == 0.0
    assert 150.0 <= extent["altitude_upper"] <= 151.0  # at most one leaf voxel above
    assert extent["altitude_datum"] == "W84"
    assert client.get(f"/v1/restrictions/{rid}", headers=op.headers).json()["stored_extent"] == (
        extent
    )
    with session_scope(db_sessions) as s:
        assert stored_f(s, "restriction_id", rid) == (0, 150)

    box = bbox(*centre, 200.0)
    assert kinds(client, op, box, 400.0, 500.0) == set()  # nothing up there
    assert kinds(client, op, box, 100.0, 140.0) == {"restriction"}

    drone = vehicle(client, op.headers, altitude_upper_m=300.0)
    a, b = offset(*centre, -150.0, 0.0), offset(*centre, 150.0, 0.0)
    above = route(client, op, drone, a, b, 180.0)
    assert above.status_code == 200, above.text

    inside = route(client, op, drone, a, b, 100.0)
    assert inside.status_code == 422, inside.text
    problem = inside.json()
    assert problem["reason"] == "origin_blocked"
    assert rid in problem["detail"] and "festival" in problem["detail"]
    assert "busy" not in problem["detail"]
    assert {"kind": "restriction", "restriction_id": rid, "reason": "festival"} in problem[
        "blocked_by"
    ]


def test_an_obstacle_blocks_up_to_its_height_and_is_named(
    client: httpx.Client, make_key: Callable[..., Key], db_sessions: sessionmaker[Session]
) -> None:
    op, admin = make_key("operator"), make_key("admin")
    centre = place()
    r = client.post(
        "/v1/obstacles",
        headers=admin.headers,
        json={
            "geometry": square(*centre, 400.0),
            "height_m": 60.4,
            "kind": "mast",
            "name": "Harbour mast",
            "source": "extent-test",
            "zoom": 17,  # voxels 256 m tall
        },
    )
    assert r.status_code == 201, r.text
    oid, extent = r.json()["id"], r.json()["stored_extent"]
    assert extent == {
        "altitude_lower": 0.0,
        "altitude_upper": 61.0,
        "altitude_datum": "W84",
        "horizontal_zoom": 17,
        "vertical_resolution_m": 1.0,
    }
    with session_scope(db_sessions) as s:
        assert stored_f(s, "obstacle_id", oid) == (0, 61)
    assert kinds(client, op, bbox(*centre, 100.0), 100.0, 200.0) == set()
    w = {"time_start": at(60), "time_end": at(70)}
    high = str(lnglat_to_voxel(*centre, 100.0, 20))  # 96-128 m: above the mast
    booked = client.post(
        "/v1/reservations",
        headers=op.headers,
        json={"volumes": [{"spatial_ids": [high], **w}]},
    )
    assert booked.status_code == 201, booked.text
    low = str(lnglat_to_voxel(*centre, 40.0, 20))  # 32-64 m: into it
    refused = client.post(
        "/v1/reservations",
        headers=op.headers,
        json={"volumes": [{"spatial_ids": [low], **w}]},
    )
    assert refused.status_code == 409, refused.text
    assert oid in refused.json()["detail"] and "Harbour mast" in refused.json()["detail"]
    assert refused.json()["conflicts"][0]["obstacle_id"] == oid

    drone = vehicle(client, op.headers, altitude_upper_m=300.0)
    a, b = offset(*centre, -1200.0, 0.0), offset(*centre, 50.0, 0.0)  # a: beyond the cover
    over = route(client, op, drone, a, b, 120.0)
    assert over.status_code == 200, over.text
    into = route(client, op, drone, a, b, 30.0)
    assert into.status_code == 422, into.text
    problem = into.json()
    assert problem["reason"] == "destination_blocked", problem
    assert oid in problem["detail"] and "Harbour mast" in problem["detail"]
    item = {"kind": "obstacle", "obstacle_id": oid, "obstacle_kind": "mast", "name": "Harbour mast"}
    assert item in problem["blocked_by"]


def test_a_busy_origin_names_another_reservation_and_no_one(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    first, second = make_key("operator"), make_key("operator")
    a = place()
    b = offset(*a, 300.0, 0.0)
    departure = at(30)
    ahead = vehicle(client, first.headers)
    body = {
        "vehicle_id": ahead,
        "origin": point(*a),
        "destination": point(*b),
        "departure_time": departure,
        "reserve": True,
    }
    held = client.post("/v1/routes", headers=first.headers, json=body)
    assert held.status_code == 201, held.text
    behind = vehicle(client, second.headers)
    r = client.post(
        "/v1/routes",
        headers=second.headers,
        json={**body, "vehicle_id": behind, "reserve": False},
    )
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["reason"] == "origin_blocked"
    assert "another reservation" in problem["detail"]
    assert problem["blocked_by"] == [{"kind": "reservation"}]
    assert held.json()["reservation"]["id"] not in r.text

    spot = held.json()["route"]["spatial_ids"][0]
    refused = client.post(
        "/v1/reservations",
        headers=second.headers,
        json={"volumes": [{"spatial_ids": [spot["id"]], **{k: spot[k] for k in WINDOW}}]},
    )
    assert refused.status_code == 409, refused.text
    assert "another reservation" in refused.json()["detail"]
    assert held.json()["reservation"]["id"] not in refused.text


def test_a_fleet_item_blocked_at_its_destination_names_the_restriction(
    client: httpx.Client, make_key: Callable[..., Key], footways: Roads
) -> None:
    key, town = make_key("fleet"), make_key("municipality")
    end = footways.at(195, 0)
    r = client.post(
        "/v1/restrictions",
        headers=town.headers,
        json={
            "geometry": square(end["lng"], end["lat"], 4.0),
            "altitude_lower": 0,
            "altitude_upper": 30,
            "reason": "market stall",
        },
    )
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    try:
        robot = vehicle(client, key.headers, kind="robot")
        item = {
            "vehicle_id": robot,
            "origin": footways.at(5, 0),
            "destination": end,
            "departure_time": at(200),
            "source": footways.source,
        }
        out = client.post("/v1/fleets/routes", headers=key.headers, json={"requests": [item]})
        assert out.status_code == 200, out.text
        (res,) = out.json()["results"]
        assert res["reason"] == "destination_blocked", res
        assert rid in res["detail"] and "market stall" in res["detail"]
    finally:  # the footways are shared with other tests
        assert client.delete(f"/v1/restrictions/{rid}", headers=town.headers).status_code == 200

"""Robot routes on the Helsinki roads and permanent restrictions, end to end on PostGIS."""

from __future__ import annotations

import random
from collections.abc import Callable

import httpx
from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from spatialid.projection import tile_x_to_lng, tile_y_to_lat
from tests.conftest import Key
from tests.routes.helpers import stored_hits, vehicle
from tests.routes.test_drone_routes import square
from tests.routes.test_ground_routes import depart, helsinki, nodes, pair  # noqa: F401


def centre(sid: str) -> tuple[float, float]:
    """(lng, lat) of the centre of a ``z/f/x/y`` ID."""
    z, _, x, y = (int(p) for p in sid.split("/"))
    return float(tile_x_to_lng(x + 0.5, z)), float(tile_y_to_lat(y + 0.5, z))


def test_a_robot_detours_around_a_restriction_created_mid_way(
    client: httpx.Client,
    make_key: Callable[..., Key],
    helsinki: str,  # noqa: F811
    nodes: list[tuple[float, float]],  # noqa: F811
    db_sessions: sessionmaker[Session],
) -> None:
    fleet, town = make_key("fleet"), make_key("municipality")
    vid = vehicle(client, fleet.headers, kind="robot")
    o, d = pair(nodes, random.Random(11))
    ask = {
        "vehicle_id": vid,
        "origin": o,
        "destination": d,
        "departure_time": depart(7),
        "source": helsinki,
    }
    first = client.post("/v1/routes", headers=fleet.headers, json=ask)
    assert first.status_code == 200, first.text
    ids = first.json()["route"]["spatial_ids"]
    mid = centre(ids[len(ids) // 2]["id"])
    made: list[str] = []
    try:
        r = client.post(
            "/v1/restrictions",
            headers=town.headers,
            json={
                "geometry": square(*mid, 4.0),
                "altitude_lower": 0,
                "altitude_upper": 30,
                "reason": "street works",  # permanent: no time_start / time_end
            },
        )
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
        where = f"b.restriction_id = '{made[0]}'"
        with session_scope(db_sessions) as s:
            assert stored_hits(s, ids, "blocker_boxes", where) > 0  # across the first route
        again = client.post("/v1/routes", headers=fleet.headers, json={**ask, "reserve": True})
        assert again.status_code == 201, again.text  # planned round it, so reservable
        route = again.json()["route"]
        with session_scope(db_sessions) as s:
            assert stored_hits(s, route["spatial_ids"], "blocker_boxes", where) == 0
        assert route["length_m"] >= first.json()["route"]["length_m"]
        assert route["duration_s"] > first.json()["route"]["duration_s"]  # the detour

        r = client.post(
            "/v1/restrictions",
            headers=town.headers,
            json={
                "geometry": square(d["lng"], d["lat"], 4.0),
                "altitude_lower": 0,
                "altitude_upper": 30,
                "reason": "closed square",
            },
        )
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
        later = {**ask, "departure_time": depart(9)}  # not behind its own reservation
        blocked = client.post("/v1/routes", headers=fleet.headers, json=later)
        assert blocked.status_code == 422, blocked.text
        assert blocked.json()["reason"] == "destination_blocked"
        assert made[-1] in blocked.json()["detail"] and "closed square" in blocked.json()["detail"]
        assert blocked.json()["blocked_by"] == [
            {"kind": "restriction", "restriction_id": made[-1], "reason": "closed square"}
        ]
    finally:  # the Helsinki roads are shared with other tests
        for rid in made:
            assert client.delete(f"/v1/restrictions/{rid}", headers=town.headers).status_code in (
                200,
                204,
            )

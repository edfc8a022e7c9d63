"""The app's static grid cache (planning.grid_cache): reused in an area, invalidated by a
permanent restriction (created, lifted) so the next route sees the change."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from tests.conftest import Key
from tests.routes.helpers import offset, place, stored_hits, vehicle
from tests.routes.test_drone_routes import body, square


def test_cached_grids_are_reused_and_a_permanent_restriction_invalidates_them(
    inproc_client: httpx.Client,
    make_key: Callable[..., Key],
    db_sessions: sessionmaker[Session],
    inproc_app: FastAPI,
) -> None:
    client = inproc_client  # the caches are this process's: no planning workers
    grids = inproc_app.state.planning_caches.grids
    op, city = make_key("operator"), make_key("municipality")
    a = place()
    b = offset(*a, 300.0, 0.0)
    mid = offset(*a, 150.0, 0.0)
    vid = vehicle(client, op.headers)
    first = client.post("/v1/routes", headers=op.headers, json=body(vid, a, b))
    assert first.status_code == 200, first.text
    hits = grids.hits
    same = client.post("/v1/routes", headers=op.headers, json=body(vid, a, b, minutes=45))
    assert same.status_code == 200, same.text
    assert grids.hits == hits + 1  # same area, same static blocks: the grid is reused
    # a permanent (no time bounds) restriction on the path: a static block
    restr = client.post(
        "/v1/restrictions",
        headers=city.headers,
        json={
            "geometry": square(*mid, 25.0),
            "altitude_lower": 0,
            "altitude_upper": 400,
            "reason": "new mast",
        },
    )
    assert restr.status_code == 201, restr.text
    rid = restr.json()["id"]
    where = f"b.restriction_id = '{rid}'"
    with session_scope(db_sessions) as s:
        assert stored_hits(s, first.json()["route"]["spatial_ids"], "blocker_boxes", where) > 0
    misses = grids.misses
    again = client.post("/v1/routes", headers=op.headers, json=body(vid, a, b, minutes=60))
    assert again.status_code == 200, again.text
    assert grids.misses == misses + 1  # a new static version: the grid is rebuilt
    with session_scope(db_sessions) as s:
        assert stored_hits(s, again.json()["route"]["spatial_ids"], "blocker_boxes", where) == 0
    assert again.json()["route"]["length_m"] > first.json()["route"]["length_m"] + 1.0
    # lifting it restores the static blocks of before (same version: the first grid is
    # correctly reused) and the straight route is back
    lifted = client.patch(f"/v1/restrictions/{rid}", headers=city.headers, json={"active": False})
    assert lifted.status_code == 200, lifted.text
    back = client.post("/v1/routes", headers=op.headers, json=body(vid, a, b, minutes=75))
    assert back.status_code == 200, back.text
    assert grids.misses == misses + 1
    assert abs(back.json()["route"]["length_m"] - first.json()["route"]["length_m"]) < 1.0

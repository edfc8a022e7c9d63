"""POST /v1/routes with ``replaces``: re-plan a reservation without giving up its slot.

The route is planned as if the reservation were gone and swapped into it (same id) in
one transaction, over HTTP on PostGIS. Drones over the open sea (``place``); robots on
the ``footways`` source of ``tests/routes/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from tests.conftest import Key
from tests.reservations.test_preempt_race import _overlapping_active
from tests.reservations.test_replace import race
from tests.routes.conftest import Roads
from tests.routes.helpers import at, offset, place, point, stored_hits, vehicle


def _route(client: httpx.Client, key: Key, body: dict[str, Any]) -> httpx.Response:
    return client.post("/v1/routes", headers=key.headers, json=body)


def _drone_body(vid: str, a: tuple[float, float], b: tuple[float, float], t: str) -> dict[str, Any]:
    return {"vehicle_id": vid, "origin": point(*a), "destination": point(*b), "departure_time": t}


def _holds_route(db: sessionmaker[Session], rid: str, route: dict[str, Any]) -> bool:
    """Every voxel window of the route is stored as an active box of reservation ``rid``."""
    ids = route["spatial_ids"]
    with session_scope(db) as s:
        where = f"b.reservation_id = '{rid}'"
        return stored_hits(s, ids, "reservation_boxes", where) == len(ids)


def test_asking_again_for_the_same_vehicle_and_time_replaces_its_reservation(
    client: httpx.Client, operator_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    a = place()
    b, c = offset(*a, 300.0, 0.0), offset(*a, 0.0, 300.0)
    drone = vehicle(client, operator_key.headers)
    t = at(30)
    first = _route(client, operator_key, {**_drone_body(drone, a, b, t), "reserve": True})
    assert first.status_code == 201, first.text
    rid = first.json()["reservation"]["id"]
    again = _route(client, operator_key, {**_drone_body(drone, a, c, t), "reserve": True})
    assert again.status_code in (409, 422), again.text  # refused by its own reservation
    body = {**_drone_body(drone, a, c, t), "reserve": True, "replaces": rid}
    swapped = _route(client, operator_key, body)
    assert swapped.status_code == 200, swapped.text
    out = swapped.json()
    assert out["replaced"] is True
    assert out["reservation"]["id"] == rid and out["reservation"]["version"] == 2
    assert out["route"]["departure"] == first.json()["route"]["departure"]
    assert _holds_route(db_sessions, rid, out["route"])
    assert not _holds_route(db_sessions, rid, first.json()["route"])  # the old volumes went
    got = client.get(f"/v1/reservations/{rid}", headers=operator_key.headers).json()
    assert got["version"] == 2 and got["state"] == "accepted"
    same = _route(client, operator_key, body)  # the same re-plan again: nothing changes
    assert same.status_code == 200, same.text
    assert same.json()["reservation"]["version"] == 2
    assert same.json()["route"]["spatial_ids"] == out["route"]["spatial_ids"]


def test_a_robot_replans_its_slot(
    client: httpx.Client,
    make_key: Callable[..., Key],
    footways: Roads,
    db_sessions: sessionmaker[Session],
) -> None:
    key = make_key("fleet")
    robot = vehicle(client, key.headers, kind="robot")
    t, src = at(200), footways.source

    def body(**extra: Any) -> dict[str, Any]:
        return {
            "vehicle_id": robot,
            "origin": footways.at(10, 0),
            "destination": footways.at(120, 0),
            "departure_time": t,
            "source": src,
            "reserve": True,
            **extra,
        }

    first = _route(client, key, body())
    assert first.status_code == 201, first.text
    rid = first.json()["reservation"]["id"]
    assert _route(client, key, body()).status_code in (409, 422)
    plan = _route(client, key, body(replaces=rid, reserve=False))  # a preview: nothing swapped
    assert plan.status_code == 200 and plan.json()["reservation"] is None
    assert plan.json()["route"]["arrival"] == first.json()["route"]["arrival"]
    swapped = _route(client, key, body(replaces=rid, destination=footways.at(180, 0)))
    assert swapped.status_code == 200, swapped.text
    assert swapped.json()["reservation"]["id"] == rid
    assert _holds_route(db_sessions, rid, swapped.json()["route"])


def test_what_a_route_may_replace(
    client: httpx.Client, make_key: Callable[..., Key], db_sessions: sessionmaker[Session]
) -> None:
    me, other = make_key("operator"), make_key("operator")
    a = place()
    b = offset(*a, 200.0, 0.0)
    d1, d2 = vehicle(client, me.headers), vehicle(client, me.headers)
    theirs = vehicle(client, other.headers)
    t = at(45)
    mine = _route(client, me, {**_drone_body(d1, a, b, t), "reserve": True})
    assert mine.status_code == 201, mine.text
    rid = mine.json()["reservation"]["id"]
    c = offset(*a, 0.0, 400.0)
    d = offset(*c, 200.0, 0.0)
    wrong = _route(client, me, {**_drone_body(d2, c, d, t), "reserve": True, "replaces": rid})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "replaces"
    foreign = _route(client, other, {**_drone_body(theirs, c, d, t), "replaces": rid})
    assert foreign.status_code == 404, foreign.text
    fleet = client.post(
        "/v1/fleets/routes",
        headers=me.headers,
        json={"requests": [{**_drone_body(d1, c, d, t), "replaces": rid}]},
    )
    assert fleet.status_code == 422
    assert fleet.json()["errors"][0]["field"] == "requests.0.replaces"
    cancelled = client.delete(f"/v1/reservations/{rid}", headers=me.headers)
    assert cancelled.status_code == 200
    gone = _route(client, me, {**_drone_body(d1, c, d, t), "reserve": True, "replaces": rid})
    assert gone.status_code == 409, gone.text
    assert _holds_route(db_sessions, rid, mine.json()["route"]) is False


@pytest.mark.parametrize("round_", range(2))
def test_a_swap_racing_a_booking_of_its_new_space(
    live_server: str,
    client: httpx.Client,
    make_key: Callable[..., Key],
    db_sessions: sessionmaker[Session],
    round_: int,
) -> None:
    """The re-plan and a booking of the space it plans to take wait on the box table and go
    at once: they never overlap, and the reservation holds either its old route or the
    new one whole, never a mix."""
    me, other = make_key("operator"), make_key("operator")
    a = place()
    b, c = offset(*a, 300.0, 0.0), offset(*a, 0.0, 300.0)
    drone = vehicle(client, me.headers)
    t = at(60)
    first = _route(client, me, {**_drone_body(drone, a, b, t), "reserve": True})
    assert first.status_code == 201, first.text
    rid = first.json()["reservation"]["id"]
    body = {**_drone_body(drone, a, c, t), "reserve": True, "replaces": rid}
    preview = _route(client, me, {**body, "reserve": False}).json()["route"]
    taken = preview["spatial_ids"][len(preview["spatial_ids"]) // 2]
    booking = {
        "volumes": [
            {
                "spatial_ids": [taken["id"]],
                "time_start": taken["time_start"],
                "time_end": taken["time_end"],
            }
        ]
    }
    swap, book = race(
        live_server,
        db_sessions,
        [
            lambda cl: cl.post("/v1/routes", headers=me.headers, json=body),
            lambda cl: cl.post("/v1/reservations", headers=other.headers, json=booking),
        ],
    )
    assert swap.status_code in (200, 409), swap.text
    assert book.status_code in (201, 409), book.text
    assert (swap.status_code, book.status_code) != (409, 409)
    got = client.get(f"/v1/reservations/{rid}", headers=me.headers).json()
    if swap.status_code == 200:
        assert got["version"] == 2
        assert _holds_route(db_sessions, rid, swap.json()["route"])
        assert not _holds_route(db_sessions, rid, first.json()["route"])
    else:
        assert got["version"] == 1
        assert _holds_route(db_sessions, rid, first.json()["route"])
    ids = [rid] + ([book.json()["id"]] if book.status_code == 201 else [])
    assert _overlapping_active(db_sessions, ids) == 0

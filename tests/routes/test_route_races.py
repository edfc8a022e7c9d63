"""Plan-and-reserve losing the race at its insert, made deterministic.

A rival reservation over part of the route is inserted and left uncommitted, so the
request plans through it (it cannot see it) and its insert waits on the rival's
transaction; once the test sees the request's backend wait on the rival (pg_blocking_pids)
it commits the rival. The request's insert then skips the taken boxes (``Contested``):
``POST /v1/routes`` plans again and reserves around the rival; the fleet reports that
item ``contested`` and keeps the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from registry.models import Principal
from registry.services import reservations
from tests.conftest import Key
from tests.pgtools import backend_pid, wait_blocked
from tests.routes.conftest import Roads
from tests.routes.helpers import (
    at,
    offset,
    overlapping_pairs,
    place,
    point,
    route_windows_overlap,
    vehicle,
)


def _race(
    db_sessions: sessionmaker[Session],
    rival: Key,
    taken: list[dict[str, str]],
    send: Callable[[], httpx.Response],
) -> tuple[httpx.Response, str]:
    """Hold a rival reservation of ``taken`` uncommitted, ``send`` the request, commit the
    rival once the request waits on it; the response and the rival's id."""
    out: list[httpx.Response] = []
    side = db_sessions()
    try:
        me = side.get(Principal, rival.principal_id)
        assert me is not None
        volumes = [
            reservations.VolumeRequest(
                spatial_ids=[s["id"]],
                time_start=datetime.fromisoformat(s["time_start"]),
                time_end=datetime.fromisoformat(s["time_end"]),
            )
            for s in taken
        ]
        made = reservations.create_reservation(session=side, actor=me, volumes=volumes)
        holder = backend_pid(side)
        t = threading.Thread(target=lambda: out.append(send()))
        t.start()
        assert wait_blocked(db_sessions, None, holder, t) == "transactionid"  # at its insert
        side.commit()
        t.join(timeout=120)
    finally:
        side.close()
    assert out, "the request did not answer"
    return out[0], str(made.reservation.id)


def test_a_route_that_loses_the_race_is_planned_again(
    client: httpx.Client, make_key: Callable[..., Key], db_sessions: sessionmaker[Session]
) -> None:
    me, rival = make_key("operator"), make_key("operator")
    vid = vehicle(client, me.headers)
    a = place()
    body: dict[str, Any] = {
        "vehicle_id": vid,
        "origin": point(*a),
        "destination": point(*offset(*a, 300.0, 0.0)),
        "departure_time": at(30),
    }
    dry = client.post("/v1/routes", headers=me.headers, json=body)
    assert dry.status_code == 200, dry.text
    ids = dry.json()["route"]["spatial_ids"]
    taken = ids[len(ids) // 2 - 2 : len(ids) // 2 + 2]  # the middle of the same route

    r, rival_id = _race(
        db_sessions,
        rival,
        taken,
        lambda: client.post("/v1/routes", headers=me.headers, json={**body, "reserve": True}),
    )
    assert r.status_code == 201, r.text
    assert r.json()["attempts"] == 2  # lost once at the insert, then planned again
    route = r.json()["route"]["spatial_ids"]
    assert route_windows_overlap(taken, route) == 0
    assert route_windows_overlap(taken, ids) == len(taken)  # the first plan met the rival
    with session_scope(db_sessions) as s:
        assert overlapping_pairs(s, [rival_id, r.json()["reservation"]["id"]]) == 0


def test_a_fleet_item_that_loses_the_race_is_planned_again_and_the_others_stay(
    client: httpx.Client,
    make_key: Callable[..., Key],
    db_sessions: sessionmaker[Session],
    footways: Roads,
) -> None:
    key, rival = make_key("fleet"), make_key("operator")
    t = at(90)
    requests = [
        {
            "vehicle_id": vehicle(client, key.headers, kind="robot"),
            "origin": o,
            "destination": d,
            "departure_time": t,
            "source": footways.source,
        }
        for o, d in (
            (footways.at(5, 0), footways.at(195, 0)),
            (footways.at(210, 300), footways.at(295, 300)),
        )
    ]
    dry = client.post("/v1/fleets/routes", headers=key.headers, json={"requests": requests})
    assert dry.status_code == 200 and dry.json()["served"] == 2, dry.text
    first = dry.json()["results"][0]["route"]["spatial_ids"]
    taken = first[len(first) // 2 : len(first) // 2 + 2]
    reserving = {"requests": [{**q, "reserve": True} for q in requests]}

    r, rival_id = _race(
        db_sessions,
        rival,
        taken,
        lambda: client.post("/v1/fleets/routes", headers=key.headers, json=reserving),
    )
    assert r.status_code == 200, r.text
    lost, kept = r.json()["results"]  # the first lost its booking, and was planned again
    assert (lost["ok"], lost["reason"]) == (True, None), lost["detail"]
    assert lost["reservation"]["state"] == "accepted"
    assert route_windows_overlap(lost["route"]["spatial_ids"], taken) == 0
    assert kept["ok"] and kept["reservation"]["state"] == "accepted"
    assert (r.json()["served"], r.json()["unserved"]) == (2, 0)
    with session_scope(db_sessions) as s:
        assert (
            overlapping_pairs(s, [rival_id, kept["reservation"]["id"], lost["reservation"]["id"]])
            == 0
        )

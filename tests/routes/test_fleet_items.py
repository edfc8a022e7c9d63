"""POST /v1/fleets/routes: items that fail on their own, and the limits of the request."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from tests.conftest import Key
from tests.routes.conftest import Roads
from tests.routes.helpers import at, stored_hits, vehicle


def _item(
    vid: str, o: dict[str, float], d: dict[str, float], t: str, src: str, **extra: Any
) -> dict[str, Any]:
    return {
        "vehicle_id": vid,
        "origin": o,
        "destination": d,
        "departure_time": t,
        "source": src,
        **extra,
    }


def test_each_item_is_served_or_says_why_not(
    client: httpx.Client,
    make_key: Callable[..., Key],
    footways: Roads,
    db_sessions: sessionmaker[Session],
) -> None:
    key = make_key("fleet")
    robots = [vehicle(client, key.headers, kind="robot") for _ in range(3)]
    car = vehicle(client, key.headers, kind="car")
    t, src = at(150), footways.source
    west, east = (
        (footways.at(5, 0), footways.at(195, 0)),
        (footways.at(210, 300), footways.at(295, 300)),
    )
    requests = [
        _item(robots[0], *west, t, src, reserve=True),
        _item(robots[1], footways.at(100, 0), east[1], t, src, reserve=True),  # never meet
        _item(car, *west, t, src, reserve=True),  # no road a car may use
        _item(robots[2], *east, t, src),  # planned, not reserved
    ]
    r = client.post("/v1/fleets/routes", headers=key.headers, json={"requests": requests})
    assert r.status_code == 200, r.text
    out = r.json()
    res = out["results"]
    assert (out["served"], out["unserved"]) == (2, 2), [(x["reason"], x["detail"]) for x in res]
    assert [x["index"] for x in res] == [0, 1, 2, 3]
    assert [x["vehicle_id"] for x in res] == [*robots[:2], car, robots[2]]
    assert [x["ok"] for x in res] == [True, False, False, True]
    assert [x["reason"] for x in res] == [None, "no_path", "no_edge_nearby", None]
    for failed in (res[1], res[2]):
        assert failed["route"] is None and failed["reservation"] is None
    assert res[2]["detail"] and src in res[2]["detail"]
    assert res[0]["reservation"]["state"] == "accepted" and res[3]["reservation"] is None
    assert res[0]["route"]["source"] == res[3]["route"]["source"] == src
    rid = res[0]["reservation"]["id"]
    got = client.get(f"/v1/reservations/{rid}", headers=key.headers)
    assert got.status_code == 200 and got.json()["vehicle_id"] == robots[0]
    with session_scope(db_sessions) as s:
        ids = res[0]["route"]["spatial_ids"]
        assert stored_hits(s, ids, "reservation_boxes", f"b.reservation_id = '{rid}'") == len(ids)
        east_ids = res[3]["route"]["spatial_ids"]  # only planned: nothing stored
        assert stored_hits(s, east_ids, "reservation_boxes", "true") == 0


def _robots(sessions: sessionmaker[Session], key: Key, n: int) -> list[str]:
    """``n`` robots of ``key``'s operator, registered in one transaction."""
    from registry.services import vehicles

    with session_scope(sessions) as s:
        made = [
            vehicles.create_vehicle(
                session=s,
                actor=None,
                name=f"r{k}-{uuid.uuid4().hex[:6]}",
                kind="robot",
                max_speed_mps=2.0,
                operator_id=key.operator_id,
            )
            for k in range(n)
        ]
        s.flush()
        return [str(v.id) for v in made]


def test_fleet_limits_and_whole_request_errors(
    client: httpx.Client,
    make_key: Callable[..., Key],
    footways: Roads,
    db_sessions: sessionmaker[Session],
) -> None:
    key, other = make_key("fleet"), make_key("fleet")
    robot = vehicle(client, key.headers, kind="robot")
    drone = vehicle(client, key.headers)
    theirs = vehicle(client, other.headers, kind="robot")
    t, src = at(200), footways.source
    one = _item(robot, footways.at(5, 0), footways.at(195, 0), t, src)

    def post(requests: list[dict[str, Any]]) -> httpx.Response:
        return client.post("/v1/fleets/routes", headers=key.headers, json={"requests": requests})

    def fields(r: httpx.Response) -> list[str]:
        assert r.status_code == 422, r.text[:500]
        assert r.headers["content-type"].startswith("application/problem+json")
        return [e["field"] for e in r.json()["errors"]]

    assert fields(post([one] * 501)) == ["body.requests"]  # at most 500 items
    assert fields(post([])) == ["body.requests"]
    many = [{**one, "vehicle_id": v} for v in _robots(db_sessions, key, 500)]
    r = post(many)  # the limit itself is served (one request per vehicle)
    assert r.status_code == 200 and len(r.json()["results"]) == 500, r.text[:500]
    assert fields(post([one, one])) == ["requests.1.vehicle_id"]  # a vehicle is in one place
    assert fields(post([one, {**one, "vehicle_id": drone}])) == ["requests.1.vehicle_id"]
    assert post([one, {**one, "vehicle_id": theirs}]).status_code == 404
    bad = {**one, "departure_time": "tomorrow"}
    assert fields(post([one, bad])) == ["body.requests.1.departure_time"]
    r = client.post(
        "/v1/fleets/routes", headers=make_key("municipality").headers, json={"requests": [one]}
    )
    assert r.status_code == 403, r.text
    assert client.post("/v1/fleets/routes", json={"requests": [one]}).status_code == 401


def test_a_fleet_out_of_budget_says_budget_exceeded_per_item(
    client: httpx.Client,
    make_key: Callable[..., Key],
    footways: Roads,
    db_sessions: sessionmaker[Session],
) -> None:
    """``plan_fleet_routes`` honours its budget: with no time left every item is
    unplanned with ``budget_exceeded``; with no expansion allowed per search too; with the
    default budget the same items are served."""
    from datetime import datetime

    from planning.budget import Budget
    from planning.caches import PlanningCaches
    from planning.fleet_routes import plan_fleet_routes
    from registry.models import Principal

    key = make_key("fleet")
    robots = [vehicle(client, key.headers, kind="robot") for _ in range(2)]
    t, src = datetime.fromisoformat(at(400)), footways.source
    requests = [
        {
            "vehicle_id": uuid.UUID(robots[0]),
            "origin": footways.at(5, 0),
            "destination": footways.at(195, 0),
            "departure_time": t,
            "source": src,
        },
        {
            "vehicle_id": uuid.UUID(robots[1]),
            "origin": footways.at(210, 300),
            "destination": footways.at(295, 300),
            "departure_time": t,
            "source": src,
        },
    ]
    caches = PlanningCaches.create(grid_cache_mb=0)

    def reasons(budget: Budget | None) -> list[str | None]:
        with session_scope(db_sessions) as s:
            actor = s.get(Principal, key.principal_id)
            assert actor is not None
            out = plan_fleet_routes(
                session=s, caches=caches, actor=actor, requests=requests, budget=budget
            )
            return [o.reason for o in out]

    assert reasons(Budget(seconds=0.0)) == ["budget_exceeded", "budget_exceeded"]
    assert reasons(Budget(expansions=0)) == ["budget_exceeded", "budget_exceeded"]
    assert reasons(None) == [None, None]

"""The event log over HTTP: each principal reads its own events, in order, and a cursor
that no late commit can break (an event of a transaction still open when a later one was
read comes before it, not lost)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from registry.services import events
from tests.conftest import Key
from tests.reservations.helpers import created, ids, reserve, spot, volume, window

Drained = tuple[list[dict[str, Any]], str]


def drain(client: httpx.Client, key: Key, start: str | None = None) -> Drained:
    """Every event ``key`` may read after ``start`` (a ``next`` link), and where to go on."""
    link = start or "/v1/events?limit=500"
    got: list[dict[str, Any]] = []
    while True:
        r = client.get(link, headers=key.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        got += page["items"]
        if not page["items"]:  # the end for now (the page size may be capped below 500)
            return got, page["next"]
        link = page["next"]


def about(items: list[dict[str, Any]], subject: str) -> list[str]:
    """The types of the events about ``subject``, in order."""
    return [e["type"] for e in items if e["subject"] == subject]


def test_the_owner_reads_its_reservation_s_life_in_order_and_others_do_not(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key
) -> None:
    me = make_key("operator")
    same_operator = make_key("fleet", me.operator_id)
    other, town = make_key("operator"), make_key("municipality")
    _, admin_from = drain(client, admin_key)
    x, y = spot()
    res = created(reserve(client, me, volume(ids(x, y, 3))))
    r = client.patch(
        f"/v1/reservations/{res['id']}",
        headers=me.headers,
        json={"state": "activated", "version": 1},
    )
    assert r.status_code == 200, r.text
    assert client.delete(f"/v1/reservations/{res['id']}", headers=me.headers).status_code == 200
    lifecycle = [
        "kukan.reservation.created",
        "kukan.reservation.activated",
        "kukan.reservation.cancelled",
    ]

    mine, _ = drain(client, me)
    assert about(mine, res["id"]) == lifecycle
    first = mine[0]
    assert first["specversion"] == "1.0" and first["source"] == "/v1/reservations"
    assert first["datacontenttype"] == "application/json"
    assert first["data"]["reservation_id"] == res["id"] and first["data"]["state"] == "accepted"
    assert datetime.fromisoformat(first["data"]["time_start"]) == datetime.fromisoformat(
        res["time_start"]
    )
    assert [e["data"]["version"] for e in mine if e["subject"] == res["id"]] == [1, 2, 3]
    assert len({e["id"] for e in mine}) == len(mine)  # ids unique
    assert about(drain(client, same_operator)[0], res["id"]) == lifecycle  # the operator's
    assert about(drain(client, other)[0], res["id"]) == []
    assert about(drain(client, town)[0], res["id"]) == []
    assert about(drain(client, admin_key, admin_from)[0], res["id"]) == lifecycle


def test_new_volumes_and_a_retired_vehicle_are_told_as_changed_and_cancelled(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    me = make_key("operator")
    r = client.post(
        "/v1/vehicles",
        headers=me.headers,
        json={"name": f"v-{uuid.uuid4().hex[:8]}", "kind": "drone", "max_speed_mps": 10},
    )
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    x, y = spot()
    res = created(reserve(client, me, volume(ids(x, y, 3)), vehicle_id=vid))
    r = client.put(
        f"/v1/reservations/{res['id']}",
        headers={**me.headers, "If-Match": '"1"'},
        json={"volumes": [volume(ids(x, y + 1, 2))]},
    )
    assert r.status_code == 200, r.text
    assert client.post(f"/v1/vehicles/{vid}/retire", headers=me.headers).status_code == 200
    told = [e for e in drain(client, me)[0] if e["subject"] == res["id"]]
    kinds = [
        "kukan.reservation.created",
        "kukan.reservation.changed",
        "kukan.reservation.cancelled",
    ]
    assert [e["type"] for e in told] == kinds
    assert [e["data"]["version"] for e in told] == [1, 2, 3]
    assert told[2]["data"]["state"] == "cancelled" and told[2]["data"]["vehicle_id"] == vid


def test_a_refused_reservation_leaves_no_event(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    me, rival = make_key("operator"), make_key("operator")
    x, y = spot()
    w = window()
    created(reserve(client, rival, volume(ids(x, y, 3), w)))
    _, start = drain(client, me)
    assert reserve(client, me, volume(ids(x, y, 3), w)).status_code == 409
    assert drain(client, me, start)[0] == []


def test_the_victim_of_a_preemption_is_told_the_priority_and_reason_not_the_preemptor(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    victim, rescue = make_key("operator"), make_key("operator", max_priority=100, may_preempt=True)
    x, y = spot()
    w = window(1, 0.11)
    route = created(reserve(client, victim, volume(ids(x, y, 12), w)))
    t0 = datetime.fromisoformat(w[0])
    five = (t0.isoformat(), (t0 + timedelta(seconds=5)).isoformat())
    high = created(
        reserve(client, rescue, volume([f"20/1/{x + 6}/{y}"], five), priority=100, reason="fire")
    )
    told, _ = drain(client, victim)
    assert about(told, route["id"]) == ["kukan.reservation.created", "kukan.reservation.preempted"]
    data = told[-1]["data"]
    assert data["state"] == "preempted" and data["version"] == 2
    assert data["preempted_by"]["priority"] == 100 and data["preempted_by"]["reason"] == "fire"
    text = str(told)
    assert high["id"] not in text and str(rescue.operator_id) not in text
    assert about(drain(client, rescue)[0], route["id"]) == []
    assert about(drain(client, rescue)[0], high["id"]) == ["kukan.reservation.created"]


def test_an_event_that_commits_late_is_read_before_the_later_one_not_skipped(
    client: httpx.Client, make_key: Callable[..., Key], db_sessions: sessionmaker[Session]
) -> None:
    me = make_key("operator")
    _, start = drain(client, me)
    slow = db_sessions()
    try:
        late = str(uuid.uuid4())
        events.emit(  # a change whose transaction is still open while a later one commits
            session=slow,
            type="kukan.test.late",
            source="/tests",
            subject=late,
            data={},
            principal_id=me.principal_id,
            operator_id=None,
        )
        x, y = spot()
        res = created(reserve(client, me, volume(ids(x, y, 2))))
        seen, cursor = drain(client, me, start)
        assert seen == []  # the later commit waits for the open transaction, not skips it
        slow.commit()
    finally:
        slow.close()
    seen, end = drain(client, me, cursor)
    assert [e["subject"] for e in seen] == [late, res["id"]]  # in the order of the writes
    assert drain(client, me, end)[0] == []  # nothing twice


def test_rolled_back_events_never_appear(
    client: httpx.Client, make_key: Callable[..., Key], db_sessions: sessionmaker[Session]
) -> None:
    me = make_key("operator")
    _, start = drain(client, me)
    with db_sessions() as s:
        events.emit(
            session=s,
            type="kukan.test.undone",
            source="/tests",
            subject="x",
            data={},
            principal_id=me.principal_id,
            operator_id=None,
        )
        s.rollback()
    assert drain(client, me, start)[0] == []


def test_a_bad_cursor_is_a_problem_naming_after_and_a_token_is_needed(
    client: httpx.Client, operator_key: Key
) -> None:
    for bad in ("nope", "ZTEuMS4y" + "x", "e1.1.1", "ZTEuLTEuMg"):
        r = client.get("/v1/events", headers=operator_key.headers, params={"after": bad})
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in r.json()["errors"]] == ["after"], r.text
    assert client.get("/v1/events").status_code == 401

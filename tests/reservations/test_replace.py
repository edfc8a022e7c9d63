"""PUT /v1/reservations/{id}: replace the volumes atomically, keeping the id, over HTTP."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Key
from tests.reservations.helpers import conflict, created, ids, reserve, spot, volume, window
from tests.reservations.test_preempt_race import _overlapping_active, _waiting


def put(
    client: httpx.Client, key: Key, rid: str, *volumes: dict[str, Any], if_match: str | None
) -> httpx.Response:
    """PUT new volumes with an ``If-Match`` (none when ``None``)."""
    headers = dict(key.headers)
    if if_match is not None:
        headers["If-Match"] = if_match
    return client.put(f"/v1/reservations/{rid}", headers=headers, json={"volumes": list(volumes)})


def ok(r: httpx.Response) -> dict[str, Any]:
    """The body of a 200."""
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def problem(r: httpx.Response, status: int) -> dict[str, Any]:
    """The body of a problem with ``status``."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    data: dict[str, Any] = r.json()
    return data


def boxes(db: sessionmaker[Session], rid: str) -> list[tuple[Any, ...]]:
    """The stored boxes of a reservation (x, y, f, during, active), sorted."""
    with db() as s:
        rows = s.execute(
            text("""SELECT lower(x), upper(x), lower(y), upper(y), lower(f), upper(f),
                lower(during), upper(during), active FROM reservation_boxes
                WHERE reservation_id = :id ORDER BY 1, 3, 5, 7"""),
            {"id": uuid.UUID(rid)},
        ).all()
    return [tuple(r) for r in rows]


def test_replace_keeps_the_id_and_moves_the_slot(
    client: httpx.Client, make_key: Callable[..., Key], db_sessions: sessionmaker[Session]
) -> None:
    me, other = make_key("operator"), make_key("operator")
    x, y = spot()
    w = window()
    first = created(reserve(client, me, volume(ids(x, y), w)))
    rid = first["id"]
    got = client.get(f"/v1/reservations/{rid}", headers=me.headers)
    assert got.headers["ETag"] == '"1"'
    r = put(client, me, rid, volume(ids(x + 10, y), w), if_match='"1"')
    new = ok(r)
    assert r.headers["ETag"] == '"2"'
    assert (new["id"], new["version"], new["state"]) == (rid, 2, "accepted")
    assert new["volumes"][0]["spatial_ids"] == ids(x + 10, y)
    assert new["created_at"] == first["created_at"]
    assert new["footprint"] != first["footprint"]
    again = ok(client.get(f"/v1/reservations/{rid}", headers=me.headers))
    assert again["volumes"] == new["volumes"] and again["version"] == 2
    assert all(b[-1] for b in boxes(db_sessions, rid))
    conflict(reserve(client, other, volume(ids(x + 10, y), w)))  # the new space is held
    created(reserve(client, other, volume(ids(x, y), w)))  # the old space is free
    moved = ok(put(client, me, rid, volume(ids(x + 11, y), w), if_match="2"))  # overlaps
    assert moved["version"] == 3  # its own old volumes do not count as a conflict


def test_the_same_volumes_again_change_nothing(
    client: httpx.Client, operator_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    x, y = spot()
    w = window()
    rid = created(reserve(client, operator_key, volume(ids(x, y), w)))["id"]
    body = volume(ids(x + 5, y, 2), w)
    first = ok(put(client, operator_key, rid, body, if_match='"1"'))
    stored = boxes(db_sessions, rid)
    for tag in ('"1"', '"2"', "*"):  # a retry with the version it was sent with, or the new
        again = ok(put(client, operator_key, rid, body, if_match=tag))
        assert again == {**first, "updated_at": again["updated_at"]}
        assert again["version"] == 2 and again["updated_at"] == first["updated_at"]
    assert boxes(db_sessions, rid) == stored


def test_a_conflict_leaves_the_old_volumes(
    client: httpx.Client, make_key: Callable[..., Key], db_sessions: sessionmaker[Session]
) -> None:
    me, other = make_key("operator"), make_key("operator")
    x, y = spot()
    w = window()
    mine = created(reserve(client, me, volume(ids(x, y), w)))
    created(reserve(client, other, volume(ids(x + 10, y), w)))
    before = boxes(db_sessions, mine["id"])
    body = problem(put(client, me, mine["id"], volume(ids(x + 8, y, 4), w), if_match="1"), 409)
    assert {c["kind"] for c in body["conflicts"]} == {"reservation"}
    contested = {i for c in body["conflicts"] for i in c["spatial_ids"]}
    assert contested == {f"20/1/{x + 10}/{y}", f"20/1/{x + 11}/{y}"}  # the other's only
    got = ok(client.get(f"/v1/reservations/{mine['id']}", headers=me.headers))
    assert got["version"] == 1 and got["volumes"] == mine["volumes"]
    assert boxes(db_sessions, mine["id"]) == before
    conflict(reserve(client, other, volume(ids(x, y), w)))  # still held


def test_versions_and_preconditions(client: httpx.Client, operator_key: Key) -> None:
    x, y = spot()
    rid = created(reserve(client, operator_key, volume(ids(x, y))))["id"]
    new = volume(ids(x + 20, y))
    problem(put(client, operator_key, rid, new, if_match=None), 428)
    bad = problem(put(client, operator_key, rid, new, if_match="latest"), 422)
    assert bad["errors"][0]["field"] == "If-Match"
    ok(put(client, operator_key, rid, volume(ids(x + 1, y)), if_match="1"))
    stale = problem(put(client, operator_key, rid, new, if_match='"1"'), 412)
    assert "version 2" in stale["detail"]
    got = ok(client.get(f"/v1/reservations/{rid}", headers=operator_key.headers))
    assert got["volumes"][0]["spatial_ids"] == ids(x + 1, y)
    patched = client.patch(
        f"/v1/reservations/{rid}",
        headers=operator_key.headers,
        json={"state": "cancelled", "version": 2},
    )
    assert patched.status_code == 200, patched.text
    problem(put(client, operator_key, rid, new, if_match="3"), 409)  # cancelled: not live


def test_only_the_owner_or_an_admin(client: httpx.Client, make_key: Callable[..., Key]) -> None:
    me = make_key("operator")
    x, y = spot()
    w = window()
    rid = created(reserve(client, me, volume(ids(x, y), w)))["id"]
    for who in (make_key("operator"), make_key("fleet"), make_key("municipality")):
        problem(put(client, who, rid, volume(ids(x + 3, y), w), if_match="1"), 404)
    mate = make_key("fleet", me.operator_id)  # same operator: its reservation too
    assert ok(put(client, mate, rid, volume(ids(x + 3, y), w), if_match="1"))["version"] == 2
    admin = ok(put(client, make_key("admin"), rid, volume(ids(x + 4, y), w), if_match="2"))
    assert admin["version"] == 3 and admin["id"] == rid
    r = client.put(f"/v1/reservations/{rid}", json={"volumes": [volume(ids(x, y), w)]})
    problem(r, 401)


def race(
    base: str, db: sessionmaker[Session], calls: list[Callable[[httpx.Client], httpx.Response]]
) -> list[httpx.Response]:
    """Hold the box table in SHARE mode (as a blocker does) until every call waits on it,
    then let them go at once; their responses in order."""
    out: list[httpx.Response | None] = [None] * len(calls)

    def go(i: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            out[i] = calls[i](c)

    with db() as gate:
        gate.execute(text("LOCK TABLE reservation_boxes IN SHARE MODE"))
        threads = [threading.Thread(target=go, args=(i,)) for i in range(len(calls))]
        for t in threads:
            t.start()
        _waiting(gate, len(calls))
        gate.commit()
    for t in threads:
        t.join(timeout=60)
    assert all(r is not None for r in out)
    return [r for r in out if r is not None]


@pytest.mark.parametrize("round_", range(3))
def test_a_replace_racing_a_booking_of_the_same_space(
    live_server: str,
    client: httpx.Client,
    make_key: Callable[..., Key],
    db_sessions: sessionmaker[Session],
    round_: int,
) -> None:
    """Exactly one of the two gets the space, and the loser leaves nothing behind."""
    me, other = make_key("operator"), make_key("operator")
    x, y = spot()
    w = window()
    mine = created(reserve(client, me, volume(ids(x, y), w)))
    before = boxes(db_sessions, mine["id"])
    wanted = [volume(ids(x + 10 + k, y, 1), w) for k in range(6)]
    rep, book = race(
        live_server,
        db_sessions,
        [
            lambda c: put(c, me, mine["id"], *wanted, if_match="1"),
            lambda c: reserve(c, other, *reversed(wanted)),
        ],
    )
    statuses = (rep.status_code, book.status_code)
    assert statuses in ((200, 409), (409, 201)), (rep.text[:300], book.text[:300])
    got = ok(client.get(f"/v1/reservations/{mine['id']}", headers=me.headers))
    if rep.status_code == 200:  # the replace won: new volumes, the booking stored nothing
        assert got["version"] == 2 and len(got["volumes"]) == 6
        assert len(boxes(db_sessions, mine["id"])) == 6
        with db_sessions() as s:
            n = s.execute(
                text("SELECT count(*) FROM reservations WHERE principal_id = :p"),
                {"p": other.principal_id},
            ).scalar_one()
        assert n == 0
    else:  # the booking won: the reservation is as it was, old slot and all
        assert got["version"] == 1 and got["volumes"] == mine["volumes"]
        assert boxes(db_sessions, mine["id"]) == before
        conflict(reserve(client, other, volume(ids(x, y), w)))  # the old slot is still held
    ids_ = [mine["id"]] + ([book.json()["id"]] if book.status_code == 201 else [])
    assert _overlapping_active(db_sessions, ids_) == 0


def test_replace_onto_the_vehicles_other_booking_is_vehicle_busy(
    client: httpx.Client, operator_key: Key
) -> None:
    """Moving a reservation's window onto another live one of its vehicle is a 409
    ``vehicle_busy`` naming the other (the fuzzer found this as a 500)."""
    from tests.reservations.test_vehicle_time import drone

    v = drone(client, operator_key)
    x, y = spot()
    first = created(reserve(client, operator_key, volume(ids(x, y, 1), window(2, 1)), vehicle_id=v))
    later = created(
        reserve(client, operator_key, volume(ids(x + 5, y, 1), window(4, 1)), vehicle_id=v)
    )
    r = put(client, operator_key, first["id"], volume(ids(x, y, 1), window(3.5, 1)), if_match="*")
    body = problem(r, 409)
    assert body["reason"] == "vehicle_busy" and body["reservation_id"] == later["id"], body
    kept = client.get(f"/v1/reservations/{first['id']}", headers=operator_key.headers).json()
    assert kept["version"] == first["version"] and kept["time_start"] == first["time_start"]

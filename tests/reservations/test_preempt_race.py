"""Issue 4 follow-up: two high-priority requests preempting at the same moment.

Both requests pass the pre-check (neither sees the other's uncommitted boxes), each
preempts its own low-priority reservation, and both insert many boxes into the same
contested spot in opposite orders. Before the fix each insert waited on a box the other
had already inserted: PostgreSQL found a deadlock (40P01) and the API answered 503.
The test makes the two requests start together by holding the low reservations' rows
locked until both requests wait, then releasing them at once.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from psycopg.types.range import Range as NumericRange
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from api.deps import ATTEMPTS
from tests.conftest import Key
from tests.reservations.helpers import created, reserve, spot, volume

WINDOWS = 400
"""Windows of the contested spot per request: enough boxes that the two inserts meet."""


def _hour() -> tuple[datetime, datetime]:
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    return t0, t0 + timedelta(hours=1)


def _w(a: datetime, b: datetime) -> tuple[str, str]:
    return a.isoformat(), b.isoformat()


def _contested(x: int, y: int, t0: datetime, descending: bool) -> list[dict[str, Any]]:
    """The spot (x, y) in WINDOWS 5-second windows, in ascending or descending order."""
    ks = range(WINDOWS - 1, -1, -1) if descending else range(WINDOWS)
    step = timedelta(seconds=5)
    return [volume([f"20/1/{x}/{y}"], _w(t0 + k * step, t0 + (k + 1) * step)) for k in ks]


def _body(priority: int, first: dict[str, Any], rest: list[dict[str, Any]]) -> dict[str, Any]:
    return {"priority": priority, "volumes": [first, *rest]}


def _waiting(session: Session, n: int, timeout: float = 60.0) -> None:
    """Wait until ``n`` other backends of this database wait on a lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.execute(text("SELECT pg_stat_clear_snapshot()"))  # else cached per transaction
        count = session.execute(
            text(
                """SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"""
            )
        ).scalar_one()
        if count >= n:
            return
        time.sleep(0.02)
    raise AssertionError(f"fewer than {n} requests waited on a lock")


def _race(
    base: str,
    db_sessions: sessionmaker[Session],
    held: list[str] | None,
    posts: list[tuple[Key, dict[str, Any]]],
) -> list[httpx.Response]:
    """Hold the rows of ``held`` locked (None: the box table, as a blocker does), start
    ``posts`` together, release them at once, collect the responses."""
    out: list[httpx.Response | None] = [None] * len(posts)

    def post(i: int) -> None:
        key, body = posts[i]
        with httpx.Client(base_url=base, timeout=60) as c:
            out[i] = c.post("/v1/reservations", headers=key.headers, json=body)

    with db_sessions() as gate:
        if held is None:
            gate.execute(text("LOCK TABLE reservation_boxes IN SHARE MODE"))
        else:
            gate.execute(
                text("SELECT id FROM reservations WHERE id = ANY(:ids) FOR UPDATE"),
                {"ids": [uuid.UUID(h) for h in held]},
            )
        threads = [threading.Thread(target=post, args=(i,)) for i in range(len(posts))]
        for t in threads:
            t.start()
        _waiting(gate, len(posts))
        gate.commit()
    for t in threads:
        t.join(timeout=60)
    assert all(r is not None for r in out)
    return [r for r in out if r is not None]


def _states(db_sessions: sessionmaker[Session], ids: list[str]) -> dict[str, tuple[str, bool]]:
    with db_sessions() as s:
        rows = s.execute(
            text(
                """SELECT r.id::text, r.state, bool_or(b.active) FROM reservations r
                JOIN reservation_boxes b ON b.reservation_id = r.id
                WHERE r.id = ANY(:ids) GROUP BY r.id, r.state"""
            ),
            {"ids": [uuid.UUID(i) for i in ids]},
        ).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def _overlapping_active(db_sessions: sessionmaker[Session], ids: list[str]) -> int:
    """Pairs of active boxes of different reservations among ``ids`` that overlap (SQL)."""
    with db_sessions() as s:
        return int(
            s.execute(
                text(
                    """SELECT count(*) FROM reservation_boxes a JOIN reservation_boxes b
                    ON a.reservation_id < b.reservation_id AND a.x && b.x AND a.y && b.y
                        AND a.f && b.f AND a.during && b.during
                    WHERE a.active AND b.active AND a.reservation_id = ANY(:ids)
                        AND b.reservation_id = ANY(:ids)"""
                ),
                {"ids": [uuid.UUID(i) for i in ids]},
            ).scalar_one()
        )


def _two_victims(
    client: httpx.Client, make_key: Any
) -> tuple[Any, Any, int, int, datetime, Any, str, str]:
    """Two preempting operators and, 10 tiles apart, two low-priority reservations of a
    third for the next hour: ``(a, b, x, y, t0, hour, l1, l2)``."""
    low = make_key("operator")
    a = make_key("operator", max_priority=100, may_preempt=True)
    b = make_key("operator", max_priority=100, may_preempt=True)
    x, y = spot()
    t0, t1 = _hour()
    hour = _w(t0, t1)
    l1 = created(reserve(client, low, volume([f"20/1/{x}/{y}"], hour)))["id"]
    l2 = created(reserve(client, low, volume([f"20/1/{x + 10}/{y}"], hour)))["id"]
    return a, b, x, y, t0, hour, l1, l2


@pytest.mark.parametrize("round_", range(3))
def test_simultaneous_preemptions_overlapping(
    live_server: str,
    client: httpx.Client,
    make_key: Any,
    db_sessions: sessionmaker[Session],
    round_: int,
) -> None:
    a, b, x, y, t0, hour, l1, l2 = _two_victims(client, make_key)
    c = x + 5  # the spot both high requests want, in opposite window orders
    body_a = _body(50, volume([f"20/1/{x}/{y}"], hour), _contested(c, y, t0, False))
    body_b = _body(50, volume([f"20/1/{x + 10}/{y}"], hour), _contested(c, y, t0, True))
    ra, rb = _race(live_server, db_sessions, [l1, l2], [(a, body_a), (b, body_b)])
    statuses = sorted([ra.status_code, rb.status_code])
    assert statuses == [201, 409], (ra.status_code, ra.text[:300], rb.status_code, rb.text[:300])
    win, lose = (ra, rb) if ra.status_code == 201 else (rb, ra)
    mine, other = (l1, l2) if win is ra else (l2, l1)
    assert win.json()["preempted"]["count"] == 1
    assert lose.headers["content-type"].startswith("application/problem+json")
    assert "Retry-After" not in lose.headers
    assert {k["kind"] for k in lose.json()["conflicts"]} == {"reservation"}
    states = _states(db_sessions, [l1, l2, win.json()["id"]])
    assert states[mine] == ("preempted", False)  # the winner's victim: preempted, space freed
    assert states[other] == ("accepted", True)  # the loser rolled back: its victim untouched
    assert states[win.json()["id"]] == ("accepted", True)
    assert _overlapping_active(db_sessions, [l1, l2, win.json()["id"]]) == 0


def test_simultaneous_preemptions_apart(
    live_server: str, client: httpx.Client, make_key: Any, db_sessions: sessionmaker[Session]
) -> None:
    a, b, x, y, t0, hour, l1, l2 = _two_victims(client, make_key)
    body_a = _body(90, volume([f"20/1/{x}/{y}"], hour), _contested(x + 4, y, t0, False))
    body_b = _body(50, volume([f"20/1/{x + 10}/{y}"], hour), _contested(x + 6, y, t0, True))
    ra, rb = _race(live_server, db_sessions, [l1, l2], [(a, body_a), (b, body_b)])
    assert (ra.status_code, rb.status_code) == (201, 201), (ra.text[:300], rb.text[:300])
    ids = [l1, l2, ra.json()["id"], rb.json()["id"]]
    states = _states(db_sessions, ids)
    assert states[l1] == states[l2] == ("preempted", False)
    assert states[ra.json()["id"]] == states[rb.json()["id"]] == ("accepted", True)
    assert _overlapping_active(db_sessions, ids) == 0


def _deadlocks(db_sessions: sessionmaker[Session]) -> int:
    """Deadlocks PostgreSQL has detected in the test database so far."""
    with db_sessions() as s:
        s.execute(text("SELECT pg_stat_clear_snapshot()"))
        return int(
            s.execute(
                text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
            ).scalar_one()
        )


def test_simultaneous_plain_inserts_retry_the_deadlock(
    live_server: str,
    make_key: Any,
    db_sessions: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Priority 0 takes no area locks: the same crossing inserts deadlock in PostgreSQL,
    and ``in_transaction`` runs the rolled-back request again (it then meets a 409)."""
    caplog.set_level(logging.INFO, logger="kukan.api")  # the live server runs in this process
    a, b = make_key("operator"), make_key("operator")
    x, y = spot()
    t0, _ = _hour()
    body_a = {"volumes": _contested(x, y, t0, False)}
    body_b = {"volumes": _contested(x, y, t0, True)}
    before = _deadlocks(db_sessions)
    ra, rb = _race(live_server, db_sessions, None, [(a, body_a), (b, body_b)])
    retried = [
        r for r in caplog.records if r.getMessage() == "transaction rolled back (40P01), retrying"
    ]
    # the loser ran again (and may deadlock once more while the winner's statement still runs)
    assert 1 <= len(retried) <= ATTEMPTS - 1, [r.getMessage() for r in caplog.records]
    deadline = time.monotonic() + 30  # backends report their statistics within seconds
    while _deadlocks(db_sessions) == before:
        assert time.monotonic() < deadline, "PostgreSQL counted no deadlock"
        time.sleep(0.2)
    statuses = sorted([ra.status_code, rb.status_code])
    assert statuses == [201, 409], (ra.status_code, ra.text[:300], rb.status_code, rb.text[:300])
    win = ra if ra.status_code == 201 else rb
    assert _states(db_sessions, [win.json()["id"]])[win.json()["id"]] == ("accepted", True)
    with db_sessions() as s:
        n = s.execute(
            text("SELECT count(*) FROM reservation_boxes WHERE active AND x && :x AND y && :y"),
            {"x": NumericRange(x << 5, (x + 1) << 5), "y": NumericRange(y << 5, (y + 1) << 5)},
        ).scalar_one()
    assert n == WINDOWS  # the winner's boxes only: nothing of the retried loser stayed

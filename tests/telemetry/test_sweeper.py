"""The sweeper (run here with a controlled clock, on the real database): silence is told
once as ``kukan.telemetry.lost``, time outside with no new fix becomes ``contingent``, a
window over ends the flight; one sweeper at a time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from registry.services.conformance_sweep import SWEEP_LOCK, SweepReport, sweep
from registry.services.telemetry_checks import TelemetryPolicy
from tests.conftest import Key
from tests.events.test_event_log import drain
from tests.telemetry.helpers import flight, send
from tests.telemetry.test_conformance import conformance_events

POLICY = TelemetryPolicy()


def sweep_at(factory: sessionmaker[Session], now: datetime) -> SweepReport:
    """One sweep at ``now``, waiting out the API process's own sweeper if it holds the lock."""
    for _ in range(100):
        with factory() as session, session.begin():
            report = sweep(session, now=now, policy=POLICY)
        if report is not None:
            return report
        time.sleep(0.05)
    raise AssertionError("the sweeper lock stayed taken")


def test_silence_is_told_once_and_a_fix_clears_it(
    client: httpx.Client, operator_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    fl = flight(client, operator_key)
    _, mark = drain(client, operator_key)
    now = datetime.now(UTC)
    send(client, operator_key, fl.fix(now))
    rid = fl.reservation["id"]
    sweep_at(db_sessions, now + timedelta(seconds=5))
    assert conformance_events(drain(client, operator_key, mark)[0], rid) == [
        "kukan.conformance.activated"
    ]
    sweep_at(db_sessions, now + timedelta(seconds=15))
    sweep_at(db_sessions, now + timedelta(seconds=16))
    items = drain(client, operator_key, mark)[0]
    assert conformance_events(items, rid) == [
        "kukan.conformance.activated",
        "kukan.telemetry.lost",
    ]
    lost = next(e for e in items if e["type"] == "kukan.telemetry.lost")
    assert lost["data"]["vehicle_id"] == fl.vehicle_id and lost["data"]["silent_s"] >= 10
    send(client, operator_key, fl.fix(now + timedelta(seconds=1), 1))
    with db_sessions() as session:
        assert (
            session.scalar(
                text("SELECT lost FROM conformance WHERE reservation_id = :r"), {"r": rid}
            )
            is False
        )


def test_outside_with_no_new_fix_becomes_contingent_and_a_window_over_ends(
    client: httpx.Client, operator_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    fl = flight(client, operator_key, minutes=1)
    _, mark = drain(client, operator_key)
    now = datetime.now(UTC)
    send(client, operator_key, fl.fix(now - timedelta(seconds=2)), fl.fix(now, 4))
    sweep_at(db_sessions, now + timedelta(seconds=31))
    end = datetime.fromisoformat(fl.reservation["time_end"])
    sweep_at(db_sessions, end + timedelta(seconds=30))
    sweep_at(db_sessions, end + timedelta(seconds=40))
    assert conformance_events(drain(client, operator_key, mark)[0], fl.reservation["id"]) == [
        "kukan.conformance.activated",
        "kukan.conformance.nonconforming",
        "kukan.telemetry.lost",
        "kukan.conformance.contingent",
        "kukan.conformance.ended",
    ]


def test_a_flight_still_reporting_after_its_window_is_nonconforming(
    client: httpx.Client, operator_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    fl = flight(client, operator_key, minutes=0.05)  # ends 3 s from now
    now = datetime.now(UTC)
    send(client, operator_key, fl.fix(now))
    end = datetime.fromisoformat(fl.reservation["time_end"])
    while datetime.now(UTC) < end + timedelta(seconds=POLICY.tolerance_s + 0.5):
        time.sleep(0.2)
    (after,) = send(client, operator_key, fl.fix(datetime.now(UTC)))["results"]
    assert after["status"] == "accepted" and "reservation_id" not in after
    with db_sessions() as session:
        state = session.scalar(
            text("SELECT state FROM conformance WHERE reservation_id = :r"),
            {"r": fl.reservation["id"]},
        )
        why = session.scalar(
            text(
                "SELECT reason FROM conformance_transitions WHERE reservation_id = :r"
                " ORDER BY id DESC LIMIT 1"
            ),
            {"r": fl.reservation["id"]},
        )
    assert state == "nonconforming" and "after the reservation's window" in why


def test_one_sweeper_at_a_time(db_sessions: sessionmaker[Session]) -> None:
    with db_sessions() as holder, holder.begin():
        holder.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SWEEP_LOCK})
        with db_sessions() as session, session.begin():
            assert sweep(session, now=datetime.now(UTC), policy=POLICY) is None


def test_a_sweep_in_chunks_tells_every_silent_flight(
    client: httpx.Client, operator_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    flights = [flight(client, operator_key) for _ in range(3)]
    _, mark = drain(client, operator_key)
    now = datetime.now(UTC)
    send(client, operator_key, *(fl.fix(now) for fl in flights))
    later = now + timedelta(seconds=20)
    after = None
    for _ in range(1000):  # chunks of two until a chunk comes back short
        with db_sessions() as session, session.begin():
            report = sweep(session, now=later, policy=POLICY, after=after, limit=2)
        if report is None:  # the API process's sweeper holds the lock: try again
            time.sleep(0.05)
            continue
        assert report.rows <= 2
        if report.rows < 2:
            break
        after = report.last
    items = drain(client, operator_key, mark)[0]
    lost = {e["subject"] for e in items if e["type"] == "kukan.telemetry.lost"}
    assert {fl.reservation["id"] for fl in flights} <= lost

"""Conformance over HTTP: fixes move a reservation through activated, nonconforming,
contingent; each change is recorded and told to the owner and, off plan, to the
municipality whose jurisdiction holds the fix — and to no one else."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.settings import Settings
from tests.conftest import Key
from tests.events.test_event_log import drain
from tests.pgtools import serve
from tests.reservations.helpers import square
from tests.telemetry.helpers import flight, send


@pytest.fixture(scope="module")
def quiet_server(settings: Settings) -> Iterator[str]:
    """A server without the sweeper: these states come from fixes alone (the fixes' times
    lie in the past, where a sweeper on the real clock would judge them first)."""
    with serve(create_app(settings.model_copy(update={"conformance_sweep_s": 0}))) as base:
        yield base


@pytest.fixture()
def client(quiet_server: str) -> Iterator[httpx.Client]:
    """A client of :func:`quiet_server`."""
    with httpx.Client(base_url=quiet_server, timeout=30) as c:
        yield c


def conformance_events(items: list[dict[str, Any]], reservation_id: str) -> list[str]:
    """The conformance and telemetry event types about a reservation, in order."""
    return [
        e["type"]
        for e in items
        if e["subject"] == reservation_id and e["source"] == "/v1/telemetry"
    ]


def test_fixes_move_the_state_and_each_change_is_told(
    client: httpx.Client, make_key: Callable[..., Key], db_sessions: sessionmaker[Session]
) -> None:
    me, other = make_key("operator"), make_key("operator")
    fl = flight(client, me)
    lng, lat, _ = fl.point()
    town = make_key("municipality", jurisdiction=square(lng, lat, 0.01))
    elsewhere = make_key("municipality", jurisdiction=square(lng + 1, lat, 0.01))
    marks = {k: drain(client, k)[1] for k in (me, other, town, elsewhere)}
    t0 = datetime.now(UTC) - timedelta(seconds=50)

    def at(s: float) -> datetime:
        return t0 + timedelta(seconds=s)

    states = []
    for s, k in [(0, 0), (1, 1), (2, 6), (3, 6), (4, 1), (10, 6), (45, 6), (46, 1)]:
        (result,) = send(client, me, fl.fix(at(s), k))["results"]
        assert result["status"] == "accepted", result
        states.append((result["conforming"], result["conformance"]))
    assert states == [
        (True, "activated"),
        (True, "activated"),
        (False, "nonconforming"),
        (False, "nonconforming"),
        (True, "activated"),  # back inside
        (False, "nonconforming"),
        (False, "contingent"),  # outside for 35 s
        (True, "contingent"),  # contingent stays until the flight ends
    ]
    told = [
        "kukan.conformance.activated",
        "kukan.conformance.nonconforming",
        "kukan.conformance.activated",
        "kukan.conformance.nonconforming",
        "kukan.conformance.contingent",
    ]
    rid = fl.reservation["id"]
    mine = drain(client, me, marks[me])[0]
    assert conformance_events(mine, rid) == told
    off = [e for e in mine if e["type"] == "kukan.conformance.nonconforming"]
    assert off[0]["data"]["from"] == "activated" and off[0]["data"]["vehicle_id"] == fl.vehicle_id
    assert datetime.fromisoformat(off[0]["data"]["time"]) == at(2)
    alerts = ["kukan.conformance.nonconforming"] * 2 + ["kukan.conformance.contingent"]
    assert conformance_events(drain(client, town, marks[town])[0], rid) == alerts
    assert conformance_events(drain(client, elsewhere, marks[elsewhere])[0], rid) == []
    assert conformance_events(drain(client, other, marks[other])[0], rid) == []
    with db_sessions() as session:
        history = session.execute(
            text(
                "SELECT from_state, to_state FROM conformance_transitions"
                " WHERE reservation_id = :r ORDER BY id"
            ),
            {"r": rid},
        ).all()
    assert [tuple(h) for h in history] == [
        (None, "activated"),
        ("activated", "nonconforming"),
        ("nonconforming", "activated"),
        ("activated", "nonconforming"),
        ("nonconforming", "contingent"),
    ]


def test_a_late_outside_fix_is_kept_but_does_not_move_the_state(
    client: httpx.Client, operator_key: Key
) -> None:
    fl = flight(client, operator_key)
    now = datetime.now(UTC)
    send(client, operator_key, fl.fix(now - timedelta(seconds=5)), fl.fix(now, 1))
    (late,) = send(client, operator_key, fl.fix(now - timedelta(seconds=3), 6))["results"]
    assert (late["status"], late["conforming"], late["conformance"]) == (
        "accepted",
        False,
        "activated",
    )


def test_a_fix_without_a_reservation_is_stored_unjudged(
    client: httpx.Client, operator_key: Key
) -> None:
    fl = flight(client, operator_key)
    later = datetime.now(UTC) + timedelta(seconds=2)
    gone = client.delete(f"/v1/reservations/{fl.reservation['id']}", headers=operator_key.headers)
    assert gone.status_code == 200
    (result,) = send(client, operator_key, fl.fix(later))["results"]
    assert result["status"] == "accepted"
    assert "reservation_id" not in result and "conformance" not in result

"""PostgreSQL restarted in the middle of a burst of telemetry: the clients resend what was
not answered (fixes are idempotent), and afterwards every fix is stored once and every
event is read once, none lost, no id twice."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from api.app import create_app
from api.settings import Settings
from registry import migrate
from registry.db import make_engine, make_sessionmaker, session_scope
from registry.services import operators, principals
from tests.conftest import Key
from tests.pgtools import Cluster, recreate_database, serve, with_database
from tests.telemetry.helpers import Flight, flight

VEHICLES = 10
BATCHES = 60


def _post(
    client: httpx.Client, key: Key, body: dict[str, Any], retries: list[int]
) -> dict[str, Any]:
    """POST a batch until it is answered (a 503 or a cut connection: send it again)."""
    until = time.monotonic() + 60
    while time.monotonic() < until:
        try:
            r = client.post("/v1/telemetry", headers=key.headers, json=body)
            if r.status_code == 200:
                answer: dict[str, Any] = r.json()
                return answer
            assert r.status_code == 503, r.text
        except httpx.TransportError:
            pass
        retries.append(1)
        time.sleep(0.1)
    raise AssertionError("the batch was never answered")


def _drain(client: httpx.Client, key: Key) -> list[dict[str, Any]]:
    link, got = "/v1/events?limit=100", []
    while True:
        page = client.get(link, headers=key.headers).json()
        got += page["items"]
        if not page["items"]:
            return got
        link = page["next"]


def test_a_database_restart_mid_burst_loses_nothing_and_repeats_nothing(
    cluster: Cluster,
) -> None:
    url = with_database(cluster.url, "kukan")
    recreate_database(url)
    migrate.upgrade(url)
    engine = make_engine(url)
    with session_scope(make_sessionmaker(engine)) as session:
        op = operators.create_operator(session=session, actor=None, name="burst")
        p, token = principals.create_principal(
            session=session, actor=None, name="burst", role="operator", operator_id=op.id
        )
    key = Key(p.id, "operator", op.id, token)
    settings = Settings(database_url=url, db_connect_timeout_s=2, planning_workers=0)
    with serve(create_app(settings)) as base, httpx.Client(base_url=base, timeout=30) as client:
        flights: list[Flight] = [flight(client, key) for _ in range(VEHICLES)]
        t0 = datetime.now(UTC) - timedelta(seconds=BATCHES + 5)
        answers: list[dict[str, Any]] = []
        retries: list[int] = []

        def burst() -> None:
            for b in range(BATCHES):
                k = 0 if (b // 10) % 2 == 0 else 4  # in and out: conformance events
                body = {"fixes": [f.fix(t0 + timedelta(seconds=b), k) for f in flights]}
                answers.append(_post(client, key, body, retries))
                time.sleep(0.02)

        sender = threading.Thread(target=burst)
        sender.start()
        while len(answers) < BATCHES // 3:
            time.sleep(0.01)
        cluster.stop()
        time.sleep(1.0)
        cluster.start()
        sender.join(120)
        assert not sender.is_alive() and len(answers) == BATCHES
        assert retries, "the restart fell outside the burst"
        assert all(r["refused"] == 0 for r in answers)
        assert sum(r["accepted"] + r["duplicates"] for r in answers) == BATCHES * VEHICLES
        events = _drain(client, key)
    with engine.connect() as conn:
        fixes = conn.scalar(text("SELECT count(*) FROM positions"))
        distinct = conn.scalar(text("SELECT count(DISTINCT (vehicle_id, time)) FROM positions"))
        stored = conn.scalars(text("SELECT id::text FROM events ORDER BY tx, seq")).all()
    engine.dispose()
    assert fixes == distinct == BATCHES * VEHICLES  # each fix once
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids))  # no event twice
    assert ids == list(stored)  # none lost, in the log's order
    kinds = {e["type"] for e in events}
    assert {"kukan.conformance.nonconforming", "kukan.conformance.activated"} <= kinds

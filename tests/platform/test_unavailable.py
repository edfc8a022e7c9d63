"""The 503 answers of api/errors.py, each produced for real over HTTP.

- a transaction PostgreSQL rolls back (deadlock 40P01, serialization failure 40001) is run
  again by ``in_transaction``; still failing on the last run it is 503 with Retry-After 1;
- a connection the database cut is 503 with the configured Retry-After, once: the next
  request reconnects;
- a pool with no free connection within its timeout is 503 with the configured Retry-After.

The transaction failures are raised by PostgreSQL itself, from a trigger on the
reservations of one test principal only; a sequence (not rolled back with the
transactions) counts the runs. The database going away altogether is in test_health.py.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.settings import Settings
from tests.conftest import Key
from tests.pgtools import backend_pid, serve
from tests.reservations.helpers import ids, reserve, spot, volume

RETRY_AFTER_S = 7
ATTEMPTS = 3
"""Runs of a unit of work in ``in_transaction``: the first and two retries."""


@contextmanager
def failing_inserts(
    db_sessions: sessionmaker[Session], key: Key, sqlstate: str, times: int
) -> Iterator[Callable[[], int]]:
    """Make the first ``times`` reservation inserts of ``key``'s principal fail with
    ``sqlstate``; yield a function giving how many inserts were tried."""
    tag = uuid.uuid4().hex[:12]
    seq, fn, trigger = f"runs_{tag}", f"fail_{tag}", f"fail_{tag}"
    ddl = [
        f"CREATE SEQUENCE {seq}",
        f"""CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF nextval('{seq}') <= {times} THEN
            RAISE EXCEPTION 'injected by a test' USING ERRCODE = '{sqlstate}';
          END IF;
          RETURN NEW;
        END $$""",
        f"""CREATE TRIGGER {trigger} BEFORE INSERT ON reservations FOR EACH ROW
        WHEN (NEW.principal_id = '{key.principal_id}') EXECUTE FUNCTION {fn}()""",
    ]
    with db_sessions() as s:
        for statement in ddl:
            s.execute(text(statement))
        s.commit()

    def runs() -> int:
        with db_sessions() as s:
            last, called = s.execute(text(f"SELECT last_value, is_called FROM {seq}")).one()
            return int(last) if called else 0

    try:
        yield runs
    finally:
        with db_sessions() as s:
            s.execute(text(f"DROP TRIGGER {trigger} ON reservations"))
            s.execute(text(f"DROP FUNCTION {fn}()"))
            s.execute(text(f"DROP SEQUENCE {seq}"))
            s.commit()


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_transaction_rolled_back_every_time_is_503_after_the_retries(
    client: httpx.Client,
    make_key: Callable[..., Key],
    db_sessions: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
    sqlstate: str,
) -> None:
    caplog.set_level(logging.INFO, logger="kukan.api")  # the live server runs in this process
    key = make_key("operator")
    x, y = spot()
    with failing_inserts(db_sessions, key, sqlstate, times=ATTEMPTS) as runs:
        r = reserve(client, key, volume(ids(x, y, 1)))
        assert runs() == ATTEMPTS
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"] == "1"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "collided with concurrent ones" in r.json()["detail"]
    messages = [rec.getMessage() for rec in caplog.records if rec.name == "kukan.api"]
    assert messages.count(f"transaction rolled back ({sqlstate}), retrying") == ATTEMPTS - 1
    assert f"transaction rolled back ({sqlstate}): answering 503" in messages
    listed = client.get("/v1/reservations", headers=key.headers).json()["items"]
    assert listed == []  # nothing of the failed runs stayed


def test_a_transaction_rolled_back_once_is_run_again(
    client: httpx.Client, make_key: Callable[..., Key], db_sessions: sessionmaker[Session]
) -> None:
    key = make_key("operator")
    x, y = spot()
    with failing_inserts(db_sessions, key, "40P01", times=1) as runs:
        r = reserve(client, key, volume(ids(x, y, 2)))
        assert runs() == 2
    assert r.status_code == 201, r.text
    listed = client.get("/v1/reservations", headers=key.headers).json()["items"]
    assert [i["id"] for i in listed] == [r.json()["id"]]  # one reservation, not two


@pytest.fixture()
def named_server(database_url: str) -> Iterator[tuple[str, str]]:
    """A server with a one-connection pool whose connections carry an application_name
    (so the test can find them): (base URL, application_name)."""
    name = f"kukan-test-{uuid.uuid4().hex[:8]}"
    url = make_url(database_url).update_query_dict({"application_name": name})
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        db_pool_size=1,
        retry_after_s=RETRY_AFTER_S,
    )
    with serve(create_app(settings)) as base:
        yield base, name


def _unavailable(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "kukan.api" and r.getMessage().startswith("database unavailable")
    ]


def test_a_connection_the_database_cut_is_503_once_then_the_server_reconnects(
    named_server: tuple[str, str],
    admin_key: Key,
    db_sessions: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    base, name = named_server
    with httpx.Client(base_url=base, timeout=60) as c:
        assert c.get("/v1/vehicles", headers=admin_key.headers).status_code == 200
        with db_sessions() as s:
            cut = s.execute(
                text(
                    """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE application_name = :name"""
                ),
                {"name": name},
            ).scalar_one()
        assert cut == 1  # the pooled connection of the last request
        r = c.get("/v1/vehicles", headers=admin_key.headers)
        assert r.status_code == 503, r.text
        assert r.headers["Retry-After"] == str(RETRY_AFTER_S)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["detail"] == "the database is unreachable; retry later"
        assert _unavailable(caplog) == ["database unavailable: OperationalError"]
        assert c.get("/v1/vehicles", headers=admin_key.headers).status_code == 200


def test_no_free_connection_in_the_pool_is_503(
    named_server: tuple[str, str],
    make_key: Callable[..., Key],
    admin_key: Key,
    db_sessions: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two reservations wait on a held lock with both connections of the pool (one and
    one overflow); a third request finds none within the pool's timeout."""
    base, name = named_server
    keys = [make_key("operator") for _ in range(2)]
    x, y = spot()
    out: list[httpx.Response] = []

    def post(k: int) -> None:
        with httpx.Client(base_url=base, timeout=120) as c:
            out.append(reserve(c, keys[k], volume(ids(x + 3 * k, y, 1))))

    with db_sessions() as gate:
        gate.execute(text("LOCK TABLE reservation_boxes IN SHARE MODE"))
        me = backend_pid(gate)
        threads = [threading.Thread(target=post, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while True:
            gate.execute(text("SELECT pg_stat_clear_snapshot()"))
            waiting = gate.execute(
                text(
                    """SELECT count(*) FROM pg_stat_activity WHERE application_name = :name
                AND :me = ANY(pg_blocking_pids(pid))"""
                ),
                {"name": name, "me": me},
            ).scalar_one()
            if waiting == 2:
                break
            assert all(t.is_alive() for t in threads), [r.text for r in out]
            assert time.monotonic() < deadline, f"{waiting} of 2 requests waited"
            time.sleep(0.02)
        with httpx.Client(base_url=base, timeout=60) as c:
            r = c.get("/v1/vehicles", headers=admin_key.headers)
        gate.commit()
    for t in threads:
        t.join(timeout=120)
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"] == str(RETRY_AFTER_S)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert _unavailable(caplog) == ["database unavailable: TimeoutError"]  # the pool's
    assert sorted(p.status_code for p in out) == [201, 201]  # the waiting ones went through
    with httpx.Client(base_url=base, timeout=60) as c:
        assert c.get("/v1/vehicles", headers=admin_key.headers).status_code == 200

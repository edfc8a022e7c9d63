"""64 conflicting requests from 16 processes against a 2-worker server: one winner per box.

The test holds the box table locked (SHARE, as a blocker does) while the burst arrives, so
every request stops at its insert; it releases the lock only once all 64 wait on it
together (pg_blocking_pids), which proves they overlap. An independent checker then reads
every active box and asserts no two overlap.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from api.settings import REPO_ROOT
from tests.conftest import Key
from tests.pgtools import backend_pid, free_port
from tests.reservations import _client
from tests.reservations.helpers import spot, window

CELLS = 8
PER_CELL = 8
CLIENTS = 16


@pytest.fixture(scope="module")
def two_workers(database_url: str) -> Iterator[str]:
    """A uvicorn server with two worker processes on the test database, each with room for
    the whole burst (database connections and threads)."""
    port = free_port()
    pool = str(CELLS * PER_CELL // 2)  # each worker may hold every request (pool + overflow)
    env = {**os.environ, "KUKAN_DATABASE_URL": database_url, "KUKAN_DB_POOL_SIZE": pool}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "tests.reservations._burst_app:app",
        "--workers",
        "2",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a loaded machine starts slowly
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the two-worker server did not start")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _overlap(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return all(a[k] < b[k + 1] and b[k] < a[k + 1] for k in range(0, 8, 2))


def no_overlap(rows: list[tuple[Any, ...]]) -> list[tuple[Any, Any]]:
    """Plain-Python sweep over x: pairs of boxes (x0,x1,y0,y1,f0,f1,t0,t1[,family]) that
    overlap (boxes of one family, a reservation and its re-plan proposal's hold, may)."""
    bad = []
    rows = sorted(rows)
    open_: list[tuple[Any, ...]] = []
    for box in rows:
        open_ = [o for o in open_ if o[1] > box[0]]
        bad += [(o, box) for o in open_ if _overlap(o, box) and (len(box) < 9 or o[8] != box[8])]
        open_.append(box)
    return bad


def _blocked_by(gate: Session, pid: int) -> int:
    """Backends of this database waiting on a lock that backend ``pid`` holds."""
    gate.execute(text("SELECT pg_stat_clear_snapshot()"))  # else cached per transaction
    return int(
        gate.execute(
            text(
                """SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
        AND :pid = ANY(pg_blocking_pids(pid))"""
            ),
            {"pid": pid},
        ).scalar_one()
    )


def test_one_winner_per_contested_box(
    two_workers: str, make_key: Any, db_sessions: sessionmaker[Session]
) -> None:
    # a key per request: a key's first use updates its row, which would queue its requests
    # behind each other instead of at the insert
    keys: list[Key] = [make_key("operator") for _ in range(CELLS * PER_CELL)]
    x, y = spot()
    t0, t1 = window(3, 1)
    jobs = []
    for cell in range(CELLS):
        cx = x + cell * (PER_CELL + 2)
        for j in range(PER_CELL):
            own = f"20/1/{cx + 1 + j}/{y + 1}"  # each request also takes a box of its own
            body = {
                "volumes": [
                    {"spatial_ids": [f"20/1/{cx}/{y}", own], "time_start": t0, "time_end": t1}
                ]
            }
            jobs.append((two_workers, keys[len(jobs)].token, cell, body))
    total = len(jobs)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=CLIENTS, mp_context=ctx) as pool:
        list(pool.map(_client.warm, range(CLIENTS)))
        with db_sessions() as gate:
            gate.execute(text("LOCK TABLE reservation_boxes IN SHARE MODE"))
            me = backend_pid(gate)
            per = total // CLIENTS
            burst = [pool.submit(_client.post_all, jobs[i : i + per]) for i in range(0, total, per)]
            deadline = time.monotonic() + 120
            while (waiting := _blocked_by(gate, me)) < total:
                done = [f for f in burst if f.done()]
                assert not done, f"a request finished while the lock was held: {done[0].result()}"
                assert time.monotonic() < deadline, f"only {waiting} of {total} requests waited"
                time.sleep(0.05)
            assert waiting == total  # all 64 in flight at once, each stopped at its insert
            gate.commit()
        results = [r for f in burst for r in f.result()]
    assert Counter(s for _, s in results) == {201: CELLS, 409: CELLS * (PER_CELL - 1)}
    assert Counter(c for c, s in results if s == 201) == dict.fromkeys(range(CELLS), 1)
    with db_sessions() as s:
        rows = s.execute(
            text("""SELECT lower(x), upper(x), lower(y), upper(y), lower(f), upper(f),
                    lower(during), upper(during), family FROM reservation_boxes
                    WHERE active""")
        ).all()
    boxes = [tuple(r) for r in rows]
    assert boxes and all(isinstance(b[6], datetime) for b in boxes)
    assert no_overlap(boxes) == []


def test_checker_finds_an_overlap() -> None:
    t = [datetime(2030, 1, 1), datetime(2030, 1, 2), datetime(2030, 1, 3)]
    a = (0, 10, 0, 10, 0, 10, t[0], t[1])
    assert no_overlap([a, (10, 20, 0, 10, 0, 10, t[0], t[1])]) == []
    assert no_overlap([a, (5, 20, 0, 10, 0, 10, t[1], t[2])]) == []
    assert len(no_overlap([a, (5, 20, 9, 10, 0, 10, t[0], t[2])])) == 1
    b, c = (*a, "r1"), (5, 20, 9, 10, 0, 10, t[0], t[2], "r1")
    assert no_overlap([b, c]) == []  # one family: a reservation and its proposal's hold
    assert len(no_overlap([b, (*c[:8], "r2")])) == 1

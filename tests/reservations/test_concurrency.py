"""64 conflicting requests from 16 processes against a 2-worker server: one winner per box.

An independent checker then reads every active box and asserts no two overlap.
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
from tests.pgtools import free_port
from tests.reservations import _client
from tests.reservations.helpers import spot, window

CELLS = 8
PER_CELL = 8


@pytest.fixture(scope="module")
def two_workers(database_url: str) -> Iterator[str]:
    """A uvicorn server with two worker processes on the test database."""
    port = free_port()
    env = {**os.environ, "KUKAN_DATABASE_URL": database_url, "KUKAN_DB_POOL_SIZE": "8"}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "api.app:app_from_env",
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
        deadline = time.monotonic() + 30
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
    """Plain-Python sweep over x: pairs of boxes (x0,x1,y0,y1,f0,f1,t0,t1) that overlap."""
    bad = []
    rows = sorted(rows)
    open_: list[tuple[Any, ...]] = []
    for box in rows:
        open_ = [o for o in open_ if o[1] > box[0]]
        bad += [(o, box) for o in open_ if _overlap(o, box)]
        open_.append(box)
    return bad


def test_one_winner_per_contested_box(
    two_workers: str, make_key: Any, db_sessions: sessionmaker[Session]
) -> None:
    keys: list[Key] = [make_key("operator") for _ in range(4)]
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
            jobs.append((two_workers, keys[j % 4].token, cell, body, 0.0))
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=16, mp_context=ctx) as pool:
        list(pool.map(_client.warm, range(16)))
        start = time.time() + 1.0
        burst = [(*job[:4], start) for job in jobs]
        timed = list(pool.map(_client.post, burst))
    results = [(c, s) for c, s, _ in timed]
    print("slowest request", max(t for *_, t in timed))
    assert Counter(s for _, s in results) == {201: CELLS, 409: CELLS * (PER_CELL - 1)}
    assert Counter(c for c, s in results if s == 201) == dict.fromkeys(range(CELLS), 1)
    with db_sessions() as s:
        rows = s.execute(
            text("""SELECT lower(x), upper(x), lower(y), upper(y), lower(f), upper(f),
                    lower(during), upper(during) FROM reservation_boxes WHERE active""")
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

"""Benchmark of event delivery: a restriction over many live reservations, heard on the
event stream.

Run: ``.venv/bin/python bench/events_bench.py`` (needs ``scripts/devdb.sh start``). It
recreates the scratch database ``kukan_events_bench`` (or ``KUKAN_BENCH_DB``), books
``--reservations`` 100-voxel blocks side by side (through the service layer) for one
operator, starts a 2-process server, opens ``GET /v1/events/stream`` as the operator, and
``--rounds`` times declares (then lifts) a restriction over all of them. Per round it
prints how long the declaration took (``POST /v1/restrictions``, which marks every
reservation and writes its events) and how long after its response the stream had the
first and the last of the round's events. The baseline, in the same process: the same
events read afterwards as pages of ``GET /v1/events`` (the pull a client without a stream
makes); the ratio is stream delivery over the page read.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for bench.* modules

from bench.reservations_bench import Z, base_url, make_keys, origin, recreate, serve, volume
from registry.db import make_engine, make_sessionmaker, session_scope
from registry.services import reservations

INTERSECTS = "kukan.restriction.intersects"


def book(sessions: Any, actor: Any, n: int, start: datetime) -> tuple[int, int, int]:
    """``n`` disjoint 5 x 5 x 4 blocks on a square grid from Tokyo station; the grid's
    corner tile and its side in tiles."""
    side = math.ceil(math.sqrt(n))
    ox, oy = origin()
    with session_scope(sessions) as s:
        for k in range(n):
            x, y = ox + 5 * (k % side), oy + 5 * (k // side)
            reservations.create_reservation(
                session=s,
                actor=actor,
                volumes=[reservations.VolumeRequest(**volume(x, y, 2, start, json=False))],
            )
    return ox, oy, 5 * side


def lnglat(x: float, y: float) -> tuple[float, float]:
    """The north-west corner of z23 tile (x, y)."""
    n = 1 << Z
    return x / n * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))


def listen(
    base: str, token: str, got: list[tuple[float, dict[str, Any]]], stop: threading.Event
) -> None:
    """Read the stream into ``got`` (arrival time, event) until ``stop``."""
    headers = {"Authorization": f"Bearer {token}"}
    params = {"timeout_s": 3600}
    with (
        httpx.Client(base_url=base, timeout=None) as c,
        c.stream("GET", "/v1/events/stream", headers=headers, params=params) as r,
    ):
        for line in r.iter_lines():
            if line.startswith("data: "):
                got.append((time.perf_counter(), json.loads(line[6:])))
            if stop.is_set():
                return


def page_read(base: str, token: str, link: str) -> tuple[int, float, str]:
    """Read every event from ``link`` on as pages: count, seconds, the link to go on."""
    headers = {"Authorization": f"Bearer {token}"}
    count, began = 0, time.perf_counter()
    with httpx.Client(base_url=base, timeout=60) as c:
        while True:
            page = c.get(link, headers=headers).json()
            count += len(page["items"])
            if not page["items"]:
                return count, time.perf_counter() - began, page["next"]
            link = page["next"]


def main() -> None:
    """Book, serve, declare and lift, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reservations", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--port", type=int, default=8794)
    args = ap.parse_args()
    os.environ.setdefault("KUKAN_BENCH_DB", "kukan_events_bench")
    url = base_url()
    print(f"load average {os.getloadavg()[0]:.2f}; database {url.rsplit('/', 1)[-1]}")
    recreate(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    (token,), town, actor = make_keys(sessions, 1)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    began = time.perf_counter()
    ox, oy, side = book(sessions, actor, args.reservations, start)
    print(f"booked {args.reservations} reservations in {time.perf_counter() - began:.1f} s")
    engine.dispose()
    w, n = lnglat(ox + 0.5, oy + 0.5)
    e, s = lnglat(ox + side - 0.5, oy + side - 0.5)
    area = {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}
    body = {"geometry": area, "altitude_lower": 0, "altitude_upper": 150, "reason": "bench"}
    proc = serve(url, args.port, "reuseport")  # 2 processes: writer and reader may differ
    base = f"http://127.0.0.1:{args.port}"
    got: list[tuple[float, dict[str, Any]]] = []
    stop = threading.Event()
    thread = threading.Thread(target=listen, args=(base, token, got, stop), daemon=True)
    thread.start()
    time.sleep(1.0)  # the stream is open
    town_h = {"Authorization": f"Bearer {town}"}
    _, _, cursor = page_read(base, token, "/v1/events?limit=500")
    rows = []
    try:
        with httpx.Client(base_url=base, timeout=120) as c:
            rid = None
            for _ in range(args.rounds):
                seen = len(got)
                t0 = time.perf_counter()
                if rid is None:
                    r = c.post("/v1/restrictions", headers=town_h, json=body)
                    rid = r.json()["id"]
                else:
                    r = c.patch(f"/v1/restrictions/{rid}", headers=town_h, json={"active": True})
                t1 = time.perf_counter()
                assert r.status_code in (200, 201), r.text[:300]
                hit = len(r.json()["affected_reservations"])
                until = t1 + 30
                while time.perf_counter() < until:
                    mine = [t for t, ev in got[seen:] if ev["type"] == INTERSECTS]
                    if len(mine) >= hit:
                        break
                    time.sleep(0.005)
                mine = [t for t, ev in got[seen:] if ev["type"] == INTERSECTS]
                count, pull_s, cursor = page_read(base, token, cursor)
                rows.append((t1 - t0, mine[0] - t1, mine[-1] - t1, len(mine), hit, pull_s, count))
                c.delete(f"/v1/restrictions/{rid}", headers=town_h)
    finally:
        stop.set()
        proc.terminate()  # an open stream holds a graceful shutdown: then kill
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    for k, (post, first, last, heard, hit, pull, count) in enumerate(rows):
        print(
            f"round {k}: declare {post * 1000:7.1f} ms ({hit} reservations); stream: "
            f"first +{first * 1000:6.1f} ms, all {heard} +{last * 1000:7.1f} ms after the "
            f"response; pages: {count} events in {pull * 1000:7.1f} ms; ratio {last / pull:5.2f}"
        )
    lasts = [r[2] for r in rows]
    print(
        "all events on the stream after the response: "
        f"p50 {statistics.median(lasts) * 1000:.1f} ms, "
        f"max {max(lasts) * 1000:.1f} ms; declare + delivery max "
        f"{max(r[0] + r[2] for r in rows) * 1000:.1f} ms; "
        f"load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()

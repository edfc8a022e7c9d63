"""Benchmark of 4D reservations and occupancy against a real 2-worker server.

Run: ``.venv/bin/python bench/reservations_bench.py`` (needs ``scripts/devdb.sh start``).
It recreates the scratch database ``kukan_bench`` (or ``KUKAN_BENCH_DB``) on the private
cluster (or on the cluster of ``KUKAN_DATABASE_URL``), migrates it, makes principals with
the registry services (``--profile DIR``: py-spy records the load phase), starts
``uvicorn --factory api.app:app_from_env --workers 2`` against it, then:

1. 16 concurrent clients (asyncio + httpx) POST ~100-voxel corridors (5 x 5 x 4 blocks at
   z23) at random places and times around Tokyo station, 10 % of them deliberately
   overlapping an accepted one; prints reservations/s, p50/p99 latency, the statuses,
   and the verdict of an independent overlap checker (plain Python sort-and-sweep over
   the stored active ``reservation_boxes`` rows).
2. Tops the database up to 10,000 active reservations through the service layer
   (``registry.services.reservations.create_reservation`` in-process, same shapes) and measures
   ``GET /v1/occupancy`` p50/p95 for random 1 km x 1 km x 0-120 m x 1 h windows at z20.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for bench.* modules

from bench.server_cpu import Profiler, backends, children, cpu_seconds
from registry import migrate
from registry.db import make_engine, make_sessionmaker, session_scope
from registry.errors import Conflict
from registry.services import authority, operators, principals, reservations

ROOT = Path(__file__).resolve().parent.parent
Z = 23
TOKYO = (139.767125, 35.681236)
SPAN_X, SPAN_Y = 640, 770  # z23 tiles: about 2.5 km x 2.5 km around Tokyo station
F_MAX = 28  # z23 f step is 4 m: blocks between 0 and ~128 m
HORIZON_H = 4.0  # reservations start within the next 4 hours ...
DURATION_MIN = 15  # ... and last 15 minutes
KM_LNG, KM_LAT = 1 / (111.320 * 0.8122), 1 / 110.574  # degrees per km at 35.68 N


def base_url() -> str:
    """The cluster URL: KUKAN_DATABASE_URL, else ``scripts/devdb.sh url``."""
    url = os.environ.get("KUKAN_DATABASE_URL")
    if not url:
        out = subprocess.run(
            [str(ROOT / "scripts/devdb.sh"), "url"], capture_output=True, text=True, check=True
        )
        url = out.stdout.strip()
    name = os.environ.get("KUKAN_BENCH_DB", "kukan_bench")
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def recreate(url: str) -> None:
    """Drop and create the scratch database with PostGIS and btree_gist, then migrate."""
    name = make_url(url).database
    admin_url = make_url(url).set(database="postgres")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    eng = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with eng.connect() as c:
        c.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        c.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
    eng.dispose()
    migrate.upgrade(url)


def make_keys(sessions: Any, n: int) -> tuple[list[str], str, Any]:
    """``n`` operator tokens (one operator each), a municipality token, a principal."""
    tokens, first = [], None
    with session_scope(sessions) as s:
        for i in range(n):
            op = operators.create_operator(session=s, actor=None, name=f"bench-op-{i}")
            p, tok = principals.create_principal(
                session=s, actor=None, name=f"bench-{i}", role="operator", operator_id=op.id
            )
            tokens.append(tok)
            first = first or p
        muni, town = principals.create_principal(
            session=s, actor=None, name="bench-town", role="municipality"
        )
        world = [[[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]]
        authority.set_jurisdiction(
            session=s,
            actor=None,
            principal_id=muni.id,
            geometry={"type": "Polygon", "coordinates": world},
        )
    return tokens, town, first


def origin() -> tuple[int, int]:
    """z23 tile of Tokyo station."""
    import math

    n = 1 << Z
    x = int((TOKYO[0] + 180) / 360 * n)
    lat = math.radians(TOKYO[1])
    y = int((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * n)
    return x - SPAN_X // 2, y - SPAN_Y // 2


def block(rng: random.Random, t0: datetime) -> tuple[int, int, int, datetime]:
    """A random 5 x 5 x 4 block corner and start time."""
    ox, oy = origin()
    start = t0 + timedelta(seconds=rng.randrange(int(HORIZON_H * 3600)))
    return ox + rng.randrange(SPAN_X), oy + rng.randrange(SPAN_Y), rng.randrange(F_MAX), start


def volume(x: int, y: int, f: int, start: datetime, *, json: bool = True) -> dict[str, Any]:
    """The 100 z23 IDs of a 5 x 5 x 4 block for 15 minutes (times as text for JSON)."""
    ids = [f"{Z}/{f + k}/{x + i}/{y + j}" for k in range(4) for i in range(5) for j in range(5)]
    end = start + timedelta(minutes=DURATION_MIN)
    if not json:
        return {"spatial_ids": ids, "time_start": start, "time_end": end}
    return {"spatial_ids": ids, "time_start": start.isoformat(), "time_end": end.isoformat()}


class LeanClient:
    """A minimal HTTP/1.1 keep-alive client for the load phase: one connection, requests
    written as bytes, responses read by Content-Length (what uvicorn sends for JSON).

    The client shares the two cores with the server; httpx's AsyncClient spent ~2 ms of
    CPU per request, this one a fraction of that, so the figures measure the server.
    """

    def __init__(self, base: str, token: str) -> None:
        url = httpx.URL(base)
        self.host, self.port = url.host, url.port or 80
        self.head = (
            f"Host: {self.host}:{self.port}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nAccept: application/json\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> LeanClient:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.writer is not None:
            self.writer.close()

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """POST ``body`` (JSON bytes); the status and the response body."""
        assert self.reader is not None and self.writer is not None
        self.writer.write(
            b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
            % (path.encode(), self.head, len(body), body)
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
            elif name.lower() == b"transfer-encoding":
                raise RuntimeError("chunked responses are not expected here")
        return status, await self.reader.readexactly(length)


async def post_load(
    base: str, tokens: list[str], total: int, t0: datetime, conflict_rate: float
) -> tuple[list[float], dict[int, int], float]:
    """16 clients POST ``total`` reservations; latencies, status counts, wall seconds."""
    accepted: list[tuple[int, int, int, datetime]] = []
    lat: list[float] = []
    statuses: dict[int, int] = {}
    todo = iter(range(total))

    async def client(k: int) -> None:
        rng = random.Random(k)
        async with LeanClient(base, tokens[k]) as c:
            for _ in todo:
                if accepted and rng.random() < conflict_rate:
                    x, y, f, s = rng.choice(accepted)
                    b = (x + 1, y + 1, f, s + timedelta(minutes=5))  # overlaps 4x4x4, 10 min
                else:
                    b = block(rng, t0)
                t = time.perf_counter()
                body = json.dumps({"volumes": [volume(*b)]}).encode()
                status, answer = await c.post("/v1/reservations", body)
                lat.append(time.perf_counter() - t)
                statuses[status] = statuses.get(status, 0) + 1
                if status == 201:
                    assert answer.startswith(b'{"id":'), answer[:200]
                    accepted.append(b)

    wall = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(len(tokens))))
    return lat, statuses, time.perf_counter() - wall


def check_overlaps(url: str) -> tuple[int, int]:
    """Independent checker: (active boxes, overlapping pairs) by sort-and-sweep on x."""
    eng = create_engine(url, poolclass=pool.NullPool)
    with eng.connect() as c:
        rows = c.execute(
            text(
                """SELECT lower(x), upper(x), lower(y), upper(y), lower(f), upper(f),
                extract(epoch FROM lower(during)), extract(epoch FROM upper(during))
                FROM reservation_boxes WHERE active"""
            )
        ).all()
    eng.dispose()
    boxes = sorted(tuple(r) for r in rows)
    pairs = 0
    live: list[tuple[Any, ...]] = []  # boxes whose x range is still open at the sweep
    for b in boxes:
        live = [a for a in live if a[1] > b[0]]
        for a in live:
            meet_yf = a[2] < b[3] and b[2] < a[3] and a[4] < b[5] and b[4] < a[5]
            if meet_yf and a[6] < b[7] and b[6] < a[7]:
                pairs += 1
        live.append(b)
    return len(boxes), pairs


def top_up(sessions: Any, actor: Any, target: int, t0: datetime) -> tuple[int, float]:
    """Create reservations through the service layer until ``target`` are active."""
    rng, made, wall = random.Random(99), 0, time.perf_counter()
    with session_scope(sessions) as s:
        active = s.scalar(text("SELECT count(*) FROM reservations WHERE state = 'accepted'"))
    while active + made < target:
        try:
            with session_scope(sessions) as s:
                reservations.create_reservation(
                    session=s,
                    actor=actor,
                    volumes=[reservations.VolumeRequest(**volume(*block(rng, t0), json=False))],
                )
            made += 1
        except Conflict:
            continue
    with session_scope(sessions) as s:  # fresh statistics, as autovacuum would give
        s.execute(text("ANALYZE reservations, reservation_boxes"))
    return made, time.perf_counter() - wall


def occupancy_latencies(
    base: str, token: str, t0: datetime, n: int, **extra: Any
) -> tuple[list[float], float]:
    """Latencies of ``n`` GET /v1/occupancy (random 1 km² x 1 h); mean reservations met."""
    rng, out, met = random.Random(7), [], []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
        for _ in range(n + 5):
            lng = TOKYO[0] + rng.uniform(-0.8, 0.8) * KM_LNG
            lat = TOKYO[1] + rng.uniform(-0.8, 0.8) * KM_LAT
            start = t0 + timedelta(minutes=rng.randrange(int(HORIZON_H * 60) - 60))
            params = {
                "bbox": f"{lng - KM_LNG / 2},{lat - KM_LAT / 2},{lng + KM_LNG / 2},"
                f"{lat + KM_LAT / 2}",
                "alt_lower": 0,
                "alt_upper": 120,
                "time_start": start.isoformat(),
                "time_end": (start + timedelta(hours=1)).isoformat(),
                "zoom": 20,
                **extra,
            }
            t = time.perf_counter()
            r = c.get("/v1/occupancy", params=params)
            out.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text
            met.append(r.json()["totals"]["reservation"])
    return out[5:], statistics.mean(met)  # the first few calls warm the workers


def pct(values: list[float], q: float) -> float:
    """The ``q``-quantile in milliseconds."""
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


def serve(url: str, port: int, server: str) -> subprocess.Popen[bytes]:
    """Start the 2-worker server and wait for /health.

    ``reuseport`` (default): ``python -m api.serve``, two uvicorn processes each on its own
    SO_REUSEPORT socket, so the kernel spreads the 16 keep-alive connections over both.
    ``shared``: ``uvicorn --workers 2`` (one shared socket; one worker may take them all).
    """
    env = {**os.environ, "KUKAN_DATABASE_URL": url}
    if server == "shared":
        cmd = [sys.executable, "-m", "uvicorn", "--factory", "api.app:app_from_env"]
    else:
        cmd = [sys.executable, "-m", "api.serve"]
    cmd += ["--workers", "2", "--port", str(port), "--no-access-log", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the server did not come up")


def main() -> None:
    """Run both phases and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=4000, help="POSTs in the load phase")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--conflicts", type=float, default=0.10, help="deliberate overlap rate")
    ap.add_argument("--active", type=int, default=10_000, help="active reservations to hold")
    ap.add_argument("--queries", type=int, default=200, help="occupancy queries per role")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--server", choices=("reuseport", "shared"), default="reuseport")
    ap.add_argument("--profile", type=Path, default=None, help="py-spy stacks of the load")
    args = ap.parse_args()
    url = base_url()
    recreate(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    tokens, town, actor = make_keys(sessions, args.clients)
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    base = f"http://127.0.0.1:{args.port}"
    proc = serve(url, args.port, args.server)
    try:
        server = children(proc.pid)
        spy = Profiler(args.profile, proc.pid, gil=True)
        spy.start("reservations")
        cpu0 = (cpu_seconds(server), time.process_time())
        lat, statuses, wall = asyncio.run(
            post_load(base, tokens, args.requests, t0, args.conflicts)
        )
        spy.stop()
        # the backends opened during the load (pooled, still alive); counted from 0
        cpu1 = (cpu_seconds(server), time.process_time(), cpu_seconds(backends(url)))
        boxes, overlaps = check_overlaps(url)
        made, load_s = top_up(sessions, actor, args.active, t0)
        boxes2, overlaps2 = check_overlaps(url)
        town_lat = occupancy_latencies(base, town, t0, args.queries)
        op_lat = occupancy_latencies(base, tokens[0], t0, args.queries)
        h3_lat = occupancy_latencies(base, town, t0, args.queries, aggregate="h3:9")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        engine.dispose()
    n = len(lat)
    print(f"load: {n} POSTs of 100-voxel blocks (z23), {args.clients} clients, {wall:.1f} s")
    print(f"  requests/s        {n / wall:8.1f}")
    print(f"  reservations/s    {statuses.get(201, 0) / wall:8.1f}  (201 only)")
    print(f"  latency p50/p99   {pct(lat, 50):6.1f} / {pct(lat, 99):6.1f} ms")
    print(f"  statuses          {dict(sorted(statuses.items()))}")
    print(f"  checker           {boxes} active boxes, {overlaps} overlapping pairs")
    print(
        f"  CPU per request   server {(cpu1[0] - cpu0[0]) / n * 1000:.1f} ms, PostgreSQL "
        f"<= {cpu1[2] / n * 1000:.1f} ms, client {(cpu1[1] - cpu0[1]) / n * 1000:.1f} ms "
        f"(machine load average {os.getloadavg()[0]:.1f})"
    )
    print(f"top-up: {made} reservations via the service layer in {load_s:.1f} s")
    print(f"  checker           {boxes2} active boxes, {overlaps2} overlapping pairs")
    for name, (v, met) in (("municipality", town_lat), ("operator", op_lat), ("h3:9", h3_lat)):
        print(
            f"occupancy 1 km² x 1 h z20 ({name:12}) p50/p95 {pct(v, 50):5.1f} / "
            f"{pct(v, 95):5.1f} ms  ({len(v)} queries, {met:.0f} reservations met on average)"
        )
    print("verdict: " + ("NO OVERLAP" if overlaps == overlaps2 == 0 else "OVERLAPS FOUND"))


if __name__ == "__main__":
    main()

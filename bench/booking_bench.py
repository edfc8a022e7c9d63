"""Booking next to planning, over HTTP: plan-only vs plan+reserve, and fleets with reserve.

Run: ``python bench/booking_bench.py`` with ``KUKAN_DATABASE_URL`` naming a database that
holds the demo city (``kukan demo load``; its keys in ``--keys``, default
``KUKAN_DEMO_KEYS_FILE`` or ``.data/demo-keys.json``). It starts ``python -m api.serve``
(``--workers``, default 1) against that database, then:

1. drone routes of about 5 km across the demo city (west-south-west to east-north-east
   through the centre), alternating plan-only and plan+reserve, each at its own departure
   time; prints both p50s, their difference and the ratio;
2. ``POST /v1/fleets/routes`` for fleets of robots (``--fleets``, default 20 and 200) on
   the demo roads, without and with ``reserve: true``, at departure times of their own;
   prints the wall time, how many items were served and reserved, and the reasons of the
   others;
3. the independent overlap checker of ``bench/reservations_bench.py`` over the active
   reservation boxes.

Every run books at departure times a random number of days ahead, so runs do not meet
each other's reservations. ``--profile DIR`` records the server with py-spy (collapsed
stacks, one file per phase; py-spy must be installed and allowed to trace).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, pool, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for bench.* modules

from bench.reservations_bench import check_overlaps
from bench.server_cpu import Profiler, children, cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
WEST = {"lng": 24.9100, "lat": 60.1610, "alt": 60.0}
EAST = {"lng": 24.9960, "lat": 60.1770, "alt": 60.0}
"""About 5.1 km apart, the line crossing the demo buildings."""


def serve(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """Start ``api.serve`` and wait for /health."""
    env = {**os.environ, "KUKAN_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "api.serve", "--workers", str(workers), "--port", str(port)]
    proc = subprocess.Popen([*cmd, "--no-access-log", "--log-level", "warning"], env=env, cwd=ROOT)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the server did not come up")


def vehicles(c: httpx.Client, token: str, kind: str) -> list[str]:
    """Ids of the token's vehicles of ``kind`` (every page)."""
    out, path = [], "/v1/vehicles?limit=200"
    while path:
        r = c.get(path, headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
        out += [v["id"] for v in r.json()["items"] if v["kind"] == kind and v["status"] == "active"]
        path = r.json()["next"]
    return out


def robots(c: httpx.Client, token: str, n: int) -> list[str]:
    """``n`` robots of the fleet operator (made when missing)."""
    have = vehicles(c, token, "robot")
    for i in range(len(have), n):
        body = {"name": f"bench-robot-{i}", "kind": "robot", "max_speed_mps": 1.5}
        r = c.post("/v1/vehicles", headers={"Authorization": f"Bearer {token}"}, json=body)
        r.raise_for_status()
        have.append(r.json()["id"])
    return have[:n]


def road_points(url: str, n: int, rng: random.Random) -> list[tuple[dict[str, float], ...]]:
    """``n`` origin-destination pairs of demo road nodes 200-700 m apart."""
    eng = create_engine(url, poolclass=pool.NullPool)
    with eng.connect() as c:
        pts = c.execute(
            text(
                """SELECT ST_X(n.geometry), ST_Y(n.geometry) FROM road_nodes n
                WHERE NOT EXISTS (SELECT FROM restrictions r
                    WHERE ST_DWithin(r.geometry::geography, n.geometry::geography, 30))
                ORDER BY n.id"""
            )
        ).all()
    eng.dispose()
    out: list[tuple[dict[str, float], ...]] = []
    while len(out) < n:
        (a, b), (x, y) = rng.choice(pts), rng.choice(pts)
        d = ((a - x) * 55_600) ** 2 + ((b - y) * 111_200) ** 2
        if 200**2 <= d <= 700**2:
            out.append(({"lng": a, "lat": b}, {"lng": x, "lat": y}))
    return out


def drone_routes(c: httpx.Client, token: str, base: datetime, n: int) -> dict[str, list[float]]:
    """``n`` plan-only and ``n`` plan+reserve 5 km drone routes, alternating (ms)."""
    h = {"Authorization": f"Bearer {token}"}
    drone = vehicles(c, token, "drone")[0]
    out: dict[str, list[float]] = {"plan": [], "reserve": [], "ids": []}
    for i in range(2 * n + 1):
        reserve = i % 2 == 0 and i > 0
        body = {
            "vehicle_id": drone,
            "origin": WEST,
            "destination": EAST,
            "departure_time": (base + timedelta(minutes=20 * i)).isoformat(),
            "reserve": reserve,
        }
        t = time.perf_counter()
        r = c.post("/v1/routes", headers=h, json=body)
        ms = (time.perf_counter() - t) * 1000
        assert r.status_code in (200, 201), r.text[:500]
        if i == 0:
            continue  # the first request builds the grid
        out["reserve" if reserve else "plan"].append(ms)
        out["ids"].append(len(r.json()["route"]["spatial_ids"]))
    return out


def fleet(
    c: httpx.Client, token: str, ids: list[str], pairs: Any, base: datetime, reserve: bool
) -> tuple[float, dict[str, Any]]:
    """One fleet request: wall seconds and the response."""
    items = [
        {
            "vehicle_id": v,
            "origin": o,
            "destination": d,
            "departure_time": (base + timedelta(seconds=3 * k)).isoformat(),
            "reserve": reserve,
        }
        for k, (v, (o, d)) in enumerate(zip(ids, pairs, strict=False))
    ]
    t = time.perf_counter()
    r = c.post(
        "/v1/fleets/routes",
        headers={"Authorization": f"Bearer {token}"},
        json={"requests": items},
    )
    wall = time.perf_counter() - t
    assert r.status_code == 200, r.text[:500]
    return wall, r.json()


def main() -> None:
    """Run the phases and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_keys = os.environ.get("KUKAN_DEMO_KEYS_FILE", str(ROOT / ".data/demo-keys.json"))
    ap.add_argument("--keys", default=default_keys, help="the demo keys file")
    ap.add_argument("--routes", type=int, default=5, help="routes of each kind")
    ap.add_argument("--fleets", default="20,200", help="fleet sizes")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--port", type=int, default=8791)
    ap.add_argument("--seed", type=int, default=None, help="the run's day offset and points")
    ap.add_argument("--profile", type=Path, default=None, help="py-spy stacks into this folder")
    args = ap.parse_args()
    url = os.environ["KUKAN_DATABASE_URL"]
    keys = json.loads(Path(args.keys).read_text())
    rng = random.Random(args.seed)
    day = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    base = day + timedelta(days=1 + rng.randrange(300), hours=rng.randrange(12))
    sizes = [int(s) for s in args.fleets.split(",") if s]
    proc = serve(url, args.port, args.workers)
    spy = Profiler(args.profile, proc.pid)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{args.port}", timeout=600) as c:
            cpu0 = cpu_seconds(children(proc.pid))
            spy.start("routes")
            times = drone_routes(c, keys["tokens"]["operator"], base, args.routes)
            spy.stop()
            cpu_routes = cpu_seconds(children(proc.pid)) - cpu0
            token = keys["fleet"]["token"]
            ids = robots(c, token, max(sizes, default=0))
            pairs = road_points(url, max(sizes, default=0), rng)
            fleet(c, token, ids[:2], pairs[:2], base - timedelta(hours=1), False)  # warm
            fleets = []
            for k, n in enumerate(sizes):
                for reserve in (False, True):
                    at = base + timedelta(hours=6 + 2 * (2 * k + reserve))
                    spy.start(f"fleet{n}-{'reserve' if reserve else 'plan'}")
                    wall, out = fleet(c, token, ids[:n], pairs[:n], at, reserve)
                    spy.stop()
                    fleets.append((n, reserve, wall, out))
    finally:
        spy.stop()
        proc.terminate()
        proc.wait(timeout=30)
    plan, book = statistics.median(times["plan"]), statistics.median(times["reserve"])
    print(f"drone 5 km routes ({args.routes} each, {statistics.median(times['ids']):.0f} IDs):")
    print(f"  plan only     p50 {plan:7.0f} ms  {[round(t) for t in times['plan']]}")
    print(f"  plan+reserve  p50 {book:7.0f} ms  {[round(t) for t in times['reserve']]}")
    print(f"  reserve adds  {book - plan:+.0f} ms at p50 (x{book / plan:.2f})")
    print(f"  server CPU    {cpu_routes:.1f} s for the {2 * args.routes + 1} requests")
    for n, reserve, wall, out in fleets:
        res = out["results"]
        booked = sum(1 for x in res if x["reservation"] is not None)
        why = Counter(x["reason"] for x in res if not x["ok"])
        kind = "reserve" if reserve else "plan   "
        print(
            f"fleet {n:3d} {kind} {wall:6.2f} s  served {out['served']}, reserved {booked}, "
            f"unserved {dict(why)}"
        )
    by = {(n, r): w for n, r, w, _ in fleets}
    for n in sizes:
        print(f"fleet {n:3d} reserve/plan  x{by[n, True] / by[n, False]:.2f}")
    boxes, overlaps = check_overlaps(url)
    print(f"checker: {boxes} active boxes, {overlaps} overlapping pairs")
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()

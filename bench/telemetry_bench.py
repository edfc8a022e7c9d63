"""Benchmark of telemetry in: batches and single reports with conformance on, and the time
from a nonconforming fix to its event on the stream.

Run: ``.venv/bin/python bench/telemetry_bench.py`` (needs ``scripts/devdb.sh start``). It
recreates the scratch database ``kukan_telemetry_bench`` (or ``KUKAN_BENCH_DB``), books
``--vehicles`` drones each with a live reservation (a 5 x 5 x 4 block of z23 voxels, through
the service layer), starts a 2-process server, then:

- batches: ``--batches`` posts of ``--batch`` fixes (every vehicle, 1 Hz, inside its block)
  from two clients at once to ``POST /v1/telemetry``; fixes/s. Baseline, in the same
  process: the same number of rows written straight into ``positions`` by one bare
  ``INSERT ... SELECT unnest`` per batch (the floor: storage alone, no HTTP, no checks, no
  conformance); the ratio is the endpoint's rate over that floor;
- single: 16 clients post one fix per request to ``POST /v1/vehicles/{id}/positions`` for
  ``--single-s`` seconds; fixes/s;
- alert latency: an operator's event stream is open; ``--alerts`` vehicles, one after
  another, report a fix outside their block; the time from sending it to its
  ``kukan.conformance.nonconforming`` on the stream (p50, p99, max).
"""

from __future__ import annotations

import argparse
import asyncio
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
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for bench.* modules

from bench.events_bench import listen, lnglat
from bench.reservations_bench import LeanClient, base_url, make_keys, origin, recreate, serve
from registry.db import make_engine, make_sessionmaker, session_scope
from registry.services import reservations, vehicles

Z = 23
FLOOR = 2
"""Blocks from f=2 (8 m) to f=5 (24 m): the centre is 16 m up."""


def book(sessions: Any, actor: Any, n: int) -> list[tuple[str, float, float]]:
    """``n`` drones, each with a block reserved from 10 minutes ago for an hour; each
    drone's id and its block's centre."""
    side = math.ceil(math.sqrt(n))
    ox, oy = origin()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    out = []
    with session_scope(sessions) as s:
        for k in range(n):
            x, y = ox + 6 * (k % side), oy + 6 * (k // side)
            v = vehicles.create_vehicle(
                session=s, actor=actor, name=f"d{k}", kind="drone", max_speed_mps=20
            )
            ids = [
                f"{Z}/{FLOOR + h}/{x + i}/{y + j}"
                for h in range(4)
                for i in range(5)
                for j in range(5)
            ]
            reservations.create_reservation(
                session=s,
                actor=actor,
                vehicle_id=v.id,
                volumes=[
                    reservations.VolumeRequest(
                        spatial_ids=ids, time_start=start, time_end=start + timedelta(hours=1)
                    )
                ],
            )
            lng, lat = lnglat(x + 2.5, y + 2.5)
            out.append((str(v.id), lng, lat))
    return out


def batch_body(drones: list[tuple[str, float, float]], t: datetime, per: int) -> bytes:
    """``per`` fixes of every drone at 1 Hz from ``t``, inside its block."""
    fixes = [
        {
            "vehicle_id": vid,
            "time": (t + timedelta(seconds=s)).isoformat(),
            "lng": lng,
            "lat": lat,
            "alt_m": 16.0,
        }
        for s in range(per)
        for vid, lng, lat in drones
    ]
    return json.dumps({"fixes": fixes}).encode()


def floor_rate(url: str, drones: list[tuple[str, float, float]], rows: int, t: datetime) -> float:
    """Rows per second of the bare insert of ``rows`` fixes (a second set of times)."""
    engine = make_engine(url)
    per = rows // len(drones)
    began = time.perf_counter()
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO positions (vehicle_id, time, lng, lat, alt_m, voxel)"
                " SELECT * FROM unnest(CAST(:v AS uuid[]), CAST(:t AS timestamptz[]),"
                " CAST(:x AS float8[]), CAST(:y AS float8[]), CAST(:a AS float8[]),"
                " CAST(:z AS text[]))"
            ),
            {
                "v": [d[0] for _ in range(per) for d in drones],
                "t": [
                    t + timedelta(milliseconds=500 + 1000 * s) for s in range(per) for _ in drones
                ],
                "x": [d[1] for _ in range(per) for d in drones],
                "y": [d[2] for _ in range(per) for d in drones],
                "a": [16.0] * (per * len(drones)),
                "z": ["25/0/0/0"] * (per * len(drones)),
            },
        )
    seconds = time.perf_counter() - began
    engine.dispose()
    return per * len(drones) / seconds


async def single_load(
    base: str, token: str, drones: list[tuple[str, float, float]], s: float
) -> int:
    """16 clients, one fix per request, for ``s`` seconds; fixes stored."""
    stop = time.perf_counter() + s
    done = 0

    async def client(k: int) -> None:
        nonlocal done
        async with LeanClient(base, token) as c:
            n = 0
            while time.perf_counter() < stop:
                vid, lng, lat = drones[(k * 7919 + n) % len(drones)]
                n += 1
                body = json.dumps(
                    {"time": datetime.now(UTC).isoformat(), "lng": lng, "lat": lat, "alt_m": 16.0}
                ).encode()
                status, answer = await c.post(f"/v1/vehicles/{vid}/positions", body)
                assert status in (200, 201), answer[:300]
                done += 1

    await asyncio.gather(*(client(k) for k in range(16)))
    return done


def main() -> None:
    """Book, serve, load, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vehicles", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--single-s", type=float, default=10.0)
    ap.add_argument("--alerts", type=int, default=200)
    ap.add_argument("--port", type=int, default=8795)
    args = ap.parse_args()
    os.environ.setdefault("KUKAN_BENCH_DB", "kukan_telemetry_bench")
    url = base_url()
    print(f"load average {os.getloadavg()[0]:.2f}; database {url.rsplit('/', 1)[-1]}")
    recreate(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    (token,), _, actor = make_keys(sessions, 1)
    began = time.perf_counter()
    drones = book(sessions, actor, args.vehicles)
    print(
        f"booked {len(drones)} drones with live reservations in {time.perf_counter() - began:.1f} s"
    )
    engine.dispose()
    fleets = [drones[0::2], drones[1::2]]  # two gateways, each sending its own half
    per = max(1, args.batch // len(fleets[0]))
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=per * args.batches + 30)
    bodies = [
        [batch_body(fleet, t0 + timedelta(seconds=per * b), per) for b in range(args.batches // 2)]
        for fleet in fleets
    ]
    proc = serve(url, args.port, "reuseport")
    base = f"http://127.0.0.1:{args.port}"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        counts: list[int] = []

        def poster(todo: list[bytes]) -> None:
            with httpx.Client(base_url=base, timeout=120) as c:
                for body in todo:
                    r = c.post("/v1/telemetry", headers=headers, content=body)
                    assert r.status_code == 200, r.text[:300]
                    page = r.json()
                    assert page["refused"] == 0, page["results"][:3]
                    counts.append(page["accepted"])

        wall = time.perf_counter()
        threads = [threading.Thread(target=poster, args=(todo,)) for todo in bodies]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - wall
        rate = sum(counts) / wall
        floor = floor_rate(url, drones, per * len(fleets[0]), t0)
        print(
            f"batches: {sum(counts)} fixes in {len(counts)} posts of {per * len(fleets[0])} in "
            f"{wall:.2f} s from two clients = {rate:,.0f} fixes/s (conformance on); "
            f"bare insert floor {floor:,.0f} rows/s; ratio {rate / floor:.2f}"
        )
        single = asyncio.run(single_load(base, token, drones, args.single_s))
        print(
            f"single: {single} fixes in {args.single_s:.0f} s = "
            f"{single / args.single_s:,.0f} fixes/s"
        )
        got: list[tuple[float, dict[str, Any]]] = []
        stop = threading.Event()
        th = threading.Thread(target=listen, args=(base, token, got, stop), daemon=True)
        th.start()
        time.sleep(1.0)
        lat = []
        with httpx.Client(base_url=base, timeout=30) as c:
            for vid, lng, lng_lat in drones[: args.alerts]:
                fix = {
                    "vehicle_id": vid,
                    "time": datetime.now(UTC).isoformat(),
                    "lng": lng,
                    "lat": lng_lat,
                    "alt_m": 60.0,
                }  # 36 m above the block
                sent = time.perf_counter()
                r = c.post("/v1/telemetry", headers=headers, json={"fixes": [fix]})
                assert r.json()["results"][0].get("conformance") == "nonconforming", r.text
                until = sent + 10
                heard = None
                while heard is None and time.perf_counter() < until:
                    for at, ev in reversed(got):
                        if (
                            ev["type"] == "kukan.conformance.nonconforming"
                            and ev["data"]["vehicle_id"] == vid
                        ):
                            heard = at
                            break
                    time.sleep(0.002)
                assert heard is not None, f"no event for {vid}"
                lat.append(heard - sent)
        stop.set()
        lat.sort()
        p99 = lat[min(len(lat) - 1, math.ceil(0.99 * len(lat)) - 1)]
        print(
            f"nonconforming fix to the stream ({len(lat)} alerts): p50 "
            f"{statistics.median(lat) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max "
            f"{lat[-1] * 1000:.0f} ms; load average {os.getloadavg()[0]:.2f}"
        )
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


if __name__ == "__main__":
    main()

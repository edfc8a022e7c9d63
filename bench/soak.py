"""Soak (issue 8): mixed load on a multi-process server, kill -9 of a worker, PostgreSQL restart.

Run: ``make soak`` or ``SOAK_SECONDS=120 .venv/bin/python bench/soak.py``. Everything runs on a
private throwaway PostgreSQL cluster (tests/pgtools.Cluster) and on 127.0.0.1; the shared dev
cluster is never stopped. Timeline: load for SOAK_SECONDS; at 30 % one server process is
killed with SIGKILL; at 50 % PostgreSQL stops for 5 s and starts again (the API is not
restarted). Reservation clients retry with the same Idempotency-Key. At the end: every
acknowledged reservation is stored once with its boxes, and the overlap checker runs.
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import create_engine, pool, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.reservations_bench import check_overlaps  # noqa: E402
from registry import migrate, principals  # noqa: E402
from registry.db import make_engine, make_sessionmaker, session_scope  # noqa: E402
from tests.hardening.matrix_cases import reservation_body, vehicle_body  # noqa: E402
from tests.pgtools import Cluster, free_port, recreate_database, with_database  # noqa: E402

CLIENTS = 6
stats: dict[str, list[float]] = {}
statuses: Counter[tuple[str, int]] = Counter()
acked: dict[str, str] = {}  # idempotency key -> reservation id
lock = threading.Lock()


def record(kind: str, status: int, seconds: float) -> None:
    """Count one answer."""
    with lock:
        stats.setdefault(kind, []).append(seconds)
        statuses[(kind, status)] += 1


def reserve(c: httpx.Client, token: str, vehicle: str) -> None:
    """POST a reservation, retrying with the same Idempotency-Key until it is answered."""
    key, body = uuid.uuid4().hex, reservation_body(vehicle)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    for _ in range(40):
        t = time.perf_counter()
        try:
            r = c.post("/v1/reservations", json=body, headers=headers)
        except httpx.TransportError:
            record("reserve", 0, time.perf_counter() - t)
            time.sleep(0.2)
            continue
        record("reserve", r.status_code, time.perf_counter() - t)
        if r.status_code == 201:
            with lock:
                acked[key] = r.json()["id"]
            return
        if r.status_code != 503:
            return
        time.sleep(min(float(r.headers.get("Retry-After", "1")), 1.0))


def client_loop(base: str, token: str, vehicle: str, until: float, seed: int) -> None:
    """Mixed traffic: reservations, occupancy, positions, routes."""
    rng = random.Random(seed)
    auth = {"Authorization": f"Bearer {token}"}
    route = {
        "vehicle_id": vehicle,
        "origin": {"lng": 139.7601, "lat": 35.6801, "alt": 30},
        "destination": {"lng": 139.7611, "lat": 35.6806, "alt": 30},
    }
    with httpx.Client(base_url=base, timeout=10) as c:
        while time.monotonic() < until:
            pick = rng.random()
            if pick < 0.4:
                reserve(c, token, vehicle)
                continue
            t = time.perf_counter()
            try:
                if pick < 0.7:
                    kind, r = (
                        "occupancy",
                        c.get(
                            "/v1/occupancy",
                            headers=auth,
                            params={"bbox": "139.76,35.68,139.765,35.685", "zoom": 18},
                        ),
                    )
                elif pick < 0.95:
                    pos = {
                        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "lng": 139.76,
                        "lat": 35.68,
                        "alt_m": 40,
                    }
                    kind, r = (
                        "position",
                        c.post(f"/v1/vehicles/{vehicle}/positions", headers=auth, json=pos),
                    )
                else:
                    dep = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
                    kind, r = (
                        "route",
                        c.post("/v1/routes", headers=auth, json={**route, "departure_time": dep}),
                    )
                record(kind, r.status_code, time.perf_counter() - t)
                if r.status_code == 503:
                    assert r.headers.get("Retry-After"), "503 without Retry-After"
                    time.sleep(0.5)
            except httpx.TransportError:
                record("transport", 0, time.perf_counter() - t)
                time.sleep(0.2)


def children(pid: int) -> list[int]:
    """Child process ids of ``pid`` (the api.serve workers)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def setup(url: str) -> tuple[list[str], list[str]]:
    """Migrate; make CLIENTS operator keys and a drone each (through the service layer)."""
    recreate_database(url)
    migrate.upgrade(url)
    engine = make_engine(url)
    tokens: list[str] = []
    with session_scope(make_sessionmaker(engine)) as s:
        from registry import operators

        for k in range(CLIENTS):
            op = operators.create_operator(session=s, actor=None, name=f"soak-{k}")
            tokens.append(
                principals.create_principal(
                    session=s, actor=None, name=f"soak-{k}", role="operator", operator_id=op.id
                )[1]
            )
    engine.dispose()
    return tokens, []


def main() -> None:
    """Run the soak and print its figures."""
    seconds = float(os.environ.get("SOAK_SECONDS", "120"))
    cluster = Cluster()
    proc = None
    try:
        cluster.start()
        url = with_database(cluster.url, "kukan")
        tokens, _ = setup(url)
        port = free_port()
        env = {
            **os.environ,
            "KUKAN_DATABASE_URL": url,
            "KUKAN_DB_POOL_SIZE": "4",
            "KUKAN_DB_CONNECT_TIMEOUT_S": "1",
            "KUKAN_RETRY_AFTER_S": "1",
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "api.serve",
                "--workers",
                "3",
                "--port",
                str(port),
                "--log-level",
                "error",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        vehicles = []
        for tok in tokens:
            r = httpx.post(
                f"{base}/v1/vehicles",
                json=vehicle_body(),
                headers={"Authorization": f"Bearer {tok}"},
                timeout=10,
            )
            vehicles.append(r.json()["id"])
        start = time.monotonic()
        until = start + seconds
        threads = [
            threading.Thread(target=client_loop, args=(base, t, v, until, k))
            for k, (t, v) in enumerate(zip(tokens, vehicles, strict=True))
        ]
        for th in threads:
            th.start()
        time.sleep(seconds * 0.3)
        victim = children(proc.pid)[0]
        os.kill(victim, signal.SIGKILL)
        print(f"t={time.monotonic() - start:.0f}s kill -9 worker {victim}", flush=True)
        time.sleep(max(0.0, start + seconds * 0.5 - time.monotonic()))
        cluster.stop()
        print(f"t={time.monotonic() - start:.0f}s PostgreSQL stopped", flush=True)
        time.sleep(5)
        cluster.start()
        print(f"t={time.monotonic() - start:.0f}s PostgreSQL started", flush=True)
        for th in threads:
            th.join()
        wall = time.monotonic() - start
        report(url, wall, base)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
        cluster.destroy()


def report(url: str, wall: float, base: str) -> None:
    """Figures, the acknowledged-reservation audit and the overlap checker."""
    total = sum(statuses.values())
    print(f"{total} requests in {wall:.0f} s: {total / wall:.1f} req/s")
    for kind, lat in sorted(stats.items()):
        q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [lat[0]] * 99
        print(
            f"  {kind:10s} n={len(lat):6d} p50={q[49] * 1e3:7.1f} ms "
            f"p95={q[94] * 1e3:7.1f} ms p99={q[98] * 1e3:7.1f} ms"
        )
    print("  statuses", dict(sorted(statuses.items())))
    eng = create_engine(url, poolclass=pool.NullPool)
    with eng.connect() as c:
        rows = c.execute(
            text("""SELECT r.idempotency_key, r.id::text, count(DISTINCT b.id)
            FROM reservations r LEFT JOIN reservation_boxes b ON b.reservation_id = r.id
            WHERE r.idempotency_key IS NOT NULL GROUP BY r.idempotency_key, r.id""")
        ).all()
    eng.dispose()
    by_key = Counter(k for k, _, _ in rows)
    stored = {k: rid for k, rid, _ in rows}
    missing = [k for k, rid in acked.items() if stored.get(k) != rid]
    dupes = [k for k, n in by_key.items() if n > 1]
    empty = [rid for _, rid, boxes in rows if boxes == 0]
    boxes, pairs = check_overlaps(url)
    healthy = 0
    for _ in range(10):  # a worker's stale pooled connections cost one 503 after the restart
        healthy = httpx.get(f"{base}/health", timeout=5).status_code
        if healthy == 200:
            break
        time.sleep(0.5)
    print(
        f"acknowledged {len(acked)}, missing {len(missing)}, duplicated {len(dupes)}, "
        f"without boxes {len(empty)}; active boxes {boxes}, overlapping pairs {pairs}; "
        f"/health after the restart {healthy}"
    )
    ok = not (missing or dupes or empty or pairs) and healthy == 200
    print("SOAK", "OK" if ok else "FAILED")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()

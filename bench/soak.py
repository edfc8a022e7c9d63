"""Soak: mixed load on a multi-process server, kill -9 of a worker, PostgreSQL restart.

Run: ``make soak`` or ``SOAK_SECONDS=120 .venv/bin/python bench/soak.py``. Everything runs on a
private throwaway PostgreSQL cluster (tests/pgtools.Cluster) and on 127.0.0.1; the shared dev
cluster is never stopped. Timeline: load for SOAK_SECONDS; from 30 % the soak waits for a
reservation POST in flight, finds the api.serve worker holding that client's connection
(/proc/net/tcp + /proc/<pid>/fd) and kills it with SIGKILL; api.serve's supervisor starts a
replacement on the same SO_REUSEPORT port. MAX_KILLS times before 45 %, only while another
worker listens. At 50 % PostgreSQL stops for 5 s and starts again (the API is not
restarted). Reservation clients retry a broken connection or a 503 with the
same request and Idempotency-Key (bounded, with backoff). At the end, by SQL: every
acknowledged reservation is stored, no key has two reservations, every reservation has its
volumes and boxes; the overlap checker runs; all WORKERS workers listen again. The soak fails
if no reservation was retried because of a kill.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import soak_support as sup  # noqa: E402
from bench.reservations_bench import check_overlaps  # noqa: E402
from tests.hardening.matrix_cases import reservation_body, vehicle_body  # noqa: E402
from tests.pgtools import Cluster, free_port, with_database  # noqa: E402

CLIENTS = 6
WORKERS = 3
MAX_KILLS = 3
KILL_WINDOW_S = 1.0  # a transport error this soon after a kill is counted as caused by it
RETRIES = 12
stats: dict[str, list[float]] = {}
statuses: Counter[tuple[str, int]] = Counter()
acked: dict[str, str] = {}  # idempotency key -> reservation id
kill_retried: dict[str, str] = {}  # key retried after a kill broke its connection -> outcome
broken: Counter[tuple[str, str, bool]] = Counter()  # (kind, error, due to a kill)
gave_up: list[str] = []
inflight: dict[int, tuple[str, int | None]] = {}  # client -> (kind, local port of its conn)
last_kill = [-1e9]
lock = threading.Lock()


def record(kind: str, status: int, seconds: float) -> None:
    """Count one answer."""
    with lock:
        stats.setdefault(kind, []).append(seconds)
        statuses[(kind, status)] += 1


def broke(kind: str, exc: Exception) -> bool:
    """Count a broken connection; True when a kill happened just before."""
    due = time.monotonic() - last_kill[0] < KILL_WINDOW_S
    with lock:
        broken[(kind, type(exc).__name__, due)] += 1
    return due


class Client:
    """One simulated operator: a keep-alive connection and the port it last used."""

    def __init__(self, n: int, base: str, token: str, vehicle: str) -> None:
        self.n, self.token, self.vehicle = n, token, vehicle
        self.http = httpx.Client(base_url=base, timeout=10)
        self.port: int | None = None

    def send(self, kind: str, method: str, url: str, **kw: Any) -> httpx.Response:
        """One request, marked in flight (with its connection's port) while it runs."""
        with lock:
            inflight[self.n] = (kind, self.port)
        t = time.perf_counter()
        try:
            r = self.http.request(method, url, **kw)
        except httpx.TransportError:
            record(kind, 0, time.perf_counter() - t)
            self.port = None
            raise
        finally:
            with lock:
                inflight.pop(self.n, None)
        record(kind, r.status_code, time.perf_counter() - t)
        self.port = sup.local_port(r)
        return r

    def reserve(self) -> None:
        """POST a reservation; on a broken connection or a 503, retry the same request with
        the same Idempotency-Key (RETRIES attempts, exponential backoff capped at 1 s)."""
        key, body = uuid.uuid4().hex, reservation_body(self.vehicle)
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
        after_kill = False
        for attempt in range(RETRIES):
            backoff = min(0.05 * 2**attempt, 1.0)
            try:
                r = self.send("reserve", "POST", "/v1/reservations", json=body, headers=headers)
            except httpx.TransportError as exc:
                after_kill = broke("reserve", exc) or after_kill
                time.sleep(backoff)
                continue
            if r.status_code == 201:
                with lock:
                    acked[key] = r.json()["id"]
                    if after_kill:  # a replay (no `preempted`) means the first try had committed
                        replay = r.json().get("preempted") is None
                        kill_retried[key] = "replayed" if replay else "created on retry"
                return
            if r.status_code != 503:
                if after_kill:
                    with lock:
                        kill_retried[key] = f"answered {r.status_code}"
                return
            assert r.headers.get("Retry-After"), "503 without Retry-After"
            time.sleep(max(backoff, min(float(r.headers["Retry-After"]), 1.0)))
        with lock:
            gave_up.append(key)

    def loop(self, until: float, seed: int) -> None:
        """Mixed traffic: reservations, occupancy, positions, routes."""
        rng = random.Random(seed)
        auth = {"Authorization": f"Bearer {self.token}"}
        route = {
            "vehicle_id": self.vehicle,
            "origin": {"lng": 139.7601, "lat": 35.6801, "alt": 30},
            "destination": {"lng": 139.7611, "lat": 35.6806, "alt": 30},
        }
        while time.monotonic() < until:
            pick = rng.random()
            if pick < 0.4:
                self.reserve()
                continue
            try:
                if pick < 0.7:
                    kind = "occupancy"
                    q = {"bbox": "139.76,35.68,139.765,35.685", "zoom": 18}
                    r = self.send(kind, "GET", "/v1/occupancy", headers=auth, params=q)
                elif pick < 0.95:
                    kind = "position"
                    pos = {
                        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "lng": 139.76,
                        "lat": 35.68,
                        "alt_m": 40,
                    }
                    url = f"/v1/vehicles/{self.vehicle}/positions"
                    r = self.send(kind, "POST", url, headers=auth, json=pos)
                else:
                    kind = "route"
                    dep = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
                    js = {**route, "departure_time": dep}
                    r = self.send(kind, "POST", "/v1/routes", headers=auth, json=js)
                if r.status_code == 503:
                    assert r.headers.get("Retry-After"), "503 without Retry-After"
                    time.sleep(0.5)
            except httpx.TransportError as exc:  # not retried: positions carry no key
                broke(kind, exc)
                time.sleep(0.2)
        self.http.close()


def kill_phase(parent: int, port: int, start: float, until: float) -> int:
    """Kill workers of api.serve ``parent`` mid-reservation (MAX_KILLS; the supervisor
    replaces each); the number of kills."""
    kills = 0
    while kills < MAX_KILLS and time.monotonic() < until:
        workers = sup.serve_workers(parent)
        if sum(sup.listening(w, port) for w in workers) < 2:
            time.sleep(0.1)  # never kill the last listening worker: wait for a replacement
            continue
        victim = sup.kill_mid_reservation(workers, port, inflight, lock, last_kill)
        if victim is None:
            continue
        kills += 1
        print(
            f"t={time.monotonic() - start:.1f}s kill -9 worker {victim} (reservation in "
            f"flight on it); api.serve replaces it",
            flush=True,
        )
        time.sleep(0.5)  # the broken clients retry
    return kills


def restored(parent: int, port: int, timeout: float) -> list[int]:
    """Wait (at most ``timeout`` s) for WORKERS workers of ``parent`` to listen; those that do."""
    deadline = time.monotonic() + timeout
    while True:
        live = [w for w in sup.serve_workers(parent) if sup.listening(w, port)]
        if len(live) >= WORKERS or time.monotonic() > deadline:
            return live
        time.sleep(0.2)


def main() -> None:
    """Run the soak and print its figures."""
    seconds = float(os.environ.get("SOAK_SECONDS", "120"))
    cluster = Cluster()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        cluster.start()
        url = with_database(cluster.url, "kukan")
        tokens = sup.setup(url, CLIENTS)
        port = free_port()
        env = {
            **os.environ,
            "KUKAN_DATABASE_URL": url,
            "KUKAN_DB_POOL_SIZE": "4",
            "KUKAN_DB_CONNECT_TIMEOUT_S": "1",
            "KUKAN_RETRY_AFTER_S": "1",
        }
        cmd = [sys.executable, "-m", "api.serve", "--workers", str(WORKERS), "--port", str(port)]
        procs.append(
            subprocess.Popen([*cmd, "--log-level", "error", "--no-access-log"], cwd=ROOT, env=env)
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        workers = sup.serve_workers(procs[0].pid)
        print(f"api.serve {procs[0].pid}, workers {workers}", flush=True)
        clients = []
        for k, tok in enumerate(tokens):
            auth = {"Authorization": f"Bearer {tok}"}
            r = httpx.post(f"{base}/v1/vehicles", json=vehicle_body(), headers=auth, timeout=10)
            clients.append(Client(k, base, tok, r.json()["id"]))
        start = time.monotonic()
        until = start + seconds
        threads = [threading.Thread(target=c.loop, args=(until, k)) for k, c in enumerate(clients)]
        for th in threads:
            th.start()
        time.sleep(seconds * 0.3)
        kills = kill_phase(procs[0].pid, port, start, start + seconds * 0.45)
        time.sleep(max(0.0, start + seconds * 0.5 - time.monotonic()))
        cluster.stop()
        print(f"t={time.monotonic() - start:.0f}s PostgreSQL stopped", flush=True)
        time.sleep(5)
        cluster.start()
        print(f"t={time.monotonic() - start:.0f}s PostgreSQL started", flush=True)
        for th in threads:
            th.join()
        wall = time.monotonic() - start
        live = restored(procs[0].pid, port, 30)
        print(f"workers listening at the end: {len(live)} of {WORKERS} {live}")
        report(url, wall, base, kills, len(live))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=20)
        cluster.destroy()


def report(url: str, wall: float, base: str, kills: int, live: int) -> None:
    """Figures, the acknowledged-reservation audit and the overlap checker."""
    sup.latencies(stats, wall)
    print("  statuses", dict(sorted(statuses.items())))
    due = {f"{k}/{e}": n for (k, e, d), n in sorted(broken.items()) if d}
    other = {f"{k}/{e}": n for (k, e, d), n in sorted(broken.items()) if not d}
    print(f"kills {kills}; requests broken by a kill {due}; other broken connections {other}")
    outcomes = Counter(kill_retried.values())
    print(
        f"reservations retried (same Idempotency-Key) because a kill broke their connection: "
        f"{len(kill_retried)} {dict(outcomes)}; gave up after {RETRIES} tries: {len(gave_up)}"
    )
    a = sup.audit(url, acked, kill_retried)
    boxes, pairs = check_overlaps(url)
    healthy = 0
    for _ in range(10):  # a worker's stale pooled connections cost one 503 after the restart
        healthy = httpx.get(f"{base}/health", timeout=5).status_code
        if healthy == 200:
            break
        time.sleep(0.5)
    print(
        f"acknowledged {len(acked)} (stored in all {a['stored']}), missing {a['missing']} "
        f"(of the kill-retried {a['retried_missing']}), keys with two reservations "
        f"{a['dupes']}, reservations without volumes or boxes {a['half']}; active boxes "
        f"{boxes}, overlapping pairs {pairs}; /health after the restart {healthy}"
    )
    bad = a["missing"] or a["dupes"] or a["half"] or pairs or gave_up or healthy != 200
    if live < WORKERS:
        print(f"api.serve did not restore its {WORKERS} workers (listening: {live})")
        bad = True
    if not kill_retried:
        print("no reservation was retried because of a kill: the kill -9 claim went untested")
    ok = not bad and bool(kill_retried)
    print("SOAK", "OK" if ok else "FAILED")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""The hard bounds of route requests, over HTTP on a server in this process: how fast a
``too_far`` request is refused, how well a long route keeps its planning budget, and how
``/health`` answers while a long drone route plans, with planning workers and without.

Usage: ``python bench/route_bounds.py DATABASE_URL`` (a migrated database, e.g. the
tests' ``kukan_<name>_test``; it adds an operator, a key and a drone). The long route is
40 km east over the open sea at 50-70 m (zoom 23), as in ``tests/routes/test_route_bounds``.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from api.app import create_app
from api.settings import Settings
from registry.db import make_engine, make_sessionmaker, session_scope
from registry.services import operators, principals
from tests.pgtools import serve
from tests.routes.helpers import offset, place, point


def key_of(url: str) -> dict[str, str]:
    """The Authorization header of a new operator's key."""
    engine = make_engine(url)
    with session_scope(make_sessionmaker(engine)) as s:
        op = operators.create_operator(session=s, actor=None, name=f"bench-{uuid.uuid4().hex[:8]}")
        _, token = principals.create_principal(
            session=s, actor=None, name="bench", role="operator", operator_id=op.id
        )
    engine.dispose()
    return {"Authorization": f"Bearer {token}"}


def route(vid: str, a: tuple[float, float], b: tuple[float, float]) -> dict[str, object]:
    """A request from ``a`` to ``b`` at 60 m, in 30 minutes."""
    t = (datetime.now(UTC) + timedelta(minutes=30)).replace(microsecond=0)
    return {
        "vehicle_id": vid,
        "origin": point(*a),
        "destination": point(*b),
        "departure_time": t.isoformat(),
    }


def ms(xs: list[float]) -> str:
    """p50 / p95 / max of seconds, in milliseconds."""
    xs = sorted(xs)
    p95 = xs[int(0.95 * (len(xs) - 1))]
    return f"p50 {statistics.median(xs) * 1e3:.1f} p95 {p95 * 1e3:.1f} max {xs[-1] * 1e3:.1f} ms"


def main() -> None:
    """Print each figure."""
    url = sys.argv[1]
    h = key_of(url)
    for workers, budget in ((2, 1.0), (2, 3.0), (2, 5.0), (0, 5.0)):
        settings = Settings(
            database_url=url,
            route_budget_s=budget,
            route_max_expansions=50_000_000,
            planning_workers=workers,
        )
        with serve(create_app(settings)) as base, httpx.Client(base_url=base, timeout=120) as c:
            v = c.post(
                "/v1/vehicles",
                headers=h,
                json={
                    "name": f"d-{uuid.uuid4().hex[:6]}",
                    "kind": "drone",
                    "max_speed_mps": 15.0,
                    "altitude_lower_m": 50.0,
                    "altitude_upper_m": 70.0,
                },
            )
            vid = v.json()["id"]
            far = []
            for _ in range(5):
                t0 = time.perf_counter()
                r = c.post("/v1/routes", headers=h, json=route(vid, (140.0, 35.0), (179.0, 0.0)))
                far.append(time.perf_counter() - t0)
                assert r.json()["reason"] == "too_far", r.text[:300]
            print(f"workers {workers}, budget {budget:g} s: about 5,000 km: too_far {ms(far)}")
            took, status, reason, health = long_plan(base, h, vid)
            print(
                f"  40 km route: {took:.2f} s, {status} {reason} "
                f"({took / budget:.2f} x budget); /health while it planned "
                f"({len(health)} calls): {ms(health)}"
            )


def long_plan(base: str, h: dict[str, str], vid: str) -> tuple[float, int, str, list[float]]:
    """Plan the 40 km route in a thread and call ``/health`` every 50 ms meanwhile: the
    route's time, status and reason, and the ``/health`` latencies."""
    out: list[tuple[float, int, str]] = []

    def plan() -> None:
        a = place()
        t0 = time.perf_counter()
        with httpx.Client(base_url=base, timeout=120) as p:
            r = p.post("/v1/routes", headers=h, json=route(vid, a, offset(*a, 40_000, 0)))
        reason = "ok" if r.status_code < 300 else r.json().get("reason", r.status_code)
        out.append((time.perf_counter() - t0, r.status_code, str(reason)))

    thread = threading.Thread(target=plan)
    thread.start()
    time.sleep(0.3)
    health = []
    with httpx.Client(base_url=base, timeout=120) as c:
        while thread.is_alive():
            t0 = time.perf_counter()
            c.get("/health")
            health.append(time.perf_counter() - t0)
            time.sleep(0.05)
    thread.join()
    return (*out[0], health)


if __name__ == "__main__":
    main()

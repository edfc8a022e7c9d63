"""Latency of ``POST /v1/routes`` for a 1 km drone route in the demo city, over HTTP.

Usage: ``python bench/routes_api_latency.py BASE_URL DEMO_KEYS_JSON [N]`` against a server
whose database has ``kukan demo load``; odd requests also reserve (201), even ones only plan.
Also prints the planner's own ``planning_ms`` (from the route's meta) per request.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx


def main() -> None:
    """Run N requests and print per-request and summary times."""
    base, keys = sys.argv[1], json.load(open(sys.argv[2]))  # noqa: SIM115
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    h = {"Authorization": f"Bearer {keys['tokens']['operator']}"}
    plan: list[float] = []
    reserve: list[float] = []
    planning: list[float] = []
    with httpx.Client(base_url=base, timeout=60) as c:
        drone = next(
            v for v in c.get("/v1/vehicles", headers=h).json()["items"] if v["kind"] == "drone"
        )
        for i in range(n):
            dep = (datetime.now(UTC) + timedelta(hours=2, minutes=7 * i)).isoformat()
            body = {
                "vehicle_id": drone["id"],
                "origin": {"lng": 24.9410, "lat": 60.1690, "alt": 60},
                "destination": {"lng": 24.9590, "lat": 60.1690, "alt": 60},
                "departure_time": dep,
                "reserve": i % 2 == 1,
            }
            t0 = time.perf_counter()
            r = c.post("/v1/routes", headers=h, json=body)
            ms = (time.perf_counter() - t0) * 1000
            assert r.status_code in (200, 201), r.text
            (reserve if i % 2 else plan).append(ms)
            route = r.json()["route"]
            planning.append(route["meta"].get("planning_ms", 0.0))
    print(f"plan only: {[round(t) for t in plan]} ms, p50 {statistics.median(plan):.0f} ms")
    p50 = statistics.median(reserve)
    print(f"plan+reserve: {[round(t) for t in reserve]} ms, p50 {p50:.0f} ms")
    print(
        f"server planning_ms: {[round(t) for t in planning]}, "
        f"p50 {statistics.median(planning):.0f} ms (first request builds the grid)"
    )
    print(f"route: {route['length_m']:.0f} m, {len(route['spatial_ids'])} IDs, {route['meta']}")


if __name__ == "__main__":
    main()

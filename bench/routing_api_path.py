"""The demo city's drone queries planned as the API plans them: no ``region``, a grid cache.

Run: ``.venv/bin/python bench/routing_api_path.py [--queries 30] [--seed 6]``. Imports the
demo city as ``bench/routing_bench.py`` does (same queries, same 1,000 reservations in
memory), then plans every query with the default ``DronePlanner`` (hierarchical beyond
``DENSE_MAX_SPAN_M``) and with ``hierarchical=False`` (one dense grid over the padded box,
the previous planner), alternating which goes first, in one process; prints both p50/p95,
the ratio, the planner each query took, invalid routes, and the flown duration of the
hierarchical routes against the dense ones.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.routing_bench import SharedGrid, Z, demo_city, demo_database, pct
from routing.drone import DronePlanner
from routing.validate import validate_route
from routing.vehicle import VehicleLimits


def main() -> None:
    """Run the comparison and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--seed", type=int, default=6)
    args = ap.parse_args()
    c = demo_city(demo_database(), args.seed, args.queries)
    limits = VehicleLimits()
    planners = {
        "hierarchical": DronePlanner(c.full, limits, zoom=Z, grid_cache=SharedGrid()),
        "dense": DronePlanner(c.full, limits, zoom=Z, grid_cache=SharedGrid(), hierarchical=False),
    }
    ms: dict[str, list[float]] = {n: [] for n in planners}
    flown: dict[str, list[float]] = {n: [] for n in planners}
    took: dict[str, dict[str, int]] = {n: {} for n in planners}
    invalid = dict.fromkeys(planners, 0)
    for i, (o, t, dep) in enumerate(c.queries):
        order = list(planners.items())
        for name, planner in order if i % 2 == 0 else order[::-1]:
            started = time.perf_counter()
            r = planner.plan(o, t, dep)
            ms[name].append((time.perf_counter() - started) * 1000)
            flown[name].append(r.duration_s)
            invalid[name] += bool(validate_route(r, c.full, limits))
            kind = str(r.meta.get("planner"))
            took[name][kind] = took[name].get(kind, 0) + 1
    for name, times in ms.items():
        print(
            f"{name:12s}: p50 {pct(times, 0.5):7.1f} ms  p95 {pct(times, 0.95):7.1f} ms  max "
            f"{max(times):7.1f} ms  invalid {invalid[name]}/{len(times)}  planners {took[name]}"
        )
    h, d = ms["hierarchical"], ms["dense"]
    diff = [(a - b) / b * 100 for a, b in zip(flown["hierarchical"], flown["dense"], strict=True)]
    print(
        f"dense / hierarchical (same queries, same process): p50 {pct(d, 0.5) / pct(h, 0.5):.1f}x"
        f", p95 {pct(d, 0.95) / pct(h, 0.95):.1f}x; flown duration {min(diff):+.2f} % .. "
        f"{max(diff):+.2f} % (median {statistics.median(diff):+.2f} %)"
    )


if __name__ == "__main__":
    main()

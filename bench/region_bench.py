"""Benchmark of drone routing at region scale, in open country (one process).

Run: ``.venv/bin/python bench/region_bench.py [--queries 5] [--seed 14] [--cap 30]``.

Cases: straight routes of 5, 10, 20 and 50 km; routes around a no-fly zone (a disc of
restricted voxels over the whole band, 2, 5 and 10 km across, centred on the straight
line's midpoint; the route is twice the zone's width plus 4 km). Every query (random
bearing) has 1,000 reservations along the way: straight one-voxel corridors of 500-2,000 m
at 30-120 m, starting within 1 km of the straight line, busy from about when a drone
flying the line at full speed passes (+-300 s) for ``length / 10 + 60`` s, in a
``MemoryOccupancy``. Per case: the default planner (``DronePlanner``, the hierarchical
path), every route validated; the previous dense planner (``hierarchical=False``) on the
first two queries with a time budget of ``--cap`` seconds ("did not finish" when it runs
out, or when its grid would hold more than 350 M voxels); networkx A* on the static graph
(no reservations) of the first query, (a) with lazily built adjacency (the same 26 moves,
corner rule, move times and octile heuristic, as ``bench/routing_bench.py``'s
``LazyVoxelGraph``; stopped after ``--nx-cap`` s), (b) on a prebuilt graph of the corridor
our route flies (voxels within 2 tiles and 1 layer of its visits; build timed apart).
Then the peak memory (tracemalloc) of one 50 km plan.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.routing_bench import pct
from routing.drone import DronePlanner
from routing.errors import SearchBudgetExceeded
from routing.grid import tile_metres
from routing.motion import segment_time
from routing.occupancy import BusyArrays, MemoryOccupancy
from routing.synthetic import disc_zone
from routing.validate import validate_route
from routing.vehicle import VehicleLimits
from spatialid import Voxel, lnglat_to_voxel, voxel_height
from spatialid.lines import traverse
from spatialid.projection import alt_to_tile_f, tile_x_to_lng, tile_y_to_lat

Z = 23
T0 = 1_800_000_000.0
OPEN = (139.2, 36.1)
LIMITS = VehicleLimits()
CASES = [("straight", km, 0.0) for km in (5, 10, 20, 50)] + [
    ("zone", 2 * d + 4, d) for d in (2, 5, 10)
]


class Query:
    """One origin/destination pair with its zone and reservations."""

    def __init__(self, rng: np.random.Generator, km: float, zone_km: float) -> None:
        o = lnglat_to_voxel(OPEN[0], OPEN[1], 50.0, Z)
        self.tile_m = tile_metres(Z, o.y)
        n = km * 1000.0 / self.tile_m
        th = rng.uniform(0, 2 * math.pi)
        ux, uy = math.cos(th), math.sin(th)
        ax, ay = o.x + 0.5, o.y + 0.5
        bx, by = ax + n * ux, ay + n * uy
        self.origin = (OPEN[0], OPEN[1], 50.0)
        self.dest = (float(tile_x_to_lng(bx, Z)), float(tile_y_to_lat(by, Z)), 62.0)
        self.static, self.full = MemoryOccupancy(), MemoryOccupancy()
        if zone_km:
            r = zone_km * 500.0 / self.tile_m
            zone = disc_zone(Z, (ax + bx) / 2, (ay + by) / 2, r, 0, 64)
            self.static.add_static(zone, restriction=True)
            self.full.add_static(zone, restriction=True)
        for _ in range(1000):
            s = rng.uniform(0, n)
            off = rng.uniform(-1000, 1000) / self.tile_m
            px, py = ax + s * ux - off * uy, ay + s * uy + off * ux
            ang, ln = rng.uniform(0, 2 * math.pi), rng.uniform(500, 2000) / self.tile_m
            f = float(alt_to_tile_f(np.array([rng.uniform(30, 120)]), Z)[0])
            pts = np.array([[px, py, f], [px + ln * math.cos(ang), py + ln * math.sin(ang), f]])
            cells = traverse(pts)
            st = T0 + s * self.tile_m / LIMITS.max_speed_mps + rng.uniform(-300, 300)
            k = len(cells)
            self.full.add_busy_arrays(
                Z,
                BusyArrays(
                    cells[:, 2],
                    cells[:, 0],
                    cells[:, 1],
                    np.full(k, st),
                    np.full(k, st + ln * self.tile_m / 10 + 60),
                ),
            )
        self.full.blocked_static(Z)  # the union of the static sets, once (not timed)
        self.static.blocked_static(Z)


class StaticGraph:
    """The fine static voxel graph as networkx sees it (26 moves, corner rule)."""

    def __init__(self, q: Query, planner: DronePlanner) -> None:
        self.q, self.f_lo, self.f_hi = q, planner.f_lo, planner.f_hi
        self.static = q.static.blocked_static(Z)
        self.tiles: dict[tuple[int, int], bool] = {}
        h = voxel_height(Z)
        self.moves = [
            (df, dx, dy, segment_time(dx, dy, df, q.tile_m, h, LIMITS))
            for df in (-1, 0, 1)
            for dx in (-1, 0, 1)
            for dy in (-1, 0, 1)
            if df or dx or dy
        ]

    def blocked(self, f: int, x: int, y: int) -> bool:
        """Outside the band, or in the zone (which covers every layer of the band, so one
        membership test per tile, cached)."""
        if not self.f_lo <= f <= self.f_hi:
            return True
        if not self.static:
            return False
        hit = self.tiles.get((x, y))
        if hit is None:
            hit = self.tiles[(x, y)] = Voxel(Z, self.f_lo, x, y) in self.static
        return hit

    def neighbours(self, u: tuple[int, int, int]) -> dict[tuple[int, int, int], dict[str, float]]:
        f, x, y = u
        out = {}
        for df, dx, dy, dt in self.moves:
            box = [(f + a, x + b, y + c) for a in {0, df} for b in {0, dx} for c in {0, dy}]
            if not any(self.blocked(*v) for v in box if v != u):
                out[(f + df, x + dx, y + dy)] = {"weight": dt}
        return out


class _Lazy(dict):  # type: ignore[type-arg]
    def __init__(self, g: StaticGraph) -> None:
        super().__init__()
        self.g = g

    def __missing__(self, u: tuple[int, int, int]) -> dict[tuple[int, int, int], Any]:
        self[u] = v = self.g.neighbours(u)
        return v


class LazyGraph(nx.Graph):  # type: ignore[type-arg]
    """A networkx graph whose adjacency is computed when A* first asks for it."""

    def __init__(self, sg: StaticGraph) -> None:
        super().__init__()
        self.sg = sg
        self._adj = _Lazy(sg)

    def __contains__(self, n: object) -> bool:
        return isinstance(n, tuple) and not self.sg.blocked(*n)


class TimeUp(Exception):
    """networkx ran past the cap."""


def octile_h(q: Query, goal: tuple[int, int, int], deadline: float) -> Any:
    h = voxel_height(Z)

    def hf(u: tuple[int, int, int], _v: object) -> float:
        if time.perf_counter() > deadline:
            raise TimeUp
        f, x, y = u
        dx, dy, df = abs(goal[1] - x), abs(goal[2] - y), goal[0] - f
        a, b = max(dx, dy), min(dx, dy)
        hz = (b * math.sqrt(2) + (a - b)) * q.tile_m / LIMITS.max_speed_mps
        rate = LIMITS.climb_rate_mps if df > 0 else LIMITS.descent_rate_mps
        return max(hz, abs(df) * h / rate)

    return hf


def ends(q: Query) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    a = lnglat_to_voxel(*q.origin, Z)
    b = lnglat_to_voxel(*q.dest, Z)
    return (a.f, a.x, a.y), (b.f, b.x, b.y)


def networkx_lazy(q: Query, planner: DronePlanner, cap: float) -> float | None:
    """Seconds of networkx A* with lazy adjacency, None when stopped at the cap."""
    g = LazyGraph(StaticGraph(q, planner))
    a, b = ends(q)
    s0 = time.perf_counter()
    try:
        nx.astar_path(g, a, b, heuristic=octile_h(q, b, s0 + cap), weight="weight")
    except TimeUp:
        return None
    return time.perf_counter() - s0


def networkx_corridor(q: Query, planner: DronePlanner, route: Any) -> tuple[float, float, int]:
    """Build seconds, A* seconds and node count on the prebuilt corridor of ``route``."""
    sg = StaticGraph(q, planner)
    s0 = time.perf_counter()
    nodes = set()
    for v in route.visits:
        f, x, y = v.voxel.f, v.voxel.x, v.voxel.y
        for df in (-1, 0, 1):
            for dx in range(-2, 3):
                for dy in range(-2, 3):
                    u = (f + df, x + dx, y + dy)
                    if not sg.blocked(*u):
                        nodes.add(u)
    g = nx.Graph()
    for u in nodes:
        for v, d in sg.neighbours(u).items():
            if v in nodes:
                g.add_edge(u, v, **d)
    build = time.perf_counter() - s0
    a, b = ends(q)
    s1 = time.perf_counter()
    nx.astar_path(g, a, b, heuristic=octile_h(q, b, math.inf), weight="weight")
    return build, time.perf_counter() - s1, len(nodes)


def dense(q: Query, cap: float) -> float | str:
    p = DronePlanner(q.full, LIMITS, hierarchical=False, time_budget_s=cap)
    a, b = lnglat_to_voxel(*q.origin, Z), lnglat_to_voxel(*q.dest, Z)
    if p._dense_voxels(a, b) > 350_000_000:
        return f"did not finish (a grid of {p._dense_voxels(a, b) / 1e6:.0f} M voxels)"
    s0 = time.perf_counter()
    try:
        p.plan(q.origin, q.dest, T0)
    except SearchBudgetExceeded:
        return f"did not finish ({time.perf_counter() - s0:.1f} s)"
    return time.perf_counter() - s0


def run_case(kind: str, km: float, zone: float, args: argparse.Namespace) -> None:
    rng = np.random.default_rng(args.seed + int(km * 10 + zone))
    queries = [Query(rng, km, zone) for _ in range(args.queries)]
    ms, invalid, windows = [], 0, []
    routes = []
    for q in queries:
        p = DronePlanner(q.full, LIMITS)
        s0 = time.perf_counter()
        r = p.plan(q.origin, q.dest, T0)
        ms.append((time.perf_counter() - s0) * 1000)
        invalid += bool(validate_route(r, q.full, LIMITS))
        windows.append(r.meta.get("windows", 0))
        routes.append(r)
    name = f"{kind} {km:g} km" + (f" (zone {zone:g} km)" if zone else "")
    print(
        f"{name:28s} ours p50 {pct(ms, 0.5):7.1f} ms  p95 {pct(ms, 0.95):7.1f} ms  max "
        f"{max(ms):7.1f} ms  invalid {invalid}/{len(ms)}  windows p50 "
        f"{statistics.median(windows):.0f}  planner {routes[0].meta['planner']}",
        flush=True,
    )
    for i, q in enumerate(queries[:2]):
        d = dense(q, args.cap)
        print(
            f"    dense (previous) q{i}: "
            + (
                f"{d * 1000:8.1f} ms  ratio {d * 1000 / ms[i]:6.1f}x" if isinstance(d, float) else d
            ),
            flush=True,
        )
    q = queries[0]
    sp = DronePlanner(q.static, LIMITS)
    s0 = time.perf_counter()
    rs = sp.plan(q.origin, q.dest, T0)
    ours = time.perf_counter() - s0
    lazy = networkx_lazy(q, sp, args.nx_cap)
    build, astar, n = networkx_corridor(q, sp, rs)
    print(
        f"    static only q0: ours {ours * 1000:7.1f} ms; networkx lazy "
        + (
            f"{lazy * 1000:8.1f} ms ({lazy / ours:6.1f}x)"
            if lazy
            else f"did not finish ({args.nx_cap:g} s)"
        )
        + f"; networkx on a prebuilt corridor of {n} voxels: build {build * 1000:7.1f} ms, "
        f"A* {astar * 1000:7.1f} ms ({astar / ours:5.1f}x ours)",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=5)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--cap", type=float, default=30.0)
    ap.add_argument("--nx-cap", type=float, default=10.0)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    for kind, km, zone in CASES:
        if not args.only or args.only in f"{kind}{km:g}":
            run_case(kind, km, zone, args)
    q = Query(np.random.default_rng(args.seed), 50, 0)
    p = DronePlanner(q.full, LIMITS)
    tracemalloc.start()
    p.plan(q.origin, q.dest, T0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"peak memory of one 50 km plan (1,000 reservations): {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()

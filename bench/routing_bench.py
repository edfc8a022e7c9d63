"""Benchmark of the routing core (issue 6): drone routes at z23 and a robot fleet.

Run: ``.venv/bin/python bench/routing_bench.py [--queries 30] [--seed 6]``.

The city is SYNTHETIC for now (``synthetic_city``: random box buildings 10-120 m tall over
6 km x 6 km around Tokyo station, 1,000 existing reservations as random straight
corridors); switch ``city()`` to the demo city when the importer lands. Each drone query
is planned by ``DronePlanner`` against buildings + reservations (the headline figures) and
validated with ``validate_route``; then the same queries are planned against buildings
only by ``DronePlanner`` and by ``networkx.astar_path`` on the same voxel graph. That graph
is built lazily (``LazyVoxelGraph``: a ``networkx.Graph`` whose adjacency of a voxel is
computed when A* first asks for it: the same 26 moves, the same blocked voxels, the same
move times and the same heuristic), because the explicit z23 graph of the city (about 90
million voxels, 26 edges each) does not fit in memory.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from routing.drone import DronePlanner
from routing.fleet import FleetRequest, plan_fleet
from routing.grid import Grid
from routing.ground import GroundNetwork
from routing.motion import heuristic, moves
from routing.occupancy import BusyArrays, MemoryOccupancy, TileBox
from routing.synthetic import grid_network
from routing.vehicle import VehicleLimits
from spatialid import VoxelSet
from spatialid.lines import traverse
from spatialid.projection import alt_to_tile_f, lat_to_tile_y, lng_to_tile_x

TOKYO = (139.767125, 35.681236)
Z = 23
T0 = 1_800_000_000.0
M_PER_DEG_LAT = 111_320.0


@dataclass
class City:
    """Static obstacles, reservations, the planning region and some drone queries."""

    static: MemoryOccupancy
    full: MemoryOccupancy
    region: TileBox
    queries: list[tuple[tuple[float, float, float], tuple[float, float, float], float]]


def _offset(lng: float, lat: float, east_m: Any, north_m: Any) -> tuple[Any, Any]:
    return (lng + east_m / (M_PER_DEG_LAT * math.cos(math.radians(lat))),
            lat + north_m / M_PER_DEG_LAT)


def synthetic_city(seed: int, n_queries: int, buildings: int = 1500,
                   reservations: int = 1000, half_m: float = 3000.0) -> City:
    """Random boxes (footprint 15-60 m, height 10-120 m) and random reserved corridors."""
    rng = np.random.default_rng(seed)
    lng0, lat0 = TOKYO
    cx, cy = rng.uniform(-half_m, half_m, (2, buildings))
    w, d = rng.uniform(15, 60, (2, buildings))
    top = rng.uniform(10, 120, buildings)
    west, south = _offset(lng0, lat0, cx - w / 2, cy - d / 2)
    east, north = _offset(lng0, lat0, cx + w / 2, cy + d / 2)
    x0 = np.floor(lng_to_tile_x(west, Z)).astype(np.int64)
    x1 = np.ceil(lng_to_tile_x(east, Z)).astype(np.int64)
    y0 = np.floor(lat_to_tile_y(north, Z)).astype(np.int64)
    y1 = np.ceil(lat_to_tile_y(south, Z)).astype(np.int64)
    f1 = np.ceil(alt_to_tile_f(top, Z)).astype(np.int64)
    rows_f, rows_y, rows_a, rows_b = [], [], [], []
    for i in range(buildings):  # runs of one box: every (f, y) row, vectorised per box
        ff, yy = np.meshgrid(np.arange(0, f1[i]), np.arange(y0[i], y1[i]), indexing="ij")
        rows_f.append(ff.ravel())
        rows_y.append(yy.ravel())
        rows_a.append(np.full(ff.size, x0[i]))
        rows_b.append(np.full(ff.size, x1[i]))
    obstacles = VoxelSet.from_runs(Z, np.concatenate(rows_f), np.concatenate(rows_y),
                                   np.concatenate(rows_a), np.concatenate(rows_b))
    static, full = MemoryOccupancy(), MemoryOccupancy()
    static.add_static(obstacles)
    full.add_static(obstacles)
    parts = []
    for _ in range(reservations):
        a = rng.uniform(-half_m, half_m, 2)
        ang, length = rng.uniform(0, 2 * math.pi), rng.uniform(500, 2000)
        b = a + length * np.array([math.cos(ang), math.sin(ang)])
        alt = rng.uniform(30, 120)
        lng, lat = _offset(lng0, lat0, np.array([a[0], b[0]]), np.array([a[1], b[1]]))
        pts = np.stack([lng_to_tile_x(lng, Z), lat_to_tile_y(lat, Z),
                        alt_to_tile_f(np.array([alt, alt]), Z)], axis=1)
        cells = traverse(pts)
        start = T0 + rng.uniform(-600, 1800)
        n = len(cells)
        parts.append(BusyArrays(cells[:, 2], cells[:, 0], cells[:, 1], np.full(n, start),
                                np.full(n, start + length / 10.0 + 60.0)))
    for p in parts:
        full.add_busy_arrays(Z, p)
    lo_lng, hi_lat = _offset(lng0, lat0, -half_m, half_m)
    hi_lng, lo_lat = _offset(lng0, lat0, half_m, -half_m)
    region = TileBox(int(lng_to_tile_x(lo_lng, Z)), int(lat_to_tile_y(hi_lat, Z)),
                     int(lng_to_tile_x(hi_lng, Z)) + 1, int(lat_to_tile_y(lo_lat, Z)) + 1)
    queries = []
    while len(queries) < n_queries:
        a = rng.uniform(-half_m * 0.95, half_m * 0.95, 2)
        ang, length = rng.uniform(0, 2 * math.pi), rng.uniform(1000, 5000)
        b = a + length * np.array([math.cos(ang), math.sin(ang)])
        if np.any(np.abs(b) > half_m * 0.95):
            continue
        alt = float(rng.uniform(40, 80))
        o = (*_offset(lng0, lat0, a[0], a[1]), alt)
        t = (*_offset(lng0, lat0, b[0], b[1]), alt)
        if any(_blocked(obstacles, p) for p in (o, t)):
            continue
        queries.append((o, t, T0 + float(rng.uniform(0, 900))))
    return City(static, full, region, queries)


def _blocked(obstacles: VoxelSet, p: tuple[float, float, float]) -> bool:
    from spatialid import lnglat_to_voxel

    return lnglat_to_voxel(p[0], p[1], p[2], Z) in obstacles


def city(seed: int, n_queries: int) -> City:
    """The city the benchmark runs on (synthetic until the demo city importer lands)."""
    return synthetic_city(seed, n_queries)


class LazyAdj:
    """Adjacency of a voxel graph computed on demand (``G._adj[u]`` for ``astar_path``)."""

    def __init__(self, grid: Grid, limits: VehicleLimits) -> None:
        self.grid = grid
        table = dict(moves(grid, limits))
        self.moves = [(df, dx, dy, table[off]) for off, df, dx, dy in grid.offsets()]

    def __getitem__(self, u: tuple[int, int, int]) -> dict[tuple[int, int, int], dict]:
        f, x, y = u
        g = self.grid
        return {(f + df, x + dx, y + dy): {"weight": dt} for df, dx, dy, dt in self.moves
                if not g.is_blocked(f + df, x + dx, y + dy)}


class LazyVoxelGraph(nx.Graph):
    """The static voxel graph of a grid, as a networkx graph with lazy adjacency."""

    def __init__(self, grid: Grid, limits: VehicleLimits) -> None:
        super().__init__()
        self.grid = grid
        self._adj = LazyAdj(grid, limits)  # type: ignore[assignment]

    def __contains__(self, n: object) -> bool:
        return isinstance(n, tuple) and not self.grid.is_blocked(*n)


def networkx_route(planner: DronePlanner, o: Any, t: Any) -> tuple[float, float, int]:
    """Seconds, path cost and length of ``networkx.astar_path`` on the lazy graph."""
    from spatialid import lnglat_to_voxel

    grid = planner.grid_for(planner.region)  # type: ignore[arg-type]
    a, b = lnglat_to_voxel(*o, Z), lnglat_to_voxel(*t, Z)
    goal = grid.key(b.f, b.x, b.y)
    h = heuristic(grid, planner.limits, goal)
    graph = LazyVoxelGraph(grid, planner.limits)
    started = time.perf_counter()
    path = nx.astar_path(graph, (a.f, a.x, a.y), (b.f, b.x, b.y),
                         heuristic=lambda u, _v: h(grid.key(*u)), weight="weight")
    elapsed = time.perf_counter() - started
    cost = sum(graph._adj[path[i]][path[i + 1]]["weight"] for i in range(len(path) - 1))
    return elapsed, cost, len(path)


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def drone_section(c: City, limits: VehicleLimits, baseline: bool) -> dict[str, Any]:
    """Plan every query (full occupancy, then static only, then networkx); print figures."""
    from routing.validate import validate_route

    full = DronePlanner(c.full, limits, zoom=Z, region=c.region)
    started = time.perf_counter()
    full.grid_for(c.region)
    print(f"static grid build (once per static version): "
          f"{time.perf_counter() - started:.2f} s")
    times, exps, invalid, relaxed = [], [], 0, 0
    for o, t, dep in c.queries:
        s0 = time.perf_counter()
        r = full.plan(o, t, dep)
        times.append((time.perf_counter() - s0) * 1000)
        exps.append(r.expansions)
        relaxed += r.meta["weight"] > full.weight
        invalid += bool(validate_route(r, c.full, limits))
    print(f"drone full  : p50 {pct(times, .5):7.1f} ms  p95 {pct(times, .95):7.1f} ms  "
          f"max {max(times):7.1f} ms  expansions p50 {pct(exps, .5):.0f} "
          f"p95 {pct(exps, .95):.0f}  fallback to w={full.fallback_weight} {relaxed}/"
          f"{len(times)}  invalid routes {invalid}/{len(times)}")
    out: dict[str, Any] = {"p50": pct(times, .5), "p95": pct(times, .95)}
    if not baseline:
        return out
    static = DronePlanner(c.static, limits, zoom=Z, region=c.region)
    static.grid_for(c.region)
    ours, nxs, diffs = [], [], []
    for o, t, dep in c.queries:
        s0 = time.perf_counter()
        r = static.plan(o, t, dep)
        ours.append((time.perf_counter() - s0) * 1000)
        sec, cost, _ = networkx_route(static, o, t)
        nxs.append(sec * 1000)
        diffs.append((r.grid_duration_s - cost) / cost * 100)
        print(f"  w={r.meta['weight']:<4} ours {ours[-1]:8.1f} ms  networkx {nxs[-1]:9.1f} ms  "
              f"ratio {nxs[-1] / ours[-1]:6.1f}x  grid cost {r.grid_duration_s:8.2f} s vs "
              f"{cost:8.2f} s ({diffs[-1]:+.3f} %)  smoothed {r.duration_s:8.2f} s", flush=True)
    ratio = statistics.median(n / o for n, o in zip(nxs, ours, strict=True))
    print(f"static only : ours p50 {pct(ours, .5):.1f} ms  networkx p50 {pct(nxs, .5):.1f} ms"
          f"  median ratio {ratio:.1f}x  total ratio {sum(nxs) / sum(ours):.1f}x  "
          f"max |cost diff| {max(abs(d) for d in diffs):.3f} %")
    return out


def road_network() -> nx.DiGraph:
    """The fleet's network (synthetic 30 x 30 street grid, 50 m blocks, until the demo)."""
    return grid_network(TOKYO[0], TOKYO[1], 30, 50.0, speed_mps=2.0, oneway_rows=True)


def conflicts(routes: dict[str, Any]) -> int:
    """Independent checker: pairs of robots holding one voxel at overlapping times
    (published windows, plus parking at the origin before departure and at the goal)."""
    held: dict[Any, list[tuple[float, float, str]]] = {}
    for rid, r in routes.items():
        for v, t0, t1 in r.windows():
            held.setdefault(v, []).append((t0, t1, rid))
        held.setdefault(r.visits[0].voxel, []).append((-math.inf, r.departure, rid))
        held.setdefault(r.visits[-1].voxel, []).append((r.arrival, math.inf, rid))
    bad = 0
    for items in held.values():  # every pair of windows in one voxel
        for i, (a0, a1, ra) in enumerate(items):
            for b0, b1, rb in items[i + 1:]:
                bad += ra != rb and a0 < b1 and b0 < a1
    return bad


def fleet_section(n: int, seed: int) -> float:
    """Plan ``n`` robots at once on the road network; check all pairs."""
    rng = np.random.default_rng(seed)
    g = road_network()
    started = time.perf_counter()
    net = GroundNetwork(g, kind="robot")
    prep = time.perf_counter() - started
    nodes = list(g.nodes)
    o = rng.choice(len(nodes), n, replace=False)
    d = rng.choice(len(nodes), n, replace=False)
    reqs = [FleetRequest(f"r{i}", (g.nodes[nodes[a]]["lng"], g.nodes[nodes[a]]["lat"]),
                         (g.nodes[nodes[b]]["lng"], g.nodes[nodes[b]]["lat"]),
                         T0 + float(rng.uniform(0, 120)), int(rng.choice([0, 0, 0, 50])))
            for i, (a, b) in enumerate(zip(o, d, strict=True))]
    occ = MemoryOccupancy()
    limits = VehicleLimits(max_speed_mps=2.0, altitude_lower_m=0.0, altitude_upper_m=4.0,
                           safety_buffer_s=1.0)
    started, cpu = time.perf_counter(), time.process_time()
    res = plan_fleet(net, reqs, limits, occupancy=occ)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    bad = conflicts(res.routes)
    check = time.perf_counter() - started
    reasons: dict[str, int] = {}
    for why in res.unserved.values():
        reasons[why] = reasons.get(why, 0) + 1
    print(f"fleet: {n} robots on {g.number_of_nodes()} nodes / {g.number_of_edges()} edges: "
          f"planned in {took:.2f} s wall, {cpu:.2f} s CPU (network prep {prep:.2f} s once); "
          f"served "
          f"{len(res.routes)}, unserved {reasons or 0}, repaired {len(res.repaired)}; "
          f"pairwise conflicts {bad} (checked in {check:.2f} s)")
    return took


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--robots", type=int, default=200)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--only", choices=["drone", "fleet"], default=None)
    args = ap.parse_args()
    if args.only != "fleet":
        started = time.perf_counter()
        c = city(args.seed, args.queries)
        print(f"city: {len(c.static.blocked_static(Z))} blocked voxels, built in "
              f"{time.perf_counter() - started:.1f} s; {len(c.queries)} queries 1-5 km at z{Z}")
        drone_section(c, VehicleLimits(), not args.no_baseline)
    if args.only != "drone":
        fleet_section(args.robots, args.seed)


if __name__ == "__main__":
    main()

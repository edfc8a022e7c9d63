"""Benchmark of the routing core: drone routes at z23 and a robot fleet.

Run: ``.venv/bin/python bench/routing_bench.py [--city demo|synthetic] [--queries 30]
[--seed 6] [--occupancy memory|postgis]``.

``--city demo`` (the default) imports ``data/helsinki.osm.pbf`` (central Helsinki, ©
OpenStreetMap contributors, ODbL) into a scratch database ``kukan_bench_routing`` on the
private cluster (or the server of KUKAN_DATABASE_URL), dropped and re-created each run;
the buildings become obstacles. The planners run against a ``MemoryOccupancy`` loaded
from the database: the obstacles' blocker boxes as read by
``PostgisOccupancy.blocked_static`` over the planning region, so exactly the voxels the
API blocks. The 1,000 existing reservations are random straight corridors (500-2,000 m,
30-120 m high, within 1.5 km of the extract's centre) added to the occupancy IN MEMORY
(not through the reservation service); ``--occupancy postgis`` stores them as real
reservations instead and plans the drone queries against ``PostgisOccupancy`` as the API
does, next to the in-memory planner on the same rows (``bench/routing_postgis.py``; no
networkx baseline in that mode). The planning region is 6 km x 6 km around the
extract's centre; the extract itself is only ~1 km x 1.7 km, so each query starts inside
the extract and runs 1-5 km in a random direction: routes of 1-2 km mostly stay inside
it, longer ones end outside it, over ground with no buildings known. The fleet runs on
the demo's walk network (``registry.services.roads.load_graph`` -> ``routing.GroundNetwork``).

Fleet requests (both cities): origin and destination are distinct random nodes of the
largest strongly connected component of the robot-usable network (a fleet operator does
not send a robot between disconnected pieces; the demo extract's walk network has
several), departures within 120 s, 1 in 4 at priority 50. Requests that still cannot be
served (e.g. ``origin_blocked``: another robot parked in the same voxel) are reported with
their reasons.

``--city synthetic``: random box buildings 10-120 m tall over 6 km x 6 km around Tokyo
station, 1,000 reservations as random straight corridors, a 30 x 30 street grid. Each drone query
is planned by ``DronePlanner`` against buildings + reservations (the headline figures:
the default planner, fine grid with a small budget then multi-resolution) and validated
with ``validate_route``; in the same loop, alternating which goes first, the same query
is planned by the fine-grid search alone (``coarse_levels=0``, the previous default) as
an in-process baseline; then the same queries are planned against buildings only by
``DronePlanner`` and by ``networkx.astar_path`` on the fine voxel graph. That graph is
built lazily (``LazyVoxelGraph``: a ``networkx.Graph`` whose adjacency of a voxel is
computed when A* first asks for it: the same 26 moves (a diagonal one only when no cell of
its 2 x 2 (x 2) box is blocked), the same blocked voxels, the same move times and the same
heuristic), because the explicit z23 graph of the city (about 90
million voxels, 26 edges each) does not fit in memory.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for bench.* modules

from bench.routing_cities import (
    T0,
    TOKYO,
    City,
    Z,
    demo_city,
    demo_database,
    demo_road_network,
    synthetic_city,
)
from bench.routing_postgis import postgis_section
from routing.drone import DronePlanner
from routing.fleet import GroundRequest, plan_fleet
from routing.grid import VoxelGrid
from routing.ground import GroundNetwork
from routing.motion import heuristic, moves, side_offsets
from routing.occupancy import MemoryOccupancy
from routing.synthetic import grid_network
from routing.timegrid import widen
from routing.vehicle import VehicleLimits


class LazyAdj:
    """Adjacency of a voxel graph computed on demand (``G._adj[u]`` for ``astar_path``)."""

    def __init__(self, grid: VoxelGrid, limits: VehicleLimits) -> None:
        self.grid = grid
        table = dict(moves(grid, limits))
        sides = side_offsets(grid)
        # a move is allowed when its target and the cells it passes at an edge or corner
        # are unblocked (the planner's rule)
        self.moves = [
            (df, dx, dy, table[off], (off, *sides.get(off, ())))
            for off, df, dx, dy in grid.offsets()
        ]

    def __getitem__(self, u: tuple[int, int, int]) -> dict[tuple[int, int, int], dict]:
        f, x, y = u
        g = self.grid
        k, blocked = g.key(f, x, y), g.blocked  # u is free, so inside the blocked border
        return {
            (f + df, x + dx, y + dy): {"weight": dt}
            for df, dx, dy, dt, need in self.moves
            if not any(blocked[k + o] for o in need)
        }


class LazyVoxelGraph(nx.Graph):
    """The static voxel graph of a grid, as a networkx graph with lazy adjacency."""

    def __init__(self, grid: VoxelGrid, limits: VehicleLimits) -> None:
        super().__init__()
        self.grid = grid
        self._adj = LazyAdj(grid, limits)

    def __contains__(self, n: object) -> bool:
        return isinstance(n, tuple) and not self.grid.is_blocked(*n)


def networkx_route(planner: DronePlanner, o: Any, t: Any) -> tuple[float, float, int]:
    """Seconds, path cost and length of ``networkx.astar_path`` on the lazy graph."""
    from spatialid import lnglat_to_voxel

    grid = planner.grid_for(planner.region)  # type: ignore[arg-type]
    a, b = lnglat_to_voxel(o[0], o[1], o[2], Z), lnglat_to_voxel(t[0], t[1], t[2], Z)
    goal = grid.key(b.f, b.x, b.y)
    h = heuristic(grid, planner.limits, goal)
    graph = LazyVoxelGraph(grid, planner.limits)
    started = time.perf_counter()
    path = nx.astar_path(
        graph,
        (a.f, a.x, a.y),
        (b.f, b.x, b.y),
        heuristic=lambda u, _v: h(grid.key(*u)),
        weight="weight",
    )
    elapsed = time.perf_counter() - started
    cost = sum(graph._adj[path[i]][path[i + 1]]["weight"] for i in range(len(path) - 1))
    return elapsed, cost, len(path)


def pct(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


class SharedGrid:
    """A grid store for planners that share one region's static grid."""

    def __init__(self) -> None:
        self.items: dict[Any, VoxelGrid] = {}

    def find(self, token: Any, box: Any) -> VoxelGrid | None:
        return self.items.get((token, box))

    def put(self, token: Any, box: Any, grid: VoxelGrid) -> None:
        self.items[(token, box)] = grid


def drone_section(c: City, limits: VehicleLimits, baseline: bool) -> dict[str, Any]:
    """Plan every query with the multi-resolution planner and, alternating query by query
    in the same process, the fine-grid one (full occupancy); then static only against
    networkx. Prints the figures."""
    from routing.validate import validate_route

    shared = SharedGrid()
    full = DronePlanner(c.full, limits, zoom=Z, region=c.region, grid_cache=shared)
    fine = DronePlanner(c.full, limits, zoom=Z, region=c.region, grid_cache=shared, coarse_levels=0)
    started = time.perf_counter()
    full.grid_for(c.region)
    print(
        f"static grid build (once per static version, with the open-block flags): "
        f"{time.perf_counter() - started:.2f} s"
    )
    runs: dict[str, dict[str, list[float]]] = {
        "default": {"ms": [], "exp": [], "dur": [], "grid": []},
        "fine": {"ms": [], "exp": [], "dur": [], "grid": []},
    }
    invalid, relaxed = {"default": 0, "fine": 0}, {"default": 0, "fine": 0}
    coarse: list[int] = []
    for i, (o, t, dep) in enumerate(c.queries):
        pair = [("default", full), ("fine", fine)]
        for name, planner in pair if i % 2 == 0 else pair[::-1]:
            s0 = time.perf_counter()
            r = planner.plan(o, t, dep)
            runs[name]["ms"].append((time.perf_counter() - s0) * 1000)
            runs[name]["exp"].append(r.expansions)
            runs[name]["dur"].append(r.duration_s)
            runs[name]["grid"].append(r.grid_duration_s)
            relaxed[name] += r.meta["weight"] > planner.weight
            if name == "default" and r.meta["coarse_levels"] > 0:
                coarse.append(i)
            invalid[name] += bool(validate_route(r, c.full, limits))
    for name, rr in runs.items():
        times, exps = rr["ms"], rr["exp"]
        print(
            f"drone full {name:7s}: p50 {pct(times, 0.5):7.1f} ms  p95 {pct(times, 0.95):7.1f} ms"
            f"  max {max(times):7.1f} ms  expansions p50 {pct(exps, 0.5):.0f} "
            f"p95 {pct(exps, 0.95):.0f}  fallback to w={full.fallback_weight} "
            f"{relaxed[name]}/{len(times)}  invalid routes {invalid[name]}/{len(times)}"
        )
    m, f = runs["default"], runs["fine"]
    flown = [(a - b) / b * 100 for a, b in zip(m["dur"], f["dur"], strict=True)]
    grid = [(m["grid"][i] - f["grid"][i]) / f["grid"][i] * 100 for i in coarse] or [0.0]
    print(
        f"default: {len(coarse)}/{len(c.queries)} queries went on to the multi-resolution "
        f"search (grid duration {min(grid):+.2f} % .. {max(grid):+.2f} % vs fine only); "
        f"default vs fine only (same queries, same process): p50 "
        f"{pct(f['ms'], 0.5) / pct(m['ms'], 0.5):.1f}x, p95 "
        f"{pct(f['ms'], 0.95) / pct(m['ms'], 0.95):.1f}x faster; flown duration "
        f"{min(flown):+.2f} % .. {max(flown):+.2f} % (median {statistics.median(flown):+.2f} %)"
    )
    out: dict[str, Any] = {"p50": pct(m["ms"], 0.5), "p95": pct(m["ms"], 0.95)}
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
        print(
            f"  w={r.meta['weight']:<4} ours {ours[-1]:8.1f} ms  networkx {nxs[-1]:9.1f} ms  "
            f"ratio {nxs[-1] / ours[-1]:6.1f}x  grid cost {r.grid_duration_s:8.2f} s vs "
            f"{cost:8.2f} s ({diffs[-1]:+.3f} %)  smoothed {r.duration_s:8.2f} s",
            flush=True,
        )
    ratio = statistics.median(n / o for n, o in zip(nxs, ours, strict=True))
    print(
        f"static only : ours p50 {pct(ours, 0.5):.1f} ms  networkx p50 {pct(nxs, 0.5):.1f} ms"
        f"  median ratio {ratio:.1f}x  total ratio {sum(nxs) / sum(ours):.1f}x  "
        f"max |cost diff| {max(abs(d) for d in diffs):.3f} %"
    )
    return out


def road_network() -> nx.DiGraph:
    """The synthetic fleet network (30 x 30 street grid, 50 m blocks)."""
    return grid_network(TOKYO[0], TOKYO[1], 30, 50.0, speed_mps=2.0, oneway_rows=True)


def conflicts(routes: dict[str, Any]) -> int:
    """Independent checker: pairs of robots holding one voxel at overlapping times
    (windows as published and stored, on the millisecond grid of ``routing.timegrid``, plus
    parking at the origin before departure and at the goal)."""
    held: dict[Any, list[tuple[float, float, str]]] = {}
    for rid, r in routes.items():
        for v, t0, t1 in r.windows():
            held.setdefault(v, []).append((*widen(t0, t1), rid))
        held.setdefault(r.visits[0].voxel, []).append((-math.inf, r.departure, rid))
        held.setdefault(r.visits[-1].voxel, []).append((r.arrival, math.inf, rid))
    bad = 0
    for items in held.values():  # every pair of windows in one voxel
        for i, (a0, a1, ra) in enumerate(items):
            for b0, b1, rb in items[i + 1 :]:
                bad += ra != rb and a0 < b1 and b0 < a1
    return bad


def largest_component(net: GroundNetwork) -> list[Any]:
    """Nodes of the largest strongly connected component of the robot-usable network,
    in a stable order (a fleet operator does not send a robot between disconnected
    pieces of the network; the demo extract's walk network has some)."""
    usable = nx.DiGraph((e.u, e.v) for e in net.edges)
    big = max(nx.strongly_connected_components(usable), key=len)
    return sorted(big, key=str)


def fleet_section(
    n: int, seed: int, g: nx.DiGraph | nx.MultiDiGraph, zoom: int | None = None, t0: float = T0
) -> float:
    """Plan ``n`` robots at once on the road network ``g``; check all pairs."""
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    net = (
        GroundNetwork(g, kind="robot")
        if zoom is None
        else GroundNetwork(g, kind="robot", zoom=zoom, max_speed_mps=2.0)
    )
    prep = time.perf_counter() - started
    nodes = largest_component(net)
    o = rng.choice(len(nodes), n, replace=False)
    d = rng.choice(len(nodes), n, replace=False)
    reqs = [
        GroundRequest(
            f"r{i}",
            (g.nodes[nodes[a]]["lng"], g.nodes[nodes[a]]["lat"]),
            (g.nodes[nodes[b]]["lng"], g.nodes[nodes[b]]["lat"]),
            t0 + float(rng.uniform(0, 120)),
            int(rng.choice([0, 0, 0, 50])),
        )
        for i, (a, b) in enumerate(zip(o, d, strict=True))
    ]
    occ = MemoryOccupancy()
    limits = VehicleLimits(
        max_speed_mps=2.0, altitude_lower_m=0.0, altitude_upper_m=4.0, safety_buffer_s=1.0
    )
    started, cpu = time.perf_counter(), time.process_time()
    res = plan_fleet(net, reqs, limits, occupancy=occ)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    bad = conflicts(res.routes)
    check = time.perf_counter() - started
    reasons: dict[str, int] = {}
    for why in res.unserved.values():
        reasons[why] = reasons.get(why, 0) + 1
    print(
        f"fleet: {n} robots on {g.number_of_nodes()} nodes / {g.number_of_edges()} edges "
        f"(origins/destinations from the largest strongly connected component, "
        f"{len(nodes)} nodes): "
        f"planned in {took:.2f} s wall, {cpu:.2f} s CPU (network prep {prep:.2f} s once); "
        f"served "
        f"{len(res.routes)}, unserved {reasons or 0}, repaired {len(res.repaired)}; "
        f"pairwise conflicts {bad} (checked in {check:.2f} s)"
    )
    return took


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--city", choices=["demo", "synthetic"], default="demo")
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--robots", type=int, default=200)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--only", choices=["drone", "fleet"], default=None)
    ap.add_argument(
        "--occupancy",
        choices=["memory", "postgis"],
        default="memory",
        help="postgis: store the reservations in the database (demo city only)",
    )
    args = ap.parse_args()
    if args.occupancy == "postgis" and args.city != "demo":
        ap.error("--occupancy postgis needs --city demo")
    factory = demo_database() if args.city == "demo" else None
    if args.only != "fleet":
        started = time.perf_counter()
        c = (
            synthetic_city(args.seed, args.queries)
            if factory is None
            else demo_city(factory, args.seed, args.queries)
        )
        print(
            f"city ({args.city}): {len(c.static.blocked_static(Z))} blocked voxels, built in "
            f"{time.perf_counter() - started:.1f} s; {len(c.queries)} queries 1-5 km at z{Z}"
        )
        if args.occupancy == "postgis":
            assert factory is not None
            postgis_section(factory, c)
        else:
            drone_section(c, VehicleLimits(), not args.no_baseline)
    if args.only != "drone":
        if factory is None:
            fleet_section(args.robots, args.seed, road_network())
        else:
            from registry.models import ROAD_ZOOM

            fleet_section(args.robots, args.seed, demo_road_network(factory), ROAD_ZOOM)


if __name__ == "__main__":
    main()

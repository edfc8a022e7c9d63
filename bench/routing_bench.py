"""Benchmark of the routing core (issue 6): drone routes at z23 and a robot fleet.

Run: ``.venv/bin/python bench/routing_bench.py [--city demo|synthetic] [--queries 30]
[--seed 6]``.

``--city demo`` (the default) imports ``data/helsinki.osm.pbf`` (central Helsinki, ©
OpenStreetMap contributors, ODbL) into a scratch database ``kukan_bench_routing`` on the
private cluster (or the server of KUKAN_DATABASE_URL), dropped and re-created each run;
the buildings become obstacles. The planners run against a ``MemoryOccupancy`` loaded
from the database: the obstacles' blocker boxes as read by
``PostgisOccupancy.blocked_static`` over the planning region, so exactly the voxels the
API blocks. The 1,000 existing reservations are random straight corridors (500-2,000 m,
30-120 m high, within 1.5 km of the extract's centre) added to the occupancy IN MEMORY
(not through the reservation service). The planning region is 6 km x 6 km around the
extract's centre; the extract itself is only ~1 km x 1.7 km, so each query starts inside
the extract and runs 1-5 km in a random direction: routes of 1-2 km mostly stay inside
it, longer ones end outside it, over ground with no buildings known. The fleet runs on
the demo's walk network (``registry.roads.load_graph`` -> ``routing.GroundNetwork``).

``--city synthetic``: random box buildings 10-120 m tall over 6 km x 6 km around Tokyo
station, 1,000 reservations as random straight corridors, a 30 x 30 street grid. Each drone query
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
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for bench.import_bench

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


Query = tuple[tuple[float, float, float], tuple[float, float, float], float]
"""Origin, destination (lng, lat, alt) and departure of one drone query."""


@dataclass
class City:
    """Static obstacles, reservations, the planning region and some drone queries."""

    static: MemoryOccupancy
    full: MemoryOccupancy
    region: TileBox
    queries: list[Query]


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
    add_corridors(full, rng, (lng0, lat0), half_m, reservations)
    lo_lng, hi_lat = _offset(lng0, lat0, -half_m, half_m)
    hi_lng, lo_lat = _offset(lng0, lat0, half_m, -half_m)
    region = TileBox(int(lng_to_tile_x(lo_lng, Z)), int(lat_to_tile_y(hi_lat, Z)),
                     int(lng_to_tile_x(hi_lng, Z)) + 1, int(lat_to_tile_y(lo_lat, Z)) + 1)
    queries: list[Query] = []
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


def add_corridors(full: MemoryOccupancy, rng: np.random.Generator,
                  centre: tuple[float, float], half_m: float, reservations: int) -> None:
    """Random straight reserved corridors (500-2,000 m, 30-120 m high) starting within
    ``half_m`` of ``centre``, added to ``full`` in memory."""
    lng0, lat0 = centre
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


def _blocked(obstacles: VoxelSet, p: tuple[float, float, float]) -> bool:
    from spatialid import lnglat_to_voxel

    return lnglat_to_voxel(p[0], p[1], p[2], Z) in obstacles


PBF = Path(__file__).resolve().parent.parent / "data" / "helsinki.osm.pbf"
DEMO_SOURCE = "bench:helsinki"


def demo_database() -> sessionmaker[Session]:
    """A fresh scratch database ``kukan_bench_routing`` with the demo extract imported."""
    from bench.import_bench import base_url, recreate_database, with_database
    from registry import migrate
    from registry.db import make_engine, make_sessionmaker, session_scope
    from registry.importers.osm import read_osm
    from registry.importers.store import write_buildings, write_roads

    url = with_database(base_url(), "kukan_bench_routing")
    recreate_database(url)
    migrate.upgrade(url)
    factory = make_sessionmaker(make_engine(url, pool_size=1))
    data = read_osm(PBF)
    with session_scope(factory) as session:
        out = write_buildings(session=session, source=DEMO_SOURCE, buildings=data.buildings)
        session.flush()
        write_roads(session=session, source=DEMO_SOURCE, nodes=data.nodes,
                    stretches=data.stretches, out=out)
    print(f"demo: imported {out.buildings} buildings ({out.boxes:,} leaf boxes) and "
          f"{out.edges:,} road edges into kukan_bench_routing")
    return factory


def demo_city(factory: sessionmaker[Session], seed: int, n_queries: int,
              reservations: int = 1000, half_m: float = 3000.0) -> City:
    """The demo extract's buildings (from the database) and random reserved corridors."""
    from registry.db import session_scope
    from registry.route_occupancy import PostgisOccupancy

    rng = np.random.default_rng(seed)
    with session_scope(factory) as session:
        w, s_, e, n = session.execute(text(
            "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM "
            "(SELECT ST_Extent(geometry) AS b FROM road_nodes WHERE source = :s) q"),
            {"s": DEMO_SOURCE}).one()
        lng0, lat0 = (w + e) / 2.0, (s_ + n) / 2.0
        lo_lng, hi_lat = _offset(lng0, lat0, -half_m, half_m)
        hi_lng, lo_lat = _offset(lng0, lat0, half_m, -half_m)
        region = TileBox(int(lng_to_tile_x(lo_lng, Z)), int(lat_to_tile_y(hi_lat, Z)),
                         int(lng_to_tile_x(hi_lng, Z)) + 1, int(lat_to_tile_y(lo_lat, Z)) + 1)
        db = PostgisOccupancy(session, now=T0, horizon=1.0)
        obstacles = db.blocked_static(Z, TileBox(region.x0 - 8, region.y0 - 8,
                                                 region.x1 + 8, region.y1 + 8))
    static, full = MemoryOccupancy(), MemoryOccupancy()
    static.add_static(obstacles)
    full.add_static(obstacles)
    add_corridors(full, rng, (lng0, lat0), 1500.0, reservations)
    ew, ns = (e - w) / 2.0, (n - s_) / 2.0  # the extract's half extents in degrees
    queries: list[Query] = []
    while len(queries) < n_queries:
        o_lng = lng0 + float(rng.uniform(-0.95, 0.95)) * ew
        o_lat = lat0 + float(rng.uniform(-0.95, 0.95)) * ns
        ang, length = rng.uniform(0, 2 * math.pi), rng.uniform(1000, 5000)
        t_lng, t_lat = _offset(o_lng, o_lat, length * math.cos(ang), length * math.sin(ang))
        east, north = ((t_lng - lng0) * M_PER_DEG_LAT * math.cos(math.radians(lat0)),
                       (t_lat - lat0) * M_PER_DEG_LAT)
        if max(abs(east), abs(north)) > half_m * 0.95:
            continue
        alt = float(rng.uniform(40, 80))
        o, t = (o_lng, o_lat, alt), (float(t_lng), float(t_lat), alt)
        if any(_blocked(obstacles, p) for p in (o, t)):
            continue
        queries.append((o, t, T0 + float(rng.uniform(0, 900))))
    return City(static, full, region, queries)


def demo_road_network(factory: sessionmaker[Session]) -> nx.MultiDiGraph:
    """The demo extract's walk network as stored (``registry.roads.load_graph``)."""
    from registry.db import session_scope
    from registry.roads import load_graph

    with session_scope(factory) as session:
        return load_graph(session=session, source=DEMO_SOURCE, mode="walk")


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
    path = nx.astar_path(graph, (a.f, a.x, a.y), (b.f, b.x, b.y),
                         heuristic=lambda u, _v: h(grid.key(*u)), weight="weight")
    elapsed = time.perf_counter() - started
    cost = sum(graph._adj[path[i]][path[i + 1]]["weight"] for i in range(len(path) - 1))
    return elapsed, cost, len(path)


def pct(values: Sequence[float], q: float) -> float:
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
    """The synthetic fleet network (30 x 30 street grid, 50 m blocks)."""
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


def fleet_section(n: int, seed: int, g: nx.DiGraph | nx.MultiDiGraph, zoom: int | None = None,
                  t0: float = T0) -> float:
    """Plan ``n`` robots at once on the road network ``g``; check all pairs."""
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    net = (GroundNetwork(g, kind="robot") if zoom is None
           else GroundNetwork(g, kind="robot", zoom=zoom, max_speed_mps=2.0))
    prep = time.perf_counter() - started
    nodes = list(g.nodes)
    o = rng.choice(len(nodes), n, replace=False)
    d = rng.choice(len(nodes), n, replace=False)
    reqs = [FleetRequest(f"r{i}", (g.nodes[nodes[a]]["lng"], g.nodes[nodes[a]]["lat"]),
                         (g.nodes[nodes[b]]["lng"], g.nodes[nodes[b]]["lat"]),
                         t0 + float(rng.uniform(0, 120)), int(rng.choice([0, 0, 0, 50])))
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
    ap.add_argument("--city", choices=["demo", "synthetic"], default="demo")
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--robots", type=int, default=200)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--only", choices=["drone", "fleet"], default=None)
    args = ap.parse_args()
    factory = demo_database() if args.city == "demo" else None
    if args.only != "fleet":
        started = time.perf_counter()
        c = (synthetic_city(args.seed, args.queries) if factory is None
             else demo_city(factory, args.seed, args.queries))
        print(f"city ({args.city}): {len(c.static.blocked_static(Z))} blocked voxels, built in "
              f"{time.perf_counter() - started:.1f} s; {len(c.queries)} queries 1-5 km at z{Z}")
        drone_section(c, VehicleLimits(), not args.no_baseline)
    if args.only != "drone":
        if factory is None:
            fleet_section(args.robots, args.seed, road_network())
        else:
            from registry.road_models import ROAD_ZOOM

            fleet_section(args.robots, args.seed, demo_road_network(factory), ROAD_ZOOM)


if __name__ == "__main__":
    main()

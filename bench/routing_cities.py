"""Cities for bench/routing_bench.py: the demo city (Helsinki, from the database) and a
synthetic one; each gives static obstacles, reservations, a planning region and queries."""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for bench.* modules

from routing.occupancy import BusyArrays, MemoryOccupancy, TileBox
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
    corridors: list[BusyArrays]
    """The reservations of ``full`` (z23 rows, one array set per corridor)."""


def _offset(lng: float, lat: float, east_m: Any, north_m: Any) -> tuple[Any, Any]:
    return (
        lng + east_m / (M_PER_DEG_LAT * math.cos(math.radians(lat))),
        lat + north_m / M_PER_DEG_LAT,
    )


def synthetic_city(
    seed: int,
    n_queries: int,
    buildings: int = 1500,
    reservations: int = 1000,
    half_m: float = 3000.0,
) -> City:
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
    obstacles = VoxelSet.from_runs(
        Z,
        np.concatenate(rows_f),
        np.concatenate(rows_y),
        np.concatenate(rows_a),
        np.concatenate(rows_b),
    )
    static, full = MemoryOccupancy(), MemoryOccupancy()
    static.add_static(obstacles)
    full.add_static(obstacles)
    corridors = add_corridors(full, rng, (lng0, lat0), half_m, reservations)
    lo_lng, hi_lat = _offset(lng0, lat0, -half_m, half_m)
    hi_lng, lo_lat = _offset(lng0, lat0, half_m, -half_m)
    region = TileBox(
        int(lng_to_tile_x(lo_lng, Z)),
        int(lat_to_tile_y(hi_lat, Z)),
        int(lng_to_tile_x(hi_lng, Z)) + 1,
        int(lat_to_tile_y(lo_lat, Z)) + 1,
    )
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
    return City(static, full, region, queries, corridors)


def add_corridors(
    full: MemoryOccupancy,
    rng: np.random.Generator,
    centre: tuple[float, float],
    half_m: float,
    reservations: int,
) -> list[BusyArrays]:
    """Random straight reserved corridors (500-2,000 m, 30-120 m high) starting within
    ``half_m`` of ``centre``, added to ``full`` in memory; returned (one row per voxel)."""
    lng0, lat0 = centre
    parts = []
    for _ in range(reservations):
        a = rng.uniform(-half_m, half_m, 2)
        ang, length = rng.uniform(0, 2 * math.pi), rng.uniform(500, 2000)
        b = a + length * np.array([math.cos(ang), math.sin(ang)])
        alt = rng.uniform(30, 120)
        lng, lat = _offset(lng0, lat0, np.array([a[0], b[0]]), np.array([a[1], b[1]]))
        pts = np.stack(
            [lng_to_tile_x(lng, Z), lat_to_tile_y(lat, Z), alt_to_tile_f(np.array([alt, alt]), Z)],
            axis=1,
        )
        cells = traverse(pts)
        start = T0 + rng.uniform(-600, 1800)
        n = len(cells)
        parts.append(
            BusyArrays(
                cells[:, 2],
                cells[:, 0],
                cells[:, 1],
                np.full(n, start),
                np.full(n, start + length / 10.0 + 60.0),
            )
        )
    for p in parts:
        full.add_busy_arrays(Z, p)
    return parts


def _blocked(obstacles: VoxelSet, p: tuple[float, float, float]) -> bool:
    from spatialid import lnglat_to_voxel

    return lnglat_to_voxel(p[0], p[1], p[2], Z) in obstacles


PBF = Path(__file__).resolve().parent.parent / "data" / "helsinki.osm.pbf"
DEMO_SOURCE = "bench:helsinki"


def demo_database() -> sessionmaker[Session]:
    """A fresh scratch database with the demo extract imported: ``kukan_bench_routing``, or
    the name in ``KUKAN_BENCH_DB`` (so two benchmarks can run side by side)."""
    from bench.import_bench import base_url, recreate_database, with_database
    from registry import migrate
    from registry.db import make_engine, make_sessionmaker, session_scope
    from registry.importers.parsers.osm import read_osm
    from registry.importers.store import write_buildings, write_roads

    name = os.environ.get("KUKAN_BENCH_DB", "kukan_bench_routing")
    url = with_database(base_url(), name)
    recreate_database(url)
    migrate.upgrade(url)
    factory = make_sessionmaker(make_engine(url, pool_size=1))
    data = read_osm(PBF)
    with session_scope(factory) as session:
        out = write_buildings(session=session, source=DEMO_SOURCE, buildings=data.buildings)
        session.flush()
        write_roads(
            session=session, source=DEMO_SOURCE, nodes=data.nodes, stretches=data.stretches, out=out
        )
    print(
        f"demo: imported {out.buildings} buildings ({out.boxes:,} leaf boxes) and "
        f"{out.edges:,} road edges into {name}"
    )
    return factory


def demo_city(
    factory: sessionmaker[Session],
    seed: int,
    n_queries: int,
    reservations: int = 1000,
    half_m: float = 3000.0,
) -> City:
    """The demo extract's buildings (from the database) and random reserved corridors."""
    from planning.postgis_occupancy import PostgisOccupancy
    from registry.db import session_scope

    rng = np.random.default_rng(seed)
    with session_scope(factory) as session:
        w, s_, e, n = session.execute(
            text(
                "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM "
                "(SELECT ST_Extent(geometry) AS b FROM road_nodes WHERE source = :s) q"
            ),
            {"s": DEMO_SOURCE},
        ).one()
        lng0, lat0 = (w + e) / 2.0, (s_ + n) / 2.0
        lo_lng, hi_lat = _offset(lng0, lat0, -half_m, half_m)
        hi_lng, lo_lat = _offset(lng0, lat0, half_m, -half_m)
        region = TileBox(
            int(lng_to_tile_x(lo_lng, Z)),
            int(lat_to_tile_y(hi_lat, Z)),
            int(lng_to_tile_x(hi_lng, Z)) + 1,
            int(lat_to_tile_y(lo_lat, Z)) + 1,
        )
        db = PostgisOccupancy(session, now=T0, horizon=1.0)
        obstacles = db.blocked_static(
            Z, TileBox(region.x0 - 8, region.y0 - 8, region.x1 + 8, region.y1 + 8)
        )
    static, full = MemoryOccupancy(), MemoryOccupancy()
    static.add_static(obstacles)
    full.add_static(obstacles)
    corridors = add_corridors(full, rng, (lng0, lat0), 1500.0, reservations)
    ew, ns = (e - w) / 2.0, (n - s_) / 2.0  # the extract's half extents in degrees
    queries: list[Query] = []
    while len(queries) < n_queries:
        o_lng = lng0 + float(rng.uniform(-0.95, 0.95)) * ew
        o_lat = lat0 + float(rng.uniform(-0.95, 0.95)) * ns
        ang, length = rng.uniform(0, 2 * math.pi), rng.uniform(1000, 5000)
        t_lng, t_lat = _offset(o_lng, o_lat, length * math.cos(ang), length * math.sin(ang))
        east, north = (
            (t_lng - lng0) * M_PER_DEG_LAT * math.cos(math.radians(lat0)),
            (t_lat - lat0) * M_PER_DEG_LAT,
        )
        if max(abs(east), abs(north)) > half_m * 0.95:
            continue
        alt = float(rng.uniform(40, 80))
        o, t = (o_lng, o_lat, alt), (float(t_lng), float(t_lat), alt)
        if any(_blocked(obstacles, p) for p in (o, t)):
            continue
        queries.append((o, t, T0 + float(rng.uniform(0, 900))))
    return City(static, full, region, queries, corridors)


def demo_road_network(factory: sessionmaker[Session]) -> nx.MultiDiGraph:
    """The demo extract's walk network as stored (``registry.services.roads.load_graph``)."""
    from registry.db import session_scope
    from registry.services.roads import load_graph

    with session_scope(factory) as session:
        return load_graph(session=session, source=DEMO_SOURCE, mode="walk")

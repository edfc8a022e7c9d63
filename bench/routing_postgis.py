"""``bench/routing_bench.py --occupancy postgis``: the drone queries against reservations
stored in PostGIS, read the way ``POST /v1/routes`` reads them.

The demo city's 1,000 random corridors are stored as real reservations through the
reservation service (``registry.services.reservations.create_reservation``: one operator, one
drone, one reservation per corridor, one volume of z23 IDs and one time window each):

- the corridor voxels inside buildings (the z23 voxels ``PostgisOccupancy.blocked_static``
  blocks) are left out, since the service refuses a drone reservation that touches an
  obstacle (those voxels are blocked for good anyway, so the planning problem is the same);
- a corridor refused by the exclusion constraint (it overlaps an accepted one in space and
  time) is filed again with its window moved later by its own length, at most
  ``TRIES - 1`` times; the counts are printed.

Then every query is planned twice in one loop, alternating which goes first: with a
``DronePlanner`` over a fresh ``PostgisOccupancy`` per query, built by
``planning.routes.occupancy_for`` (the API's ``now``, 12 h horizon and altitude band) with
the API's search budget and a grid cache of the API's default size
(``planning.grid_cache.GridCache``), and with a ``DronePlanner`` over a ``MemoryOccupancy``
holding the same obstacles and the rows as stored (same windows). Both planners get the
benchmark's planning region (the API snaps a box around each request instead; a 6 km x 6 km
grid is built once per occupancy, outside the timings, so the figures compare how the busy
rows are read). Each route is validated against its own occupancy (the PostGIS route
against the database, timed separately, as the API does after planning); the busy rows of
each query's corridor box are compared row for row, and so are the two routes. Also
printed: the time of ``PostgisOccupancy.busy_in`` while planning (SQL and numpy) and how
many of the rows of the first corridor's bounding box lie inside the corridor the planner
keeps. Figures:
``bench/RESULTS.md``, "Reservations stored in PostGIS".
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from bench.routing_cities import City, Z
from routing.drone import DronePlanner
from routing.occupancy import BusyArrays, MemoryOccupancy, TileBox
from routing.vehicle import VehicleLimits
from spatialid.vectorized import format_ids

TRIES = 4
"""Attempts per corridor: as generated, then moved later by its length up to 3 times."""


@dataclass
class Stored:
    """What the reservation service accepted."""

    rows: list[BusyArrays] = field(default_factory=list)
    first_try: int = 0
    moved: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    voxels: int = 0
    in_buildings: int = 0
    seconds: float = 0.0


def _key(f: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (f.astype(np.int64) << 48) | (x.astype(np.int64) << 24) | y.astype(np.int64)


def store_corridors(factory: sessionmaker[Session], c: City) -> tuple[Stored, Any]:
    """Reserve the city's corridors through the service; the rows accepted and the drone."""
    from registry.db import session_scope
    from registry.services import operators, principals, vehicles
    from registry.services.reservations import VolumeRequest, create_reservation
    from registry.volume_errors import Contested

    static = c.static.blocked_static(Z)
    out = Stored()
    started = time.perf_counter()
    with session_scope(factory) as s:
        op = operators.create_operator(session=s, actor=None, name="bench-routing-drones")
        actor, _ = principals.create_principal(
            session=s, actor=None, name="bench-routing", role="operator", operator_id=op.id
        )
        drone = vehicles.create_vehicle(
            session=s,
            actor=None,
            name="bench drone",
            kind="drone",
            max_speed_mps=15.0,
            operator_id=op.id,
        )
        s.flush()
        drone_id = drone.id
        for rows in c.corridors:
            keep = _outside(static, rows)
            out.in_buildings += int((~keep).sum())
            f, x, y = rows.f[keep], rows.x[keep], rows.y[keep]
            if not f.size:
                out.refused["inside buildings"] = out.refused.get("inside buildings", 0) + 1
                continue
            ids = format_ids(Z, f, x, y)
            start, end = float(rows.start[0]), float(rows.end[0])
            why = ""
            for attempt in range(TRIES):
                t0 = datetime.fromtimestamp(start + attempt * (end - start), UTC)
                t1 = datetime.fromtimestamp(end + attempt * (end - start), UTC)
                vol = VolumeRequest(spatial_ids=ids, time_start=t0, time_end=t1)
                try:
                    with s.begin_nested():
                        create_reservation(
                            session=s, actor=actor, volumes=[vol], vehicle_id=drone_id
                        )
                except Contested as exc:
                    kinds = {c.kind for c in exc.conflicts}
                    why = "+".join(sorted(kinds))
                    continue
                n = f.size
                out.rows.append(
                    BusyArrays(f, x, y, np.full(n, t0.timestamp()), np.full(n, t1.timestamp()))
                )
                out.voxels += n
                if attempt:
                    out.moved += 1
                else:
                    out.first_try += 1
                break
            else:
                out.refused[why] = out.refused.get(why, 0) + 1
    out.seconds = time.perf_counter() - started
    _settle(factory)
    return out, drone_id


def _settle(factory: sessionmaker[Session]) -> None:
    """VACUUM ANALYZE the tables just filled, as autovacuum would soon do on its own: the
    timings then do not depend on whether it happens to run during them."""
    from sqlalchemy import text

    engine = factory.kw["bind"]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("reservation_boxes", "reservations", "reservation_volumes"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))


def _outside(static: Any, rows: BusyArrays) -> np.ndarray:
    """Which rows lie outside the static voxel set (vectorised through the set's runs)."""
    from spatialid import VoxelSet

    mine = VoxelSet.from_arrays(Z, rows.f, rows.x, rows.y)
    hit = mine & static
    if not hit:
        return np.ones(rows.f.size, bool)
    return ~np.isin(_key(rows.f, rows.x, rows.y), _key(*hit.to_arrays()))


def _same_rows(a: BusyArrays, b: BusyArrays) -> bool:
    def rows(r: BusyArrays) -> list[tuple[int, int, int, float, float]]:
        return sorted(
            zip(
                r.f.tolist(),
                r.x.tolist(),
                r.y.tolist(),
                r.start.tolist(),
                r.end.tolist(),
                strict=True,
            )
        )

    return rows(a) == rows(b)


def _corridor_box(c: City, q: Any, grid: Any) -> TileBox:
    """The box the planner's first attempt asks ``busy_in`` for (see ``DronePlanner``)."""
    from spatialid import lnglat_to_voxel

    o, t, _ = q
    a, b = lnglat_to_voxel(o[0], o[1], o[2], Z), lnglat_to_voxel(t[0], t[1], t[2], Z)
    span = float(np.hypot(b.x - a.x, b.y - a.y))
    w = max(300.0 / grid.tile_m, 0.2 * span)
    ax, ay, bx, by = a.x + 0.5, a.y + 0.5, b.x + 0.5, b.y + 0.5
    return TileBox(
        max(grid.x0, int(min(ax, bx) - w) - 1),
        max(grid.y0, int(min(ay, by) - w) - 1),
        min(grid.x0 + grid.nx, int(max(ax, bx) + w) + 2),
        min(grid.y0 + grid.ny, int(max(ay, by) + w) + 2),
    )


def _timed(fn: Any, into: list[float]) -> Any:
    """``fn`` that appends the milliseconds of each call to ``into``."""

    def call(*args: Any) -> Any:
        s0 = time.perf_counter()
        out = fn(*args)
        into.append((time.perf_counter() - s0) * 1000)
        return out

    return call


def _in_corridor(q: Any, grid: Any, rows: BusyArrays) -> int:
    """How many rows lie in the corridor the planner keeps (``DronePlanner._plan_in``)."""
    from routing.motion import in_corridor
    from spatialid import lnglat_to_voxel

    o, t, _ = q
    a, b = lnglat_to_voxel(o[0], o[1], o[2], Z), lnglat_to_voxel(t[0], t[1], t[2], Z)
    w = max(300.0 / grid.tile_m, 0.2 * float(np.hypot(b.x - a.x, b.y - a.y)))
    return int(
        in_corridor(rows.x, rows.y, (a.x + 0.5, a.y + 0.5, b.x + 0.5, b.y + 0.5, w + 2.0)).sum()
    )


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank."""
    import math

    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def postgis_section(factory: sessionmaker[Session], c: City) -> dict[str, Any]:
    """Store the corridors, then plan every query against PostGIS and in memory."""
    from api.settings import Settings
    from planning.budget import Budget
    from planning.grid_cache import GridCache
    from planning.route_inputs import limits_of, occupancy_for
    from registry.db import session_scope
    from registry.services.vehicles import get_vehicle
    from routing.validate import validate_route

    grids = GridCache.of_mb(Settings.model_fields["route_grid_cache_mb"].default)
    stored, drone_id = store_corridors(factory, c)
    print(
        f"reservations: {len(stored.rows)}/{len(c.corridors)} stored through the "
        f"reservation service in {stored.seconds:.1f} s ({stored.first_try} as generated, "
        f"{stored.moved} moved later after an exclusion-constraint refusal; refused "
        f"{stored.refused or 0}); {stored.voxels:,} z23 voxels "
        f"({stored.in_buildings:,} corridor voxels inside buildings left out)"
    )
    with session_scope(factory) as s:
        limits: VehicleLimits = limits_of(get_vehicle(session=s, actor=None, vehicle_id=drone_id))
    mem = MemoryOccupancy()
    mem.add_static(c.static.blocked_static(Z))
    for rows in stored.rows:
        mem.add_busy_arrays(Z, rows)
    budget = Budget()
    memory = DronePlanner(
        mem,
        limits,
        zoom=Z,
        region=c.region,
        max_expansions=budget.expansions,
        time_budget_s=budget.seconds,
    )
    s0 = time.perf_counter()
    grid = memory.grid_for(c.region)
    print(
        f"static grids (once each, outside the timings): memory {time.perf_counter() - s0:.2f} s",
        end="",
    )
    with session_scope(factory) as s:
        s0 = time.perf_counter()
        DronePlanner(
            occupancy_for(s, c.queries[0][2], limits, Z),
            limits,
            zoom=Z,
            region=c.region,
            grid_cache=grids,
        ).grid_for(c.region)
        print(
            f", postgis {time.perf_counter() - s0:.2f} s (blocked_static over the region; "
            f"grid cache {grids.bytes / 2**20:.0f} MiB)"
        )
    runs: dict[str, dict[str, list[float]]] = {
        k: {"ms": [], "exp": [], "val": []} for k in ("memory", "postgis")
    }
    invalid = {"memory": 0, "postgis": 0}
    same_rows = same_route = sql = fetched = inside = 0
    busy_ms: list[float] = []
    for i, q in enumerate(c.queries):
        o, t, dep = q
        routes = {}
        for name in ("memory", "postgis") if i % 2 == 0 else ("postgis", "memory"):
            with session_scope(factory) as s:
                occ = mem if name == "memory" else occupancy_for(s, dep, limits, Z)
                if name == "postgis":  # time the reads of busy rows (SQL and numpy)
                    occ.busy_in = _timed(occ.busy_in, busy_ms)  # type: ignore[method-assign]
                planner = (
                    memory
                    if name == "memory"
                    else DronePlanner(
                        occ,
                        limits,
                        zoom=Z,
                        region=c.region,
                        max_expansions=budget.expansions,
                        time_budget_s=budget.seconds,
                        grid_cache=grids,
                    )
                )
                s0 = time.perf_counter()
                r = planner.plan(o, t, dep)
                runs[name]["ms"].append((time.perf_counter() - s0) * 1000)
                runs[name]["exp"].append(r.expansions)
                if name == "postgis":
                    del occ.busy_in  # type: ignore[attr-defined]  # validation not timed
                s0 = time.perf_counter()
                invalid[name] += bool(validate_route(r, occ, limits))
                runs[name]["val"].append((time.perf_counter() - s0) * 1000)
                routes[name] = [(v.voxel, v.enter, v.leave) for v in r.visits]
                if name == "postgis":
                    sql += occ.queries  # type: ignore[attr-defined]
                    box = _corridor_box(c, q, grid)
                    buf = limits.safety_buffer_s
                    db_rows = occupancy_for(s, dep, limits, Z).busy_in(
                        Z, box, dep - 2 * buf, float("inf")
                    )
                    same_rows += _same_rows(
                        db_rows, mem.busy_in(Z, box, dep - 2 * buf, float("inf"))
                    )
                    fetched += db_rows.f.size
                    inside += _in_corridor(q, grid, db_rows)
        same_route += routes["memory"] == routes["postgis"]
    n = len(c.queries)
    for name, rr in runs.items():
        ms, ex, val = rr["ms"], rr["exp"], rr["val"]
        print(
            f"drone {name:7s}: p50 {pct(ms, 0.5):7.1f} ms  p95 {pct(ms, 0.95):7.1f} ms  max "
            f"{max(ms):7.1f} ms  expansions p50 {pct(ex, 0.5):.0f} p95 {pct(ex, 0.95):.0f}  "
            f"invalid routes {invalid[name]}/{n}  validation p50 {pct(val, 0.5):.1f} ms "
            f"p95 {pct(val, 0.95):.1f} ms"
        )
    m, p = runs["memory"]["ms"], runs["postgis"]["ms"]
    ratio = statistics.median(b / a for a, b in zip(m, p, strict=True))
    print(
        f"postgis / memory (same queries, same process): p50 {pct(p, 0.5) / pct(m, 0.5):.2f}x, "
        f"p95 {pct(p, 0.95) / pct(m, 0.95):.2f}x, median per query {ratio:.2f}x; "
        f"SQL statements {sql} ({sql / n:.1f} per query with the validation's); "
        f"same busy rows {same_rows}/{n}, "
        f"same routes {same_route}/{n}; grid cache hits {grids.hits} misses {grids.misses}"
    )
    print(
        f"postgis busy_in while planning: {len(busy_ms)} calls, p50 {pct(busy_ms, 0.5):.1f} "
        f"ms, p95 {pct(busy_ms, 0.95):.1f} ms, {sum(busy_ms) / sum(p) * 100:.0f} % of the "
        f"planning time; "
        f"rows of the first corridor box {fetched:,}, of which inside the corridor the "
        f"planner keeps {inside:,} ({inside / max(fetched, 1) * 100:.0f} %)"
    )
    return {"p50": pct(p, 0.5), "p95": pct(p, 0.95)}

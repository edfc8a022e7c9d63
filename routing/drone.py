"""The drone planner: SIPP over voxels, multi-resolution, then any-angle smoothing.

Two paths, named in ``route.meta["planner"]``. ``"hierarchical"`` (:mod:`routing.hierarchy`)
when there is no ``region``, ``hierarchical`` is true and the origin-destination span is
longer than ``dense_max_span_m`` (or ``column_levels`` is given): columns of the spatial ID
quadtree, dense windows only where they are needed, work and memory growing with the
route, not with its box; a ``no_path`` from it (a gap narrower than a column) is planned
again on the dense grid when that holds at most ``dense_max_voxels`` voxels. Otherwise
``"dense"``, described below: one ``VoxelGrid`` over the padded box (``hierarchical=False``
always takes it). Both raise ``SearchBudgetExceeded`` when ``time_budget_s`` is spent.

Multi-resolution (``coarse_levels = k``, default 2): free space is searched as blocks of
``2^k x 2^k`` voxels one layer high (the tiles of zoom ``z - k``), voxels one by one where
a block holds an obstacle, a busy voxel, the origin or the destination
(:mod:`routing.blocks`, :mod:`routing.multires`). Long routes and floods around busy
corridors then cost a fraction of the expansions. The order of attempts: the fine grid
first with a small budget (``fine_first + 2 x span`` expansions, ``span`` the longer side
of the origin-destination box in voxels: enough for an easy route, which then keeps the
fine grid's bound), then the multi-resolution graph with ``weight``, then (after
``fallback_after`` expansions) with ``fallback_weight``; ``route.meta`` says which
(``coarse_levels`` 0 or ``k``, ``weight``). ``coarse_levels=0`` searches the fine grid
only; ``fine_first=0`` goes to the blocks at once. A ``no_path`` from the blocks (a
squeeze block centres miss) is searched again on the fine grid.

Optimality: bounded suboptimal on the graph searched, ``grid duration <= weight x
optimum`` (weighted A* with a consistent heuristic, no re-expansions; ``DEFAULT_WEIGHT =
1.01``, ``weight=1`` is exact). On the fine grid that optimum is the earliest arrival over
26-neighbour voxel moves with hovering, under the conservative rule that a move holds
both voxels for its whole duration; the multi-resolution graph's optimum is not proven
within a bound of it (moves through blocks run between block centres): on the 7 of the
demo city's 30 benchmark queries that reach the blocks, the grid route was -0.05 % to
+0.38 % off the fine-only planner's (``bench/RESULTS.md``).
``route.meta["weight"]`` is the bound that holds for the returned route
(``fallback_after=None`` never relaxes it). Smoothing
then only shortens the flight (see :mod:`routing.smooth`); ``Route.grid_duration_s``
keeps the searched route's duration for comparison.

Busy rows are read for a time window first: from the departure to ``departure + max(a,
b x T)`` (``busy_window = (a, b)``, default 600 s and 3; ``T`` the free-space time from
origin to destination). A route that ends, with its buffer, inside the window never meets
a row that starts after it, so it stands; one that ends later is planned again with every
row. The database then reads the reservations of the next minutes, not of the next hours.

The planning box is ``region`` when given (cached across queries while the occupancy's
``static_version`` is unchanged: the benchmark passes the whole city), else the tile box
of origin and destination padded by ``pad_fraction`` of their span (at least
``min_pad_tiles``). Inside the box the search keeps to a corridor around the straight
line, ``max(corridor_min_m, corridor_fraction x distance)`` wide on each side, and asks the
occupancy for the busy rows of that corridor only; when no route exists in it, once more
in a corridor four times as wide. A route that would have to leave it (or the box) is
reported as ``no_path``.

With a ``grid_cache`` (a :class:`GridStore`, e.g. the API process's LRU in
``planning.grid_cache``) the padded box is snapped outward to multiples of a power of two
(at most the pad), so that requests in the same area ask for the same box, and any cached
grid of the same static version, zoom, band and clearance that contains the box is reused.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Sequence

import numpy as np

from routing.blocks import Blocks, static_open
from routing.busy import BusyTable
from routing.drone_attempts import attempts
from routing.drone_output import GridStore, padded_box, snap_box, to_route
from routing.errors import NoRoute, RoutingError, SearchBudgetExceeded
from routing.grid import VoxelGrid, build_grid, tile_metres
from routing.hierarchy import Hierarchy
from routing.motion import (
    Corridor,
    deferral,
    heuristic,
    in_corridor,
    moves,
    octile,
    rates,
    side_offsets,
)
from routing.multires import MultiResGraph, graph_polyline
from routing.occupancy import BusyArrays, Occupancy, TileBox
from routing.route import Route
from routing.sipp import GridPath, search
from routing.sipp_graph import search_graph
from routing.smooth import grid_polyline, smooth_best
from routing.vehicle import VehicleLimits
from spatialid import Voxel, lnglat_to_voxel

DENSE_MAX_SPAN_M = 1_000.0
"""Metres between the ends beyond which a route is planned hierarchically (no ``region``)."""

DEFAULT_WEIGHT = 1.01
"""Heuristic weight: the grid route's duration is at most ``weight`` x the optimum."""

Point = Sequence[float]
"""``(lng, lat, alt)``: degrees and metres."""


class DronePlanner:
    """Plans drone routes against one :class:`~routing.occupancy.Occupancy`."""

    def __init__(
        self,
        occupancy: Occupancy,
        limits: VehicleLimits | None = None,
        *,
        zoom: int = 23,
        region: TileBox | None = None,
        pad_fraction: float = 0.25,
        min_pad_tiles: int = 32,
        max_expansions: int = 2_000_000,
        time_budget_s: float = 10.0,
        smoothing: bool = True,
        corridor_min_m: float = 300.0,
        corridor_fraction: float = 0.2,
        weight: float = DEFAULT_WEIGHT,
        fallback_after: int | None = 20_000,
        fallback_weight: float = 1.1,
        grid_cache: GridStore | None = None,
        coarse_levels: int = 2,
        fine_first: int = 1_000,
        busy_window: tuple[float, float] = (600.0, 3.0),
        max_grid_bytes: int | None = None,
        hierarchical: bool = True,
        dense_max_span_m: float = DENSE_MAX_SPAN_M,
        dense_max_voxels: int = 50_000_000,
        column_levels: int | None = None,
    ) -> None:
        self.occupancy = occupancy
        self.limits = limits or VehicleLimits()
        self.zoom = zoom
        self.region = region
        self.pad_fraction = pad_fraction
        self.min_pad_tiles = min_pad_tiles
        self.max_expansions = max_expansions
        self.time_budget_s = time_budget_s
        self._until = math.inf
        """The ``perf_counter`` instant the plan under way must end by (its budget)."""
        self.smoothing = smoothing
        self.corridor_min_m = corridor_min_m
        self.corridor_fraction = corridor_fraction
        self.weight = weight
        self.fallback_after = fallback_after
        self.fallback_weight = fallback_weight
        self._grid: tuple[Hashable, VoxelGrid] | None = None
        self.grid_cache = grid_cache
        if not 0 <= coarse_levels <= 6:
            raise RoutingError(f"coarse_levels must be in 0..6, got {coarse_levels!r}")
        self.coarse_levels = coarse_levels
        self.fine_first = fine_first
        self.busy_window = busy_window
        self.max_grid_bytes = max_grid_bytes
        """A grid larger than this is not built: ``SearchBudgetExceeded`` (None: no cap)."""
        self.hierarchical = hierarchical
        self.dense_max_span_m = dense_max_span_m
        self.dense_max_voxels = dense_max_voxels
        self.column_levels = column_levels
        h = 2.0**25 / (1 << zoom)
        self.f_lo = math.ceil(self.limits.altitude_lower_m / h - 1e-9)
        self.f_hi = math.floor(self.limits.altitude_upper_m / h + 1e-9) - 1
        if self.f_lo > self.f_hi:
            raise NoRoute("outside_altitude_band", "the altitude band holds no whole voxel")

    def grid_for(self, box: TileBox) -> VoxelGrid:
        """The (cached) static grid over ``box``."""
        token = (self.occupancy.static_version(), box)
        if self._grid is None or self._grid[0] != token:
            shared = (token[0], self.zoom, self.f_lo, self.f_hi, self.limits.clearance_m)
            g = self.grid_cache.find(shared, box) if self.grid_cache is not None else None
            if g is None:
                self._check_size(box)
                g = build_grid(
                    self.occupancy,
                    self.zoom,
                    box,
                    self.f_lo,
                    self.f_hi,
                    self.limits.clearance_m,
                )
                if self.coarse_levels > 0:
                    static_open(g, self.coarse_levels)  # cached on the grid
                if self.grid_cache is not None:
                    self.grid_cache.put(shared, box, g)
            self._grid = (token, g)
        return self._grid[1]

    def _check_size(self, box: TileBox) -> None:
        """Refuse a grid over ``box`` larger than ``max_grid_bytes`` (one byte a voxel)."""
        size = (box.x1 - box.x0 + 2) * (box.y1 - box.y0 + 2) * (self.f_hi - self.f_lo + 3)
        if self.max_grid_bytes is not None and size > self.max_grid_bytes:
            raise SearchBudgetExceeded(
                f"the planning grid would take {size / 2**20:.0f} MiB "
                f"(at most {self.max_grid_bytes / 2**20:.0f} MiB)"
            )

    def _box(self, a: Voxel, b: Voxel) -> TileBox:
        if self.region is not None:
            r = self.region
            for v in (a, b):
                if not (r.x0 <= v.x < r.x1 and r.y0 <= v.y < r.y1):
                    raise NoRoute("no_path", f"{v} is outside the planning region")
            return r
        box, pad = padded_box(a, b, self.pad_fraction, self.min_pad_tiles, self.zoom)
        n = 1 << self.zoom
        if self.grid_cache is None:
            return box
        return snap_box(box, 1 << (pad.bit_length() - 1), n)

    def plan(self, origin: Point, destination: Point, departure: float) -> Route:
        """The earliest-arriving route; raises :class:`~routing.errors.NoRoute`."""
        started = time.perf_counter()
        self._until = started + self.time_budget_s
        z = self.zoom
        a = lnglat_to_voxel(origin[0], origin[1], origin[2], z)
        b = lnglat_to_voxel(destination[0], destination[1], destination[2], z)
        for v, what in ((a, "origin"), (b, "destination")):
            if not self.f_lo <= v.f <= self.f_hi:
                raise NoRoute("outside_altitude_band", f"the {what} {v} is outside the band")
        if self._use_hierarchy(a, b):
            try:
                route = Hierarchy.of(self).plan(a, b, departure, started + self.time_budget_s)
                route.meta["planning_ms"] = (time.perf_counter() - started) * 1000.0
                return route
            except SearchBudgetExceeded:
                raise
            except NoRoute as exc:  # a gap narrower than a column: the dense grid, if small
                if exc.reason != "no_path" or self._dense_voxels(a, b) > self.dense_max_voxels:
                    raise
        grid = self.grid_for(self._box(a, b))
        self._left("the search")  # building a large grid may take the whole budget
        if grid.is_blocked(a.f, a.x, a.y):
            raise NoRoute("origin_blocked", f"the origin {a} is blocked (or too close)")
        if grid.is_blocked(b.f, b.x, b.y):
            raise NoRoute("destination_blocked", f"the destination {b} is blocked")
        span = math.hypot(b.x - a.x, b.y - a.y)
        width = max(self.corridor_min_m / grid.tile_m, self.corridor_fraction * span)
        for attempt in range(2):
            corridor = (a.x + 0.5, a.y + 0.5, b.x + 0.5, b.y + 0.5, width * 4**attempt)
            try:
                route = self._plan_in(grid, a, b, departure, corridor)
                break
            except NoRoute as exc:
                if exc.reason != "no_path" or attempt == 1:
                    raise
        route.meta["planning_ms"] = (time.perf_counter() - started) * 1000.0
        route.meta["planner"] = "dense"
        return route

    def _left(self, step: str) -> float:
        """Seconds left of the plan's time budget (one for all its searches); raises
        ``SearchBudgetExceeded`` when none is left before ``step``."""
        left = self._until - time.perf_counter()
        if left <= 0:
            raise SearchBudgetExceeded(f"the time budget ran out before {step}")
        return left

    def _use_hierarchy(self, a: Voxel, b: Voxel) -> bool:
        """True for the hierarchical planner: no ``region``, and a span longer than
        ``dense_max_span_m`` (or ``column_levels`` given)."""
        if not self.hierarchical or self.region is not None:
            return False
        if self.column_levels is not None:
            return True
        span = max(abs(a.x - b.x), abs(a.y - b.y)) * tile_metres(self.zoom, (a.y + b.y) / 2)
        return span > self.dense_max_span_m

    def _dense_voxels(self, a: Voxel, b: Voxel) -> int:
        """Voxels of the dense grid over the padded box of ``a`` and ``b``."""
        box = self._box(a, b)
        return (box.x1 - box.x0 + 2) * (box.y1 - box.y0 + 2) * (self.f_hi - self.f_lo + 3)

    def _plan_in(
        self, grid: VoxelGrid, a: Voxel, b: Voxel, departure: float, corridor: Corridor
    ) -> Route:
        """One search inside ``corridor``, first with the busy rows of a time window (see
        ``busy_window``), then, if the route ends too late for it, with all of them."""
        lower = octile(rates(grid, self.limits), b.x - a.x, b.y - a.y, b.f - a.f)
        until = departure + max(self.busy_window[0], self.busy_window[1] * lower)
        route = self._plan_until(grid, a, b, departure, corridor, until)
        if route.arrival + self.limits.safety_buffer_s < until:
            return route
        return self._plan_until(grid, a, b, departure, corridor, math.inf)

    def _plan_until(
        self,
        grid: VoxelGrid,
        a: Voxel,
        b: Voxel,
        departure: float,
        corridor: Corridor,
        until: float,
    ) -> Route:
        """One search with the busy rows of the corridor that start before ``until``: its
        route is right when it ends (with its buffer) before ``until``."""
        buf = self.limits.safety_buffer_s
        ax, ay, bx, by, w = corridor
        box = TileBox(
            max(grid.x0, int(min(ax, bx) - w) - 1),
            max(grid.y0, int(min(ay, by) - w) - 1),
            min(grid.x0 + grid.nx, int(max(ax, bx) + w) + 2),
            min(grid.y0 + grid.ny, int(max(ay, by) + w) + 2),
        )
        rows = self.occupancy.busy_in(self.zoom, box, departure - 2 * buf, until)
        near = in_corridor(rows.x, rows.y, (ax, ay, bx, by, w + 2.0))
        rows = BusyArrays(
            rows.f[near], rows.x[near], rows.y[near], rows.start[near], rows.end[near]
        )
        busy = BusyTable(grid, rows, departure, buf)
        goal = grid.key(b.f, b.x, b.y)
        start = grid.key(a.f, a.x, a.y)
        graph: MultiResGraph | None = None

        def run(levels: int, w: float, cap: int) -> GridPath:
            nonlocal graph
            if levels == 0:
                return search(
                    moves(grid, self.limits),
                    grid.blocked,
                    busy,
                    start,
                    goal,
                    heuristic(grid, self.limits, goal, w, corridor),
                    max_expansions=cap,
                    time_budget_s=self._left("a search"),
                    deferral=deferral(grid, self.limits, w),
                    sides=side_offsets(grid),
                )
            if graph is None:
                blocks = Blocks(grid, levels)
                blocks.close(rows.f, rows.x, rows.y)
                blocks.close(np.array([a.f, b.f]), np.array([a.x, b.x]), np.array([a.y, b.y]))
                graph = MultiResGraph(grid, blocks, self.limits)
            return search_graph(
                graph.adjacency,
                busy,
                start,
                goal,
                graph.heuristic(goal, w, corridor),
                max_expansions=cap,
                time_budget_s=self._left("a search"),
            )

        try:
            path, levels, w, spent = attempts(self, run, max(abs(b.x - a.x), abs(b.y - a.y)))
        except NoRoute as exc:
            if exc.reason == "no_path" and goal in busy.keys:
                exc.message += "; the destination is busy for part of the time"
                exc.args = (f"{exc.reason}: {exc.message}",)
                exc.busy_end = "destination"
            raise
        if levels > 0 and graph is not None:
            points, times = graph_polyline(graph, path.keys, path.arrivals, path.departures)
        else:
            points, times = grid_polyline(grid, path)
        route = self._route(grid, busy, points, times, path.expansions, departure)
        route.expansions += spent
        route.meta["weight"] = w
        route.meta["coarse_levels"] = levels
        return route

    def _route(
        self,
        grid: VoxelGrid,
        busy: BusyTable,
        points: np.ndarray,
        times: np.ndarray,
        expansions: int,
        t_ref: float,
    ) -> Route:
        grid_duration = float(times[-1] - times[0])
        if self.smoothing:
            points, times = smooth_best(grid, busy, points, times, self.limits)
        return to_route(
            grid,
            points,
            times,
            t_ref,
            self.limits.safety_buffer_s,
            expansions=expansions,
            grid_duration_s=grid_duration,
        )

"""The hierarchical drone planner: a column path, then fine windows where it matters.

1. Columns (:mod:`routing.coarse`): the padded box of origin and destination is split into
   columns (tiles of zoom ``z - k`` over the whole band, ``k`` from the route's span so the
   box is at most about ``max_columns`` columns across); only the columns holding a static
   block or a busy row are materialised (sparse sets). A* over columns gives a column path.
2. Windows: consecutive *special* columns of the path (the origin's, the destination's,
   hot ones, closed ones) with one free column before and after form a window: a small
   dense :class:`~routing.grid.VoxelGrid` (those columns plus a margin of one column), in
   which the existing time-aware SIPP (:func:`routing.sipp.search`) runs from the entry
   voxel, at the time it is reached, to the exit voxel (the centre voxel of the free
   column after; the origin's window exits at the destination's layer). Windows longer
   than ``max_window`` columns are cut at a column of the path (exit at its centre voxel).
   Each window's path is smoothed in its grid (:func:`routing.smooth.smooth`) before the
   next part is planned from its (possibly earlier) end time.
3. Legs: between windows every column is free of static blocks and of busy rows over the
   time window read, so the route flies straight at the exit's layer, through the column
   centres pulled tight by line of sight over free columns.

Memory and work grow with the route's length (columns and windows along it) and with the
obstacles and busy rows near it, never with the box's area. The wall-clock budget is
checked between every step and inside every search; ``SearchBudgetExceeded`` when spent.

Bound (``route.meta``): every window search is weighted A* with a consistent heuristic, so
its part is within ``meta["weight"]`` of the earliest arrival at its exit voxel from its
entry state inside its window; legs are straight flights. Hence ``grid duration <= weight
x optimum`` over routes that pass the same join voxels in the same order and stay in the
windows between them. Against the fine grid's optimum (26-neighbour moves, as the dense
planner with ``weight=1``), in free space: ``grid duration <= weight x optimum +
meta["slack_s"]`` (up to the Mercator scale each window takes at its own middle row), where
``slack_s`` is ``weight`` x the octile time of the chain of join voxels minus that of the
straight origin-destination pair: the detour through the joins. Straight legs may beat the
26-neighbour grid. NOT bounded: near obstacles (closed columns are searched only inside
their windows, half a column of margin, four times that on ``no_path``; a gap narrower
than a column between full ones is missed), around busy space (hot columns cost
``penalty`` x their time in the column search, which is weighted by ``coarse_weight``),
and smoothing only shortens the flight.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from routing.coarse import (
    busy_columns,
    check_deadline,
    coarse_path,
    column_id,
    pull,
    sight,
    static_columns,
)
from routing.errors import NoRoute, SearchBudgetExceeded
from routing.grid import VoxelGrid, tile_metres
from routing.motion import octile, rates, segment_time
from routing.occupancy import Occupancy, TileBox, select_busy
from routing.route import Route
from routing.vehicle import VehicleLimits
from routing.windows import Parts
from spatialid import Voxel, voxel_height

SMOOTHING_STEP = 16.0


@dataclass
class Hierarchy:
    """Settings of the hierarchical planner (see the module docstring)."""

    occupancy: Occupancy
    limits: VehicleLimits
    zoom: int
    f_lo: int
    f_hi: int
    weight: float = 1.01
    max_expansions: int = 2_000_000
    smoothing: bool = True
    levels: int | None = None
    min_levels: int = 5
    max_levels: int = 7
    max_columns: int = 1024
    max_window: int = 6
    penalty: float = 2.0
    coarse_weight: float = 1.2
    margin: float = 0.5
    pad_fraction: float = 0.5
    min_pad_columns: int = 8
    busy_window: tuple[float, float] = (600.0, 3.0)
    stats: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, p: Any) -> Hierarchy:
        """The settings of a :class:`~routing.drone.DronePlanner` ``p``."""
        return cls(
            p.occupancy,
            p.limits,
            p.zoom,
            p.f_lo,
            p.f_hi,
            weight=p.weight,
            max_expansions=p.max_expansions,
            smoothing=p.smoothing,
            levels=p.column_levels,
            busy_window=p.busy_window,
        )

    def levels_for(self, span: int) -> int:
        """``k``: enough for at most ``max_columns`` columns over the span, within
        ``min_levels..max_levels`` (a window's size grows with ``4^k``, so ``k`` stays small)."""
        if self.levels is not None:
            return self.levels
        need = math.ceil(math.log2(max(1, span) / self.max_columns)) if span else 0
        return max(self.min_levels, min(self.max_levels, self.zoom - 1, need))

    def plan(self, a: Voxel, b: Voxel, departure: float, deadline: float) -> Route:
        """A route from voxel ``a`` to ``b`` (the busy window first, then all rows)."""
        z = self.zoom
        tile_m = tile_metres(z, (a.y + b.y) / 2.0)
        lower = segment_time(b.x - a.x, b.y - a.y, b.f - a.f, tile_m, voxel_height(z), self.limits)
        until = departure + max(self.busy_window[0], self.busy_window[1] * lower)
        route = self._plan_until(a, b, departure, deadline, until)
        if route.arrival + self.limits.safety_buffer_s < until:
            return route
        return self._plan_until(a, b, departure, deadline, math.inf)

    def _plan_until(
        self, a: Voxel, b: Voxel, departure: float, deadline: float, until: float
    ) -> Route:
        z, lim = self.zoom, self.limits
        buf = lim.safety_buffer_s
        span = max(abs(a.x - b.x), abs(a.y - b.y))
        k = self.levels_for(span)
        s = 1 << k
        n = 1 << z
        pad = max(self.min_pad_columns * s, int(span * self.pad_fraction))
        box = TileBox(
            max(0, min(a.x, b.x) - pad),
            max(0, min(a.y, b.y) - pad),
            min(n, max(a.x, b.x) + pad + 1),
            min(n, max(a.y, b.y) + pad + 1),
        )
        tile_m = tile_metres(z, (box.y0 + box.y1) / 2.0)
        height_m = voxel_height(z)
        c = lim.clearance_m
        rh = math.ceil(c / tile_m - 1e-9) if c > 0 else 0
        rv = math.ceil(c / height_m - 1e-9) if c > 0 else 0
        t = time.perf_counter()
        closed, full = static_columns(self.occupancy, z, k, box, self.f_lo, self.f_hi, rh, rv)
        check_deadline(deadline, "static columns")
        rows = self.occupancy.busy_in(z, box, departure - 2 * buf, until)
        band = (rows.f >= self.f_lo) & (rows.f <= self.f_hi)
        # rows over before the vehicle can reach them (straight, at full speed) cannot meet it
        reach = np.hypot(rows.x - a.x, rows.y - a.y) - 2.0
        reach *= 0.99 * tile_metres(z, max(a.y, b.y) + pad) / lim.max_speed_mps
        band &= rows.end + buf > departure + reach
        rows = select_busy(rows, band)
        hot = busy_columns(rows, k, self.f_lo, self.f_hi)
        check_deadline(deadline, "busy columns")
        self.stats["columns_ms"] = (time.perf_counter() - t) * 1000.0
        bounds = (box.x0 >> k, box.y0 >> k, ((box.x1 - 1) >> k) + 1, ((box.y1 - 1) >> k) + 1)
        path = coarse_path(
            (a.x >> k, a.y >> k),
            (b.x >> k, b.y >> k),
            full,
            closed | hot,
            bounds,
            penalty=self.penalty,
            weight=self.coarse_weight,
            deadline=deadline,
        )
        self.stats["coarse_ms"] = (time.perf_counter() - t) * 1000.0 - self.stats["columns_ms"]
        last = len(path) - 1
        special = [
            i in (0, last) or column_id(*p) in hot or column_id(*p) in closed
            for i, p in enumerate(path)
        ]
        windows = _windows(special, self.max_window)

        def free(cx: int, cy: int) -> bool:
            cid = column_id(cx, cy)
            inside = bounds[0] <= cx < bounds[2] and bounds[1] <= cy < bounds[3]
            return inside and cid not in closed and cid not in hot

        ok = sight(free, k)
        run = Parts(self, rows, departure, deadline)
        cur, t_cur = (a.f, a.x, a.y), 0.0
        joins = [cur]
        for w, (lo, hi) in enumerate(windows):
            if w > 0:  # the straight leg from the previous window's exit to this entry
                plo = windows[w - 1][1]
                centres = [_centre(path[i], k) for i in range(plo, lo + 1)]
                t_cur = run.leg(pull(centres, ok), cur[0], t_cur)
                ex, ey = centres[-1]
                cur = (cur[0], int(ex), int(ey))
                joins.append(cur)
            if hi == last:
                goal = (b.f, b.x, b.y)
            else:
                gx, gy = _centre(path[hi], k)
                goal = (b.f if lo == 0 else cur[0], int(gx), int(gy))
            cols = path[lo : hi + 1]
            for grow in (1, 4):  # a wider window when the narrow one holds no route
                wbox = _window_box(cols, k, n, int(self.margin * s * grow))
                try:
                    cur, t_cur = run.window(wbox, cur, goal, t_cur, final=hi == last)
                    break
                except NoRoute as exc:
                    if exc.reason != "no_path" or grow > 1 or isinstance(exc, SearchBudgetExceeded):
                        raise
            joins.append(cur)
        meta_slack = self._slack(joins, tile_m, height_m)
        route = run.route(departure)
        route.meta.update(
            planner="hierarchical",
            weight=self.weight,
            slack_s=meta_slack,
            coarse_zoom=z - k,
            columns=len(path),
            windows=len(windows),
            coarse_levels=k,
        )
        return route

    def _slack(self, joins: list[tuple[int, int, int]], tile_m: float, height_m: float) -> float:
        """``weight`` x (octile time through the joins - octile time from first to last)."""
        dummy = VoxelGrid(self.zoom, 0, 0, 0, 1, 1, 1, bytearray(1), tile_m, height_m)
        r = rates(dummy, self.limits, self.weight)

        def oc(p: tuple[int, int, int], q: tuple[int, int, int]) -> float:
            return octile(r, q[1] - p[1], q[2] - p[2], q[0] - p[0])

        chain = sum(oc(joins[i], joins[i + 1]) for i in range(len(joins) - 1))
        return max(0.0, chain - oc(joins[0], joins[-1]))


def _centre(col: tuple[int, int], k: int) -> tuple[float, float]:
    """The centre of the centre voxel of a column, in tile units."""
    h = (1 << k) // 2
    return (col[0] << k) + h + 0.5, (col[1] << k) + h + 0.5


def _window_box(cols: list[tuple[int, int]], k: int, n: int, margin: int) -> TileBox:
    """Tiles of the columns' bounding box plus ``margin`` tiles on every side."""
    xs, ys = [c[0] for c in cols], [c[1] for c in cols]
    return TileBox(
        max(0, (min(xs) << k) - margin),
        max(0, (min(ys) << k) - margin),
        min(n, ((max(xs) + 1) << k) + margin),
        min(n, ((max(ys) + 1) << k) + margin),
    )


def _windows(special: list[bool], max_window: int) -> list[tuple[int, int]]:
    """Index ranges ``(lo, hi)`` of the path's windows: each run of special columns with
    the free column before and after; windows that touch are merged, long ones cut."""
    last = len(special) - 1
    out: list[list[int]] = []
    i = 0
    while i <= last:
        if not special[i]:
            i += 1
            continue
        j = i
        while j < last and special[j + 1]:
            j += 1
        lo, hi = max(0, i - 1), min(last, j + 1)
        if out and lo <= out[-1][1]:
            out[-1][1] = hi
        else:
            out.append([lo, hi])
        i = j + 1
    cut: list[tuple[int, int]] = []
    for lo, hi in out:
        while hi - lo > max_window:
            cut.append((lo, lo + max_window))
            lo += max_window
        cut.append((lo, hi))
    return cut

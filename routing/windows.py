"""The parts of a hierarchical route (:mod:`routing.hierarchy`) as they are planned: dense
SIPP windows and straight legs between them, joined into one timed polyline."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from routing.busy import BusyTable
from routing.coarse import check_deadline
from routing.drone_output import to_route
from routing.errors import NoRoute
from routing.grid import VoxelGrid, build_grid, tile_metres
from routing.motion import deferral, heuristic, moves, segment_time, side_offsets
from routing.occupancy import BusyArrays, TileBox, select_busy
from routing.route import Route
from routing.sipp import search
from routing.smooth import grid_polyline, smooth_best
from spatialid import voxel_height

if TYPE_CHECKING:
    from routing.hierarchy import Hierarchy


def _leg_tile_m(z: int, y0: float, y1: float) -> float:
    """The larger tile width of a leg's two ends (never faster than the vehicle flies)."""
    return max(tile_metres(z, y0), tile_metres(z, y1))


class Parts:
    """The parts of one route as they are planned: vertices, times, counts."""

    def __init__(self, h: Hierarchy, rows: BusyArrays, departure: float, deadline: float) -> None:
        self.h, self.departure, self.deadline = h, departure, deadline
        order = np.argsort(rows.x, kind="stable")  # windows slice the rows by x
        self.rows = select_busy(rows, order)
        self.points: list[np.ndarray] = []
        self.times: list[np.ndarray] = []
        self.grid_s = 0.0
        self.expansions = 0
        self.grid: VoxelGrid | None = None

    def _add(self, p: np.ndarray, t: np.ndarray) -> None:
        if self.points:
            p, t = p[1:], t[1:]
        self.points.append(p)
        self.times.append(t)

    def leg(self, pts: list[tuple[float, float]], f: int, t0: float) -> float:
        """Fly straight through ``pts`` (tile units) at layer ``f`` from ``t0``."""
        z = self.h.zoom
        p = np.array([(x, y, f + 0.5) for x, y in pts])
        d = np.diff(p, axis=0)
        h_m = voxel_height(z)
        dt = [
            segment_time(
                row[0], row[1], row[2], _leg_tile_m(z, q[1] - row[1], q[1]), h_m, self.h.limits
            )
            for row, q in zip(d.tolist(), p[1:].tolist(), strict=True)
        ]
        t = t0 + np.concatenate([[0.0], np.cumsum(dt)])
        self.grid_s += float(t[-1] - t0)
        self._add(p, t)
        return float(t[-1])

    def window(
        self,
        wbox: TileBox,
        start: tuple[int, int, int],
        goal: tuple[int, int, int],
        t0: float,
        *,
        final: bool,
    ) -> tuple[tuple[int, int, int], float]:
        """SIPP inside ``wbox`` from ``start`` at ``t0`` to ``goal``: the end and its time."""
        h, lim = self.h, self.h.limits
        check_deadline(self.deadline, "before a window")
        grid = build_grid(h.occupancy, h.zoom, wbox, h.f_lo, h.f_hi, lim.clearance_m)
        check_deadline(self.deadline, "window grid")
        self.grid = grid
        if grid.is_blocked(*start):
            raise NoRoute("origin_blocked", f"the voxel {start} is blocked (or too close)")
        if grid.is_blocked(*goal):
            if final:
                raise NoRoute("destination_blocked", f"the voxel {goal} is blocked")
            goal = self._free_layer(grid, goal)
        r = self.rows
        lo, hi = np.searchsorted(r.x, [wbox.x0, wbox.x1])
        r = BusyArrays(r.f[lo:hi], r.x[lo:hi], r.y[lo:hi], r.start[lo:hi], r.end[lo:hi])
        inside = (r.y >= wbox.y0) & (r.y < wbox.y1)
        busy = BusyTable(grid, select_busy(r, inside), self.departure, lim.safety_buffer_s)
        gk, sk = grid.key(*goal), grid.key(*start)
        w = h.weight
        path = search(
            moves(grid, lim),
            grid.blocked,
            busy,
            sk,
            gk,
            heuristic(grid, lim, gk, w),
            t0=t0,
            max_expansions=h.max_expansions,
            time_budget_s=max(0.0, self.deadline - time.perf_counter()),
            deferral=deferral(grid, lim, w),
            sides=side_offsets(grid),
        )
        self.expansions += path.expansions
        p, t = grid_polyline(grid, path)
        self.grid_s += float(t[-1] - t[0])
        if h.smoothing:
            p, t = smooth_best(grid, busy, p, t, lim)
        self._add(p, t)
        return goal, float(t[-1])

    @staticmethod
    def _free_layer(grid: VoxelGrid, goal: tuple[int, int, int]) -> tuple[int, int, int]:
        """The nearest layer of the goal's tile that is not blocked."""
        f, x, y = goal
        for d in range(1, grid.nf):
            for g in (f - d, f + d):
                if not grid.is_blocked(g, x, y):
                    return g, x, y
        raise NoRoute("no_path", f"every layer of the tile of {goal} is blocked")

    def route(self, departure: float) -> Route:
        """The whole route (relative times turned into unix seconds)."""
        assert self.grid is not None
        p, t = np.concatenate(self.points), np.concatenate(self.times)
        return to_route(
            self.grid,
            p,
            t,
            departure,
            self.h.limits.safety_buffer_s,
            expansions=self.expansions,
            grid_duration_s=self.grid_s,
        )

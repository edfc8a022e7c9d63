"""From a grid path to a timed polyline, and any-angle smoothing that keeps it free.

The grid path becomes a polyline through voxel centres (collinear runs merged, a hover
as two vertices at one place). Smoothing is greedy line-of-sight (as in Theta*'s post-
processing): from each kept vertex it jumps to the farthest later vertex (found by
galloping, see ``_farthest``) whose straight segment, flown at the vehicle's limits from
the time it is reached, crosses only voxels free of static blocks and free of busy
intervals when the segment is in them, and passes no edge or corner of a blocked voxel.
A jump may skip a hover when that is free at the new times. A straight segment is never
slower than the grid moves it replaces, so every kept vertex is reached no later than
before; reaching one early is checked too (the voxel of a hover must be free from the
early arrival, and a grid move kept as it is but started early must be free at its new
times, else the route waits and flies it at the grid's times).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from routing.busy import BusyTable
from routing.grid import VoxelGrid
from routing.motion import segment_time
from routing.sipp import GridPath
from routing.traversal import corner_cells, polyline_visits, segment_pieces
from routing.vehicle import VehicleLimits

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def grid_polyline(grid: VoxelGrid, path: GridPath) -> tuple[FloatArray, FloatArray]:
    """Vertices ``(N, 3)`` in tile space ``(x, y, f)`` and times of a grid path."""
    f, x, y = grid.coords_array(np.asarray(path.keys, dtype=np.int64))
    centres = np.stack([x, y, f], axis=1).astype(np.float64) + 0.5
    pts: list[FloatArray] = [centres[0]]
    ts: list[float] = [path.arrivals[0]]
    n = len(path.keys)
    for i in range(1, n):
        dep = path.departures[i]
        if dep > ts[-1] + 1e-9:  # hover in the previous voxel until the move starts
            pts.append(centres[i - 1])
            ts.append(dep)
        pts.append(centres[i])
        ts.append(path.arrivals[i])
    p, t = np.array(pts), np.array(ts)
    if len(p) <= 2:
        return p, t
    d = np.diff(p, axis=0)
    same = np.all(d[1:] == d[:-1], axis=1) & np.any(d[1:] != 0, axis=1)
    keep = np.r_[True, ~same, True]
    return p[keep], t[keep]


def _inside(grid: VoxelGrid, x: IntArray, y: IntArray, f: IntArray) -> npt.NDArray[np.bool_]:
    return (
        (x > grid.x0)
        & (x < grid.x0 + grid.nx - 1)
        & (y > grid.y0)
        & (y < grid.y0 + grid.ny - 1)
        & (f > grid.f0)
        & (f < grid.f0 + grid.nf - 1)
    )


def visits_free(
    grid: VoxelGrid, busy: BusyTable, cells: IntArray, enters: FloatArray, leaves: FloatArray
) -> bool:
    """True iff every ``(x, y, f)`` cell (consecutive cells of a path) is inside, unblocked
    and free over its window, and no cell the path touches at an edge or corner is
    blocked (:func:`~routing.traversal.corner_cells`)."""
    touched = corner_cells(cells)
    if len(touched):
        tx, ty, tf = touched[:, 0], touched[:, 1], touched[:, 2]
        if not _inside(grid, tx, ty, tf).all() or grid.blocked_array()[grid.keys(tf, tx, ty)].any():
            return False
    x, y, f = cells[:, 0], cells[:, 1], cells[:, 2]
    if not _inside(grid, x, y, f).all():
        return False
    keys = grid.keys(f, x, y)
    if grid.blocked_array()[keys].any():
        return False
    if not busy.keys:
        return True
    hot = busy.keys
    for i, k in enumerate(keys.tolist()):
        if k in hot and not busy.free_during(k, float(enters[i]), float(leaves[i])):
            return False
    return True


def _segment_free(
    grid: VoxelGrid, busy: BusyTable, p: FloatArray, q: FloatArray, t0: float, dur: float
) -> bool:
    cells, ta, tb = segment_pieces(p, q)
    return visits_free(grid, busy, cells, t0 + ta * dur, t0 + tb * dur)


def smooth(
    grid: VoxelGrid, busy: BusyTable, points: FloatArray, times: FloatArray, limits: VehicleLimits
) -> tuple[FloatArray, FloatArray]:
    """Greedy any-angle shortcuts (see the module docstring); returns a new polyline, or
    the given one when a wait it would need is not free."""
    n = len(points)

    def dur(a: int, b: int) -> float:
        d = points[b] - points[a]
        return segment_time(d[0], d[1], d[2], grid.tile_m, grid.height_m, limits)

    def hover(i: int) -> bool:
        return i + 1 < n and bool(np.all(points[i + 1] == points[i]))

    def free(a: int, b: int, t0: float, d: float) -> bool:
        return _segment_free(grid, busy, points[a], points[b], t0, d)

    out_p, out_t = [points[0]], [float(times[0])]
    i, t = 0, float(times[0])
    while i < n - 1:
        if hover(i):  # reached early: the voxel must be free from then on too
            if t < times[i] and not free(i, i, t, float(times[i]) - t):
                return points, times
            i += 1
            t = max(t, float(times[i]))
            out_p.append(points[i])
            out_t.append(t)
            continue

        def sight(k: int) -> bool:
            return free(i, k, t, dur(i, k))  # noqa: B023 (called at once, in this loop)

        j = _farthest(i, n, sight)
        d = dur(i, j)
        if j == i + 1 and not free(i, j, t, d):
            # the grid's own move, started earlier than planned, meets a busy voxel: wait
            # here until the grid's time, then fly the move as the grid did
            if not free(i, i, t, float(times[i]) - t):
                return points, times
            t = float(times[i])
            out_p.append(points[i])
            out_t.append(t)
            d = float(times[j] - times[i])
        t += d
        out_p.append(points[j])
        out_t.append(t)
        i = j
    return np.array(out_p), np.array(out_t)


def _farthest(i: int, n: int, ok: Callable[[int], bool]) -> int:
    """The farthest ``j`` in ``i+1 .. n-1`` with ``ok(j)`` found by galloping then
    bisection (``i + 1`` when none further is ``ok``): a few checks, not one per vertex.
    Sight along a path is not monotone, so this is a heuristic; every jump taken is
    checked."""
    good, step = i + 1, 1
    bad = n
    while good + step < n:
        if ok(good + step):
            good += step
            step *= 2
        else:
            bad = good + step
            break
    while bad - good > 1:
        mid = (good + bad) // 2
        if ok(mid):
            good = mid
        else:
            bad = mid
    return good


def densify(points: FloatArray, times: FloatArray, step: float) -> tuple[FloatArray, FloatArray]:
    """The same timed polyline with vertices at most ``step`` tile units apart (more places
    for :func:`smooth` to aim a shortcut at); hovers stay as they are."""
    out_p, out_t = [points[:1]], [times[:1]]
    for i in range(len(points) - 1):
        d = points[i + 1] - points[i]
        k = max(1, int(np.ceil(np.abs(d).max() / step)))
        u = np.arange(1, k + 1) / k
        out_p.append(points[i] + u[:, None] * d)
        out_t.append(times[i] + u * (times[i + 1] - times[i]))
    p, t = np.concatenate(out_p), np.concatenate(out_t)
    p[-1], t[-1] = points[-1], times[-1]
    return p, t


SMOOTHING_STEP = 16.0
"""Tile units between the vertices smoothing may aim a shortcut at (see ``densify``)."""


def smooth_best(
    grid: VoxelGrid, busy: BusyTable, points: FloatArray, times: FloatArray, limits: VehicleLimits
) -> tuple[FloatArray, FloatArray]:
    """The earliest-arriving free result of :func:`smooth` on the polyline as it is and
    densified (``SMOOTHING_STEP``), or the polyline itself."""
    if len(points) <= 2:
        return points, times
    best = float(times[-1])
    for p, t in ((points, times), densify(points, times, SMOOTHING_STEP)):
        sp, st = smooth(grid, busy, p, t, limits)
        if st[-1] < best and polyline_free(grid, busy, sp, st):
            best, points, times = float(st[-1]), sp, st
    return points, times


def polyline_free(grid: VoxelGrid, busy: BusyTable, points: FloatArray, times: FloatArray) -> bool:
    """True iff the whole timed polyline stays in free voxels."""
    cells, enters, leaves = polyline_visits(points, times)
    return visits_free(grid, busy, cells, enters, leaves)

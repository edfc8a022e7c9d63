"""The drone motion model on a grid: move times, straight-segment times, the heuristic.

A move of ``(dx, dy, df)`` voxels takes ``max(horizontal time, vertical time)``: the
horizontal distance ``tile_m * hypot(dx, dy)`` at ``max_speed``, the vertical ``height_m *
|df|`` at the climb or descent rate. One ``tile_m`` (the Mercator scale at the grid's
middle row) is used for the whole grid: across 10 km the scale changes by < 0.2 %.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from routing.grid import VoxelGrid
from routing.sipp import Deferral
from routing.vehicle import VehicleLimits


def segment_time(
    dx: float, dy: float, df: float, tile_m: float, height_m: float, limits: VehicleLimits
) -> float:
    """Seconds to fly a straight segment of ``(dx, dy, df)`` tile units."""
    th = math.hypot(dx, dy) * tile_m / limits.max_speed_mps
    rate = limits.climb_rate_mps if df > 0 else limits.descent_rate_mps
    return max(th, abs(df) * height_m / rate)


def moves(grid: VoxelGrid, limits: VehicleLimits) -> list[tuple[int, float]]:
    """``(key offset, seconds)`` of the 26 moves, cheapest first."""
    out = [
        (off, segment_time(dx, dy, df, grid.tile_m, grid.height_m, limits))
        for off, df, dx, dy in grid.offsets()
    ]
    return sorted(out, key=lambda m: m[1])


def side_offsets(grid: VoxelGrid) -> dict[int, tuple[int, ...]]:
    """For each diagonal move (by key offset) the offsets of the other cells of its
    ``2 x 2 (x 2)`` box. The move passes their shared edge or corner, so it is allowed
    only when none of them is statically blocked (no flight at distance zero from an
    obstacle, none through a zero-width gap; see ``traversal.corner_cells``)."""
    out = {}
    for off, df, dx, dy in grid.offsets():
        if (df != 0) + (dx != 0) + (dy != 0) < 2:
            continue
        sides = {(a * grid.ny + c) * grid.nx + b for a in (0, df) for b in (0, dx) for c in (0, dy)}
        out[off] = tuple(sorted(sides - {0, off}))
    return out


Corridor = tuple[float, float, float, float, float]
"""``(ax, ay, bx, by, half_width)`` in tile units: the search stays within ``half_width``
of the segment ``a -> b``."""


def in_corridor(x: Any, y: Any, c: Corridor) -> Any:
    """Whether tile centres ``(x, y)`` (scalars or arrays) are inside the corridor."""
    ax, ay, bx, by, w = c
    dx, dy = bx - ax, by - ay
    n = dx * dx + dy * dy
    t = np.clip(((x + 0.5 - ax) * dx + (y + 0.5 - ay) * dy) / n, 0.0, 1.0) if n else 0.0
    ex, ey = x + 0.5 - ax - t * dx, y + 0.5 - ay - t * dy
    return ex * ex + ey * ey <= w * w


def deferral(grid: VoxelGrid, limits: VehicleLimits, weight: float = 1.0) -> Deferral | None:
    """Split moves for partial expansion in the goal's layer (see :func:`search`), with
    ``bound = min(up + w*down, down + w*up) - w*diag``: a vertical move from the goal's
    layer costs at least one vertical step and adds the step back to the heuristic, minus
    the diagonal it may carry. None when vertical steps are not the slower ones."""
    straight = grid.tile_m / limits.max_speed_mps
    diag = straight * math.sqrt(2.0)
    up = grid.height_m / limits.climb_rate_mps
    down = grid.height_m / limits.descent_rate_mps
    if min(up, down) < diag:
        return None
    bound = min(up + weight * down, down + weight * up) - weight * diag
    if bound <= 0:
        return None
    table = dict(moves(grid, limits))
    flat = sorted(
        ((off, table[off]) for off, df, _, _ in grid.offsets() if df == 0), key=lambda m: m[1]
    )
    vertical = sorted(
        ((off, table[off]) for off, df, _, _ in grid.offsets() if df != 0), key=lambda m: m[1]
    )
    return Deferral(flat, vertical, grid.nx * grid.ny, bound * (1.0 - 1e-9))


Rates = tuple[float, float, float, float, bool]
"""Seconds per straight and diagonal horizontal step, per step up and down, and whether a
vertical step carries a horizontal one for free (it is the slower)."""


def rates(grid: VoxelGrid, limits: VehicleLimits, weight: float = 1.0) -> Rates:
    """The :data:`Rates` of a grid for a vehicle, each times ``weight``."""
    straight = grid.tile_m / limits.max_speed_mps
    diag = straight * math.sqrt(2.0)
    up = grid.height_m / limits.climb_rate_mps
    down = grid.height_m / limits.descent_rate_mps
    carry = min(up, down) >= diag
    return weight * straight, weight * diag, weight * up, weight * down, carry


def octile(r: Rates, dx: float, dy: float, df: float) -> float:
    """The fastest flight over ``(dx, dy, df)`` voxels made of the 26 grid directions (a
    straight flight is never slower): the exact free-space time of the fine grid when
    vertical steps are the slower ones. Sublinear, so as a heuristic it is consistent."""
    straight, diag, up, down, carry = r
    a, b = abs(dx), abs(dy)
    v = df * up if df > 0 else -df * down
    if carry:
        k = abs(df)
        a = a - k if a > k else 0
        b = b - k if b > k else 0
        if a < b:
            a, b = b, a
        return v + b * diag + (a - b) * straight
    if a < b:
        a, b = b, a
    hz = b * diag + (a - b) * straight
    return hz if hz > v else v


def outside(c: Corridor) -> Callable[[float, float], bool]:
    """A test of whether a point ``(x, y)`` in tile units is outside the corridor."""
    ax, ay, bx, by, w = c
    cdx, cdy = bx - ax, by - ay
    cn = cdx * cdx + cdy * cdy or 1.0
    w2 = w * w

    def out(x: float, y: float) -> bool:
        px, py = x - ax, y - ay
        t = (px * cdx + py * cdy) / cn
        t = 0.0 if t < 0.0 else 1.0 if t > 1.0 else t
        px, py = px - t * cdx, py - t * cdy
        return px * px + py * py > w2

    return out


def heuristic(
    grid: VoxelGrid,
    limits: VehicleLimits,
    goal: int,
    weight: float = 1.0,
    corridor: Corridor | None = None,
) -> Callable[[int], float]:
    """``weight`` x :func:`octile` to ``goal``: a consistent lower bound of the time to it,
    exact in free space when a vertical step is slower than a horizontal diagonal one
    (then each vertical step carries a diagonal or straight horizontal step for free).
    Voxels outside the ``corridor`` get ``inf`` (the search never enters them)."""
    gf, gx, gy = grid.coords(goal)
    nx, nxy = grid.nx, grid.nx * grid.ny
    x0, y0, f0 = grid.x0, grid.y0, grid.f0
    r = rates(grid, limits, weight)
    out = outside(corridor) if corridor is not None else None

    def h(key: int) -> float:
        f, rem = divmod(key, nxy)
        y, x = divmod(rem, nx)
        if out is not None and out(x + x0 + 0.5, y + y0 + 0.5):
            return math.inf
        return octile(r, gx - x - x0, gy - y - y0, gf - f - f0)

    return h

"""The drone motion model on a grid: move times, straight-segment times, the heuristic.

A move of ``(dx, dy, df)`` voxels takes ``max(horizontal time, vertical time)``: the
horizontal distance ``tile_m * hypot(dx, dy)`` at ``max_speed``, the vertical ``height_m *
|df|`` at the climb or descent rate. One ``tile_m`` (the Mercator scale at the grid's
middle row) is used for the whole grid: across 10 km the scale changes by < 0.2 %.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from routing.grid import Grid
from routing.vehicle import VehicleLimits


def segment_time(
    dx: float, dy: float, df: float, tile_m: float, height_m: float, limits: VehicleLimits
) -> float:
    """Seconds to fly a straight segment of ``(dx, dy, df)`` tile units."""
    th = math.hypot(dx, dy) * tile_m / limits.max_speed_mps
    rate = limits.climb_rate_mps if df > 0 else limits.descent_rate_mps
    return max(th, abs(df) * height_m / rate)


def moves(grid: Grid, limits: VehicleLimits) -> list[tuple[int, float]]:
    """``(key offset, seconds)`` of the 26 moves, cheapest first."""
    out = [
        (off, segment_time(dx, dy, df, grid.tile_m, grid.height_m, limits))
        for off, df, dx, dy in grid.offsets()
    ]
    return sorted(out, key=lambda m: m[1])


def heuristic(
    grid: Grid, limits: VehicleLimits, goal: int, weight: float = 1.0
) -> Callable[[int], float]:
    """A consistent lower bound of the time to ``goal``; exact in free space when a
    vertical step is slower than a horizontal diagonal one (then each vertical step
    carries a diagonal or straight horizontal step for free)."""
    gf, gx, gy = grid.coords(goal)
    straight = grid.tile_m / limits.max_speed_mps
    diag = straight * math.sqrt(2.0)
    up = grid.height_m / limits.climb_rate_mps
    down = grid.height_m / limits.descent_rate_mps
    carry = min(up, down) >= diag
    nx, nxy = grid.nx, grid.nx * grid.ny
    x0, y0, f0 = grid.x0, grid.y0, grid.f0
    straight, diag, up, down = (weight * v for v in (straight, diag, up, down))

    def h(key: int) -> float:
        f, rem = divmod(key, nxy)
        y, x = divmod(rem, nx)
        a = abs(gx - x - x0)
        b = abs(gy - y - y0)
        k = gf - f - f0
        v = k * up if k > 0 else -k * down
        k = abs(k)
        if carry:
            a = a - k if a > k else 0
            b = b - k if b > k else 0
            if a < b:
                a, b = b, a
            return v + b * diag + (a - b) * straight
        if a < b:
            a, b = b, a
        hz = b * diag + (a - b) * straight
        return hz if hz > v else v

    return h

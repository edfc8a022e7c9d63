"""The two SIPP searches (fixed grid moves, explicit graph) agree, and state packing is guarded."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from routing.busy import MAX_INTERVALS, BusyTable, TooManyIntervals
from routing.errors import NoRoute
from routing.grid import VoxelGrid
from routing.motion import moves, side_offsets
from routing.occupancy import BusyArrays
from routing.sipp import GridPath, search
from routing.sipp_graph import search_graph
from routing.vehicle import VehicleLimits

LIMITS = VehicleLimits(max_speed_mps=10.0, climb_rate_mps=3.0, descent_rate_mps=2.0)


def random_grid(rng: random.Random, nx: int, ny: int, nf: int, density: float) -> VoxelGrid:
    """A padded grid (border blocked) with random interior blocks."""
    arr = np.zeros((nf, ny, nx), dtype=bool)
    arr[1:-1, 1:-1, 1:-1] = np.array(
        [rng.random() < density for _ in range((nf - 2) * (ny - 2) * (nx - 2))]
    ).reshape(nf - 2, ny - 2, nx - 2)
    arr[0], arr[-1] = True, True
    arr[:, 0], arr[:, -1] = True, True
    arr[:, :, 0], arr[:, :, -1] = True, True
    return VoxelGrid(23, 100, 200, 10, nx, ny, nf, bytearray(arr.tobytes()), 4.0, 1.0)


def random_busy(rng: random.Random, grid: VoxelGrid, n: int) -> BusyTable:
    """``n`` random busy windows on interior voxels, in the first minute."""
    f = [rng.randrange(grid.f0 + 1, grid.f0 + grid.nf - 1) for _ in range(n)]
    x = [rng.randrange(grid.x0 + 1, grid.x0 + grid.nx - 1) for _ in range(n)]
    y = [rng.randrange(grid.y0 + 1, grid.y0 + grid.ny - 1) for _ in range(n)]
    s = [rng.uniform(0.0, 60.0) for _ in range(n)]
    e = [t + rng.uniform(0.5, 15.0) for t in s]
    rows = BusyArrays(np.array(f), np.array(x), np.array(y), np.array(s), np.array(e))
    return BusyTable(grid, rows, 0.0, rng.choice([0.0, 0.5]))


def free_cell(rng: random.Random, grid: VoxelGrid) -> int:
    while True:
        k = grid.key(
            rng.randrange(grid.f0 + 1, grid.f0 + grid.nf - 1),
            rng.randrange(grid.x0 + 1, grid.x0 + grid.nx - 1),
            rng.randrange(grid.y0 + 1, grid.y0 + grid.ny - 1),
        )
        if not grid.blocked[k]:
            return k


@pytest.mark.parametrize("seed", range(40))
def test_the_grid_and_graph_searches_agree_on_random_instances(seed: int) -> None:
    """The same grid given to the graph search as an adjacency function (its neighbours
    filtered as the grid search filters them) gives the same path, times and expansions,
    or the same reason for no route."""
    rng = random.Random(seed)
    grid = random_grid(
        rng, rng.randint(5, 12), rng.randint(5, 12), rng.randint(3, 6), rng.uniform(0.0, 0.35)
    )
    busy = random_busy(rng, grid, rng.randint(0, 400))
    mv = moves(grid, LIMITS)
    sides = side_offsets(grid)
    blocked = grid.blocked
    start, goal = free_cell(rng, grid), free_cell(rng, grid)
    gf, gx, gy = grid.coords(goal)
    fastest = min(
        dt / math.dist((0, 0, 0), (df, dx, dy))
        for (off, dt), (_, df, dx, dy) in zip(sorted(mv), sorted(grid.offsets()), strict=True)
    )
    scale = rng.choice([0.0, 1.0])  # Dijkstra's or a lower bound of the time to go

    def heuristic(k: int) -> float:
        f, x, y = grid.coords(k)
        return scale * fastest * math.dist((f, x, y), (gf, gx, gy))

    def adjacency(k: int) -> list[tuple[int, float]]:
        return [
            (k + off, dt)
            for off, dt in mv
            if not blocked[k + off] and not any(blocked[k + so] for so in sides.get(off, ()))
        ]

    t0 = rng.choice([0.0, rng.uniform(0.0, 40.0)])
    results: list[GridPath | str] = []
    for run in (
        lambda: search(mv, blocked, busy, start, goal, heuristic, t0=t0, sides=sides),
        lambda: search_graph(adjacency, busy, start, goal, heuristic, t0=t0),
    ):
        try:
            results.append(run())
        except NoRoute as exc:
            results.append(exc.reason)
    assert results[0] == results[1]


def test_a_voxel_with_more_safe_intervals_than_a_state_can_number_is_refused() -> None:
    grid = random_grid(random.Random(1), 6, 6, 4, 0.0)
    f, x, y = grid.f0 + 1, grid.x0 + 2, grid.y0 + 2  # interior, with free neighbours

    def table(windows: int) -> BusyTable:
        s = np.arange(windows, dtype=np.float64) * 2.0
        return BusyTable(
            grid,
            BusyArrays(np.full(windows, f), np.full(windows, x), np.full(windows, y), s, s + 1.0),
            0.0,
            0.0,
        )

    key = grid.key(f, x, y)
    assert len(table(MAX_INTERVALS - 1).safe(key)) == MAX_INTERVALS  # the most that fit
    with pytest.raises(TooManyIntervals, match="safe intervals"):
        table(MAX_INTERVALS).safe(key)
    busy = table(MAX_INTERVALS)
    mv = moves(grid, LIMITS)
    with pytest.raises(TooManyIntervals):
        search(mv, grid.blocked, busy, grid.key(f, x - 1, y), grid.key(f, x + 1, y), lambda k: 0.0)

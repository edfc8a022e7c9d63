"""The hierarchical drone planner: long routes, no-fly zones, busy corridors, its bound
against the exact fine-grid optimum on small cases, and the wall-clock budget."""

from __future__ import annotations

import math
import time
import tracemalloc

import numpy as np
import pytest

from routing.drone import DronePlanner
from routing.errors import SearchBudgetExceeded
from routing.occupancy import BusyArrays, MemoryOccupancy
from routing.synthetic import disc_zone
from routing.validate import validate_route
from routing.vehicle import VehicleLimits
from spatialid import lnglat_to_voxel
from spatialid.projection import tile_x_to_lng, tile_y_to_lat
from tests.routing.helpers import LIMITS, T0, Z, centre, world

OPEN = (139.2, 36.1)
"""Open country (no obstacles in these worlds)."""
DRONE = VehicleLimits(altitude_upper_m=120.0)


def tile_m(y: float) -> float:
    lat = math.atan(math.sinh(math.pi * (1.0 - 2.0 * y / 2**Z)))
    return 2.0 * math.pi * 6378137.0 * math.cos(lat) / 2**Z


def route_ends(km: float, bearing_deg: float = 37.0) -> tuple[tuple[float, ...], ...]:
    """Origin and destination ``km`` apart in open country (in tile space)."""
    o = lnglat_to_voxel(OPEN[0], OPEN[1], 50.0, Z)
    n = km * 1000.0 / tile_m(o.y)
    th = math.radians(bearing_deg)
    bx, by = o.x + 0.5 + n * math.cos(th), o.y + 0.5 + n * math.sin(th)
    dest = (float(tile_x_to_lng(bx, Z)), float(tile_y_to_lat(by, Z)), 62.0)
    return (OPEN[0], OPEN[1], 50.0), dest


def tiles(p: tuple[float, ...]) -> tuple[float, float]:
    v = lnglat_to_voxel(p[0], p[1], p[2], Z)
    return v.x + 0.5, v.y + 0.5


@pytest.mark.parametrize("km", [20, 50])
def test_long_straight_route_plans_validates_and_stays_small(km: int) -> None:
    occ = MemoryOccupancy()
    o, d = route_ends(km)
    tracemalloc.start()
    try:
        r = DronePlanner(occ, DRONE).plan(o, d, T0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.meta["planner"] == "hierarchical"
    assert validate_route(r, occ, DRONE) == []
    assert peak < 500e6
    straight = km * 1000.0 / DRONE.max_speed_mps
    assert straight * 0.99 < r.duration_s < straight * 1.03


def test_detour_around_a_5_km_no_fly_zone() -> None:
    o, d = route_ends(12.0)
    (ax, ay), (bx, by) = tiles(o), tiles(d)
    radius = 2500.0 / tile_m(ay)
    zone = disc_zone(Z, (ax + bx) / 2, (ay + by) / 2, radius, 0, 64)
    occ = MemoryOccupancy()
    occ.add_static(zone, restriction=True)
    r = DronePlanner(occ, DRONE).plan(o, d, T0)
    assert r.meta["planner"] == "hierarchical"
    assert validate_route(r, occ, DRONE) == []
    mx, my = (ax + bx) / 2, (ay + by) / 2
    gap = min(math.hypot(v.voxel.x + 0.5 - mx, v.voxel.y + 0.5 - my) for v in r.visits)
    assert gap >= radius - 1.0  # never inside the zone
    assert r.duration_s > 12000.0 / DRONE.max_speed_mps * 1.05  # it went around


def test_busy_corridor_across_the_line_is_avoided_or_waited_out() -> None:
    o, d = route_ends(6.0, bearing_deg=0.0)
    (ax, ay), (bx, _) = tiles(o), tiles(d)
    free = MemoryOccupancy()
    straight = DronePlanner(free, DRONE).plan(o, d, T0)
    # a reserved corridor 3 km long, five layers around the route's altitude, busy while
    # the straight route would cross it
    wx = int((ax + bx) / 2)
    half = int(1500.0 / tile_m(ay))
    ys = np.arange(int(ay) - half, int(ay) + half + 1, dtype=np.int64)
    level = straight.visits[len(straight.visits) // 2].voxel.f
    fs = np.arange(level - 2, level + 3, dtype=np.int64)
    f, y = np.meshgrid(fs, ys, indexing="ij")
    t_cross = T0 + 3000.0 / DRONE.max_speed_mps
    n = f.size
    rows = BusyArrays(
        f.ravel(),
        np.full(n, wx, np.int64),
        y.ravel(),
        np.full(n, t_cross - 120.0),
        np.full(n, t_cross + 120.0),
    )
    occ = MemoryOccupancy()
    occ.add_busy_arrays(Z, rows)
    assert validate_route(straight, occ, DRONE) != []  # the wall is in the way
    r = DronePlanner(occ, DRONE).plan(o, d, T0)
    assert r.meta["planner"] == "hierarchical"
    assert validate_route(r, occ, DRONE) == []
    assert r.arrival > straight.arrival


def exact(occ: MemoryOccupancy, a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """The fine-grid optimum (the dense planner, exact, a generous box)."""
    p = DronePlanner(
        occ,
        LIMITS,
        zoom=Z,
        weight=1.0,
        fallback_after=None,
        coarse_levels=0,
        hierarchical=False,
        min_pad_tiles=24,
        pad_fraction=0.5,
        smoothing=False,
    )
    return p.plan(a, b, T0).grid_duration_s


FREE = [
    ((3, 0, 0), (3, 60, 0)),
    ((2, 0, 0), (5, 45, 30)),
    ((5, 0, 0), (1, -37, 52)),
    ((4, 3, 5), (4, 70, -20)),
]
WALLS = [
    ((3, 0, 0), (3, 30, 4), [(f, 14, dy) for f in range(10) for dy in range(-3, 6)]),
    ((2, 0, 0), (2, 20, 20), [(f, dx, 10) for f in range(10) for dx in range(5, 16)]),
]
SCALE = 1e-5
"""Each window's grid takes the Mercator scale at its own middle row: relative noise."""


def hierarchical(occ: MemoryOccupancy) -> DronePlanner:
    return DronePlanner(
        occ, LIMITS, zoom=Z, column_levels=3, weight=1.0, fallback_after=None, smoothing=False
    )


@pytest.mark.parametrize("a,b", FREE)
def test_free_space_keeps_the_documented_bound(
    a: tuple[int, int, int], b: tuple[int, int, int]
) -> None:
    occ = world()
    start, goal = centre(*a), centre(*b)
    best = exact(occ, start, goal)
    r = hierarchical(occ).plan(start, goal, T0)
    assert r.meta["planner"] == "hierarchical"
    assert validate_route(r, occ, LIMITS) == []
    assert r.grid_duration_s <= (r.meta["weight"] * best + r.meta["slack_s"]) * (1 + SCALE)
    # straight legs may beat the 26-neighbour grid, never the straight flight
    assert r.grid_duration_s >= r.duration_s * (1 - SCALE) > 0.0


@pytest.mark.parametrize("a,b,walls", WALLS)
def test_near_obstacles_the_route_is_valid_and_close_to_the_optimum(
    a: tuple[int, int, int], b: tuple[int, int, int], walls: list[tuple[int, int, int]]
) -> None:
    """Not a bound (see routing.hierarchy): the cases the benchmark measures, kept close."""
    occ = world(walls)
    start, goal = centre(*a), centre(*b)
    best = exact(occ, start, goal)
    r = hierarchical(occ).plan(start, goal, T0)
    assert validate_route(r, occ, LIMITS) == []
    assert r.grid_duration_s <= 1.25 * best


def test_a_tiny_budget_is_kept_on_a_long_route() -> None:
    o, d = route_ends(50.0)
    (ax, ay), (bx, by) = tiles(o), tiles(d)
    occ = MemoryOccupancy()
    occ.add_static(disc_zone(Z, (ax + bx) / 2, (ay + by) / 2, 5000.0 / tile_m(ay), 0, 64))
    occ.blocked_static(Z)  # the union of the static sets is computed once, not timed
    began = time.perf_counter()
    DronePlanner(occ, DRONE).plan(o, d, T0)
    # a twentieth of what the plan takes on this machine now: it cannot finish in time
    budget = max(0.002, (time.perf_counter() - began) / 20)
    p = DronePlanner(occ, DRONE, time_budget_s=budget)
    started = time.perf_counter()
    with pytest.raises(SearchBudgetExceeded):
        p.plan(o, d, T0)
    assert time.perf_counter() - started < budget * 1.1 + 0.25


def test_dense_planner_stays_for_short_routes_and_on_request() -> None:
    occ = world()
    near = DronePlanner(occ, LIMITS, zoom=Z).plan(centre(3, 0, 0), centre(3, 40, 10), T0)
    assert near.meta["planner"] == "dense"
    o, d = route_ends(3.0)
    far = DronePlanner(occ, DRONE, hierarchical=False).plan(o, d, T0)
    assert far.meta["planner"] == "dense"
    assert validate_route(far, occ, DRONE) == []

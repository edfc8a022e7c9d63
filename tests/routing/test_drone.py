"""The drone planner on small worlds: validity, optimality (brute force), waits, reasons."""

from __future__ import annotations

import math
from collections.abc import Iterable

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.drone import DronePlanner
from routing.errors import NoRoute, RoutingError, SearchBudgetExceeded
from routing.occupancy import MemoryOccupancy
from routing.validate import check_route, validate_route
from routing.vehicle import VehicleLimits
from spatialid import Voxel
from tests.routing.helpers import LIMITS, T0, X0, Y0, Z, centre, explicit_graph, world


def planner(occ: MemoryOccupancy, **kw: object) -> DronePlanner:
    """A planner with a small planning box and exact search on the fine grid (the
    brute-force optimum's graph) unless told otherwise."""
    limits = kw.pop("limits", LIMITS)
    opts: dict[str, object] = {
        "min_pad_tiles": 4,
        "pad_fraction": 0.0,
        "weight": 1.0,
        "fallback_after": None,
        "coarse_levels": 0,
    }
    opts.update(kw)
    if opts["coarse_levels"]:  # exercise the blocks, not the fine attempt before them
        opts.setdefault("fine_first", 0)
    return DronePlanner(occ, limits, zoom=Z, **opts)  # type: ignore[arg-type]


def brute_force(
    p: DronePlanner,
    a: tuple[int, int, int],
    b: tuple[int, int, int],
    blocks: Iterable[tuple[int, int, int]] = (),
) -> float:
    """Dijkstra on an explicit voxel graph of the planner's box, built from the blocks
    and the geometry alone (not from the planner's move table or grid)."""
    g = explicit_graph(p._grid[1], p.limits, blocks)  # type: ignore[index]
    return float(
        nx.dijkstra_path_length(g, (a[0], X0 + a[1], Y0 + a[2]), (b[0], X0 + b[1], Y0 + b[2]))
    )


@pytest.fixture(params=[0, 2], ids=["fine", "multires"])
def levels(request: pytest.FixtureRequest) -> int:
    """Behaviour that holds for the fine and the multi-resolution search alike."""
    return int(request.param)


def test_free_space_route_is_straight_valid_and_exact() -> None:
    occ = world()
    p = planner(occ)
    r = p.plan(centre(3, 0, 0), centre(3, 12, 5), T0)
    assert validate_route(r, occ, LIMITS) == []
    assert r.departure == T0
    assert r.grid_duration_s == pytest.approx(brute_force(p, (3, 0, 0), (3, 12, 5)))
    assert r.duration_s <= r.grid_duration_s + 1e-9
    assert r.visits[0].voxel == Voxel(Z, 3, X0, Y0)
    assert r.visits[-1].voxel == Voxel(Z, 3, X0 + 12, Y0 + 5)


def test_wall_forces_a_detour_of_optimal_cost() -> None:
    wall = [(f, 6, dy) for f in range(0, 10) for dy in range(-3, 4)]
    occ = world(wall)
    p = planner(occ)
    r = p.plan(centre(2, 0, 0), centre(2, 12, 0), T0)
    check_route(r, occ, LIMITS)
    assert r.grid_duration_s == pytest.approx(brute_force(p, (2, 0, 0), (2, 12, 0), wall))
    assert not {v.voxel for v in r.visits} & {Voxel(Z, f, X0 + x, Y0 + y) for f, x, y in wall}


def test_climbing_respects_the_climb_rate() -> None:
    occ = world()
    p = planner(occ)
    r = p.plan(centre(1, 0, 0), centre(8, 3, 0), T0)
    check_route(r, occ, LIMITS)
    assert r.duration_s >= 7 * 4.0 / LIMITS.climb_rate_mps - 1e-6
    assert r.grid_duration_s == pytest.approx(brute_force(p, (1, 0, 0), (8, 3, 0)))


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 9), st.integers(-4, 16), st.integers(-4, 6)), max_size=120),
    st.integers(0, 9),
    st.integers(0, 9),
)
def test_random_obstacles_match_dijkstra(
    blocks: list[tuple[int, int, int]], fa: int, fb: int
) -> None:
    a, b = (fa, 0, 0), (fb, 12, 2)
    blocks = [c for c in blocks if c not in (a, b)]
    occ = world(blocks)
    p = planner(occ)
    try:
        r = p.plan(centre(*a), centre(*b), T0)
    except NoRoute as exc:
        assert exc.reason == "no_path"
        with pytest.raises(nx.NetworkXNoPath):
            brute_force(p, a, b, blocks)
        return
    assert validate_route(r, occ, LIMITS) == []
    assert r.grid_duration_s == pytest.approx(brute_force(p, a, b, blocks), rel=1e-9)


def test_weighted_search_stays_within_its_bound() -> None:
    wall = [(f, 6, dy) for f in range(0, 8) for dy in range(-3, 4)]
    occ = world(wall)
    exact = planner(occ).plan(centre(2, 0, 0), centre(2, 14, 1), T0)
    fast = planner(occ, weight=1.01).plan(centre(2, 0, 0), centre(2, 14, 1), T0)
    assert fast.grid_duration_s <= 1.01 * exact.grid_duration_s + 1e-9


def test_fallback_relaxes_the_bound_and_says_so() -> None:
    wall = [(f, 10, dy) for f in range(0, 10) for dy in range(-6, 5)]
    occ = world(wall)
    exact = planner(occ, min_pad_tiles=8).plan(centre(2, 0, 0), centre(2, 20, 0), T0)
    quick = planner(occ, min_pad_tiles=8, fallback_after=64).plan(
        centre(2, 0, 0), centre(2, 20, 0), T0
    )
    assert exact.meta["weight"] == 1.0 and quick.meta["weight"] == 1.1
    assert quick.grid_duration_s <= 1.1 * exact.grid_duration_s + 1e-9
    check_route(quick, occ, LIMITS)


def tunnel() -> tuple[MemoryOccupancy, list[tuple[int, int, int]]]:
    """A one-voxel tunnel along x at f=2, dy=0 (everything else in the box blocked)."""
    blocks = [
        (f, dx, dy)
        for f in range(0, 10)
        for dx in range(-5, 16)
        for dy in range(-5, 6)
        if not (f == 2 and dy == 0)
    ]
    return world(blocks), blocks


def test_waits_when_a_voxel_is_busy_then_free(levels: int) -> None:
    occ, _ = tunnel()
    p = planner(occ, coarse_levels=levels)
    dt = p.grid_for(p._box(Voxel(Z, 2, X0, Y0), Voxel(Z, 2, X0 + 10, Y0))).tile_m / 10.0
    busy_until = T0 + 5.0
    occ.add_reservation([(Voxel(Z, 2, X0 + 4, Y0), T0, busy_until)])
    r = p.plan(centre(2, 0, 0), centre(2, 10, 0), T0)
    check_route(r, occ, LIMITS)
    # leave voxel 3 for voxel 4 exactly when it frees up, then fly on: exact arrival
    assert r.arrival == pytest.approx(busy_until + 7 * dt)
    hovers = [
        i for i in range(len(r.waypoints) - 1) if r.waypoints[i][:3] == r.waypoints[i + 1][:3]
    ]
    assert hovers, "the route must hover before the busy voxel"


def test_detours_when_a_voxel_is_busy_for_long(levels: int) -> None:
    occ = world()
    wall = [(f, 6, dy) for f in range(0, 10) for dy in range(-4, 4)]
    occ.add_reservation([(Voxel(Z, f, X0 + x, Y0 + y), T0 - 10, T0 + 3600) for f, x, y in wall])
    p = planner(occ, coarse_levels=levels)
    r = p.plan(centre(2, 0, 0), centre(2, 12, 0), T0)
    check_route(r, occ, LIMITS)
    static = planner(world(wall), coarse_levels=levels)
    s = static.plan(centre(2, 0, 0), centre(2, 12, 0), T0)
    assert r.grid_duration_s == pytest.approx(s.grid_duration_s)
    assert r.arrival < T0 + 60


def test_the_buffer_keeps_windows_apart(levels: int) -> None:
    occ, _ = tunnel()
    limits = VehicleLimits(**{**LIMITS.__dict__, "safety_buffer_s": 3.0})
    occ.add_reservation([(Voxel(Z, 2, X0 + 4, Y0), T0, T0 + 5.0)])
    r = planner(occ, limits=limits, coarse_levels=levels).plan(
        centre(2, 0, 0), centre(2, 10, 0), T0
    )
    assert validate_route(r, occ, limits) == []
    v4 = next(v for v in r.visits if v.voxel.x == X0 + 4)
    assert v4.enter - 3.0 >= T0 + 5.0 - 1e-9


@pytest.mark.parametrize(
    ("o", "d", "reason"),
    [
        ((3, 0, 0), (3, 8, 0), "origin_blocked"),
        ((2, 0, 0), (3, 8, 0), "destination_blocked"),
        ((2, 0, 0), (12, 8, 0), "outside_altitude_band"),
        ((2, 0, 0), (5, 8, 0), "no_path"),
    ],
)
def test_unreachable_gives_the_reason(
    o: tuple[int, int, int], d: tuple[int, int, int], reason: str, levels: int
) -> None:
    cage = [
        (f, 8 + dx, dy)
        for f in range(4, 7)
        for dx in (-1, 0, 1)
        for dy in (-1, 0, 1)
        if (f, dx, dy) != (5, 0, 0)
    ]
    occ = world([(3, 0, 0), (3, 8, 0), *cage])
    with pytest.raises(NoRoute) as info:
        planner(occ, coarse_levels=levels).plan(centre(*o), centre(*d), T0)
    assert info.value.reason == reason
    assert isinstance(info.value, RoutingError) and isinstance(info.value, ValueError)


def test_origin_busy_at_departure(levels: int) -> None:
    occ = world()
    occ.add_reservation([(Voxel(Z, 2, X0, Y0), T0 - 1, T0 + 1)])
    with pytest.raises(NoRoute) as info:
        planner(occ, coarse_levels=levels).plan(centre(2, 0, 0), centre(2, 5, 0), T0)
    assert info.value.reason == "origin_blocked"


def test_budget_exceeded_is_a_clear_error(levels: int) -> None:
    wall = [(f, 30, dy) for f in range(0, 10) for dy in range(-30, 30)]
    with pytest.raises(SearchBudgetExceeded) as info:
        planner(world(wall), max_expansions=10, min_pad_tiles=40, coarse_levels=levels).plan(
            centre(2, 0, 0), centre(2, 60, 0), T0
        )
    assert info.value.reason == "budget_exceeded"


def test_clearance_keeps_the_route_away_from_obstacles(levels: int) -> None:
    limits = VehicleLimits(**{**LIMITS.__dict__, "clearance_m": 5.0})
    wall = [(f, 6, dy) for f in range(0, 10) for dy in range(-3, 4)]
    occ = world(wall)
    r = planner(occ, limits=limits, min_pad_tiles=8, coarse_levels=levels).plan(
        centre(2, 0, 0), centre(2, 14, 0), T0
    )
    check_route(r, occ, limits)
    for v in r.visits:  # at least 2 tiles (> 5 m) from the wall horizontally
        assert abs(v.voxel.x - (X0 + 6)) >= 2 or abs(v.voxel.y - Y0) >= 5


def test_smoothing_shortens_and_stays_valid(levels: int) -> None:
    occ = world([(f, 6, dy) for f in range(0, 10) for dy in range(-6, 3)])
    r = planner(occ, coarse_levels=levels).plan(centre(2, 0, -5), centre(6, 14, 2), T0)
    check_route(r, occ, LIMITS)
    assert r.duration_s < r.grid_duration_s
    assert len(r.waypoints) < 10
    assert math.isclose(r.departure, T0)


def test_no_squeeze_between_obstacles_touching_at_a_corner(levels: int) -> None:
    """A diagonal line of blocked voxels (each touching the next at an edge) is a wall:
    a diagonal move through the zero-width gap would pass at distance zero from both."""
    line = [(f, 10 + i, i) for f in range(0, 10) for i in range(-12, 13)]
    with pytest.raises(NoRoute) as info:
        planner(world(line), coarse_levels=levels, min_pad_tiles=10).plan(
            centre(2, 0, 0), centre(2, 18, 0), T0
        )
    assert info.value.reason == "no_path"
    ok = planner(world(line[:-5]), coarse_levels=levels, min_pad_tiles=10).plan(
        centre(2, 0, 0), centre(2, 18, 0), T0
    )  # one gap of a whole voxel at the top
    check_route(ok, world(line[:-5]), LIMITS)


def test_the_validator_sees_a_route_touching_a_corner() -> None:
    r = planner(world()).plan(centre(2, 0, 0), centre(2, 8, 8), T0)
    assert [(v.voxel.x - X0, v.voxel.y - Y0) for v in r.visits][:2] == [(0, 0), (1, 1)]
    problems = validate_route(r, world([(2, 1, 0)]), LIMITS)
    assert any("edge or corner" in p for p in problems)
    assert validate_route(r, world([(2, 2, 0)]), LIMITS) == []


def test_a_late_route_is_planned_again_with_every_busy_row(levels: int) -> None:
    """Rows are read for a window after the departure (600 s here); a route that has to
    wait past it is planned again with all rows, so a reservation that starts after the
    window is respected too."""
    occ, _ = tunnel()
    occ.add_reservation(
        [
            (Voxel(Z, 2, X0 + 4, Y0), T0, T0 + 700.0),
            (Voxel(Z, 2, X0 + 6, Y0), T0 + 700.5, T0 + 760.0),
        ]
    )
    r = planner(occ, coarse_levels=levels).plan(centre(2, 0, 0), centre(2, 10, 0), T0)
    check_route(r, occ, LIMITS)
    v6 = next(v for v in r.visits if v.voxel.x == X0 + 6)
    assert v6.enter >= T0 + 760.0 - 1e-6

"""Multi-resolution drone search: open blocks, the graph's moves, exactness on its own
graph (brute force), validity with busy voxels, and what it buys over the fine search."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.blocks import Blocks, static_open
from routing.drone import DronePlanner
from routing.errors import NoRoute
from routing.motion import segment_time
from routing.multires import MultiResGraph
from routing.occupancy import MemoryOccupancy
from routing.traversal import corner_cells, segment_pieces
from routing.validate import validate_route
from spatialid import Voxel
from tests.routing.helpers import LIMITS, T0, X0, Y0, Z, centre, world

BLOCKS = st.lists(
    st.tuples(st.integers(0, 9), st.integers(-8, 40), st.integers(-8, 8)), max_size=150
)


def planner(occ: MemoryOccupancy, **kw: object) -> DronePlanner:
    """An exact (w = 1) multi-resolution planner with room for open blocks."""
    opts: dict[str, object] = {
        "min_pad_tiles": 10,
        "pad_fraction": 0.0,
        "weight": 1.0,
        "fallback_after": None,
        "coarse_levels": 2,
        "fine_first": 0,
    }
    opts.update(kw)
    return DronePlanner(occ, LIMITS, zoom=Z, **opts)  # type: ignore[arg-type]


def query_graph(p: DronePlanner, a: Voxel, b: Voxel) -> MultiResGraph:
    """The graph the planner searches for ``a -> b`` (static world, no busy voxels)."""
    grid = p.grid_for(p._box(a, b))
    blocks = Blocks(grid, p.coarse_levels)
    blocks.close(np.array([a.f, b.f]), np.array([a.x, b.x]), np.array([a.y, b.y]))
    return MultiResGraph(grid, blocks, p.limits)


def explicit(graph: MultiResGraph, start: int) -> nx.DiGraph:
    """Every node reachable from ``start`` and every move, explicitly (breadth first)."""
    g = nx.DiGraph()
    g.add_node(start)
    todo, seen = [start], {start}
    while todo:
        u = todo.pop()
        for v, dt in graph.adjacency(u):
            g.add_edge(u, v, weight=dt)
            if v not in seen:
                seen.add(v)
                todo.append(v)
    return g


def voxel(f: int, dx: int, dy: int) -> Voxel:
    return Voxel(Z, f, X0 + dx, Y0 + dy)


@pytest.mark.parametrize(("k", "kf"), [(1, 0), (2, 0), (2, 1), (3, 0)])
def test_open_blocks_match_brute_force(k: int, kf: int) -> None:
    rng = np.random.default_rng(k * 10 + kf)
    occ = world(
        {
            (int(f), int(x), int(y))
            for f, x, y in zip(
                rng.integers(0, 10, 60),
                rng.integers(-10, 30, 60),
                rng.integers(-10, 10, 60),
                strict=True,
            )
        }
    )
    p = planner(occ)
    grid = p.grid_for(p._box(voxel(2, 0, 0), voxel(2, 20, 0)))
    flags, (bf0, by0, bx0, bnf, bny, bnx) = static_open(grid, k, kf)
    assert len(flags) == bnf * bny * bnx
    s, sf = 1 << k, 1 << kf
    for i, flag in enumerate(flags):
        fy, bx = divmod(i, bnx)
        bf, by = divmod(fy, bny)
        bf, by, bx = bf + bf0, by + by0, bx + bx0
        free = all(
            grid.inside(f, x, y) and not grid.blocked[grid.key(f, x, y)]
            for f in range(bf * sf, bf * sf + sf)
            for x in range(bx * s, bx * s + s)
            for y in range(by * s, by * s + s)
        )
        assert bool(flag) == free, (bf, bx, by)
    assert any(flags) and not all(flags)


def test_busy_voxels_and_endpoints_close_their_blocks() -> None:
    p = planner(world())
    a, b = voxel(2, 0, 0), voxel(2, 20, 0)
    grid = p.grid_for(p._box(a, b))
    blocks = Blocks(grid, 2)
    inner = (2, (X0 + 8) >> 2, Y0 >> 2)
    assert blocks.is_open(*inner)
    blocks.close(np.array([2]), np.array([X0 + 8]), np.array([Y0]))
    assert not blocks.is_open(*inner)
    assert blocks.is_open(3, (X0 + 8) >> 2, Y0 >> 2)  # the layer above stays open


@settings(max_examples=12, deadline=None)
@given(BLOCKS)
def test_every_move_stays_in_its_nodes_and_can_be_flown(blocks: list[tuple[int, int, int]]) -> None:
    a, b = voxel(2, 0, 0), voxel(3, 30, 2)
    occ = world(c for c in blocks if c not in ((2, 0, 0), (3, 30, 2)))
    p = planner(occ)
    graph = query_graph(p, a, b)
    grid, mr = graph.grid, graph.blocks
    g = explicit(graph, grid.key(a.f, a.x, a.y))
    assert any(n < 0 for n in g), "the world must have open blocks"

    def owner(cell: tuple[int, int, int]) -> int:
        x, y, f = cell
        bf, bx, by = f >> mr.kf, x >> mr.k, y >> mr.k
        if mr.is_open(bf, bx, by):
            return -mr.index(bf, bx, by) - 1
        return grid.key(f, x, y)

    for u, v, dt in g.edges(data="weight"):
        p0, p1 = np.array(graph.centre(u)), np.array(graph.centre(v))
        d = p1 - p0
        assert dt >= segment_time(d[0], d[1], d[2], grid.tile_m, grid.height_m, LIMITS) - 1e-9
        cells, _, _ = segment_pieces(p0, p1)
        for x, y, f in corner_cells(cells).tolist():
            assert not grid.is_blocked(f, x, y), ("passes an edge or corner", u, v)
        for x, y, f in cells.tolist():
            assert not grid.is_blocked(f, x, y)
            o = owner((x, y, f))
            diagonal_block_move = u < 0 and v < 0 and o < 0
            assert o in (u, v) or diagonal_block_move, (u, v, (x, y, f))


@settings(max_examples=12, deadline=None)
@given(BLOCKS, st.integers(0, 9), st.integers(0, 9))
def test_search_is_exact_on_its_graph(blocks: list[tuple[int, int, int]], fa: int, fb: int) -> None:
    a, b = voxel(fa, 0, 0), voxel(fb, 30, 2)
    occ = world(c for c in blocks if c not in ((fa, 0, 0), (fb, 30, 2)))
    p = planner(occ, smoothing=False)
    graph = query_graph(p, a, b)
    g = explicit(graph, graph.grid.key(a.f, a.x, a.y))
    goal = graph.grid.key(b.f, b.x, b.y)
    start = graph.grid.key(a.f, a.x, a.y)
    try:
        r = p.plan(centre(fa, 0, 0), centre(fb, 30, 2), T0)
    except NoRoute as exc:
        assert exc.reason == "no_path"
        assert goal not in g  # the corridor covers the whole box here
        return
    assert validate_route(r, occ, LIMITS) == []
    if r.meta["coarse_levels"] == 0:  # the fine search's second try found a squeeze
        assert goal not in g
        return
    assert r.grid_duration_s == pytest.approx(nx.dijkstra_path_length(g, start, goal))


@settings(max_examples=10, deadline=None)
@given(
    BLOCKS,
    st.lists(
        st.tuples(
            st.integers(0, 9),
            st.integers(0, 30),
            st.integers(-3, 3),
            st.floats(0, 20),
            st.floats(0.5, 20),
        ),
        max_size=40,
    ),
)
def test_routes_are_valid_among_busy_voxels(
    blocks: list[tuple[int, int, int]], busy: list[tuple[int, int, int, float, float]]
) -> None:
    ends = ((2, 0, 0), (2, 30, 0))
    occ = world(c for c in blocks if c not in ends)
    occ.add_reservation(
        [(voxel(f, x, y), T0 + s, T0 + s + d) for f, x, y, s, d in busy if (f, x, y) not in ends]
    )
    try:
        r = planner(occ, weight=1.01).plan(centre(*ends[0]), centre(*ends[1]), T0)
    except NoRoute as exc:
        assert exc.reason in ("no_path", "origin_blocked")
        return
    assert validate_route(r, occ, LIMITS) == []
    assert r.meta["coarse_levels"] == 2


def test_a_busy_wall_to_climb_over_costs_about_the_same_with_far_fewer_expansions() -> None:
    """The fine search floods every voxel near the wall whose detour fits the slack; the
    coarse one floods blocks."""
    occ = world([(f, 100, dy) for f in range(0, 3) for dy in range(-3, 4)])
    wall = [(f, 60, dy) for f in range(0, 6) for dy in range(-40, 41)]
    occ.add_reservation([(voxel(*c), T0 - 10, T0 + 3600) for c in wall])
    a, b = centre(2, 0, 0), centre(2, 150, 10)
    fine = planner(occ, coarse_levels=0, min_pad_tiles=30, weight=1.01).plan(a, b, T0)
    coarse = planner(occ, min_pad_tiles=30, weight=1.01).plan(a, b, T0)
    assert validate_route(coarse, occ, LIMITS) == []
    assert coarse.grid_duration_s <= fine.grid_duration_s * 1.02
    assert coarse.duration_s <= fine.duration_s * 1.01
    assert coarse.expansions * 5 < fine.expansions
    assert not {v.voxel for v in coarse.visits} & {voxel(*c) for c in wall}
    assert math.isclose(coarse.departure, T0)


def test_easy_routes_stay_on_the_fine_grid_hard_ones_go_to_blocks() -> None:
    occ = world()
    wall = [(f, 60, dy) for f in range(0, 6) for dy in range(-40, 41)]
    occ.add_reservation([(voxel(*c), T0 - 10, T0 + 3600) for c in wall])
    p = planner(occ, min_pad_tiles=30, weight=1.01, fine_first=200)
    easy = p.plan(centre(7, 0, 0), centre(7, 50, 10), T0)  # clear of the wall
    assert easy.meta["coarse_levels"] == 0 and easy.expansions <= 200 + 2 * 50
    hard = p.plan(centre(2, 0, 0), centre(2, 150, 10), T0)
    assert hard.meta["coarse_levels"] == 2
    assert hard.expansions > 200 + 2 * 150  # the fine attempt's budget is counted
    assert validate_route(hard, occ, LIMITS) == []

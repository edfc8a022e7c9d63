"""Ground routes and restrictions, against the in-memory occupancy (``MemoryOccupancy``).

Obstacles do not block roads (a road may share its coarse voxels with the buildings beside
it); permanent restrictions do, at all times; temporary ones for the time they are active.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from routing.errors import NoRoute
from routing.fleet import GroundRequest, plan_fleet
from routing.ground import GroundNetwork
from routing.ground_search import GroundPlanner
from routing.occupancy import MemoryOccupancy, TileBox
from routing.route import Route
from routing.synthetic import grid_network
from routing.validate import validate_route
from spatialid import Voxel, VoxelSet, lnglat_to_voxel
from tests.routing.helpers import T0
from tests.routing.test_ground import LAT, LNG, ROBOT, node

G = grid_network(LNG, LAT, 3, 50.0)  # 3 x 3 nodes, 50 m blocks, robots at 2 m/s


def around(n: tuple[int, int], r: int = 1) -> VoxelSet:
    """The ground voxels within ``r`` tiles of node ``n``'s voxel (z23)."""
    c = lnglat_to_voxel(*node(G, n), 0.5, 23)
    dx, dy = np.meshgrid(np.arange(-r, r + 1), np.arange(-r, r + 1))
    return VoxelSet.from_arrays(23, np.zeros(dx.size, np.int64), c.x + dx.ravel(), c.y + dy.ravel())


def plan(
    occ: MemoryOccupancy, a: tuple[int, int], b: tuple[int, int], *, park: bool = False
) -> Route:
    return GroundPlanner.from_occupancy(GroundNetwork(G), occ, T0, ROBOT).plan(
        node(G, a), node(G, b), T0, park=park
    )


def test_memory_occupancy_keeps_restrictions_apart_from_obstacles() -> None:
    occ = MemoryOccupancy()
    occ.add_static(around((0, 0)))
    occ.add_static(around((1, 0)), restriction=True)
    restricted, static = occ.restricted_static(23), occ.blocked_static(23)
    assert len(restricted) == 9 and len(static) == 18
    assert all(v in static for v in restricted)
    assert all(v not in restricted for v in around((0, 0)))
    c = lnglat_to_voxel(*node(G, (1, 0)), 0.5, 23)
    assert len(occ.restricted_static(23, TileBox(c.x, c.y, c.x + 1, c.y + 1))) == 1
    assert len(occ.restricted_static(22)) in (1, 2, 4)  # covering parents
    assert MemoryOccupancy().restricted_static(23).zoom == 23


def test_a_permanent_restriction_on_the_street_is_detoured() -> None:
    free = plan(MemoryOccupancy(), (0, 0), (2, 0))
    assert free.duration_s == pytest.approx(50.0)  # straight along the first row
    occ = MemoryOccupancy()
    occ.add_static(around((1, 0)), restriction=True)
    r = plan(occ, (0, 0), (2, 0))
    assert r.duration_s == pytest.approx(100.0, rel=1e-6)  # round the block
    assert not {v.voxel for v in r.visits} & set(around((1, 0)))
    assert validate_route(r, occ, ROBOT) == []  # the validator sees the restriction too
    assert any("statically blocked" in p for p in validate_route(free, occ, ROBOT))


def test_an_obstacle_beside_the_street_does_not_block_it() -> None:
    occ = MemoryOccupancy()
    occ.add_static(around((1, 0)))  # e.g. the coarse voxels of a building by the road
    assert plan(occ, (0, 0), (2, 0)).duration_s == pytest.approx(50.0)


def test_a_temporary_restriction_blocks_only_while_active() -> None:
    occ = MemoryOccupancy()
    occ.add_volume(around((1, 0)), T0, T0 + 30.0)  # active for the first 30 s
    r = plan(occ, (0, 0), (2, 0))
    assert r.arrival <= T0 + 100.0 + 1e-6  # waits or goes round, whichever is sooner
    assert validate_route(r, occ, ROBOT) == []
    late = MemoryOccupancy()
    late.add_volume(around((1, 0)), T0 + 200.0, T0 + 300.0)  # long after it has passed
    assert plan(late, (0, 0), (2, 0)).duration_s == pytest.approx(50.0)


def test_restricted_end_points_give_the_reason() -> None:
    occ = MemoryOccupancy()
    occ.add_static(around((2, 0)), restriction=True)
    with pytest.raises(NoRoute) as info:
        plan(occ, (0, 0), (2, 0))
    assert info.value.reason == "destination_blocked"
    with pytest.raises(NoRoute) as info:
        plan(occ, (2, 0), (0, 0))
    assert info.value.reason == "origin_blocked"
    walled = MemoryOccupancy()  # the goal's every street cut: no way in
    for n in ((1, 0), (2, 1)):
        walled.add_static(around(n), restriction=True)
    with pytest.raises(NoRoute) as info:
        plan(walled, (0, 0), (2, 0))
    assert info.value.reason == "no_path"


def test_a_fleet_keeps_out_of_a_restriction() -> None:
    occ = MemoryOccupancy()
    banned = around((1, 1), 2)
    occ.add_static(banned, restriction=True)
    ends = [
        ((0, 0), (2, 2)),
        ((2, 2), (0, 0)),
        ((0, 2), (2, 0)),
        ((2, 0), (0, 2)),
        ((0, 1), (2, 1)),
        ((1, 0), (1, 2)),
    ]
    reqs = [
        GroundRequest(f"r{i}", node(G, a), node(G, b), T0 + 5.0 * i)
        for i, (a, b) in enumerate(ends)
    ]
    res = plan_fleet(GroundNetwork(G), reqs, ROBOT, occupancy=occ)
    assert len(res.routes) == 6, res.unserved
    for r in res.routes.values():
        assert not {v.voxel for v in r.visits} & set(banned)
    assert Voxel(23, 0, 0, 0) not in occ.restricted_static(23)
    assert occ.busy_in(23, None, -math.inf, math.inf).f.size > 0  # the routes were added

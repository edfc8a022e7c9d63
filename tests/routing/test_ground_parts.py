"""Parts of the ground planner: compact route visits and batched interval bookkeeping."""

from __future__ import annotations

import pickle
from dataclasses import replace
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.edge_index import EdgeIndex
from routing.ground import GroundNetwork
from routing.ground_search import GroundPlanner, ground_windows
from routing.intervals import IntervalTable
from routing.route import GroundVisits, Route, Visit
from routing.synthetic import grid_network
from spatialid import Voxel
from tests.routing.test_ground import LAT, LNG, ROBOT, node

T0 = 1_800_000_000.0


def test_ground_visits_read_like_a_list_of_visits() -> None:
    gv = GroundVisits(23, [5, 6, 6], [9, 9, 10], [0.0, 1.0, 2.0], [1.0, 2.0, 3.0])
    plain = [Visit(Voxel(23, 0, 5, 9), 0.0, 1.0), Visit(Voxel(23, 0, 6, 9), 1.0, 2.0),
             Visit(Voxel(23, 0, 6, 10), 2.0, 3.0)]
    assert len(gv) == 3 and list(gv) == plain and gv == plain and plain == gv
    assert gv[0] == plain[0] and gv[-1] == plain[-1] and gv[1:] == plain[1:]
    assert replace(gv[0], enter=0.5).enter == 0.5  # Visits are still dataclasses
    assert pickle.loads(pickle.dumps(gv)) == gv
    r = Route(gv, [(0.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 3.0)], safety_buffer_s=1.0)
    assert r.windows() == [(v.voxel, v.enter - 1.0, v.leave + 1.0) for v in plain]
    keys = [(v.x << 32 | v.y, t0, t1) for v, t0, t1 in r.windows()]
    assert list(ground_windows(r)) == keys
    assert list(ground_windows(Route(plain, r.waypoints, safety_buffer_s=1.0))) == keys


def test_planned_ground_routes_are_compact_and_continuous() -> None:
    g = grid_network(LNG, LAT, 5, 50.0)
    r = GroundPlanner(GroundNetwork(g), ROBOT).plan(node(g, (0, 0)), node(g, (3, 2)), T0)
    assert isinstance(r.visits, GroundVisits)
    vs = list(r.visits)
    assert all(max(abs(a.voxel.x - b.voxel.x), abs(a.voxel.y - b.voxel.y)) == 1
               for a, b in pairwise(vs))


intervals = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 400), st.integers(1, 30)),
                     max_size=40)


@settings(max_examples=40, deadline=None)
@given(intervals, intervals)
def test_a_batch_gives_the_same_edge_index_as_one_by_one(a: list, b: list) -> None:
    net = GroundNetwork(grid_network(LNG, LAT, 3, 20.0))
    keys = sorted(net.by_voxel)
    one, batch = IntervalTable(1.0), IntervalTable(1.0)
    i1, ib = EdgeIndex(net, one), EdgeIndex(net, batch)
    for part in (a, b):
        rows = [(keys[k % len(keys)], float(s), float(s + d)) for k, s, d in part]
        for row in rows:
            one.add(*row)
        batch.add_many(rows)
    assert one.busy == batch.busy
    assert i1.starts == ib.starts and i1.ends == ib.ends

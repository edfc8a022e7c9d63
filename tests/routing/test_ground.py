"""The ground planner and fleet planning on synthetic street grids."""

from __future__ import annotations

import math
import random
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.errors import NoRoute
from routing.fleet import GroundRequest, plan_fleet
from routing.ground import GroundNetwork
from routing.ground_search import GroundPlanner
from routing.occupancy import MemoryOccupancy
from routing.synthetic import M_PER_DEG_LAT, grid_network
from routing.validate import validate_route
from routing.vehicle import VehicleLimits
from spatialid import Voxel, lnglat_to_voxel
from tests.routing.helpers import T0, pairwise_conflicts

LNG, LAT = 139.767125, 35.681236
ROBOT = VehicleLimits(
    max_speed_mps=2.0, altitude_lower_m=0.0, altitude_upper_m=4.0, safety_buffer_s=1.0
)


def node(g: nx.DiGraph, n: Any) -> tuple[float, float]:
    """``(lng, lat)`` of a node."""
    return g.nodes[n]["lng"], g.nodes[n]["lat"]


def test_route_follows_the_streets_validly() -> None:
    g = grid_network(LNG, LAT, 5, 50.0)
    p = GroundPlanner(GroundNetwork(g), ROBOT)
    r = p.plan(node(g, (0, 0)), node(g, (3, 2)), T0)
    assert validate_route(r, MemoryOccupancy(), ROBOT) == []
    assert r.duration_s == pytest.approx(250.0 / 2.0, rel=1e-6)
    assert r.length_m == pytest.approx(250.0, rel=0.01)
    assert all(v.voxel.f == 0 for v in r.visits)


def test_oneway_streets_are_respected() -> None:
    g = grid_network(LNG, LAT, 4, 50.0, oneway_rows=True)
    p = GroundPlanner(GroundNetwork(g), ROBOT)
    east = p.plan(node(g, (0, 1)), node(g, (3, 1)), T0)
    west = p.plan(node(g, (3, 1)), node(g, (0, 1)), T0)
    assert east.duration_s == pytest.approx(75.0)
    assert west.duration_s == pytest.approx(125.0)  # a detour through row 0 or 2


def test_cars_are_faster_and_snap_to_the_nearest_edge() -> None:
    g = grid_network(LNG, LAT, 4, 50.0)
    net = GroundNetwork(g, kind="car", max_speed_mps=8.0)
    lng, lat = node(g, (1, 0))
    off = 3.0 / M_PER_DEG_LAT
    r = GroundPlanner(net, ROBOT).plan((lng + 0.0001, lat + off), node(g, (3, 0)), T0)
    assert r.duration_s == pytest.approx(
        (150.0 - 0.0001 * M_PER_DEG_LAT * math.cos(math.radians(LAT)) - 50.0) / 8.0, rel=0.02
    )
    assert abs(r.waypoints[0][1] - lat) < 1e-6  # on the street, not 3 m north of it


def test_ends_snap_only_within_the_vehicle_s_distance() -> None:
    g = grid_network(LNG, LAT, 4, 50.0)  # streets every 50 m south-east of (LNG, LAT)
    net = GroundNetwork(g)
    near = 30.0 / M_PER_DEG_LAT  # north of the northern street: 30 m, 80 m
    far = 80.0 / M_PER_DEG_LAT
    lng, lat = node(g, (1, 0))
    strict = GroundPlanner(net, VehicleLimits(**{**ROBOT.__dict__, "snap_max_m": 50.0}))
    strict.plan((lng, lat + near), node(g, (3, 0)), T0)
    with pytest.raises(NoRoute) as caught:
        strict.plan(node(g, (3, 0)), (lng, lat + far), T0)
    exc = caught.value
    assert exc.reason == "no_edge_nearby"
    assert getattr(exc, "field", None) == "destination"
    assert getattr(exc, "distance_m", 0) == pytest.approx(80.0, abs=0.5)
    fleet = plan_fleet(
        net,
        [
            GroundRequest("a", (lng, lat + near), node(g, (3, 0)), T0),
            GroundRequest("b", (lng, lat + far), node(g, (3, 0)), T0),
        ],
        strict.limits,
    )
    assert list(fleet.routes) == ["a"] and fleet.unserved == {"b": "no_edge_nearby"}
    assert "origin is 79.7 m" in fleet.details["b"]  # a degree of latitude is 110.95 km here


def line_graph(n: int = 5) -> nx.DiGraph:
    """A single street of ``n`` nodes, 20 m apart, both ways."""
    g = nx.DiGraph()
    dlng = 20.0 / (M_PER_DEG_LAT * math.cos(math.radians(LAT)))
    for i in range(n):
        g.add_node(i, lng=LNG + i * dlng, lat=LAT)
    for i in range(n - 1):
        g.add_edge(i, i + 1, length_m=20.0, speed_mps=2.0)
        g.add_edge(i + 1, i, length_m=20.0, speed_mps=2.0)
    return g


def test_robot_waits_for_a_busy_segment() -> None:
    g = line_graph()
    occ = MemoryOccupancy()
    mid = lnglat_to_voxel(*node(g, 2), 1.0, 23)
    occ.add_reservation([(mid, T0, T0 + 60.0)])
    p = GroundPlanner.from_occupancy(GroundNetwork(g), occ, T0, ROBOT)
    r = p.plan(node(g, 0), node(g, 4), T0)
    assert validate_route(r, occ, ROBOT) == []
    assert r.arrival > T0 + 60.0
    enter_mid = next(v.enter for v in r.visits if v.voxel == mid)
    assert enter_mid - ROBOT.safety_buffer_s >= T0 + 60.0 - 1e-6
    assert any(r.waypoints[i][:3] == r.waypoints[i + 1][:3] for i in range(len(r.waypoints) - 1))


def test_robot_detours_around_a_street_busy_for_long() -> None:
    g = grid_network(LNG, LAT, 3, 50.0)
    occ = MemoryOccupancy()
    a, b = node(g, (0, 0)), node(g, (1, 0))
    cell = lnglat_to_voxel((a[0] + b[0]) / 2, a[1], 1.0, 23)
    occ.add_reservation([(cell, T0 - 10, T0 + 3600)])
    p = GroundPlanner.from_occupancy(GroundNetwork(g), occ, T0, ROBOT)
    r = p.plan(a, node(g, (2, 0)), T0)
    assert validate_route(r, occ, ROBOT) == []
    assert r.duration_s == pytest.approx(200.0 / 2.0)
    assert cell not in {v.voxel for v in r.visits}


def test_unreachable_and_blocked_origins() -> None:
    g = line_graph()
    g.remove_edge(2, 3)
    g.remove_edge(3, 2)
    net = GroundNetwork(g)
    with pytest.raises(NoRoute) as info:
        GroundPlanner(net, ROBOT).plan(node(g, 0), node(g, 4), T0)
    assert info.value.reason == "no_path"
    occ = MemoryOccupancy()
    occ.add_reservation([(lnglat_to_voxel(*node(g, 0), 0.5, 23), T0 - 5, T0 + 5)])
    with pytest.raises(NoRoute) as info:
        GroundPlanner.from_occupancy(net, occ, T0, ROBOT).plan(node(g, 0), node(g, 1), T0)
    assert info.value.reason == "origin_blocked"


def test_fleet_of_50_has_no_conflicts() -> None:
    g = grid_network(LNG, LAT, 12, 40.0)
    rng = random.Random(6)
    nodes = list(g.nodes)
    picks = rng.sample(nodes, 50), rng.sample(nodes, 50)
    reqs = [
        GroundRequest(
            f"r{i}",
            node(g, o),
            node(g, d),
            T0 + rng.uniform(0, 60),
            priority=rng.choice([0, 0, 50]),
        )
        for i, (o, d) in enumerate(zip(*picks, strict=True))
    ]
    occ = MemoryOccupancy()
    res = plan_fleet(GroundNetwork(g), reqs, ROBOT, occupancy=occ)
    assert len(res.routes) + len(res.unserved) == 50
    assert len(res.routes) >= 45, res.unserved
    assert pairwise_conflicts(res.routes) == []
    empty = MemoryOccupancy()
    for r in res.routes.values():
        assert validate_route(r, empty, ROBOT) == []
    assert occ.busy_in(23, None, -math.inf, math.inf).f.size > 0


def test_repair_replans_a_lower_priority_robot_parked_in_the_way() -> None:
    g = line_graph()
    g.add_node(5, lng=g.nodes[2]["lng"], lat=LAT + 20.0 / M_PER_DEG_LAT)  # a side street
    g.add_edge(5, 2, length_m=20.0, speed_mps=2.0)
    g.add_edge(2, 5, length_m=20.0, speed_mps=2.0)
    a = GroundRequest("a", node(g, 0), node(g, 4), T0 + 30.0, priority=90)
    b = GroundRequest("b", node(g, 5), node(g, 2), T0, priority=0)
    assert plan_fleet(GroundNetwork(g), [a, b], ROBOT).repaired == []  # parks-aware at once
    res = plan_fleet(GroundNetwork(g), [a, b], ROBOT, park_first=False)
    assert res.repaired == ["b"]
    assert set(res.routes) == {"a", "b"}
    assert pairwise_conflicts(res.routes) == []
    assert res.routes["b"].arrival > res.routes["a"].departure + 20.0  # A passes node 2


def test_conflict_checker_sees_a_conflict() -> None:
    g = line_graph()
    p = GroundPlanner(GroundNetwork(g), ROBOT)
    r1 = p.plan(node(g, 0), node(g, 4), T0)
    r2 = p.plan(node(g, 4), node(g, 0), T0)
    assert pairwise_conflicts({"1": r1, "2": r2}, parking=False)
    assert Voxel(23, 0, 0, 0) not in {v.voxel for v in r1.visits}


@settings(max_examples=20, deadline=None)
@given(st.sets(st.integers(0, 200), max_size=60), st.integers(0, 35), st.integers(0, 35))
def test_free_flow_routes_match_dijkstra(removed: set[int], a: int, b: int) -> None:
    g = grid_network(LNG, LAT, 6, 40.0, oneway_rows=True)
    edges = sorted(g.edges)
    g.remove_edges_from(edges[i] for i in removed if i < len(edges))
    nodes = sorted(g.nodes)
    o, d = nodes[a], nodes[b]
    weight = {e: g.edges[e]["length_m"] / g.edges[e]["speeds"]["robot"] for e in g.edges}
    nx.set_edge_attributes(g, weight, "seconds")
    try:
        best = nx.dijkstra_path_length(g, o, d, weight="seconds")
    except nx.NetworkXNoPath:
        best = None
    net = GroundNetwork(g)
    if not net.out.get(o) and o != d:
        return  # the origin snaps to some other street: not a node-to-node case
    try:
        r = GroundPlanner(net, ROBOT).plan(node(g, o), node(g, d), T0)
    except NoRoute as exc:
        assert best is None and exc.reason == "no_path"
        return
    assert best is not None
    assert r.duration_s == pytest.approx(best, rel=1e-9, abs=1e-6)  # free flow: Dijkstra's


class Counting(GroundNetwork):
    """A network that records each heuristic table it computes (seeds, stop)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[Any, Any]] = []

    def times_to(self, seeds: dict, stop: object = None, slack: float = 1.5) -> tuple[dict, float]:
        self.calls.append((tuple(sorted(seeds, key=repr)), stop))
        return super().times_to(seeds, stop, slack)


def test_fleet_with_shared_goals_reuses_heuristic_and_stays_conflict_free() -> None:
    """Robots bound for one depot share the goal's heuristic table (the fleet's planner
    keeps it); the routes are the same as with a fresh network and still conflict-free."""
    g = grid_network(LNG, LAT, 8, 40.0)
    rng = random.Random(7)
    depot = node(g, (4, 4))
    reqs = [
        GroundRequest(f"r{i}", node(g, o), depot, T0 + 20.0 * i)
        for i, o in enumerate(rng.sample([n for n in g.nodes if n != (4, 4)], 6))
    ]
    net = Counting(g)
    res = plan_fleet(net, reqs, ROBOT)
    assert len({seeds for seeds, _ in net.calls}) == 1  # one goal
    assert len(net.calls) < len(reqs)  # its table reused by later robots
    assert pairwise_conflicts(res.routes) == []
    for r in reqs:  # each alone on a fresh network: same free-flow optimum or later
        alone = GroundPlanner(GroundNetwork(g), ROBOT).plan(r.origin, r.destination, r.departure)
        if r.id in res.routes:
            assert res.routes[r.id].arrival >= alone.arrival - 1e-9
    first = next(iter(res.routes.values()))
    again = GroundPlanner(net, ROBOT).plan(reqs[0].origin, depot, reqs[0].departure)
    fresh = GroundPlanner(GroundNetwork(g), ROBOT).plan(reqs[0].origin, depot, reqs[0].departure)
    assert again.arrival == pytest.approx(fresh.arrival) and first is not None


def test_the_fleet_planner_leaves_the_garbage_collector_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Planning never switches the process-wide collector (other threads share it)."""
    import gc

    def refuse() -> None:
        raise AssertionError("the planner switched the garbage collector")

    for name in ("disable", "enable", "freeze"):
        monkeypatch.setattr(gc, name, refuse)
    g = grid_network(LNG, LAT, 4, 50.0)
    req = [GroundRequest("r", node(g, (0, 0)), node(g, (2, 1)), T0)]
    assert "r" in plan_fleet(GroundNetwork(g), req, ROBOT).routes


def test_one_planner_runs_many_plans_at_once_as_it_runs_them_in_turn() -> None:
    """Plans on one planner (one network, one table, one heuristic memo) in eight threads
    give exactly the routes planned one after another on fresh planners. Parked and
    unparked plans are mixed, and for many of them parking changes the route, so state
    leaking from one plan into another changes a result."""
    import sys
    from concurrent.futures import ThreadPoolExecutor

    g = grid_network(LNG, LAT, 8, 30.0)
    nodes = sorted(g.nodes)
    rng = random.Random(3)
    occ = MemoryOccupancy()  # busy ground voxels made by a fleet
    plan_fleet(
        GroundNetwork(g),
        [
            GroundRequest(
                f"b{i}",
                node(g, rng.choice(nodes)),
                node(g, rng.choice(nodes)),
                T0 + rng.uniform(0, 60),
            )
            for i in range(40)
        ],
        ROBOT,
        occupancy=occ,
        park_first=False,
    )
    goals = [node(g, n) for n in rng.sample(nodes, 4)]  # shared goals: shared tables
    trips = [
        (
            node(g, rng.choice(nodes)),
            rng.choice(goals) if rng.random() < 0.5 else node(g, rng.choice(nodes)),
            T0 + rng.uniform(0, 90),
        )
        for _ in range(40)
    ]
    queries = [(*trip, park) for trip in trips for park in (False, True)] * 3
    rng.shuffle(queries)

    def run(p: GroundPlanner, q: tuple[Any, Any, float, bool]) -> tuple[Any, ...]:
        try:
            r = p.plan(q[0], q[1], q[2], park=q[3])
        except NoRoute as exc:
            return ("none", exc.reason)
        return (r.arrival, [(v.voxel, v.enter, v.leave) for v in r.visits], r.waypoints)

    alone = {
        q: run(GroundPlanner.from_occupancy(GroundNetwork(g), occ, T0, ROBOT), q)
        for q in set(queries)
    }
    assert sum(alone[(*t, False)] != alone[(*t, True)] for t in trips) >= 8
    assert sum(a[0] != "none" for a in alone.values()) > 50
    shared = GroundPlanner.from_occupancy(GroundNetwork(g), occ, T0, ROBOT)
    was = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # switch threads often (planner state on the object
    # made 0-14 of these 240 plans differ in runs of the old planner)
    try:
        with ThreadPoolExecutor(8) as pool:
            together = list(pool.map(lambda q: run(shared, q), queries))
    finally:
        sys.setswitchinterval(was)
    assert together == [alone[q] for q in queries]
    assert 0 < len(shared.heuristics) < len(trips)


def test_fleets_on_one_network_in_threads_match_fleets_in_turn() -> None:
    """A cached network is shared by concurrent requests: fleets planned on it at once
    equal the same fleets planned in turn."""
    from concurrent.futures import ThreadPoolExecutor

    g = grid_network(LNG, LAT, 7, 30.0)
    nodes = sorted(g.nodes)
    fleets = []
    for seed in range(4):
        rng = random.Random(seed)
        fleets.append(
            [
                GroundRequest(
                    f"r{i}",
                    node(g, rng.choice(nodes)),
                    node(g, rng.choice(nodes)),
                    T0 + rng.uniform(0, 60),
                )
                for i in range(12)
            ]
        )

    def run(net: GroundNetwork, reqs: list[GroundRequest]) -> dict[str, Any]:
        res = plan_fleet(net, reqs, ROBOT)
        return {
            "routes": {k: (r.arrival, r.waypoints) for k, r in res.routes.items()},
            "unserved": res.unserved,
            "repaired": res.repaired,
        }

    alone = [run(GroundNetwork(g), f) for f in fleets]
    net = GroundNetwork(g)
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda f: run(net, f), fleets))
    assert together == alone

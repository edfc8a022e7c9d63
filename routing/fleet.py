"""Fleet planning: many ground requests at once, by priority, one shared reservation table.

Order: higher ``priority`` first, then earlier departure, then ``id``. Every robot is parked
at its origin until it departs and has crossed the origin's voxel (all origins are
reserved up front, so nobody drives through a waiting robot) and stays parked at its
destination after arriving. A robot's
parking at its destination is reserved once it is planned, so later robots avoid it.

Each robot is planned to arrive only when its destination stays free from then on
(``park_first``), so it cannot block a route planned before it. Repair is the check
behind that (and the whole mechanism with ``park_first=False``): when an earlier,
higher-priority route passes a later robot's destination after that robot has arrived,
the later robot blocks it and is re-planned to arrive only when its destination stays
free (it waits or detours), in bounded rounds. Requests that cannot be served are
reported with the ``NoRoute`` reason.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from routing.errors import NoRoute, Reason
from routing.ground import GroundNetwork, HeuristicTables
from routing.ground_search import GroundPlanner, ground_windows
from routing.intervals import IntervalTable
from routing.occupancy import BusyArrays, MemoryOccupancy
from routing.route import Route
from routing.vehicle import VehicleLimits

INF = math.inf
BUDGET_EXCEEDED: Reason = "budget_exceeded"
"""The reason of a robot left unplanned when the fleet's time budget ran out (that of
``routing.SearchBudgetExceeded``)."""


@dataclass(frozen=True)
class GroundRequest:
    """One robot's request: points are ``(lng, lat)``; times unix seconds."""

    id: str
    origin: tuple[float, float]
    destination: tuple[float, float]
    departure: float
    priority: int = 0


@dataclass
class FleetResult:
    """Routes by request id, unserved ids with reasons (and what the planner said), and
    the ids re-planned by repair."""

    routes: dict[str, Route] = field(default_factory=dict)
    unserved: dict[str, Reason] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    repaired: list[str] = field(default_factory=list)


def _goal_key(route: Route) -> int:
    v = route.visits[-1].voxel
    return v.x << 32 | v.y


def plan_fleet(
    network: GroundNetwork,
    requests: list[GroundRequest],
    limits: VehicleLimits | None = None,
    *,
    occupancy: MemoryOccupancy | None = None,
    repair_rounds: int = 3,
    park_first: bool = True,
    max_expansions: int | None = None,
    time_budget_s: float = INF,
    heuristics: HeuristicTables | None = None,
) -> FleetResult:
    """Plan every request (see the module docstring); ``occupancy`` is read and updated.

    Each robot's search may expand at most ``max_expansions`` states (the planner's
    default if ``None``); once ``time_budget_s`` seconds have passed, the robots not yet
    planned are unserved with the reason ``budget_exceeded``, a search under way stops
    with that reason, and repair stops.
    ``heuristics`` are the free-flow tables to share (the planner's own by default)."""
    return _plan_fleet(
        network,
        requests,
        limits,
        occupancy=occupancy,
        repair_rounds=repair_rounds,
        park_first=park_first,
        max_expansions=max_expansions,
        deadline=time.perf_counter() + time_budget_s,
        heuristics=heuristics,
    )


def _plan_fleet(
    network: GroundNetwork,
    requests: list[GroundRequest],
    limits: VehicleLimits | None,
    *,
    occupancy: MemoryOccupancy | None,
    repair_rounds: int,
    park_first: bool,
    max_expansions: int | None,
    deadline: float,
    heuristics: HeuristicTables | None,
) -> FleetResult:
    limits = limits or VehicleLimits(max_speed_mps=2.0, altitude_lower_m=0.0, altitude_upper_m=4.0)
    order = sorted(requests, key=lambda r: (-r.priority, r.departure, r.id))
    t_min = min((r.departure for r in requests), default=0.0)
    if occupancy is not None:
        planner = GroundPlanner.from_occupancy(
            network, occupancy, t_min, limits, heuristics=heuristics
        )
    else:
        planner = GroundPlanner(
            network, limits, table=IntervalTable(limits.safety_buffer_s), heuristics=heuristics
        )
    if max_expansions is not None:
        planner.max_expansions = max_expansions
    planner.deadline = deadline if deadline < INF else None
    starts: dict[str, tuple[int, tuple[float, float]]] = {}
    b = planner.table.buffer_s
    exit_s = math.sqrt(2.0) * network.tile_m / min(e.speed for e in network.edges)
    result = FleetResult()
    for r in list(order):  # parked at the origin until it has left the origin's voxel
        try:
            e, frac = network.snap(*r.origin, limits.snap_max_m, "origin")
            network.snap(*r.destination, limits.snap_max_m, "destination")
        except NoRoute as exc:  # too far from any road: no parking, no plan
            result.unserved[r.id], result.details[r.id] = exc.reason, exc.message
            order.remove(r)
            continue
        k = network.split(e, frac, "start", into=False).keys[0]
        until = r.departure + exit_s + b
        starts[r.id] = (k, (-INF, until + b))
        planner.table.add(k, -INF, until)
    rank = {r.id: i for i, r in enumerate(order)}
    for r in order:
        if time.perf_counter() > deadline:
            result.unserved[r.id] = BUDGET_EXCEEDED
            continue
        _plan_one(planner, r, result, starts[r.id], park=park_first)
    for _ in range(repair_rounds):
        if time.perf_counter() > deadline:
            break
        bad = _blocking_goals(result, rank)
        if not bad:
            break
        for rid in bad:
            _unreserve(planner, result.routes.pop(rid))
        for rid in bad:
            req = next(q for q in order if q.id == rid)
            _plan_one(planner, req, result, starts[rid], park=True)
            result.repaired.append(rid)
    if occupancy is not None and result.routes:
        rows = [w for route in result.routes.values() for w in ground_windows(route)]
        keys = np.array([r[0] for r in rows], np.int64)
        occupancy.add_busy_arrays(
            network.z,
            BusyArrays(
                np.zeros(keys.size, np.int64),
                keys >> 32,
                keys & 0xFFFFFFFF,
                np.array([r[1] for r in rows]),
                np.array([r[2] for r in rows]),
            ),
        )
    return result


def _plan_one(
    planner: GroundPlanner,
    r: GroundRequest,
    result: FleetResult,
    start: tuple[int, tuple[float, float]],
    *,
    park: bool,
) -> None:
    key, parked = start
    table = planner.table
    table.remove_many([(key, *parked)])  # its own parking does not block the robot itself
    try:
        route = planner.plan(r.origin, r.destination, r.departure, park=park)
    except NoRoute as exc:
        result.unserved[r.id], result.details[r.id] = exc.reason, exc.message
        return
    finally:
        table.put_many([(key, *parked)])
    result.unserved.pop(r.id, None)
    result.details.pop(r.id, None)
    route.meta["request_id"] = r.id
    planner.reserve(route)
    planner.table.add(_goal_key(route), route.arrival, INF)
    result.routes[r.id] = route


def _unreserve(planner: GroundPlanner, route: Route) -> None:
    """Remove a route's windows and its parking from the table."""
    b = planner.table.buffer_s
    drop = {(k, t0 - b, t1 + b) for k, t0, t1 in ground_windows(route)}
    drop.add((_goal_key(route), route.arrival - b, INF))
    planner.table.remove_many(sorted(drop))


def _blocking_goals(result: FleetResult, rank: dict[str, int]) -> list[str]:
    """Ids of robots parked at a goal that a higher-priority route passes later."""
    parked: dict[int, list[tuple[float, str]]] = {}
    for rid, route in result.routes.items():
        parked.setdefault(_goal_key(route), []).append((route.arrival, rid))
    bad = set()
    for rid, route in result.routes.items():
        for k, _, t1 in ground_windows(route):
            for arrival, owner in parked.get(k, ()):
                if owner != rid and rank[owner] > rank[rid] and t1 > arrival:
                    bad.add(owner)
    return sorted(bad, key=rank.__getitem__)

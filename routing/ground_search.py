"""SIPP on a :class:`~routing.ground.GroundNetwork` against an :class:`IntervalTable`."""

from __future__ import annotations

import math
import time
from bisect import bisect_right
from collections.abc import Iterator
from heapq import heappop, heappush
from itertools import count, repeat
from typing import Any

import numpy as np

from routing.edge_index import EdgeIndex
from routing.errors import NoRoute, SearchBudgetExceeded
from routing.ground import DESTINATION, ORIGIN, Edge, GroundNetwork, HeuristicTables
from routing.intervals import IntervalTable, ground_key
from routing.occupancy import BusyArrays, Occupancy, TileBox, concat_busy
from routing.route import GroundVisits, Route
from routing.vehicle import VehicleLimits
from spatialid.projection import tile_x_to_lng, tile_y_to_lat

INF = math.inf
AT_NODE_M = 0.01
"""A snapped point this close to a node is at the node (all its streets are usable)."""
MAX_INTERVALS = 4
"""Later safe intervals of a node tried per move (besides the earliest)."""


def earliest_departure(
    table: IntervalTable, e: Edge, t: float, t_max: float, index: EdgeIndex | None = None
) -> float | None:
    """Earliest ``t' >= t`` (``<= t_max``) at which every voxel of ``e`` is free while used."""
    if index is not None and e.idx >= 0:
        t = index.earliest(e.idx, t)
        return t if t <= t_max else None
    busy = table.busy
    for _ in range(1000):
        moved = False
        for k, da, db in e.offsets:
            lst = busy.get(k)
            if not lst:
                continue
            for s, x in lst:  # sorted by start
                if s > t + db:
                    break
                if t + da < x:
                    t, moved = x - da, True
                    if t > t_max:
                        return None
        if not moved:
            return t
    return None


class GroundPlanner:
    """Plans robot/car routes on a network, avoiding reserved ground voxels in time."""

    def __init__(
        self,
        network: GroundNetwork,
        limits: VehicleLimits | None = None,
        *,
        table: IntervalTable | None = None,
        max_expansions: int = 200_000,
        weight: float = 1.0,
        heuristics: HeuristicTables | None = None,
    ) -> None:
        """``weight`` inflates the heuristic (arrival <= weight x the earliest possible);
        ``heuristics`` keeps the free-flow tables by goal (a new one by default);
        ``deadline`` (a ``time.perf_counter()`` instant, None: none) stops a search once
        passed, with ``SearchBudgetExceeded`` (checked every 1,024 expansions).

        A plan keeps its own state in locals: one planner may run many plans at once as
        long as nothing changes its table meanwhile."""
        self.net = network
        self.limits = limits or VehicleLimits(altitude_lower_m=0.0, altitude_upper_m=4.0)
        self.table = table if table is not None else IntervalTable(self.limits.safety_buffer_s)
        self.index = EdgeIndex(network, self.table)
        self.max_expansions = max_expansions
        self.weight = weight
        self.deadline: float | None = None
        self.heuristics = heuristics if heuristics is not None else HeuristicTables(network)
        self._safe: dict[int, tuple[list[tuple[float, float]], list[float]]] = {}
        """Safe intervals (and their starts) per voxel key, kept across plans: dropped
        when the table adds to a key or :meth:`refresh` is called for it."""
        self.table.listeners.append(self._forget)
        self.table.removal_listeners.append(self._forget_keys)

    @classmethod
    def from_occupancy(
        cls,
        network: GroundNetwork,
        occupancy: Occupancy,
        departure: float,
        limits: VehicleLimits | None = None,
        *,
        heuristics: HeuristicTables | None = None,
    ) -> GroundPlanner:
        """A planner whose table holds the occupancy's ground rows from ``departure`` on:
        busy rows (reservations, temporary restrictions) and, busy at all times, the
        voxels of permanent restrictions (not obstacles: roads pass beside buildings)."""
        limits = limits or VehicleLimits(altitude_lower_m=0.0, altitude_upper_m=4.0)
        buf = limits.safety_buffer_s
        xs = [x for x, _ in network.pos.values()]
        ys = [y for _, y in network.pos.values()]
        box = TileBox(int(min(xs)) - 1, int(min(ys)) - 1, int(max(xs)) + 2, int(max(ys)) + 2)
        rows = occupancy.busy_in(network.z, box, departure - 2 * buf, INF)
        f, x, y = occupancy.restricted_static(network.z, box).to_arrays()
        if f.size:
            always = np.full(f.size, INF)
            rows = concat_busy([rows, BusyArrays(f, x, y, -always, always)])
        return cls(network, limits, table=IntervalTable.from_rows(rows, buf), heuristics=heuristics)

    def plan(
        self,
        origin: tuple[float, float],
        destination: tuple[float, float],
        departure: float,
        *,
        park: bool = False,
    ) -> Route:
        """Earliest-arrival route between two snapped points; raises ``NoRoute``.

        With ``park`` the vehicle stays at the destination: it arrives only when the
        destination's voxel is free from then on.
        """
        net, table = self.net, self.table
        reach = self.limits.snap_max_m
        eo, fo = net.snap(origin[0], origin[1], reach, "origin")
        ed, fd = net.snap(destination[0], destination[1], reach, "destination")
        extra: dict[Any, list[Edge]] = {ORIGIN: [net.split(eo, fo, ORIGIN, into=False)]}
        into: dict[Any, list[Edge]] = {ed.u: [net.split(ed, fd, DESTINATION, into=True)]}
        ro, rd = net.reverse(eo), net.reverse(ed)
        if ro is not None:
            extra[ORIGIN].append(net.split(ro, 1.0 - fo, ORIGIN, into=False))
        if rd is not None:
            into.setdefault(rd.u, []).append(net.split(rd, 1.0 - fd, DESTINATION, into=True))
        start_pt, goal_pt = extra[ORIGIN][0].pts[0], into[ed.u][0].pts[-1]
        for c, oc in ((eo, fo), (ro, 1.0 - fo)):  # both on one edge: fly straight
            dc = fd if c is ed else 1.0 - fd if c is not None and c is rd else -1.0
            if c is not None and dc >= oc:
                extra[ORIGIN].append(
                    net.make_edge(
                        ORIGIN,
                        DESTINATION,
                        c.length_m * (dc - oc),
                        c.speed,
                        np.array([start_pt, goal_pt]),
                    )
                )
        for e, f, is_origin in ((eo, fo, True), (ed, fd, False)):  # a point on a node
            for n, gap in ((e.u, f), (e.v, 1.0 - f)):  # joins all its streets
                if gap * e.length_m < AT_NODE_M:
                    if is_origin:
                        extra[ORIGIN].append(net.at_node(e, n, ORIGIN, n))
                    else:
                        into.setdefault(n, []).append(net.at_node(e, n, n, DESTINATION))
        skip = {id(ed), id(rd)}
        k0 = extra[ORIGIN][0].keys[0]
        s0 = next(((s, e) for s, e in table.safe(k0) if s <= departure < e), None)
        if s0 is None:
            raise NoRoute("origin_blocked", "the origin is occupied at the departure time")
        seeds = {n: min(e.seconds for e in es) for n, es in into.items()}
        to_goal, frontier = self.heuristics.times_to(seeds, stop=eo.v)
        # parking: nothing arrives before the destination's voxel is free for good, so
        # f >= that time (a lower bound; see ``_relax`` for the order of ties at it)
        goal_key = into[ed.u][0].keys[-1]
        goal_safe = table.safe(goal_key)
        if not goal_safe:
            raise NoRoute("destination_blocked", "the destination is blocked at all times")
        floor = goal_safe[-1][0] if park else -INF

        tie = count()
        best: dict[tuple[Any, int], float] = {(ORIGIN, 0): departure}
        parent: dict[tuple[Any, int], tuple[tuple[Any, int], Edge, float]] = {}
        heap = [(departure, -departure, next(tie), (ORIGIN, 0), departure, s0[1])]
        expansions = 0
        closed: set[tuple[Any, int]] = set()
        adj: dict[Any, list[Edge]] = {}  # the moves out of each node in this query
        out, relax = net.out, self._relax
        while heap:
            _, _, _, state, g, end = heappop(heap)
            if g > best[state] or state in closed:
                continue
            closed.add(state)
            n = state[0]
            if n == DESTINATION and (end == INF or not park):
                return self._route(state, best, parent, departure, expansions)
            expansions += 1
            if expansions > self.max_expansions:
                raise SearchBudgetExceeded(f"{expansions} expansions", expansions=expansions)
            if not expansions & 1023 and self.deadline and time.perf_counter() > self.deadline:
                raise SearchBudgetExceeded("out of time", expansions=expansions)
            moves = adj.get(n)
            if moves is None:  # the destination's edges are entered through ``into``
                moves = adj[n] = [
                    e
                    for e in (*(extra.get(n) or out.get(n, [])), *into.get(n, []))
                    if id(e) not in skip
                ]
            for e in moves:
                relax(state, g, end, e, best, parent, heap, tie, to_goal, frontier, park, floor)
        raise NoRoute("no_path", f"no route on the network ({expansions} expansions)")

    def _relax(
        self,
        state: Any,
        g: float,
        end: float,
        e: Edge,
        best: Any,
        parent: Any,
        heap: Any,
        tie: Any,
        to_goal: dict[Any, float],
        frontier: float,
        park: bool,
        floor: float,
    ) -> None:
        hv = to_goal.get(e.v, frontier)
        if hv == INF:
            return
        secs = e.seconds
        k = e.keys[-1]
        cached = self._safe.get(k)
        if cached is None:
            safe = self.table.safe(k)
            cached = self._safe[k] = (safe, [s for s, _ in safe])
        safe, starts = cached
        last = len(safe) - 1
        if last < 0:
            return  # busy for good (e.g. two robots parked in one voxel)
        fa_last = e.fa[-1] * secs
        if safe[last][0] <= g + fa_last and best.get((e.v, last), INF) <= g + secs:
            return  # already reached at least as early in the node's last interval
        t0 = g
        if park and e.v == DESTINATION:  # only the open-ended interval will do
            t0 = max(g, safe[-1][0] - fa_last)
        i = e.idx
        if i >= 0:  # EdgeIndex.earliest, inlined (the hot path)
            starts_i, ends_i = self.index.starts[i], self.index.ends[i]
            j = bisect_right(starts_i, t0) - 1
            t: float | None = ends_i[j] if j >= 0 and ends_i[j] > t0 else t0
            if t is not None and t > end:
                t = None
        else:
            t = earliest_departure(self.table, e, t0, end)
        tried = 0
        fb_first = e.fb[0] * secs
        wh = self.weight * hv
        while t is not None and tried <= MAX_INTERVALS:
            if t + fb_first >= end:
                return  # cannot stay at the node that long
            arr_in = t + fa_last
            j = bisect_right(starts, arr_in) - 1
            if j < 0 or arr_in >= safe[j][1]:
                return
            arrival = t + secs
            ns = (e.v, j)
            if arrival < best.get(ns, INF):
                best[ns] = arrival
                parent[ns] = (state, e, t)
                f = arrival + wh
                if f > floor:  # ties to the later arrival (straight along an exact h)
                    heappush(heap, (f, -arrival, next(tie), ns, arrival, safe[j][1]))
                else:  # clipped to the parking floor: earliest first, so that the first
                    # pop of a state is its earliest arrival (later-first dived deep and
                    # closed states reached late: parked routes arrived up to ~25 s late)
                    heappush(heap, (floor, arrival, next(tie), ns, arrival, safe[j][1]))
            tried += 1
            if j + 1 >= len(safe):
                return
            t1 = max(t, safe[j + 1][0] - fa_last)
            if i >= 0:
                j = bisect_right(starts_i, t1) - 1
                t = ends_i[j] if j >= 0 and ends_i[j] > t1 else t1
                if t > end:
                    t = None
            else:
                t = earliest_departure(self.table, e, t1, end)

    def _route(
        self, state: Any, best: Any, parent: Any, departure: float, expansions: int
    ) -> Route:
        steps = unwind(state, parent)
        z = self.net.z
        keys: list[int] = []  # consecutive repeats of a voxel merged into one visit
        enter: list[float] = []
        leave: list[float] = []
        wps: list[tuple[float, float, float]] = []
        t_prev = departure
        for e, t in steps:
            if not wps:
                wps.append((float(e.pts[0][0]), float(e.pts[0][1]), t_prev))
            if t > t_prev:  # wait at the node
                k = e.keys[0]
                if keys and keys[-1] == k:
                    if t > leave[-1]:
                        leave[-1] = t
                else:
                    keys.append(k)
                    enter.append(t_prev)
                    leave.append(t)
                wps.append((float(e.pts[0][0]), float(e.pts[0][1]), t))
            for k, a, b in e.offsets:
                b += t
                if keys and keys[-1] == k:
                    if b > leave[-1]:
                        leave[-1] = b
                else:
                    keys.append(k)
                    enter.append(t + a)
                    leave.append(b)
            t_prev = t + e.seconds
            wps.append((float(e.pts[-1][0]), float(e.pts[-1][1]), t_prev))
        ks = np.array(keys, dtype=np.int64)
        visits = GroundVisits(z, (ks >> 32).tolist(), (ks & 0xFFFFFFFF).tolist(), enter, leave)
        wps = _dedupe(wps)
        xyt = np.array(wps, dtype=np.float64).reshape(-1, 3)
        lngs = tile_x_to_lng(xyt[:, 0], z).tolist()
        lats = tile_y_to_lat(xyt[:, 1], z).tolist()
        waypoints = list(zip(lngs, lats, repeat(0.0), [w[2] for w in wps]))
        return Route(visits, waypoints, self.limits.safety_buffer_s, expansions, t_prev - departure)

    def _forget(self, rows: list[tuple[int, float, float]]) -> None:
        pop = self._safe.pop
        for key, _, _ in rows:
            pop(key, None)

    def _forget_keys(self, keys: list[int]) -> None:
        pop = self._safe.pop
        for key in keys:
            pop(key, None)

    def reserve(self, route: Route) -> None:
        """Add a route's voxel windows to the table (fleet planning)."""
        self.table.add_many(ground_windows(route))


def ground_windows(route: Route) -> Iterator[tuple[int, float, float]]:
    """A ground route's ``(voxel key, enter - buffer, leave + buffer)``, from its columns."""
    b = route.safety_buffer_s
    vs = route.visits
    if isinstance(vs, GroundVisits):
        return zip(
            map(ground_key, vs.xs, vs.ys),
            [t - b for t in vs.enter],
            [t + b for t in vs.leave],
            strict=True,
        )
    return ((v.x << 32 | v.y, t0, t1) for v, t0, t1 in route.windows())


def _dedupe(wps: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    out: list[tuple[float, float, float]] = []
    for w in wps:
        if not out or w != out[-1]:
            out.append(w)
    return out


def unwind(state: Any, parent: Any) -> list[tuple[Any, float]]:
    """The ``(edge, time)`` steps from the start to ``state``, read back through ``parent``."""
    steps = []
    while state in parent:
        prev, e, t = parent[state]
        steps.append((e, t))
        state = prev
    steps.reverse()
    return steps

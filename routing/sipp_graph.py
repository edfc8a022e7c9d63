"""SIPP over an explicit graph (the multi-resolution graph of :mod:`routing.multires`).

The same search as :func:`routing.sipp.search` (states ``(node, safe interval)``, earliest
arrival, a move holds both nodes for its whole duration, weighted A* without
re-expansions), with neighbours from an adjacency function instead of fixed key offsets.
Nodes that are not in ``busy.keys`` (which includes every block node) are always free.

Both searches share one relax step, :func:`routing.sipp.relax`, called once per
expansion with the expanded state's moves.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from heapq import heappop

from routing.busy import BusyTable
from routing.errors import NoRoute, SearchBudgetExceeded
from routing.sipp import SHIFT, GridPath, relax

INF = math.inf
Adjacency = Callable[[int], list[tuple[int, float]]]


def search_graph(
    adjacency: Adjacency,
    busy: BusyTable,
    start: int,
    goal: int,
    heuristic: Callable[[int], float],
    *,
    t0: float = 0.0,
    max_expansions: int = 2_000_000,
    time_budget_s: float = 10.0,
) -> GridPath:
    """Earliest-arrival SIPP from ``start`` (at ``t0``) to ``goal``; raises ``NoRoute``."""
    j0, end0 = -1, INF
    for j, (s, e) in enumerate(busy.safe(start)):
        if s <= t0 < e:
            j0, end0 = j, e
            break
    if j0 < 0:
        raise NoRoute("origin_blocked", "the origin voxel is busy at the departure time")
    s0 = start << SHIFT | j0
    best: dict[int, float] = {s0: t0}
    parent: dict[int, int] = {}
    hcache: dict[int, float] = {start: heuristic(start)}
    heap: list[tuple[float, float, int, float]] = [(t0 + hcache[start], -t0, s0, end0)]
    busy_keys, safe = busy.keys, busy.safe
    closed: set[int] = set()
    deadline = time.perf_counter() + time_budget_s
    expansions = 0
    while heap:
        _, ng, state, end = heappop(heap)
        g = -ng
        if g > best[state] or state in closed:
            continue
        closed.add(state)
        node = state >> SHIFT
        if node == goal:
            return _path(state, best, parent, adjacency, expansions)
        expansions += 1
        if expansions > max_expansions or (
            not expansions & 1023 and time.perf_counter() > deadline
        ):
            raise SearchBudgetExceeded(
                f"search stopped after {expansions} expansions", expansions=expansions
            )
        relax(
            state, g, end, adjacency(node), best, parent, hcache, heuristic, heap, busy_keys, safe
        )
    raise NoRoute("no_path", f"no route inside the planning box ({expansions} expansions)")


def _path(
    state: int,
    best: dict[int, float],
    parent: dict[int, int],
    adjacency: Adjacency,
    expansions: int,
) -> GridPath:
    """Walk the parents back from the goal state (node ids in ``GridPath.keys``)."""
    nodes, arrivals, departures = [], [], []
    while True:
        node, a = state >> SHIFT, best[state]
        nodes.append(node)
        arrivals.append(a)
        prev = parent.get(state)
        if prev is None:
            departures.append(a)
            break
        dt = dict(adjacency(prev >> SHIFT))[node]
        departures.append(a - dt)
        state = prev
    nodes.reverse()
    arrivals.reverse()
    departures.reverse()
    return GridPath(nodes, arrivals, departures, expansions)

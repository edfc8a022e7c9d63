"""Safe-interval path planning (SIPP) over a :class:`~routing.grid.VoxelGrid`.

States are ``(key, j)``: a voxel and the index of one of its safe intervals, packed into
one int ``key << 12 | j``. Each state keeps its earliest arrival time. A move ``A -> B``
taking ``dt`` may start after waiting (hovering) in ``A``; both voxels are held for the
whole move (conservative), so the departure ``t`` must satisfy ``t >= s_B`` and
``t + dt < min(e_A, e_B)``. With a consistent heuristic the first time the goal is popped
its arrival is the earliest possible: the search is optimal in arrival time on the grid.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from heapq import heappop, heappush
from typing import NamedTuple

from routing.busy import ALWAYS, INTERVAL_BITS, BusyTable
from routing.errors import NoRoute, SearchBudgetExceeded

INF = math.inf
SHIFT = INTERVAL_BITS
"""A search state is ``key << SHIFT | j``; :class:`BusyTable` keeps ``j`` in range."""


class Deferral(NamedTuple):
    """Horizontal and vertical moves, voxels per layer, and the ``f`` bound of a deferral."""

    flat: list[tuple[int, float]]
    vertical: list[tuple[int, float]]
    layer: int
    bound: float


class GridPath(NamedTuple):
    """A found path: keys, arrival times and the departure time of the move into each."""

    keys: list[int]
    arrivals: list[float]
    departures: list[float]
    expansions: int


def search(
    moves: list[tuple[int, float]],
    blocked: bytearray,
    busy: BusyTable,
    start: int,
    goal: int,
    heuristic: Callable[[int], float],
    *,
    t0: float = 0.0,
    max_expansions: int = 2_000_000,
    time_budget_s: float = 10.0,
    deferral: Deferral | None = None,
    sides: dict[int, tuple[int, ...]] | None = None,
) -> GridPath:
    """Earliest-arrival SIPP from ``start`` (at ``t0``) to ``goal``; raises ``NoRoute``.

    With ``deferral``, a voxel in the goal's layer first gets only its horizontal moves;
    its vertical ones are generated when the open list reaches ``f + bound`` (partial
    expansion: ``bound`` is a lower bound of how much any vertical move raises ``f``, so
    the order of expansions, and the result, are those of the full search). With
    ``sides`` (:func:`routing.motion.side_offsets`) a diagonal move is skipped when a
    cell it passes at an edge or corner is blocked.
    """
    j0 = -1
    end0 = INF
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
    busy_keys = busy.keys
    safe = busy.safe
    closed: set[int] = set()  # no re-expansion: keeps weighted A*'s bound, saves work
    flat, vertical, layer, defer_bound = deferral or ([], [], 1, 0.0)
    sd_of = sides or {}
    all_mv = [(off, dt, sd_of.get(off, ())) for off, dt in moves]
    flat_mv = [(off, dt, sd_of.get(off, ())) for off, dt in flat]
    vert_mv = [(off, dt, sd_of.get(off, ())) for off, dt in vertical]
    goal_layer = goal // layer
    deadline = time.perf_counter() + time_budget_s
    expansions = 0
    while heap:
        fval, ng, state, end = heappop(heap)
        g = -ng
        if state < 0:  # the deferred vertical moves of ~state
            state = ~state
            if g != best[state]:
                continue
            key = state >> SHIFT
            mv = vert_mv
        else:
            if g > best[state] or state in closed:
                continue
            closed.add(state)
            key = state >> SHIFT
            if key == goal:
                return _path(state, best, parent, moves, expansions)
            expansions += 1
            if expansions > max_expansions or (
                not expansions & 1023 and time.perf_counter() > deadline
            ):
                raise SearchBudgetExceeded(
                    f"search stopped after {expansions} expansions", expansions=expansions
                )
            if defer_bound and key // layer == goal_layer:
                mv = flat_mv
                heappush(heap, (fval + defer_bound, ng, ~state, end))
            else:
                mv = all_mv
        targets = []
        for off, dt, sd in mv:
            nk = key + off
            if blocked[nk]:
                continue
            if sd:
                cut = False
                for so in sd:
                    if blocked[key + so]:
                        cut = True
                        break
                if cut:
                    continue
            targets.append((nk, dt))
        relax(state, g, end, targets, best, parent, hcache, heuristic, heap, busy_keys, safe)
    raise NoRoute("no_path", f"no route inside the planning box ({expansions} expansions)")


def relax(
    state: int,
    g: float,
    end: float,
    targets: list[tuple[int, float]],
    best: dict[int, float],
    parent: dict[int, int],
    hcache: dict[int, float],
    heuristic: Callable[[int], float],
    heap: list[tuple[float, float, int, float]],
    busy_keys: set[int],
    safe: Callable[[int], list[tuple[float, float]]],
) -> None:
    """The relax step of both SIPP searches: the moves from ``state`` (reached at ``g``,
    its safe interval ending at ``end``) to each ``(key, seconds)`` of ``targets``.

    A move may wait at its origin first; it arrives at the earliest time in each safe
    interval of the target that it can reach before ``end``, and pushes the target's
    state when that improves on its best arrival. Targets not in ``busy_keys`` are free
    at all times (one interval, ``j == 0``)."""
    for nk, dt in targets:
        a = g + dt
        if a >= end:
            continue
        intervals = safe(nk) if nk in busy_keys else ALWAYS
        for j, (s, e) in enumerate(intervals):
            if s >= end:
                break
            a = (g if g > s else s) + dt
            if a >= e or a >= end:
                continue
            ns = nk << SHIFT | j
            if a < best.get(ns, INF):
                best[ns] = a
                parent[ns] = state
                h = hcache.get(nk)
                if h is None:
                    h = hcache[nk] = heuristic(nk)
                if h < INF:
                    heappush(heap, (a + h, -a, ns, e))


def _path(
    state: int,
    best: dict[int, float],
    parent: dict[int, int],
    moves: list[tuple[int, float]],
    expansions: int,
) -> GridPath:
    """Walk the parents back from the goal state."""
    dt_of = dict(moves)
    keys, arrivals, departures = [], [], []
    while True:
        key, a = state >> SHIFT, best[state]
        keys.append(key)
        arrivals.append(a)
        prev = parent.get(state)
        if prev is None:
            departures.append(a)
            break
        departures.append(a - dt_of[key - (prev >> SHIFT)])
        state = prev
    keys.reverse()
    arrivals.reverse()
    departures.reverse()
    return GridPath(keys, arrivals, departures, expansions)

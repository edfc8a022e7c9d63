"""The coarse level of the hierarchical drone planner: columns of the spatial ID quadtree.

A *column* is the tile at zoom ``z - k`` (``2^k x 2^k`` grid tiles, ``x >> k``, ``y >> k``)
over the whole altitude band. Columns are kept sparse, as sets of ints
(:func:`column_id`): nothing is allocated per column of the planning box, only per column
that holds something.

- *closed*: a statically blocked voxel of the band (after the clearance dilation, so a free
  column keeps every voxel of it at the clearance from obstacles) lies in it;
- *hot*: a busy row of the band lies in it (for the time window the query reads).

- *full*: every voxel of the band in it is blocked (no route passes it).

The coarse search (:func:`coarse_path`) is A* over the 8-neighbour column graph: full
columns are not entered (the origin's and destination's always are), a diagonal step needs
both columns beside it not full, a closed or hot column costs ``penalty`` times a free one
(so routes go around obstacles and busy space when that is cheap, through them, searched
finely, when it is not). Step costs are
horizontal flight times between column centres; the heuristic is the octile distance, so
the column path is optimal on this graph with ``weight=1`` (within ``weight`` of it
otherwise). :func:`pull` then straightens runs of free
columns by line of sight (every column a segment passes, or touches at a corner, free).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from heapq import heappop, heappush

import numpy as np

from routing.errors import NoRoute, SearchBudgetExceeded
from routing.occupancy import BusyArrays, Occupancy, TileBox
from routing.traversal import corner_cells, segment_pieces

INF = 1 << 62
MASK20 = (1 << 20) - 1
COL_BITS = 24
"""A column id is ``cx << COL_BITS | cy``."""
STRAIGHT, DIAG = 1000, 1414
"""Integer step costs of the column search (exact ties, broken towards the deeper node)."""


def column_id(cx: int, cy: int) -> int:
    """One int for the column ``(cx, cy)``."""
    return cx << COL_BITS | cy


def column_xy(cid: int) -> tuple[int, int]:
    """``(cx, cy)`` of a column id."""
    return cid >> COL_BITS, cid & ((1 << COL_BITS) - 1)


def _ids(cx: np.ndarray, cy: np.ndarray) -> set[int]:
    if cx.size == 0:
        return set()
    return set(np.unique((cx.astype(np.int64) << COL_BITS) | cy.astype(np.int64)).tolist())


def check_deadline(deadline: float, what: str) -> None:
    """Raise :class:`SearchBudgetExceeded` when ``deadline`` (``perf_counter``) is past."""
    if time.perf_counter() > deadline:
        raise SearchBudgetExceeded(f"planning budget spent ({what})")


def static_columns(
    occupancy: Occupancy,
    z: int,
    k: int,
    box: TileBox,
    f_lo: int,
    f_hi: int,
    rh: int,
    rv: int,
) -> tuple[set[int], set[int]]:
    """Ids of the columns of ``box`` (grid tiles) holding a blocked voxel of layers
    ``f_lo..f_hi`` after dilation by ``rh`` tiles and ``rv`` layers (*closed*), and of
    those whose every voxel of the band is blocked (*full*, before dilation). Work and
    memory grow with the blocked runs, not with the box."""
    probe = TileBox(box.x0 - rh, box.y0 - rh, box.x1 + rh, box.y1 + rh)
    f, y, a, b = occupancy.blocked_static(z, probe).runs()
    band = (f >= f_lo) & (f <= f_hi)
    full = _full_columns(y[band], a[band], b[band], k, (f_hi - f_lo + 1) << k)
    keep = (f >= f_lo - rv) & (f <= f_hi + rv)
    y, a, b = y[keep], a[keep] - rh, b[keep] + rh  # b is exclusive
    if y.size == 0:
        return set(), full
    # one item per (column row span, column span): duplicates over layers and rows dropped
    c0, dc = a >> k, ((b - 1) >> k) - (a >> k)
    r0, dr = (y - rh) >> k, ((y + rh) >> k) - ((y - rh) >> k)
    key = np.unique((r0 << 44) | (dr << 40) | (c0 << 20) | dc)
    r0, dr, c0, dc = key >> 44, (key >> 40) & 15, (key >> 20) & MASK20, key & MASK20
    idx, off = _expand(dr + 1, dc + 1)
    nc = (dc + 1)[idx]
    return _ids(c0[idx] + off % nc, r0[idx] + off // nc), full


def _expand(nr: np.ndarray, nc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For items of ``nr x nc`` cells each: the item of every cell and its offset in it."""
    rep = nr * nc
    idx = np.repeat(np.arange(len(rep)), rep)
    off = np.arange(idx.size, dtype=np.int64) - np.repeat(np.cumsum(rep) - rep, rep)
    return idx, off


def _full_columns(y: np.ndarray, a: np.ndarray, b: np.ndarray, k: int, volume: int) -> set[int]:
    """Columns whose every voxel of the band is blocked: runs of a row are disjoint and
    do not touch, so a column's row is blocked iff one run covers it; a column is full
    when ``volume`` (layers x rows) of its rows are."""
    ca, cb = -(-a >> k), (b >> k) - 1  # the columns a run covers from side to side
    ok = cb >= ca
    if not ok.any():
        return set()
    key, layers = np.unique((y[ok] << 40) | (ca[ok] << 20) | cb[ok], return_counts=True)
    y, ca, cb = key >> 40, (key >> 20) & MASK20, key & MASK20
    idx, off = _expand(np.ones_like(ca), cb - ca + 1)
    ids = ((ca[idx] + off) << COL_BITS) | (y[idx] >> k)
    uniq, inv = np.unique(ids, return_inverse=True)
    count = np.bincount(inv, weights=layers[idx])
    return set(uniq[count >= volume].tolist())


def busy_columns(rows: BusyArrays, k: int, f_lo: int, f_hi: int) -> set[int]:
    """Ids of the columns holding a busy row of layers ``f_lo..f_hi``."""
    band = (rows.f >= f_lo) & (rows.f <= f_hi)
    return _ids(rows.x[band] >> k, rows.y[band] >> k)


def coarse_path(
    start: tuple[int, int],
    goal: tuple[int, int],
    full: set[int],
    special: set[int],
    bounds: tuple[int, int, int, int],
    *,
    penalty: float,
    deadline: float,
    weight: float = 1.0,
    max_expansions: int = 1_000_000,
) -> list[tuple[int, int]]:
    """The cheapest column path from ``start`` to ``goal`` (see the module docstring),
    inside ``bounds`` ``(cx0, cy0, cx1, cy1)`` (half-open); raises ``NoRoute``."""
    cx0, cy0, cx1, cy1 = bounds
    gx, gy = goal
    ends = {column_id(*start), column_id(*goal)}

    wd, ws = round(weight * DIAG), round(weight * STRAIGHT)

    def h(x: int, y: int) -> int:
        a, b = abs(gx - x), abs(gy - y)
        if a < b:
            a, b = b, a
        return b * wd + (a - b) * ws

    wall = full - ends

    s = column_id(*start)
    best = {s: 0}
    parent: dict[int, int] = {}
    heap = [(h(*start), 0, s)]  # integer costs, so ties are exact: the deeper node first
    done: set[int] = set()
    pen = round(penalty * 1000)
    steps = [(dx, dy, DIAG if dx and dy else STRAIGHT) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    steps.remove((0, 0, STRAIGHT))
    n = 0
    while heap:
        _, ng, c = heappop(heap)
        g = -ng
        if c in done:
            continue
        done.add(c)
        x, y = column_xy(c)
        if (x, y) == goal:
            out = [c]
            while out[-1] in parent:
                out.append(parent[out[-1]])
            return [column_xy(i) for i in reversed(out)]
        n += 1
        if n > max_expansions:
            raise SearchBudgetExceeded(f"coarse search stopped after {n} expansions", expansions=n)
        if not n & 255:
            check_deadline(deadline, f"coarse search, {n} expansions")
        for dx, dy, d in steps:
            nx_, ny_ = x + dx, y + dy
            if not (cx0 <= nx_ < cx1 and cy0 <= ny_ < cy1):
                continue
            nc = nx_ << COL_BITS | ny_
            if nc in wall:
                continue
            if dx and dy and (nx_ << COL_BITS | y in wall or x << COL_BITS | ny_ in wall):
                continue
            cost = g + (d * pen // 1000 if nc in special else d)
            if cost < best.get(nc, INF):
                best[nc] = cost
                parent[nc] = c
                heappush(heap, (cost + h(nx_, ny_), -cost, nc))
    raise NoRoute("no_path", f"no column path inside the planning box ({n} expansions)")


def sight(
    free: Callable[[int, int], bool], k: int
) -> Callable[[tuple[float, float], tuple[float, float]], bool]:
    """A line-of-sight test between two points in grid tile units: every column the
    segment passes through, or touches at an edge or corner, is ``free``."""
    s = float(1 << k)

    def ok(p: tuple[float, float], q: tuple[float, float]) -> bool:
        a = np.array([p[0] / s, p[1] / s, 0.5])
        b = np.array([q[0] / s, q[1] / s, 0.5])
        cells, _, _ = segment_pieces(a, b)
        touched = corner_cells(cells)
        allc = np.concatenate([cells, touched]) if len(touched) else cells
        return all(free(int(x), int(y)) for x, y in {(int(r[0]), int(r[1])) for r in allc})

    return ok


def pull(
    points: list[tuple[float, float]],
    ok: Callable[[tuple[float, float], tuple[float, float]], bool],
) -> list[tuple[float, float]]:
    """Greedy string pulling: from each kept point the farthest later one in sight (the
    next one is taken as it is: consecutive points are in sight by construction)."""
    out = [points[0]]
    i = 0
    while i < len(points) - 1:
        j = len(points) - 1
        while j > i + 1 and not ok(points[i], points[j]):
            j = max(i + 1, i + (j - i) // 2)
        out.append(points[j])
        i = j
    return out

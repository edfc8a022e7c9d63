"""The first pair of overlapping boxes from different groups, found by a vectorised sweep.

Boxes are int64 rows ``(x0, x1, y0, y1, f0, f1)`` of half-open leaf ranges with a
half-open time window ``[t0, t1)`` (float seconds) and a group (a piece of a volume). Two
boxes meet when they overlap on all four axes. The sweep sorts the boxes by the lower bound
of the axis on which the fewest pairs can meet (for a route that is usually time), so
only the pairs that overlap on that axis are compared on the others, in bounded chunks.
Boxes of one group are disjoint by construction; pairs within a group are skipped anyway.
"""

from __future__ import annotations

import numpy as np

CHUNK = 1 << 20
"""Candidate pairs compared at once (bounds the memory of one step)."""


def _candidates(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The order by ``lo``; for each sorted box the number of boxes after it that start
    before it ends (its candidates); and the number of candidate pairs."""
    order = np.argsort(lo, kind="stable")
    end = np.searchsorted(lo[order], hi[order], side="left")
    count = np.maximum(end - np.arange(1, len(lo) + 1), 0)
    return order, count, int(count.sum())


def first_overlap(
    rows: np.ndarray, t0: np.ndarray, t1: np.ndarray, group: np.ndarray
) -> tuple[int, int] | None:
    """The smallest ``(group a, group b)``, ``a < b``, of two meeting boxes; None if none."""
    n = len(rows)
    if n < 2 or len(np.unique(group)) < 2:
        return None
    axes = [(rows[:, 0], rows[:, 1]), (rows[:, 2], rows[:, 3]), (rows[:, 4], rows[:, 5])]
    axes.append((t0, t1))
    best = min((_candidates(lo, hi) for lo, hi in axes), key=lambda c: c[2])
    order, counts, total = best
    if total == 0:
        return None
    r, a0, a1, g = rows[order], t0[order], t1[order], group[order]
    cum = np.cumsum(counts)
    found: tuple[int, int] | None = None
    i = 0
    while i < n:
        # a block of sorted boxes whose candidate pairs fit one chunk (at least one box)
        done = int(cum[i - 1]) if i else 0
        stop = max(int(np.searchsorted(cum, done + CHUNK, side="right")), i + 1)
        c = counts[i:stop]
        if c.sum():
            left = np.repeat(np.arange(i, stop), c)
            offset = np.arange(int(c.sum())) - np.repeat(np.cumsum(c) - c, c)
            right = left + 1 + offset
            p, q = r[left], r[right]
            meet = (
                (p[:, 0] < q[:, 1])
                & (q[:, 0] < p[:, 1])
                & (p[:, 2] < q[:, 3])
                & (q[:, 2] < p[:, 3])
                & (p[:, 4] < q[:, 5])
                & (q[:, 4] < p[:, 5])
                & (a0[left] < a1[right])
                & (a0[right] < a1[left])
                & (g[left] != g[right])
            )
            if meet.any():
                ga, gb = g[left][meet], g[right][meet]
                lo, hi = np.minimum(ga, gb), np.maximum(ga, gb)
                k = np.lexsort((hi, lo))[0]
                pair = (int(lo[k]), int(hi[k]))
                found = pair if found is None else min(found, pair)
        i = stop
    return found

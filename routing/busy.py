"""Safe intervals per grid key, built lazily from bulk busy rows (times relative to a ref)."""

from __future__ import annotations

import math

import numpy as np

from routing.grid import VoxelGrid
from routing.occupancy import BusyArrays

INF = math.inf
ALWAYS: list[tuple[float, float]] = [(-INF, INF)]
INTERVAL_BITS = 12
"""The SIPP searches pack a state as ``key << INTERVAL_BITS | j`` (``j`` a safe interval's
index), so a key may have at most ``2^INTERVAL_BITS`` safe intervals."""
MAX_INTERVALS = 1 << INTERVAL_BITS


class TooManyIntervals(ValueError):
    """A voxel is busy in more separate windows than a search state can number."""


class BusyTable:
    """Busy rows of a grid, keyed like the grid; :meth:`safe` gives a key's safe intervals.

    Busy intervals are widened by ``buffer_s`` on both sides, so a visit ``[enter, leave]``
    inside a safe interval keeps ``[enter - buffer, leave + buffer]`` clear of them.
    Times are seconds relative to ``t_ref``.
    """

    def __init__(self, grid: VoxelGrid, rows: BusyArrays, t_ref: float, buffer_s: float) -> None:
        f, x, y, s, e = rows
        inside = (
            (x > grid.x0)
            & (x < grid.x0 + grid.nx - 1)
            & (y > grid.y0)
            & (y < grid.y0 + grid.ny - 1)
            & (f > grid.f0)
            & (f < grid.f0 + grid.nf - 1)
        )
        keys = grid.keys(f[inside], x[inside], y[inside])
        s = s[inside] - t_ref - buffer_s
        e = e[inside] - t_ref + buffer_s
        order = np.lexsort((s, keys))
        self._keys, self._s, self._e = keys[order], s[order], e[order]
        first = np.ones(len(self._keys), dtype=bool)  # sorted: unique without hashing
        first[1:] = self._keys[1:] != self._keys[:-1]
        self.sorted_keys = self._keys[first]
        self.keys: set[int] = set(self.sorted_keys.tolist())
        self._cache: dict[int, list[tuple[float, float]]] = {}

    def safe(self, key: int) -> list[tuple[float, float]]:
        """Sorted safe (free) intervals ``[s, e)`` of ``key``."""
        out = self._cache.get(key)
        if out is not None:
            return out
        if key not in self.keys:
            return ALWAYS
        lo, hi = np.searchsorted(self._keys, [key, key + 1])
        out = []
        start = -INF
        for b0, b1 in zip(self._s[lo:hi].tolist(), self._e[lo:hi].tolist(), strict=True):
            if b0 > start:
                out.append((start, b0))
            start = max(start, b1)
        if start < INF:
            out.append((start, INF))
        if len(out) > MAX_INTERVALS:
            raise TooManyIntervals(
                f"grid key {key} has {len(out)} safe intervals; a search state numbers at "
                f"most {MAX_INTERVALS} (split the planning window)"
            )
        self._cache[key] = out
        return out

    def free_during(self, key: int, t0: float, t1: float) -> bool:
        """True iff ``key`` is free over the closed window ``[t0, t1]``."""
        if key not in self.keys:
            return True
        return any(s <= t0 and t1 < e for s, e in self.safe(key))

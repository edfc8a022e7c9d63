"""Forbidden departure times per network edge, kept in step with an ``IntervalTable``.

Voxel ``k`` of edge ``e`` is held from ``t + da`` to ``t + db`` when ``e`` is entered at
``t``; a busy interval ``[s, x)`` of ``k`` therefore forbids departures in
``[s - db, x - da)``. Each edge keeps the union of its forbidden intervals as sorted
disjoint lists, so the earliest free departure is one ``bisect`` instead of a scan over
the edge's voxels.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from routing.ground import GroundNetwork
from routing.intervals import IntervalTable


class EdgeIndex:
    """Merged forbidden departure intervals of every edge of ``network``."""

    def __init__(self, network: GroundNetwork, table: IntervalTable) -> None:
        self.net = network
        self.table = table
        self.by_voxel = network.by_voxel
        n = len(network.edges)
        self.starts: list[list[float]] = [[] for _ in range(n)]
        self.ends: list[list[float]] = [[] for _ in range(n)]
        self.on_add([(k, s, x) for k, lst in table.busy.items() for s, x in lst])
        table.listeners.append(self.on_add)
        table.removal_listeners.append(self.on_remove)

    def on_add(self, rows: list[tuple[int, float, float]]) -> None:
        """(Widened) busy intervals ``(voxel key, start, end)`` were added: each edge's
        new forbidden intervals are merged first, then inserted."""
        per: dict[int, list[tuple[float, float]]] = {}
        by_voxel = self.by_voxel
        for key, s, x in rows:
            for i, da, db in by_voxel.get(key, ()):
                lst = per.get(i)
                if lst is None:
                    per[i] = [(s - db, x - da)]
                else:
                    lst.append((s - db, x - da))
        insert = self._insert
        for i, ivs in per.items():
            if len(ivs) == 1:
                insert(i, *ivs[0])
                continue
            ivs.sort()
            a, b = ivs[0]
            for c, d in ivs:  # merge overlapping or touching ones, as ``_insert`` would
                if c > b:
                    insert(i, a, b)
                    a, b = c, d
                elif d > b:
                    b = d
            insert(i, a, b)

    def _insert(self, i: int, a: float, b: float) -> None:
        starts, ends = self.starts[i], self.ends[i]
        lo = bisect_left(ends, a)
        hi = bisect_right(starts, b)
        if lo < hi:
            a = min(a, starts[lo])
            b = max(b, ends[hi - 1])
        starts[lo:hi] = [a]
        ends[lo:hi] = [b]

    def on_remove(self, keys: list[int]) -> None:
        """Intervals of voxels ``keys`` were removed: rebuild the edges through them."""
        busy = self.table.busy
        for i in {i for key in keys for i, _, _ in self.by_voxel.get(key, ())}:
            self.starts[i], self.ends[i] = [], []
            for k, da, db in self.net.edges[i].offsets:
                for s, x in busy.get(k, ()):
                    self._insert(i, s - db, x - da)

    def earliest(self, i: int, t: float) -> float:
        """The earliest departure ``>= t`` along edge ``i`` that meets no busy voxel."""
        starts = self.starts[i]
        j = bisect_right(starts, t) - 1
        if j >= 0:
            end = self.ends[i][j]
            if end > t:
                return end
        return t

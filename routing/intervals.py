"""A mutable interval reservation table keyed by int (ground voxels of one zoom)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable

import numpy as np

from routing.occupancy import BusyArrays
from routing.timegrid import widen

INF = math.inf


def ground_key(x: int, y: int) -> int:
    """One int for the ground voxel ``(f=0, x, y)``."""
    return x << 32 | y


class IntervalTable:
    """Busy intervals per key, widened by ``buffer_s`` on both sides when added, then out
    to the millisecond grid the store keeps (:mod:`routing.timegrid`).

    ``listeners`` are told of every batch added: a list of ``(key, start, end)`` (widened);
    ``removal_listeners`` of every batch removed: the keys whose intervals were removed.
    Change ``busy`` only through these methods, so indexes built on it stay in step.
    """

    def __init__(self, buffer_s: float = 0.0) -> None:
        self.buffer_s = buffer_s
        self.busy: dict[int, list[tuple[float, float]]] = {}
        self.listeners: list[Callable[[list[tuple[int, float, float]]], None]] = []
        self.removal_listeners: list[Callable[[list[int]], None]] = []

    @classmethod
    def from_rows(cls, rows: BusyArrays, buffer_s: float) -> IntervalTable:
        """A table of the ``f == 0`` rows (the ground band) of bulk busy rows."""
        t = cls(buffer_s)
        g = rows.f == 0
        keys = (rows.x[g] << 32) | rows.y[g]
        order = np.argsort(keys, kind="stable")
        t.add_many(
            zip(
                keys[order].tolist(),
                rows.start[g][order].tolist(),
                rows.end[g][order].tolist(),
                strict=True,
            )
        )
        return t

    def add(self, key: int, start: float, end: float) -> None:
        """Mark ``key`` busy over ``[start, end)`` (widened by the buffer)."""
        self.add_many(((key, start, end),))

    def add_many(self, rows: Iterable[tuple[int, float, float]]) -> None:
        """Mark each ``(key, start, end)`` busy (widened by the buffer), one batch."""
        b = self.buffer_s
        self.put_many((key, start - b, end + b) for key, start, end in rows)

    def put_many(self, rows: Iterable[tuple[int, float, float]]) -> None:
        """Mark each ``(key, start, end)`` busy as given (already widened, e.g. put back
        after :meth:`remove_many`), one batch."""
        busy = self.busy
        added = []
        for key, start, end in rows:
            iv = widen(start, end)
            lst = busy.get(key)
            if lst is None:
                busy[key] = [iv]
            else:
                bisect.insort(lst, iv)
            added.append((key, *iv))
        for listener in self.listeners:
            listener(added)

    def remove_many(self, rows: Iterable[tuple[int, float, float]]) -> None:
        """Remove one copy of each widened interval ``(key, start, end)`` (as
        :meth:`put_many` takes them; absent ones are ignored), one batch."""
        changed: dict[int, None] = {}
        for key, start, end in rows:
            iv = widen(start, end)
            lst = self.busy.get(key)
            if lst and iv in lst:
                lst.remove(iv)
                changed[key] = None
        if changed:
            for listener in self.removal_listeners:
                listener(list(changed))

    def safe(self, key: int) -> list[tuple[float, float]]:
        """Sorted safe intervals ``[s, e)`` of ``key``."""
        lst = self.busy.get(key)
        if not lst:
            return [(-INF, INF)]
        out, start = [], -INF
        for b0, b1 in lst:
            if b0 > start:
                out.append((start, b0))
            start = max(start, b1)
        if start < INF:
            out.append((start, INF))
        return out

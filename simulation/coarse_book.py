"""The coarse arms' books: strategic deconfliction as the reference DSS indexes it.

``cells`` (A1): a flight locks every square cell of ``cell_m`` (1 km, about an S2 level-13
cell) that its path crosses, in one altitude band, for its whole flight window.
``volumes`` (A2): a flight locks one 4D volume per leg of its path, as ASTM F3548
operational intents do: the leg's box widened by ``buffer_m``, its height band, and the
leg's own time window (widened by ``buffer_s``).

Both book first come, first served: a flight takes the earliest departure, in steps of
``step_s`` from when it asked, at which what it would lock is free; a flight with no such
departure within ``max_delay_s`` (900 s) is rejected. Nothing here knows the database: the
arms compare indexing schemes on the same demand, not PostgreSQL.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

MAX_DELAY_S = 900.0
"""A flight with no slot within this long after its request is rejected."""
STEP_S = 30.0


@dataclass(frozen=True)
class Slot:
    """What a flight got: its departure delay, or None (rejected)."""

    delay_s: float | None
    tries: int


def _segment_cells(a: np.ndarray, b: np.ndarray, cell_m: float) -> set[tuple[int, int]]:
    """The cells a segment passes through, walked cell by cell (a 2D DDA: exact, however
    briefly the segment clips a cell)."""
    x0, y0, x1, y1 = a[0] / cell_m, a[1] / cell_m, b[0] / cell_m, b[1] / cell_m
    cx, cy, ex, ey = math.floor(x0), math.floor(y0), math.floor(x1), math.floor(y1)
    dx, dy = x1 - x0, y1 - y0
    sx, sy = (1 if dx > 0 else -1), (1 if dy > 0 else -1)
    tx = ((cx + (sx > 0)) - x0) / dx if dx else math.inf
    ty = ((cy + (sy > 0)) - y0) / dy if dy else math.inf
    stepx, stepy = (abs(1 / dx) if dx else math.inf), (abs(1 / dy) if dy else math.inf)
    cells = {(cx, cy)}
    for _ in range(abs(ex - cx) + abs(ey - cy)):
        if tx < ty:
            cx, tx = cx + sx, tx + stepx
        else:
            cy, ty = cy + sy, ty + stepy
        cells.add((cx, cy))
    return cells


def crossed_cells(path: np.ndarray, cell_m: float) -> set[tuple[int, int]]:
    """The cells of ``cell_m`` a polyline ``(k, >=2)`` of metres passes through."""
    cells: set[tuple[int, int]] = set()
    for a, b in zip(path[:-1, :2], path[1:, :2], strict=True):
        cells |= _segment_cells(a, b, cell_m)
    return cells


@dataclass
class CellBook:
    """A1: cells locked for whole flight windows."""

    cell_m: float = 1000.0
    band_pad_m: float = 10.0
    """The one altitude band is the operating band widened by this on both sides."""
    _windows: dict[tuple[int, int], list[tuple[float, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def free(self, cells: set[tuple[int, int]], t0: float, t1: float) -> bool:
        """No locked window of these cells meets ``[t0, t1)``."""
        return all(not (a < t1 and t0 < b) for c in cells for a, b in self._windows.get(c, ()))

    def book(self, path: np.ndarray, t0: float, duration_s: float) -> Slot:
        """Lock the path's cells for ``[t0 + delay, t0 + delay + duration_s)`` at the first
        free delay."""
        cells = crossed_cells(path, self.cell_m)
        tries = 0
        delay = 0.0
        while delay <= MAX_DELAY_S:
            tries += 1
            if self.free(cells, t0 + delay, t0 + delay + duration_s):
                for c in cells:
                    self._windows[c].append((t0 + delay, t0 + delay + duration_s))
                return Slot(delay, tries)
            delay += STEP_S
        return Slot(None, tries)


@dataclass
class VolumeBook:
    """A2: one 4D box per leg (x, y, z ranges and the leg's window)."""

    buffer_m: float = 30.0
    buffer_s: float = 30.0
    _boxes: list[np.ndarray] = field(default_factory=list)
    """Each booked flight's boxes, ``(legs, 8)``: x0, x1, y0, y1, z0, z1, t0, t1."""

    def boxes(self, plan: np.ndarray, delay: float) -> np.ndarray:
        """The leg boxes of ``plan`` (``(m, 4)``: t, x, y, z) leaving ``delay`` late."""
        a, b = plan[:-1], plan[1:]
        m, s = self.buffer_m, self.buffer_s
        return np.column_stack(
            [
                np.minimum(a[:, 1], b[:, 1]) - m, np.maximum(a[:, 1], b[:, 1]) + m,
                np.minimum(a[:, 2], b[:, 2]) - m, np.maximum(a[:, 2], b[:, 2]) + m,
                np.minimum(a[:, 3], b[:, 3]) - m, np.maximum(a[:, 3], b[:, 3]) + m,
                a[:, 0] + delay - s, b[:, 0] + delay + s,
            ]
        )  # fmt: skip

    def free(self, mine: np.ndarray) -> bool:
        """No booked box meets one of ``mine``."""
        if not self._boxes:
            return True
        them = np.concatenate(self._boxes)
        lo_m, hi_m = mine[:, None, 0::2], mine[:, None, 1::2]
        lo_t, hi_t = them[None, :, 0::2], them[None, :, 1::2]
        return not np.any(np.all((lo_m < hi_t) & (lo_t < hi_m), axis=2))

    def book(self, plan: np.ndarray) -> Slot:
        """Lock the plan's leg boxes at the first free delay."""
        tries = 0
        delay = 0.0
        while delay <= MAX_DELAY_S:
            tries += 1
            mine = self.boxes(plan, delay)
            if self.free(mine):
                self._boxes.append(mine)
                return Slot(delay, tries)
            delay += STEP_S
        return Slot(None, tries)

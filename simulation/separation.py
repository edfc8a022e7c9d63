"""Losses of separation between flown tracks, found with a spatial grid, not all pairs.

Tracks are sampled on one clock: ``positions[t, i] = (x, y, z)`` in metres of a local
frame (east, north, up), NaN where flight ``i`` is not in the air at step ``t``. Two flights
are in loss of separation at a step when they are closer than ``horizontal_m``
horizontally *and* ``vertical_m`` vertically (Metropolis 2 uses 32 m and 7.62 m). A loss
is counted once per episode: the run of consecutive steps a pair stays in it. Its severity
is how deep it went: the smallest horizontal distance, and the smallest vertical one, over
the episode.

Each step hashes the flights into square cells of ``horizontal_m`` and compares only the
flights of a cell with those of the cell itself and four of its neighbours (each pair of
neighbouring cells once), so the work grows with the pairs that are near, not with all
pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

HORIZONTAL_M = 32.0
VERTICAL_M = 7.62
"""The Metropolis 2 separation minima (horizontal, vertical)."""
_HALF = ((0, 0), (1, 0), (-1, 1), (0, 1), (1, 1))
"""A cell and half its neighbours: every neighbouring pair of cells is looked at once."""


@dataclass(frozen=True)
class Episode:
    """One loss of separation between flights ``a < b``, over steps ``[start, end]``."""

    a: int
    b: int
    start: int
    end: int
    min_horizontal_m: float
    min_vertical_m: float

    @property
    def steps(self) -> int:
        """How many steps it lasted."""
        return self.end - self.start + 1


def close_pairs(
    points: np.ndarray, horizontal_m: float = HORIZONTAL_M, vertical_m: float = VERTICAL_M
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pairs ``(i, j)``, ``i < j``, of rows of ``points`` (``(n, 3)``, no NaN) closer
    than both minima, with their horizontal and vertical distances."""
    n = len(points)
    empty = np.empty(0, dtype=np.int64)
    if n < 2:
        return empty, empty, np.empty(0), np.empty(0)
    cells = np.floor(points[:, :2] / horizontal_m).astype(np.int64)
    order = np.lexsort((cells[:, 1], cells[:, 0]))
    keys = cells[order]
    packed = keys[:, 0] * (1 << 32) + keys[:, 1]
    starts = np.flatnonzero(np.r_[True, packed[1:] != packed[:-1]])
    ends = np.r_[starts[1:], n]
    where = {int(packed[s]): (int(s), int(e)) for s, e in zip(starts, ends, strict=True)}
    ii: list[np.ndarray] = []
    jj: list[np.ndarray] = []
    for s, e in zip(starts, ends, strict=True):
        cx, cy = int(keys[s, 0]), int(keys[s, 1])
        mine = order[s:e]
        for dx, dy in _HALF:
            span = where.get((cx + dx) * (1 << 32) + (cy + dy))
            if span is None:
                continue
            theirs = order[span[0] : span[1]]
            ga, gb = np.meshgrid(mine, theirs, indexing="ij")
            a, b = ga.ravel(), gb.ravel()
            if (dx, dy) == (0, 0):
                keep = a < b
                a, b = a[keep], b[keep]
            ii.append(a)
            jj.append(b)
    if not ii:
        return empty, empty, np.empty(0), np.empty(0)
    a, b = np.concatenate(ii), np.concatenate(jj)
    a, b = np.minimum(a, b), np.maximum(a, b)
    d = points[a] - points[b]
    h = np.hypot(d[:, 0], d[:, 1])
    v = np.abs(d[:, 2])
    inside = (h < horizontal_m) & (v < vertical_m)
    return a[inside], b[inside], h[inside], v[inside]


def losses_in_steps(
    steps: Iterable[tuple[np.ndarray, np.ndarray]],
    horizontal_m: float = HORIZONTAL_M,
    vertical_m: float = VERTICAL_M,
) -> list[Episode]:
    """Every episode of loss of separation over ``steps``: per step, the ids of the flights
    flying and their positions ``(n, 3)``; in order of start, then of the pair."""
    if horizontal_m <= 0 or vertical_m <= 0:
        raise ValueError("the separation minima must be positive")
    open_: dict[tuple[int, int], list[float]] = {}  # pair -> [start, min_h, min_v]
    done: list[Episode] = []
    t = -1
    for t, (ids, points) in enumerate(steps):
        a, b, h, v = close_pairs(points, horizontal_m, vertical_m)
        now: dict[tuple[int, int], tuple[float, float]] = {}
        for i, j, hh, vv in zip(a, b, h, v, strict=True):
            p, q = int(ids[i]), int(ids[j])
            now[(min(p, q), max(p, q))] = (float(hh), float(vv))
        for pair in [p for p in open_ if p not in now]:  # ended at the previous step
            start, mh, mv = open_.pop(pair)
            done.append(Episode(pair[0], pair[1], int(start), t - 1, mh, mv))
        for pair, (hh, vv) in now.items():
            if pair in open_:
                ep = open_[pair]
                ep[1], ep[2] = min(ep[1], hh), min(ep[2], vv)
            else:
                open_[pair] = [float(t), hh, vv]
    for pair, (start, mh, mv) in open_.items():
        done.append(Episode(pair[0], pair[1], int(start), t, mh, mv))
    return sorted(done, key=lambda e: (e.start, e.a, e.b))


def losses_of_separation(
    positions: np.ndarray, horizontal_m: float = HORIZONTAL_M, vertical_m: float = VERTICAL_M
) -> list[Episode]:
    """Every episode of loss of separation in ``positions`` (``(steps, flights, 3)``, NaN
    where a flight is not flying), in order of start, then of the pair."""
    if positions.ndim != 3 or positions.shape[2] != 3:
        raise ValueError(f"positions must be (steps, flights, 3), got {positions.shape}")

    def steps() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for step in positions:
            flying = np.flatnonzero(~np.isnan(step).any(axis=1))
            yield flying, step[flying]

    return losses_in_steps(steps(), horizontal_m, vertical_m)

"""Timed voxel traversal of straight segments and polylines in tile space ``(x, y, f)``.

Unlike :func:`spatialid.lines.traverse` (every voxel containing a point, corners included)
this keeps the voxels where the segment spends positive length, each with the parameter
interval it spends there: what a vehicle flying the segment occupies, and when. Pieces
shorter than ``1e-12`` of the segment (floating-point slivers at corners) are dropped.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
SLIVER = 1e-12


def segment_pieces(p0: FloatArray, p1: FloatArray) -> tuple[IntArray, FloatArray, FloatArray]:
    """Cells ``(M, 3)`` visited by ``p0 -> p1`` in order, with entry/exit parameters."""
    d = p1 - p0
    ts = [np.array([0.0, 1.0])]
    for axis in range(3):
        if d[axis] != 0.0:
            lo, hi = sorted((p0[axis], p1[axis]))
            ks = np.arange(np.ceil(lo), np.floor(hi) + 1.0)
            ts.append((ks - p0[axis]) / d[axis])
    t = np.sort(np.clip(np.concatenate(ts), 0.0, 1.0))  # repeats go with the slivers
    keep = np.empty(t.size, dtype=bool)
    keep[0] = True
    keep[1:] = np.diff(t) > SLIVER
    t = t[keep]
    if t.size == 1:  # zero-length segment: one piece, the whole time
        return np.floor(p0)[None, :].astype(np.int64), np.zeros(1), np.ones(1)
    t[-1] = 1.0
    mids = (t[:-1] + t[1:]) / 2.0
    cells = np.floor(p0 + mids[:, None] * d).astype(np.int64)
    return cells, t[:-1], t[1:]


def polyline_visits(
    points: FloatArray, times: FloatArray
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Cells ``(K, 3)`` of a timed polyline with enter/leave times, consecutive repeats
    merged (a vehicle hovering or turning inside a voxel stays one visit)."""
    cells, enters, leaves = [], [], []
    for i in range(len(points) - 1):
        c, ta, tb = segment_pieces(points[i], points[i + 1])
        dur = times[i + 1] - times[i]
        cells.append(c)
        enters.append(times[i] + ta * dur)
        leaves.append(times[i] + tb * dur)
    if not cells:
        p = np.floor(points[:1]).astype(np.int64)
        return p, times[:1].copy(), times[:1].copy()
    c = np.concatenate(cells)
    e0, e1 = np.concatenate(enters), np.concatenate(leaves)
    new = np.ones(len(c), dtype=bool)
    new[1:] = np.any(c[1:] != c[:-1], axis=1)
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], len(c)] - 1
    return c[starts], e0[starts], e1[ends]


def corner_cells(cells: IntArray) -> IntArray:
    """Cells ``(M, 3)`` a path through ``cells`` (consecutive cells in order) touches only
    at an edge or a corner: where consecutive cells differ in two or three coordinates,
    the other cells of their ``2 x 2 (x 2)`` box (may repeat). Static obstacles must not
    be among them, or the path would pass at distance zero from one (between two, through
    a gap of zero width)."""
    if len(cells) < 2:
        return np.empty((0, 3), dtype=np.int64)
    d = cells[1:] - cells[:-1]
    rows = np.flatnonzero(np.count_nonzero(d, axis=1) >= 2)
    if rows.size == 0:
        return np.empty((0, 3), dtype=np.int64)
    step = d[rows][:, None, :]  # (R, 1, 3)
    m = _MASKS[None, :, :] * step  # (R, 6, 3): the box's other corners, as offsets
    ok = (np.count_nonzero(m, axis=2) == _MASKS.sum(axis=1)) & np.any(m != step, axis=2)
    return (cells[rows][:, None, :] + m)[ok]


_MASKS = np.array(
    [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (1, 0, 1), (0, 1, 1)], dtype=np.int64
)

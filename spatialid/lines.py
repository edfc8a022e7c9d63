"""Exact voxel traversal of polylines in tile space (2D or 3D), vectorised per segment.

For a segment ``p0 -> p1`` every parameter ``t`` where it crosses an integer plane
``x = k``, ``y = k`` (and ``f = k`` in 3D) is computed; the voxels are those of both
endpoints, of the midpoint of every sub-segment between consecutive crossings, and of
every crossing point (the crossed coordinate set exactly to the integer, the others
snapped to an integer when within ``1e-9`` tile units, so a line through a corner does
not pick up a voxel it only grazes). Under the half-open convention this is every voxel
that contains a point of the segment: no gaps at corners.

Examples
--------
>>> import numpy as np
>>> traverse(np.array([[0.5, 0.5], [2.5, 1.5]])).tolist()
[[0, 0], [1, 0], [1, 1], [2, 1]]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SNAP = 1e-9
"""Coordinates of crossing points within this many tile units of an integer are snapped."""


def traverse_segment(p0: npt.NDArray[np.float64], p1: npt.NDArray[np.float64]) -> np.ndarray:
    """Integer cells ``(M, d)`` (unsorted, may repeat) containing points of ``p0 -> p1``.

    >>> traverse_segment(np.array([0.5, 0.5]), np.array([1.5, 1.5])).tolist()
    [[0, 0], [1, 1], [0, 0], [1, 1], [1, 1], [1, 1]]
    """
    d = p1 - p0
    ts = [np.array([0.0, 1.0])]
    crossings = []
    for axis in range(p0.size):
        if d[axis] == 0.0:
            continue
        lo, hi = sorted((p0[axis], p1[axis]))
        ks = np.arange(np.ceil(lo), np.floor(hi) + 1.0)
        if ks.size == 0:
            continue
        t = np.clip((ks - p0[axis]) / d[axis], 0.0, 1.0)
        pts = p0 + t[:, None] * d
        near = np.abs(pts - np.round(pts)) < SNAP
        pts = np.where(near, np.round(pts), pts)
        pts[:, axis] = ks
        ts.append(t)
        crossings.append(pts)
    t_all = np.unique(np.concatenate(ts))
    mids = (t_all[:-1] + t_all[1:]) / 2.0
    parts = [p0[None, :], p1[None, :], p0 + mids[:, None] * d, *crossings]
    return np.floor(np.concatenate(parts)).astype(np.int64)


def traverse(points: npt.ArrayLike) -> np.ndarray:
    """Unique integer cells ``(M, d)`` of a polyline given as an ``(N, d)`` array.

    Sorted lexicographically by column. One point gives its own cell.

    >>> traverse([[0.5, 0.5, 0.5], [0.5, 0.5, 2.0]]).tolist()
    [[0, 0, 0], [0, 0, 1], [0, 0, 2]]
    """
    p = np.asarray(points, dtype=np.float64)
    if p.shape[0] == 1:
        cells = np.floor(p).astype(np.int64)
    else:
        cells = np.concatenate([traverse_segment(p[i], p[i + 1]) for i in range(len(p) - 1)])
    return np.unique(cells, axis=0)

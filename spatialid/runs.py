"""Vectorised kernels over x-runs: the engine under :class:`spatialid.voxelset.VoxelSet`.

A set of voxels at one zoom is stored as rows keyed by ``(f, y)``; each row holds sorted,
disjoint, non-touching half-open x-runs ``[x0, x1)``. A row is addressed by one int64
*row key* ``(f + 2**30) << 31 | y`` (valid for every zoom up to 30), so runs sort by
``(key, x0)`` with a two-key ``lexsort``.

Boolean operations are one sweep: the run endpoints of all operands are lexsorted by
``(key, x)``, every operand gets a coverage count by ``cumsum`` (+1 at ``x0``, -1 at
``x1``; counts return to 0 at the end of each row), and output runs start and end where
the predicate over the counts changes. There is no Python loop per run.

Examples
--------
>>> import numpy as np
>>> k = row_key(np.array([0, 0]), np.array([5, 5]))
>>> key, x0, x1 = sweep([(k, np.array([0, 2]), np.array([2, 4]))], lambda c: c[0] > 0)
>>> x0.tolist(), x1.tolist()
([0], [4])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
Runs = tuple[IntArray, IntArray, IntArray]
"""``(key, x0, x1)`` int64 arrays."""

F_OFFSET = 1 << 30
Y_BITS = 31
Y_MASK = (1 << Y_BITS) - 1


def row_key(f: npt.ArrayLike, y: npt.ArrayLike) -> IntArray:
    """Pack ``(f, y)`` into one sortable int64 row key.

    Examples
    --------
    >>> [int(v) for v in key_to_fy(row_key(-1, 7))]
    [-1, 7]
    """
    fa = np.asarray(f, dtype=np.int64)
    ya = np.asarray(y, dtype=np.int64)
    return ((fa + F_OFFSET) << Y_BITS) | ya


def key_to_fy(key: npt.ArrayLike) -> tuple[IntArray, IntArray]:
    """Unpack row keys into ``(f, y)``."""
    k = np.asarray(key, dtype=np.int64)
    return (k >> Y_BITS) - F_OFFSET, k & Y_MASK


def _i64(a: npt.ArrayLike) -> IntArray:
    return np.ascontiguousarray(a, dtype=np.int64).reshape(-1)


def sweep(
    operands: Sequence[Runs],
    predicate: Callable[[list[IntArray]], npt.NDArray[np.bool_]],
) -> Runs:
    """Combine runs of several operands by a predicate over their coverage counts.

    Parameters
    ----------
    operands
        ``(key, x0, x1)`` triples; runs of one operand may overlap (counts then exceed 1).
    predicate
        Maps the list of per-operand count arrays to a boolean array; it must be False
        when all counts are 0.

    Returns
    -------
    (key, x0, x1)
        Normalised runs: sorted, disjoint and non-touching.

    Examples
    --------
    >>> k = np.zeros(2, dtype=np.int64)
    >>> a = (k, np.array([0, 10]), np.array([5, 12]))
    >>> b = (k[:1], np.array([3]), np.array([11]))
    >>> _, x0, x1 = sweep([a, b], lambda c: (c[0] > 0) & (c[1] > 0))
    >>> list(zip(x0.tolist(), x1.tolist()))
    [(3, 5), (10, 11)]
    """
    keys, xs, deltas = [], [], []
    n_ops = len(operands)
    for i, (k, x0, x1) in enumerate(operands):
        k, x0, x1 = _i64(k), _i64(x0), _i64(x1)
        ok = x1 > x0
        k, x0, x1 = k[ok], x0[ok], x1[ok]
        keys += [k, k]
        xs += [x0, x1]
        d = np.zeros((n_ops, 2 * k.size), dtype=np.int64)
        d[i, : k.size] = 1
        d[i, k.size :] = -1
        deltas.append(d)
    key = np.concatenate(keys) if keys else np.empty(0, np.int64)
    x = np.concatenate(xs) if xs else np.empty(0, np.int64)
    if key.size == 0:
        e = np.empty(0, np.int64)
        return e, e.copy(), e.copy()
    delta = np.concatenate(deltas, axis=1)
    order = np.lexsort((x, key))
    key, x, delta = key[order], x[order], delta[:, order]
    counts = np.cumsum(delta, axis=1)
    last = np.empty(key.size, dtype=bool)
    last[-1] = True
    last[:-1] = (key[1:] != key[:-1]) | (x[1:] != x[:-1])
    key, x, counts = key[last], x[last], counts[:, last]
    p = np.asarray(predicate(list(counts)), dtype=bool)
    prev = np.empty_like(p)
    prev[0] = False
    prev[1:] = p[:-1]
    starts = np.flatnonzero(p & ~prev)
    ends = np.flatnonzero(~p & prev)
    return key[starts], x[starts], x[ends]


def normalize(key: npt.ArrayLike, x0: npt.ArrayLike, x1: npt.ArrayLike) -> Runs:
    """Sort and merge possibly overlapping or touching runs (empty runs are dropped).

    Examples
    --------
    >>> _, a, b = normalize([1, 1, 1], [8, 0, 3], [9, 4, 5])
    >>> a.tolist(), b.tolist()
    ([0, 8], [5, 9])
    """
    k, a, b = _i64(key), _i64(x0), _i64(x1)
    if k.size > 1:
        order = np.lexsort((a, k))
        k, a, b = k[order], a[order], b[order]
        same = k[1:] == k[:-1]
        if np.all(~same | (a[1:] > b[:-1])) and np.all(b > a):
            return k, a, b  # already canonical (common case): skip the sweep
    return sweep([(k, a, b)], lambda c: c[0] > 0)


def length(runs: Runs) -> int:
    """Total covered length (number of voxels) of normalised runs."""
    return int(np.sum(runs[2] - runs[1], dtype=np.int64))

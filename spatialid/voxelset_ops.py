"""Compaction, expansion, merged boxes and GeoJSON export of a :class:`VoxelSet`.

The methods ``VoxelSet.compact``, ``from_compact``, ``boxes``, ``bounds`` and
``to_geojson`` delegate here; everything works on runs, never voxel by voxel.

Examples
--------
>>> from spatialid.voxelset import VoxelSet
>>> s = VoxelSet.from_runs(2, [0, 0, 1, 1], [0, 1, 0, 1], 0, 3)
>>> [str(v) for v in compact(s)]
['1/0/0/0', '2/0/2/0', '2/0/2/1', '2/1/2/0', '2/1/2/1']
>>> from_compact(compact(s), 2) == s
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from spatialid import runs as R
from spatialid.errors import SpatialIdError
from spatialid.projection import tile_f_to_alt, tile_x_to_lng, tile_y_to_lat
from spatialid.voxel import Voxel, check_zoom

if TYPE_CHECKING:
    from spatialid.voxelset import VoxelSet


def compact_levels(vs: VoxelSet) -> dict[int, VoxelSet]:
    """The compacted set as one ``VoxelSet`` per zoom (only non-empty levels).

    Per level, a parent row is fully covered where the four child rows' halved runs
    ``[ceil(x0/2), floor(x1/2))`` all overlap (count 4 in one sweep); the residual at the
    level is the set minus the children of those parents; then recurse on the parents.

    >>> from spatialid.voxelset import VoxelSet
    >>> sorted(compact_levels(VoxelSet.from_runs(1, [0, 0, 1, 1], [0, 1, 0, 1], 0, 2)))
    [0]
    """
    from spatialid.voxelset import VoxelSet

    out: dict[int, VoxelSet] = {}
    cur = vs
    while cur.zoom > 0 and cur:
        f, y, x0, x1 = cur.runs()
        key = R.row_key(f >> 1, y >> 1)
        full = R.sweep([(key, (x0 + 1) >> 1, x1 >> 1)], lambda c: c[0] >= 4)
        if full[0].size == 0:
            break
        parents = VoxelSet(cur.zoom - 1, full)
        residual = cur - parents.to_zoom(cur.zoom)
        if residual:
            out[cur.zoom] = residual
        cur = parents
    if cur:
        out[cur.zoom] = cur
    return out


def compact(vs: VoxelSet) -> list[Voxel]:
    """Mixed-zoom voxel list, coarsest zoom first (see :func:`compact_levels`)."""
    result: list[Voxel] = []
    for _, level in sorted(compact_levels(vs).items()):
        result.extend(level)
    return result


def from_compact(voxels: Iterable[Voxel], z: int) -> VoxelSet:
    """Expand mixed-zoom voxels (zoom <= ``z``) into one ``VoxelSet`` at zoom ``z``."""
    from spatialid.voxelset import VoxelSet

    check_zoom(z)
    arr = np.array([tuple(v) for v in voxels], dtype=np.int64).reshape(-1, 4)
    if arr.size and arr[:, 0].max() > z:
        raise SpatialIdError(f"voxel zoom {int(arr[:, 0].max())} is finer than z={z}")
    parts = [
        VoxelSet.from_arrays(int(zz), *arr[arr[:, 0] == zz, 1:].T).to_zoom(z)
        for zz in np.unique(arr[:, 0])
    ]
    if not parts:
        return VoxelSet.empty(z)
    keys = [p._key for p in parts]
    return VoxelSet(
        z,
        R.normalize(
            np.concatenate(keys),
            np.concatenate([p._x0 for p in parts]),
            np.concatenate([p._x1 for p in parts]),
        ),
    )


def _merge(sort_cols: list[np.ndarray], step: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group rows equal in ``sort_cols`` with consecutive ``step``: (order, start mask)."""
    order = np.lexsort((step, *reversed(sort_cols)))
    new = np.ones(order.size, dtype=bool)
    if order.size > 1:
        diff = np.zeros(order.size - 1, dtype=bool)
        for c in sort_cols:
            cs = c[order]
            diff |= cs[1:] != cs[:-1]
        s = step[order]
        diff |= s[1:] != s[:-1] + 1
        new[1:] = diff
    return order, new


def boxes(vs: VoxelSet) -> np.ndarray:
    """Merge equal x-runs across consecutive f, then across consecutive y.

    Returns int64 rows ``(x0, x1, y0, y1, f0, f1)``, half-open, sorted by ``(f0, y0, x0)``.
    """
    f, y, x0, x1 = vs.runs()
    if f.size == 0:
        return np.empty((0, 6), np.int64)
    order, new = _merge([y, x0, x1], f)
    ends = np.r_[np.flatnonzero(new)[1:], order.size] - 1
    starts = np.flatnonzero(new)
    bx0, bx1, by = x0[order][starts], x1[order][starts], y[order][starts]
    bf0, bf1 = f[order][starts], f[order][ends] + 1
    order, new = _merge([bx0, bx1, bf0, bf1], by)
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], order.size] - 1
    out = np.stack(
        [
            bx0[order][starts],
            bx1[order][starts],
            by[order][starts],
            by[order][ends] + 1,
            bf0[order][starts],
            bf1[order][starts],
        ],
        axis=1,
    )
    return out[np.lexsort((out[:, 0], out[:, 2], out[:, 4]))]


def bounds(vs: VoxelSet) -> tuple[float, float, float, float, float, float]:
    """``(west, south, bottom, east, north, top)`` of a non-empty set."""
    if not vs:
        raise SpatialIdError("bounds() of an empty VoxelSet")
    z = vs.zoom
    f, y, x0, x1 = vs.runs()
    return (
        float(tile_x_to_lng(x0.min(), z)),
        float(tile_y_to_lat(y.max() + 1, z)),
        float(tile_f_to_alt(f.min(), z)),
        float(tile_x_to_lng(x1.max(), z)),
        float(tile_y_to_lat(y.min(), z)),
        float(tile_f_to_alt(f.max() + 1, z)),
    )


def to_geojson(vs: VoxelSet) -> dict[str, Any]:
    """FeatureCollection with one Feature per merged box.

    Each Feature is a box: a Polygon footprint in lng/lat (straight edges in Web
    Mercator) with properties ``zoom``, ``f_min``/``f_max`` (inclusive),
    ``x_min``/``x_max``, ``y_min``/``y_max`` (inclusive) and ``altitude_lower`` /
    ``altitude_upper`` in metres.
    """
    z = vs.zoom
    b = vs.boxes()
    w, e = tile_x_to_lng(b[:, 0], z).tolist(), tile_x_to_lng(b[:, 1], z).tolist()
    n, s = tile_y_to_lat(b[:, 2], z).tolist(), tile_y_to_lat(b[:, 3], z).tolist()
    lo, hi = tile_f_to_alt(b[:, 4], z).tolist(), tile_f_to_alt(b[:, 5], z).tolist()
    features = []
    for i, row in enumerate(b.tolist()):
        ring = [[w[i], s[i]], [e[i], s[i]], [e[i], n[i]], [w[i], n[i]], [w[i], s[i]]]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "zoom": z,
                    "x_min": row[0],
                    "x_max": row[1] - 1,
                    "y_min": row[2],
                    "y_max": row[3] - 1,
                    "f_min": row[4],
                    "f_max": row[5] - 1,
                    "altitude_lower": lo[i],
                    "altitude_upper": hi[i],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}

"""Occupancy arithmetic in numpy: boxes -> voxels -> distinct items per cell, no voxel loops.

A hit is a leaf box already clipped to the query (see :mod:`registry.services.occupancy`) and the
index of the item (a reservation, restriction or obstacle) it belongs to. Boxes become
voxels at the query zoom, voxels become cells (the same voxels, coarser voxels or H3
cells), and each cell counts the distinct items in it, per kind.
"""

from __future__ import annotations

from dataclasses import dataclass

import h3
import numpy as np
import numpy.typing as npt

from registry.models import LEAF_ZOOM
from spatialid.projection import tile_x_to_lng, tile_y_to_lat
from spatialid.vectorized import format_ids

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Voxels:
    """Voxels at one zoom, each with the index of the item occupying it (repeats allowed)."""

    zoom: int
    item: IntArray
    f: IntArray
    x: IntArray
    y: IntArray


@dataclass(frozen=True)
class Cells:
    """Occupied cells: ids, per-kind distinct item counts ``(n, kinds)``, items per cell."""

    ids: list[str]
    counts: IntArray
    items: list[IntArray]


def leaf_to_zoom(boxes: IntArray, z: int) -> IntArray:
    """Leaf boxes ``(x0, x1, y0, y1, f0, f1)`` as the covering boxes at zoom ``z <= 25``."""
    k = LEAF_ZOOM - z
    out = np.asarray(boxes, np.int64).reshape(-1, 6) >> k
    out[:, 1::2] = ((np.asarray(boxes, np.int64).reshape(-1, 6)[:, 1::2] - 1) >> k) + 1
    return out


def box_volume(boxes: IntArray) -> IntArray:
    """Voxel count of each box."""
    b = np.asarray(boxes, np.int64).reshape(-1, 6)
    return (b[:, 1] - b[:, 0]) * (b[:, 3] - b[:, 2]) * (b[:, 5] - b[:, 4])


def expand(boxes: IntArray, item: IntArray, z: int) -> Voxels:
    """Every voxel of every box at zoom ``z``, tagged with its box's item (vectorised)."""
    b = np.asarray(boxes, np.int64).reshape(-1, 6)
    nx, ny = b[:, 1] - b[:, 0], b[:, 3] - b[:, 2]
    sizes = box_volume(b)
    idx = np.repeat(np.arange(len(b)), sizes)
    off = np.arange(idx.size, dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    nxi, nyi = nx[idx], ny[idx]
    rest = off // nxi
    return Voxels(
        zoom=z,
        item=np.asarray(item, np.int64)[idx],
        f=b[idx, 4] + rest // nyi,
        x=b[idx, 0] + off % nxi,
        y=b[idx, 2] + rest % nyi,
    )


def coarsen(v: Voxels, z: int) -> Voxels:
    """The same voxels at a coarser zoom ``z`` (parents; arithmetic shift keeps f < 0 right)."""
    k = v.zoom - z
    return Voxels(z, v.item, v.f >> k, v.x >> k, v.y >> k)


def _count(
    keys: IntArray, item: IntArray, kind_of: IntArray, kinds: int, items: bool
) -> tuple[IntArray, IntArray, list[IntArray]]:
    """Unique cell rows of ``keys``, distinct items per kind in each, the items if asked."""
    pairs = np.unique(np.column_stack([keys, item]), axis=0)
    cells, inv = np.unique(pairs[:, :-1], axis=0, return_inverse=True)
    inv = inv.ravel()
    owners = pairs[:, -1]
    flat = np.bincount(inv * kinds + kind_of[owners], minlength=len(cells) * kinds)
    counts = flat.reshape(len(cells), kinds)
    if not items:
        return cells, counts, [owners[:0]] * len(cells)
    order = np.argsort(inv, kind="stable")
    split = np.cumsum(np.bincount(inv, minlength=len(cells)))[:-1]
    return cells, counts, np.split(owners[order], split)


def voxel_cells(v: Voxels, kind_of: IntArray, kinds: int, items: bool = True) -> Cells:
    """Cells that are the voxels themselves, sorted by ``(f, x, y)``."""
    if not v.item.size:
        return Cells([], np.zeros((0, kinds), np.int64), [])
    cells, counts, owners = _count(np.column_stack([v.f, v.x, v.y]), v.item, kind_of, kinds, items)
    ids = format_ids(v.zoom, cells[:, 0], cells[:, 1], cells[:, 2])
    return Cells(ids, counts, owners)


def h3_cells(v: Voxels, res: int, kind_of: IntArray, kinds: int, items: bool = True) -> Cells:
    """H3 cells at ``res`` holding the centre of an occupied voxel column, sorted by cell."""
    if not v.item.size:
        return Cells([], np.zeros((0, kinds), np.int64), [])
    cols, col_of = np.unique(np.column_stack([v.x, v.y]), axis=0, return_inverse=True)
    lng = tile_x_to_lng(cols[:, 0] + 0.5, v.zoom)
    lat = tile_y_to_lat(cols[:, 1] + 0.5, v.zoom)
    names = np.array(
        [h3.latlng_to_cell(a, o, res) for a, o in zip(lat.tolist(), lng.tolist(), strict=True)]
    )
    uniq, code = np.unique(names, return_inverse=True)
    keys = code.ravel()[col_of.ravel()][:, None]
    cells, counts, owners = _count(keys, v.item, kind_of, kinds, items)
    return Cells(uniq[cells[:, 0]].tolist(), counts, owners)

"""Spatial IDs and geometries -> leaf-zoom boxes, footprints and contested IDs (pure helpers).

A box is an int64 row ``(x0, x1, y0, y1, f0, f1)`` of half-open index ranges at
``LEAF_ZOOM`` (25). A voxel at zoom ``z <= 25`` is the box ``[x << k, (x + 1) << k)``
(likewise y and f, arithmetic shift) with ``k = 25 - z``; a voxel finer than z25 is
rounded up to its z25 ancestor, which is conservative (it reserves at least as much).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import shapely

from registry.errors import InvalidInput
from registry.models import LEAF_ZOOM
from spatialid import (
    ExtendedId,
    SpatialIdError,
    SpatioTemporalId,
    Voxel,
    VoxelSet,
    extended_to_voxels,
    geometry_to_voxels,
    parse,
)
from spatialid.vectorized import validate as validate_arrays

IntArray = np.ndarray
Window = tuple[datetime, datetime]


_PLAIN = re.compile(r"(?:-?[0-9]{1,18}/-?[0-9]{1,18}/-?[0-9]{1,18}/-?[0-9]{1,18}\n)*", re.ASCII)
"""Lines of plain ``z/f/x/y`` IDs, each part a short ASCII integer (the vectorised path)."""


def plain_ids(ids: Sequence[str]) -> IntArray | None:
    """``(n, 4)`` rows of plain, in-range ``z/f/x/y`` IDs, or None to take the scalar path."""
    if not all(type(t) is str for t in ids):
        return None
    joined = "\n".join(ids) + "\n"
    if not _PLAIN.fullmatch(joined):
        return None
    values = np.array(joined.replace("/", " ").split(), np.int64).reshape(-1, 4)
    try:
        z, f, x, y = validate_arrays(values[:, 0], values[:, 1], values[:, 2], values[:, 3])
    except SpatialIdError:
        return None  # the scalar path names the first bad ID and part
    return np.column_stack([z, f, x, y])


def parse_ids(ids: Sequence[str], *, field: str) -> dict[Window | None, IntArray]:
    """Group IDs as ``(n, 4)`` rows ``(z, f, x, y)`` by their own time window
    (spatio-temporal IDs) or None (plain IDs); plain lists are parsed in numpy."""
    plain = plain_ids(ids)
    if plain is not None:
        return {None: plain} if len(plain) else {}
    groups: dict[Window | None, list[Voxel]] = defaultdict(list)
    for k, text in enumerate(ids):
        try:
            v = parse(text)
        except SpatialIdError as exc:
            raise InvalidInput(str(exc), field=f"{field}[{k}]") from None
        if isinstance(v, SpatioTemporalId):
            groups[v.time_range()].append(v.voxel)
        elif isinstance(v, ExtendedId):
            groups[None].extend(extended_to_voxels(v))
        else:
            groups[None].append(v)
    return {
        w: np.array([tuple(v) for v in vs], np.int64).reshape(-1, 4) for w, vs in groups.items()
    }


def to_leaf(rows: IntArray, z: int) -> IntArray:
    """Boxes at zoom ``z <= 25`` as boxes at the leaf zoom."""
    return np.asarray(rows, np.int64) << (LEAF_ZOOM - z)


def _isin_rows(a: IntArray, b: IntArray) -> np.ndarray:
    """Mask of the rows of ``a`` that are rows of ``b`` (vectorised)."""
    if not len(a) or not len(b):
        return np.zeros(len(a), bool)
    _, inv = np.unique(np.concatenate([a, b]), axis=0, return_inverse=True)
    inv = inv.ravel()
    return np.isin(inv[: len(a)], inv[len(a) :])


def voxels_to_boxes(voxels: IntArray | Sequence[Voxel]) -> tuple[IntArray, int]:
    """Merged leaf boxes of mixed-zoom voxels (rows ``z, f, x, y``; disjoint) and the finest
    zoom (<= 25)."""
    if isinstance(voxels, np.ndarray):
        arr = voxels.astype(np.int64, copy=True).reshape(-1, 4)
    else:
        arr = np.array([tuple(v) for v in voxels], np.int64).reshape(-1, 4)
    k = np.maximum(arr[:, 0] - LEAF_ZOOM, 0)
    arr[:, 0] -= k
    arr[:, 1:] >>= k[:, None]
    kept: dict[int, IntArray] = {}
    out = []
    for z in sorted(set(arr[:, 0].tolist())):
        fxy = arr[arr[:, 0] == z, 1:]
        for zc, coarse in kept.items():  # drop voxels inside a coarser listed voxel
            fxy = fxy[~_isin_rows(fxy >> (z - zc), coarse)]
        kept[z] = fxy
        if len(fxy):
            vs = VoxelSet.from_arrays(z, fxy[:, 0], fxy[:, 1], fxy[:, 2])
            out.append(to_leaf(vs.boxes(), z))
    finest = max(kept) if kept else LEAF_ZOOM
    return (np.concatenate(out) if out else np.empty((0, 6), np.int64)), finest


def geometry_to_boxes(
    geometry: dict[str, Any], z: int, lower: float, upper: float, *, max_voxels: int, field: str
) -> tuple[IntArray, int]:
    """Leaf boxes covering a geometry and an altitude band at zoom ``z``; and the voxel count."""
    try:
        vs = geometry_to_voxels(
            geometry, z, alt_lower=lower, alt_upper=upper, max_voxels=max_voxels
        )
    except SpatialIdError as exc:
        raise InvalidInput(str(exc), field=field) from None
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidInput(f"invalid GeoJSON geometry: {exc}", field=field) from None
    count = len(vs)
    if z > LEAF_ZOOM:
        vs, z = vs.to_zoom(LEAF_ZOOM), LEAF_ZOOM
    return to_leaf(vs.boxes(), z), count


def exact_band(lower: float, upper: float) -> tuple[int, int]:
    """The half-open leaf ``f`` range of every leaf voxel the band ``[lower, upper)`` touches
    (1 m voxels: ``floor(lower)`` to ``ceil(upper)``), whatever the horizontal zoom."""
    return math.floor(lower), math.ceil(upper)


def with_exact_band(rows: IntArray, lower: float, upper: float) -> IntArray:
    """The horizontal rectangles of leaf boxes (each once), each given the exact leaf ``f``
    range of the band: coarse across, exact up and down."""
    rows = np.asarray(rows, np.int64).reshape(-1, 6)
    xy = np.unique(rows[:, :4], axis=0) if len(rows) else rows[:, :4]
    f0, f1 = exact_band(lower, upper)
    band = np.broadcast_to(np.array([f0, f1], np.int64), (len(xy), 2))
    return np.ascontiguousarray(np.column_stack([xy, band]))


def auto_zoom(geometry: dict[str, Any], lower: float, upper: float, budget: int) -> int:
    """The finest zoom (<= 25) whose cover of the geometry's bounds fits ``budget`` voxels."""
    try:
        w, s, e, n = shapely.geometry.shape(geometry).bounds
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InvalidInput(f"invalid GeoJSON geometry: {exc}", field="geometry") from None
    lat = math.radians(max(abs(s), abs(n)))
    for z in range(LEAF_ZOOM, 0, -1):
        tile_m = 40_075_016.7 * math.cos(min(lat, math.radians(85))) / (1 << z)
        vh = 2.0 ** (LEAF_ZOOM - z)
        nx = (e - w) * 111_320 / tile_m + 2
        ny = (n - s) * 111_320 / tile_m + 2
        if nx * ny * ((upper - lower) / vh + 2) <= budget:
            return z
    return 1


def box_to_ids(box: Sequence[int], z: int, cap: int) -> list[str]:
    """Up to ``cap`` IDs at zoom ``z`` of a leaf box ``(x0, x1, y0, y1, f0, f1)``."""
    k = LEAF_ZOOM - min(z, LEAF_ZOOM)
    zz = min(z, LEAF_ZOOM)
    x0, x1, y0, y1, f0, f1 = (int(v) for v in box)
    out: list[str] = []
    for f in range(f0 >> k, ((f1 - 1) >> k) + 1):
        for x in range(x0 >> k, ((x1 - 1) >> k) + 1):
            for y in range(y0 >> k, ((y1 - 1) >> k) + 1):
                if len(out) >= cap:
                    return out
                out.append(f"{zz}/{f}/{x}/{y}")
    return out


def overlapping_pairs(a: IntArray, b: IntArray, *, chunk: int = 2048) -> bool:
    """True if any box of ``a`` overlaps any box of ``b`` (half-open, all three axes)."""
    for i in range(0, len(a), chunk):
        p = a[i : i + chunk, None, :]
        hit = (
            (p[..., 0] < b[None, :, 1])
            & (b[None, :, 0] < p[..., 1])
            & (p[..., 2] < b[None, :, 3])
            & (b[None, :, 2] < p[..., 3])
            & (p[..., 4] < b[None, :, 5])
            & (b[None, :, 4] < p[..., 5])
        )
        if hit.any():
            return True
    return False

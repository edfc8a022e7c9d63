"""Flight corridors: the voxels of a tube (a 3D polyline thickened by a radius).

The tube is the Minkowski sum of the polyline and a ball of radius ``r`` metres. Metres
are measured with the local Web Mercator scale at each segment's mid-latitude: a tile
unit is ``2 pi R cos(lat_mid) / 2**z`` metres horizontally (``R = 6378137``) and a
vertical index unit is ``2**25 / 2**z`` metres. As a solid, the tube covers a voxel iff
their interiors intersect, i.e. iff the box-to-segment distance is below ``r``.

Each segment is cut into pieces about ``2r`` long; the candidates of a piece are the
voxels of its bounding box padded by ``r``. A candidate is in when its centre (an interior
point) is within ``r`` of the piece, or when the box point nearest to the piece point
nearest its centre is; it is out when its centre is farther than ``r + h`` (``h`` the
voxel half-diagonal). Only the rest is decided exactly, by minimising the box-to-point
distance along the piece (convex in the segment parameter) with a golden-section search.
Everything is vectorised over candidates and over chunks of pieces.

Examples
--------
>>> vs = tube_to_voxels([[139.76, 35.68, 100.0], [139.761, 35.68, 100.0]], 10.0, 22)
>>> len(vs), vs.zoom
(133, 22)
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from spatialid.errors import SpatialIdError, TooManyVoxels
from spatialid.geometry import check_coords, tile_x
from spatialid.projection import alt_to_tile_f, lat_to_tile_y
from spatialid.voxel import ALTITUDE_EXTENT_M, check_zoom
from spatialid.voxelset import VoxelSet

EARTH_RADIUS_M = 6378137.0
GOLDEN_ITERATIONS = 40
CHUNK_CANDIDATES = 2_000_000
_INV_PHI = (math.sqrt(5.0) - 1.0) / 2.0


def _box_dist(lo: np.ndarray, hi: np.ndarray, d: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Distance from the point ``t * d`` to boxes ``[lo, hi]`` (rows; metric units)."""
    q = t[:, None] * d
    gap = np.maximum(np.maximum(lo - q, q - hi), 0.0)
    return np.sqrt(np.einsum("ij,ij->i", gap, gap))


def box_segment_distance(lo: np.ndarray, hi: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Distance from boxes ``[lo, hi]`` to the segment ``0 -> d`` (golden section).

    >>> box_segment_distance(np.array([[3.0, 4.0, 0.0]]), np.array([[4.0, 5.0, 1.0]]),
    ...                      np.array([[10.0, 0.0, 0.0]])).round(6).tolist()
    [4.0]
    """
    a = np.zeros(lo.shape[0])
    b = np.ones(lo.shape[0])
    c = b - _INV_PHI * (b - a)
    e = a + _INV_PHI * (b - a)
    gc, ge = _box_dist(lo, hi, d, c), _box_dist(lo, hi, d, e)
    for _ in range(GOLDEN_ITERATIONS):
        left = gc < ge
        b = np.where(left, e, b)
        a = np.where(left, a, c)
        e_new = np.where(left, c, a + _INV_PHI * (b - a))
        c_new = np.where(left, b - _INV_PHI * (b - a), e)
        moved = np.where(left, gc, ge)
        c, e = c_new, e_new
        fresh = _box_dist(lo, hi, d, np.where(left, c, e))
        gc, ge = np.where(left, fresh, moved), np.where(left, moved, fresh)
    ends = np.minimum(_box_dist(lo, hi, d, np.zeros_like(a)), _box_dist(lo, hi, d, np.ones_like(a)))
    return np.minimum(np.minimum(gc, ge), ends)


def _pieces(tc: np.ndarray, lat: np.ndarray, r: float, z: int) -> tuple[np.ndarray, ...]:
    """Cut segments into pieces about ``2r`` long: (start, end, metres per unit)."""
    n = float(1 << z)
    sf = ALTITUDE_EXTENT_M / n
    if tc.shape[0] == 1:
        tc = np.repeat(tc, 2, axis=0)
        lat = np.repeat(lat, 2)
    mid = np.radians((lat[:-1] + lat[1:]) / 2.0)
    sx = 2.0 * math.pi * EARTH_RADIUS_M * np.cos(mid) / n
    scale = np.column_stack([sx, sx, np.full_like(sx, sf)])
    seg = tc[1:] - tc[:-1]
    length = np.linalg.norm(seg * scale, axis=1)
    k = np.maximum(np.ceil(length / (2.0 * r)), 1).astype(np.int64)
    idx = np.repeat(np.arange(k.size), k)
    j = np.arange(idx.size) - np.repeat(np.cumsum(k) - k, k)
    t0 = (j / k[idx])[:, None]
    t1 = ((j + 1) / k[idx])[:, None]
    return tc[idx] + t0 * seg[idx], tc[idx] + t1 * seg[idx], scale[idx], length


def tube_to_voxels(
    path: Any, radius_m: float, z: int, *, max_voxels: int | None = None
) -> VoxelSet:
    """Voxels at zoom ``z`` meeting the corridor of ``radius_m`` metres around ``path``.

    Parameters
    ----------
    path
        ``[[lng, lat, alt], ...]`` (degrees, metres), at least one point.
    radius_m
        The corridor radius in metres, > 0.
    z
        Zoom.
    max_voxels
        Raise ``TooManyVoxels`` (a ``SpatialIdError``) when the cover exceeds this
        count (checked early on a lower bound from the tube's volume, and again on the
        result).
    """
    check_zoom(z)
    if not (isinstance(radius_m, int | float) and math.isfinite(radius_m) and radius_m > 0):
        raise SpatialIdError(f"radius_m={radius_m!r} must be a finite number > 0")
    coords = check_coords(np.asarray(path, dtype=np.float64).reshape(len(path), -1), "path")
    if coords.shape[1] != 3:
        raise SpatialIdError("path coordinates need an altitude: [lng, lat, alt]")
    r = float(radius_m)
    tc = np.column_stack(
        [tile_x(coords[:, 0], z), lat_to_tile_y(coords[:, 1], z), alt_to_tile_f(coords[:, 2], z)]
    )
    a, b, scale, length = _pieces(tc, coords[:, 1], r, z)
    if max_voxels is not None:
        vol = float(np.max(math.pi * r * r * length)) + 4.0 / 3.0 * math.pi * r**3
        bound = vol / float(np.max(scale[:, 0] ** 2 * scale[:, 2]))
        if bound > max_voxels:
            raise TooManyVoxels(int(bound), max_voxels)
    pad = r / scale
    lo = np.floor(np.minimum(a, b) - pad).astype(np.int64)
    cnt = np.ceil(np.maximum(a, b) + pad).astype(np.int64) - lo
    sizes = np.cumsum(np.prod(cnt, axis=1))
    chunk = np.searchsorted(sizes, np.arange(0, int(sizes[-1]), CHUNK_CANDIDATES), "right")
    bounds_ = [*np.unique(chunk).tolist(), a.shape[0]]
    bounds_[0] = 0
    found = [
        _classify(a[s:e], b[s:e], scale[s:e], lo[s:e], cnt[s:e], r)
        for s, e in itertools.pairwise(bounds_)
        if e > s
    ]
    cells = np.concatenate(found)
    n = 1 << z
    cells[:, 0] %= n
    ok = (cells[:, 1] >= 0) & (cells[:, 1] < n) & (cells[:, 2] >= -n) & (cells[:, 2] < n)
    cells = cells[ok]
    vs = VoxelSet.from_arrays(z, cells[:, 2], cells[:, 0], cells[:, 1])
    if max_voxels is not None and len(vs) > max_voxels:
        raise TooManyVoxels(len(vs), max_voxels)
    return vs


def _classify(
    a: np.ndarray, b: np.ndarray, scale: np.ndarray, lo: np.ndarray, cnt: np.ndarray, r: float
) -> np.ndarray:
    """Cells ``(K, 3)`` (x, y, f) of a chunk of pieces whose box is within ``r``."""
    sizes = np.prod(cnt, axis=1)
    piece = np.repeat(np.arange(sizes.size), sizes)
    j = np.arange(piece.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    cells, rel, d = [], [], []
    for axis in (2, 1, 0):  # j = (ix * ny + iy) * nf + if
        c = cnt[piece, axis]
        cells.append(lo[piece, axis] + j % c)
        j = j // c
    cells.reverse()
    for axis in range(3):
        s_ax = scale[piece, axis]
        rel.append((cells[axis] + 0.5 - a[piece, axis]) * s_ax)
        d.append((b[piece, axis] - a[piece, axis]) * s_ax)
    dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
    t = (rel[0] * d[0] + rel[1] * d[1] + rel[2] * d[2]) / np.where(dd > 0, dd, 1.0)
    t = np.clip(t, 0.0, 1.0)
    dist2 = sum((rel[k] - t * d[k]) ** 2 for k in range(3))
    sp = scale[piece]
    h = 0.5 * np.sqrt(np.einsum("ij,ij->i", sp, sp))
    # the centre is an interior point: within r of the piece => interiors intersect
    keep = dist2 < r * r
    amb = np.flatnonzero(~keep & (dist2 < (r + h) ** 2))
    if amb.size:
        dm = np.column_stack([dk[amb] for dk in d])
        blo = np.column_stack([rel[k][amb] for k in range(3)]) - 0.5 * sp[amb]
        bhi = blo + sp[amb]
        # upper bound: the box point nearest to the segment point nearest the centre
        near = _box_dist(blo, bhi, dm, t[amb]) < r
        keep[amb[near]] = True
        far = ~near
        if np.any(far):
            keep[amb[far]] = box_segment_distance(blo[far], bhi[far], dm[far]) < r
    return np.column_stack([cells[0][keep], cells[1][keep], cells[2][keep]])

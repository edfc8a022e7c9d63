"""Tube (corridor) covers against a brute-force box-to-segment distance."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spatialid.errors import SpatialIdError
from spatialid.geometry import tile_x
from spatialid.projection import alt_to_tile_f, lat_to_tile_y
from spatialid.tube import EARTH_RADIUS_M, tube_to_voxels
from spatialid.voxel import ALTITUDE_EXTENT_M

Z = 21


def brute_distances(p0: list[float], p1: list[float], cells: np.ndarray) -> np.ndarray:
    """Distance (m) from each voxel box to the segment by dense sampling of the segment."""
    n = float(1 << Z)
    lat_mid = math.radians((p0[1] + p1[1]) / 2)
    sx = 2 * math.pi * EARTH_RADIUS_M * math.cos(lat_mid) / n
    s = np.array([sx, sx, ALTITUDE_EXTENT_M / n])

    def tc(p: list[float]) -> np.ndarray:
        return np.array([tile_x(p[0], Z), lat_to_tile_y(p[1], Z), alt_to_tile_f(p[2], Z)])

    a, b = tc(p0), tc(p1)
    t = np.linspace(0, 1, 4001)
    pts = (a + t[:, None] * (b - a)) * s  # (T, 3)
    lo = cells * s
    hi = lo + s
    gap = np.maximum(np.maximum(lo[:, None, :] - pts[None], pts[None] - hi[:, None, :]), 0)
    return np.sqrt((gap**2).sum(axis=2)).min(axis=1)


@settings(max_examples=25, deadline=None)
@given(
    st.floats(-60, 60),
    st.floats(-60, 60),
    st.floats(0, 60),
    st.floats(-60, 60),
    st.floats(-60, 60),
    st.floats(0, 60),
    st.floats(5, 30),
)
def test_tube_matches_brute_force(
    dx0: float, dy0: float, h0: float, dx1: float, dy1: float, h1: float, r: float
) -> None:
    lng, lat = 139.76, 35.68
    k = 1 / 111320
    p0 = [lng + dx0 * k, lat + dy0 * k, h0 + 20]
    p1 = [lng + dx1 * k, lat + dy1 * k, h1 + 20]
    vs = tube_to_voxels([p0, p1], r, Z)
    got = {(v.x, v.y, v.f) for v in vs}
    xs = [int(tile_x(p[0], Z)) for p in (p0, p1)]
    ys = [int(lat_to_tile_y(p[1], Z)) for p in (p0, p1)]
    fs = [int(alt_to_tile_f(p[2], Z)) for p in (p0, p1)]
    grid = np.stack(
        np.meshgrid(
            np.arange(min(xs) - 6, max(xs) + 7),
            np.arange(min(ys) - 6, max(ys) + 7),
            np.arange(min(fs) - 3, max(fs) + 4),
            indexing="ij",
        ),
        axis=-1,
    ).reshape(-1, 3)
    dist = brute_distances(p0, p1, grid.astype(float))
    seg_len = 200.0  # generous bound on the sampling error (metres / 4000 steps)
    eps = seg_len / 4000 + 1e-6
    for cell, dcell in zip(grid.tolist(), dist.tolist(), strict=True):
        if dcell < r - eps:
            assert tuple(cell) in got
        elif dcell > r + eps:
            assert tuple(cell) not in got
    assert got <= {tuple(c) for c in grid.tolist()}


def test_single_point_is_a_ball() -> None:
    vs = tube_to_voxels([[139.76, 35.68, 100.0]], 10.0, 22)
    n = len(vs)
    assert 0 < n < 200
    assert len(tube_to_voxels([[139.76, 35.68, 100.0]] * 3, 10.0, 22)) == n


@pytest.mark.parametrize(
    ("path", "radius", "needle"),
    [
        ([[0, 0, 0], [0.001, 0, 0]], 0.0, "radius_m"),
        ([[0, 0, 0], [0.001, 0, 0]], -1.0, "radius_m"),
        ([[0, 0], [0.001, 0]], 5.0, "altitude"),
        ([[0, 95, 0]], 5.0, "latitude"),
    ],
)
def test_tube_validation(path: list, radius: float, needle: str) -> None:
    with pytest.raises(SpatialIdError, match=needle):
        tube_to_voxels(path, radius, 20)


def test_tube_max_voxels() -> None:
    with pytest.raises(SpatialIdError, match="max_voxels"):
        tube_to_voxels([[139.76, 35.68, 100.0], [139.77, 35.68, 100.0]], 15.0, 23, max_voxels=1000)

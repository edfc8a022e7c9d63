"""The vectorised functions agree with their scalar twins."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spatialid import (
    SpatialIdError,
    Voxel,
    lnglat_to_voxel,
    parent,
    vectorized,
    voxel_bounds,
    voxel_center,
)

from .strategies import alts, lats, lngs, voxels, zooms


@settings(max_examples=50)
@given(st.lists(st.tuples(lngs, lats, alts), min_size=1, max_size=50), zooms)
def test_encoder_matches_scalar(points: list[tuple[float, float, float]], z: int) -> None:
    lng, lat, alt = (np.array(c) for c in zip(*points, strict=True))
    f, x, y = vectorized.lnglat_to_voxel(lng, lat, alt, z)
    assert f.dtype == x.dtype == y.dtype == np.int64
    scalar = [lnglat_to_voxel(*p, z) for p in points]
    assert [Voxel(z, *t) for t in zip(f.tolist(), x.tolist(), y.tolist(), strict=True)] == scalar


def test_encoder_random_million_matches_scalar_sample() -> None:
    rng = np.random.default_rng(7)
    n = 100_000
    lng = rng.uniform(-180, 180, n)
    lat = rng.uniform(-90, 90, n)
    alt = rng.uniform(-1000, 5000, n)
    f, x, y = vectorized.lnglat_to_voxel(lng, lat, alt, 24)
    for i in rng.integers(0, n, 500):
        assert lnglat_to_voxel(lng[i], lat[i], alt[i], 24) == Voxel(24, f[i], x[i], y[i])


@given(st.lists(voxels(), min_size=1, max_size=30))
def test_bounds_and_center_match_scalar(vs: list[Voxel]) -> None:
    z, f, x, y = (np.array(c) for c in zip(*vs, strict=True))
    bounds = np.stack(vectorized.voxel_bounds(z, f, x, y), axis=1)
    centers = np.stack(vectorized.voxel_center(z, f, x, y), axis=1)
    for v, b, c in zip(vs, bounds.tolist(), centers.tolist(), strict=True):
        assert tuple(b) == voxel_bounds(v)
        assert tuple(c) == voxel_center(v)


@given(st.lists(voxels(min_zoom=5), min_size=1, max_size=30), st.integers(0, 5))
def test_parent_matches_scalar(vs: list[Voxel], to: int) -> None:
    z, f, x, y = (np.array(c) for c in zip(*vs, strict=True))
    pf, px, py = vectorized.parent(z, f, x, y, to)
    assert [Voxel(to, *t) for t in zip(pf.tolist(), px.tolist(), py.tolist(), strict=True)] == [
        parent(v, to) for v in vs
    ]


@given(st.lists(voxels(), max_size=30))
def test_format_parse_round_trip(vs: list[Voxel]) -> None:
    z, f, x, y = (np.array(c, dtype=np.int64) for c in zip(*vs, strict=True)) if vs else [[]] * 4
    ids = vectorized.format_ids(z, f, x, y)
    assert ids == [str(v) for v in vs]
    back = vectorized.parse_ids(ids)
    assert [Voxel(*t) for t in zip(*(a.tolist() for a in back), strict=True)] == vs


@pytest.mark.parametrize(
    ("ids", "needle"),
    [
        (["1/0/0/0", "1/0/0"], "ids[1]='1/0/0'"),
        (["1/0/0/0/"], "ids[0]"),
        (["1/0/0/0", "1/0/x/0"], "ids[1]='1/0/x/0'"),
        (["1/0/0/0", "1/0//0"], "ids[1]"),
        (["1/--1/0/0"], "ids[0]"),
        (["1/0/0/99999999999999999999999"], "ids[0]"),
        (["1/0/ 1/0"], "ids[0]"),
        (["1/0/0/0", "1/0/2/0"], "x[1]=2"),
    ],
)
def test_parse_ids_errors(ids: list[str], needle: str) -> None:
    with pytest.raises(SpatialIdError) as info:
        vectorized.parse_ids(ids)
    assert needle in str(info.value)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (([0.0, 200.0], [0.0, 0.0], [0.0, 0.0]), "lng[1]=200.0"),
        (([0.0, 0.0], [0.0, np.nan], [0.0, 0.0]), "lat[1]=nan"),
        (([0.0, 0.0], [0.0, 0.0], [2.0**25, 0.0]), "alt[0]"),
    ],
)
def test_encoder_errors_name_first_bad_element(args: tuple[list[float], ...], needle: str) -> None:
    with pytest.raises(SpatialIdError) as info:
        vectorized.lnglat_to_voxel(args[0], args[1], args[2], 10)
    assert needle in str(info.value)


def test_validate_errors() -> None:
    with pytest.raises(SpatialIdError, match=r"y\[2\]=4 is out of range"):
        vectorized.validate(2, [0, 0, 0], [0, 1, 2], [0, 3, 4])
    with pytest.raises(SpatialIdError, match=r"z\[0\]=31"):
        vectorized.validate([31], 0, 0, 0)
    with pytest.raises(SpatialIdError, match="integer"):
        vectorized.validate(1, [0.5], 0, 0)
    with pytest.raises(SpatialIdError, match="to_zoom"):
        vectorized.parent([3, 1], 0, 0, 0, 2)

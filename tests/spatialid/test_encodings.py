"""Tilehash (JavaScript SDK vectors) and the octree integer key."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spatialid import (
    SpatialIdError,
    Voxel,
    children,
    descendant_key_range,
    key_to_voxel,
    lnglat_to_voxel,
    parent,
    tilehash_to_voxel,
    vectorized,
    voxel_to_key,
    voxel_to_tilehash,
)

from .strategies import voxels


@pytest.mark.parametrize(
    ("text", "tilehash"),
    [
        ("25/10/16777216/16777216", "4111111111111111111115151"),
        ("1/0/0/0", "1"),
        ("1/1/0/0", "5"),
        ("1/-1/0/0", "-5"),
    ],
)
def test_js_sdk_vectors(text: str, tilehash: str) -> None:
    z, f, x, y = (int(p) for p in text.split("/"))
    assert voxel_to_tilehash(Voxel(z, f, x, y)) == tilehash
    assert tilehash_to_voxel(tilehash) == Voxel(z, f, x, y)


def test_js_sdk_point_vector() -> None:
    assert voxel_to_tilehash(lnglat_to_voxel(0, 0, 10, 25)) == "4111111111111111111115151"


def test_truncated_tilehash_is_parent() -> None:
    th = "4111111111111111111115151"
    child = tilehash_to_voxel(th)
    while len(th) > 1:
        th = th[:-1]
        assert parent(child) == tilehash_to_voxel(th)
        child = tilehash_to_voxel(th)


@given(voxels(min_zoom=1))
def test_tilehash_round_trip(v: Voxel) -> None:
    if v.f == -(1 << v.z):
        with pytest.raises(SpatialIdError, match="no tilehash"):
            voxel_to_tilehash(v)
        return
    th = voxel_to_tilehash(v)
    assert len(th.lstrip("-")) == v.z
    assert tilehash_to_voxel(th) == v


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "malformed"),
        ("109", "malformed"),
        ("-", "malformed"),
        ("1" * 31, "31 digits"),
        ("-1", "f is 0"),
    ],
)
def test_tilehash_errors(text: str, needle: str) -> None:
    with pytest.raises(SpatialIdError) as info:
        tilehash_to_voxel(text)
    assert needle in str(info.value)


def test_tilehash_zoom_zero_refused() -> None:
    with pytest.raises(SpatialIdError, match="zoom >= 1"):
        voxel_to_tilehash(Voxel(0, 0, 0, 0))


@given(voxels())
def test_key_round_trip(v: Voxel) -> None:
    k = voxel_to_key(v)
    assert k >= 0
    assert key_to_voxel(k) == v


def test_keys_are_dense_and_ordered_by_zoom() -> None:
    keys = []
    for z in range(4):
        n = 1 << z
        vs = [Voxel(z, f, x, y) for f in range(-n, n) for x in range(n) for y in range(n)]
        keys.append(sorted(voxel_to_key(v) for v in vs))
    flat = [k for ks in keys for k in ks]
    assert flat == list(range(len(flat)))


@given(voxels(max_zoom=25), st.integers(0, 3))
def test_descendant_range_is_exactly_the_children(v: Voxel, d: int) -> None:
    lo, hi = descendant_key_range(v, v.z + d)
    assert hi - lo == 8**d
    kids = children(v, v.z + d)
    assert sorted(voxel_to_key(c) for c in kids) == list(range(lo, hi))


@given(voxels(max_zoom=20), st.integers(0, 5), st.integers(0, 5))
def test_descendant_ranges_nest(v: Voxel, d1: int, d2: int) -> None:
    child = children(v)[-1] if v.z < 30 else v
    z = min(30, v.z + 1 + d1 + d2)
    outer = descendant_key_range(v, z)
    inner = descendant_key_range(child, z)
    assert outer[0] <= inner[0] < inner[1] <= outer[1]
    assert descendant_key_range(v, v.z) == (voxel_to_key(v), voxel_to_key(v) + 1)


@given(st.lists(voxels(max_zoom=20), min_size=1, max_size=40))
def test_vectorised_keys_match_scalar(vs: list[Voxel]) -> None:
    z, f, x, y = (np.array(c, dtype=np.int64) for c in zip(*vs, strict=True))
    keys = vectorized.voxel_to_key(z, f, x, y)
    assert keys.tolist() == [voxel_to_key(v) for v in vs]
    back = vectorized.key_to_voxel(keys)
    assert [Voxel(*t) for t in zip(*(a.tolist() for a in back), strict=True)] == vs


def test_key_errors() -> None:
    with pytest.raises(SpatialIdError, match="out of range"):
        key_to_voxel(-1)
    with pytest.raises(SpatialIdError, match="integer"):
        key_to_voxel(1.5)  # type: ignore[arg-type]
    with pytest.raises(SpatialIdError, match="coarser"):
        descendant_key_range(Voxel(3, 0, 0, 0), 2)
    with pytest.raises(SpatialIdError, match="too deep"):
        vectorized.voxel_to_key(21, 0, 0, 0)

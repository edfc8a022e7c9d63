"""Parents, children, shifts and neighbours, including the edges of the world."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spatialid import SpatialIdError, Voxel, children, is_ancestor, neighbours, parent, shift

from .strategies import voxels


def test_js_sdk_parent_vectors() -> None:
    v = Voxel(25, 0, 29803304, 13212456)
    assert parent(v) == Voxel(24, 0, 14901652, 6606228)
    assert parent(v, 23) == Voxel(23, 0, 7450826, 3303114)
    assert parent(v, 14) == Voxel(14, 0, 14552, 6451)
    assert parent(v, 0) == Voxel(0, 0, 0, 0)


@given(voxels(max_zoom=29))
def test_children_parent_round_trip(v: Voxel) -> None:
    kids = children(v)
    assert len(kids) == 8 == len(set(kids))
    assert all(parent(k) == v and is_ancestor(v, k) for k in kids)
    assert kids == sorted(kids, key=lambda k: (k.f, k.y, k.x))


@given(voxels(max_zoom=24), st.integers(0, 3))
def test_children_at_depth(v: Voxel, d: int) -> None:
    kids = children(v, v.z + d)
    assert len(kids) == 8**d
    assert all(parent(k, v.z) == v for k in kids)
    assert children(v, v.z) == [v]


@given(voxels(min_zoom=1), st.data())
def test_parent_any_zoom_is_composition(v: Voxel, data: st.DataObject) -> None:
    to = data.draw(st.integers(0, v.z))
    p = v
    while p.z > to:
        p = parent(p)
    assert parent(v, to) == p


def test_negative_f_parent() -> None:
    assert parent(Voxel(25, -1, 0, 0), 20).f == -1
    assert parent(Voxel(20, -4, 0, 0), 18).f == -1


def test_hierarchy_errors() -> None:
    with pytest.raises(SpatialIdError, match="parent zoom"):
        parent(Voxel(3, 0, 0, 0), 4)
    with pytest.raises(SpatialIdError, match="parent zoom"):
        parent(Voxel(0, 0, 0, 0))
    with pytest.raises(SpatialIdError, match="coarser"):
        children(Voxel(3, 0, 0, 0), 2)
    with pytest.raises(SpatialIdError, match="VoxelSet"):
        children(Voxel(0, 0, 0, 0), 9)
    with pytest.raises(SpatialIdError, match="connectivity"):
        neighbours(Voxel(3, 0, 0, 0), 8)


@given(voxels(), st.sampled_from([6, 18, 26]))
def test_neighbours_symmetric_and_distinct(v: Voxel, c: int) -> None:
    ns = neighbours(v, c)
    assert v not in ns and len(ns) == len(set(ns))
    for w in ns:
        assert v in neighbours(w, c)


@given(voxels(min_zoom=2, max_zoom=30))
def test_interior_counts(v: Voxel) -> None:
    n = 1 << v.z
    if 0 < v.y < n - 1 and -n < v.f < n - 1:
        assert [len(neighbours(v, c)) for c in (6, 18, 26)] == [6, 18, 26]


def test_antimeridian_wraps() -> None:
    east = Voxel(10, 0, 1023, 500)
    assert shift(east, dx=1) == Voxel(10, 0, 0, 500)
    assert Voxel(10, 0, 0, 500) in neighbours(east, 6)
    assert Voxel(10, 0, 1023, 500) in neighbours(Voxel(10, 0, 0, 501), 18)


def test_poles_and_vertical_limits_do_not_wrap() -> None:
    top = Voxel(10, 1023, 5, 0)
    assert shift(top, dy=-1) is None and shift(top, df=1) is None
    assert len(neighbours(top, 6)) == 4  # no north, no up
    assert len(neighbours(top, 26)) == 11  # 3x2x2 block minus itself
    bottom = Voxel(10, -1024, 5, 1023)
    assert shift(bottom, df=-1) is None and shift(bottom, dy=1) is None
    assert len(neighbours(bottom, 18)) == 9  # 4 faces, 5 edges


def test_small_zooms_deduplicate() -> None:
    assert neighbours(Voxel(0, 0, 0, 0)) == [Voxel(0, -1, 0, 0)]
    ns = neighbours(Voxel(1, 0, 0, 0), 26)
    assert len(ns) == len(set(ns))
    # x: the other column once; y: one row; f: up and down -> 2*2*3 - 1
    assert len(ns) == 11


def test_shift_far() -> None:
    assert shift(Voxel(3, 0, 2, 2), dx=-19) == Voxel(3, 0, 7, 2)
    assert shift(Voxel(3, 0, 2, 2), dy=6) is None
    assert shift(Voxel(3, 0, 2, 2), df=-8) == Voxel(3, -8, 2, 2)

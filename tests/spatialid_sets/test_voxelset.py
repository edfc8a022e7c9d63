"""Set-algebra laws of VoxelSet against a brute-force Python set of tuples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spatialid.errors import SpatialIdError
from spatialid.voxel import Voxel
from spatialid.voxelset import VoxelSet

Z = 3
N = 1 << Z

voxel_tuples = st.tuples(st.integers(-N, N - 1), st.integers(0, N - 1), st.integers(0, N - 1))
tuple_sets = st.sets(voxel_tuples, max_size=60)


def vs_of(s: set[tuple[int, int, int]], z: int = Z) -> VoxelSet:
    return VoxelSet.from_voxels([Voxel(z, *t) for t in s], z=z)


def tuples_of(vs: VoxelSet) -> set[tuple[int, int, int]]:
    return {(v.f, v.x, v.y) for v in vs}


@settings(max_examples=200)
@given(tuple_sets, tuple_sets)
def test_algebra_matches_python_sets(a: set, b: set) -> None:
    va, vb = vs_of(a), vs_of(b)
    assert tuples_of(va | vb) == a | b
    assert tuples_of(va & vb) == a & b
    assert tuples_of(va - vb) == a - b
    assert tuples_of(va ^ vb) == a ^ b
    assert va | vb == vb | va
    assert va & vb == vb & va
    assert va.issubset(vb) == a.issubset(b)
    assert va.isdisjoint(vb) == a.isdisjoint(b)
    assert (va == vb) == (a == b)
    assert len(va) == len(a) == len(list(va))


@settings(max_examples=100)
@given(tuple_sets, tuple_sets, tuple_sets)
def test_de_morgan_within_universe(a: set, b: set, u: set) -> None:
    vu = vs_of(u | a | b)
    va, vb = vs_of(a), vs_of(b)
    assert vu - (va | vb) == (vu - va) & (vu - vb)
    assert vu - (va & vb) == (vu - va) | (vu - vb)


@settings(max_examples=100)
@given(tuple_sets)
def test_membership_and_arrays(a: set) -> None:
    va = vs_of(a)
    for t in a:
        assert Voxel(Z, *t) in va
    f, x, y = va.to_arrays()
    assert set(zip(f.tolist(), x.tolist(), y.tolist(), strict=True)) == a
    for t in [(0, 0, 0), (-1, 3, 3), (N - 1, N - 1, N - 1)]:
        assert (Voxel(Z, *t) in va) == (t in a)
        child = Voxel(Z + 2, t[0] * 4 + 1, t[1] * 4 + 3, t[2] * 4)
        assert (child in va) == (t in a)


@settings(max_examples=100)
@given(tuple_sets)
def test_compact_round_trip(a: set) -> None:
    va = vs_of(a)
    compacted = va.compact()
    assert VoxelSet.from_compact(compacted, Z) == va
    # no complete group of 8 siblings survives
    groups: dict[Voxel, int] = {}
    for v in compacted:
        if v.z > 0:
            p = Voxel(v.z - 1, v.f >> 1, v.x >> 1, v.y >> 1)
            groups[p] = groups.get(p, 0) + 1
    assert all(c < 8 for c in groups.values())


def test_compact_full_block_is_one_parent() -> None:
    vs = VoxelSet.from_runs(4, np.repeat(np.arange(16), 16), np.tile(np.arange(16), 16), 0, 16)
    assert vs.compact() == [Voxel(0, 0, 0, 0)]
    assert Voxel(0, 0, 0, 0) in vs
    assert Voxel(0, -1, 0, 0) not in vs


@settings(max_examples=100)
@given(tuple_sets, st.integers(0, 3))
def test_to_zoom(a: set, k: int) -> None:
    va = vs_of(a)
    finer = va.to_zoom(Z + k)
    assert len(finer) == len(a) * 8**k
    assert finer.to_zoom(Z) == va
    coarser = va.to_zoom(Z - k)
    assert tuples_of(coarser) == {(f >> k, x >> k, y >> k) for f, x, y in a}
    assert va.issubset(coarser.to_zoom(Z))


@settings(max_examples=100)
@given(tuple_sets)
def test_boxes_reconstruct(a: set) -> None:
    va = vs_of(a)
    b = va.boxes()
    cells = set()
    for x0, x1, y0, y1, f0, f1 in b.tolist():
        for f in range(f0, f1):
            for y in range(y0, y1):
                for x in range(x0, x1):
                    assert (f, x, y) not in cells  # boxes are disjoint
                    cells.add((f, x, y))
    assert cells == a
    assert len(va.to_geojson()["features"]) == b.shape[0]


def test_boxes_merge_big_block() -> None:
    f = np.repeat(np.arange(5), 7)
    y = np.tile(np.arange(3, 10), 5)
    vs = VoxelSet.from_runs(10, f, y, 100, 200)
    assert vs.boxes().tolist() == [[100, 200, 3, 10, 0, 5]]
    assert len(vs) == 100 * 7 * 5


def test_errors_and_repr() -> None:
    with pytest.raises(SpatialIdError):
        VoxelSet.from_voxels([Voxel(3, 0, 0, 0), Voxel(4, 0, 0, 0)])
    with pytest.raises(SpatialIdError):
        VoxelSet.from_runs(2, 0, 0, 0, 5)
    with pytest.raises(SpatialIdError):
        _ = VoxelSet.empty(3) | VoxelSet.empty(4)
    with pytest.raises(SpatialIdError):
        VoxelSet.empty(3).bounds()
    assert repr(VoxelSet.empty(3)) == "VoxelSet(z=3, voxels=0, runs=0)"
    assert list(VoxelSet.empty(3)) == []

"""Parsing and formatting spatial IDs: round trips, the extended form, error messages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spatialid import (
    ExtendedId,
    SpatialIdError,
    SpatioTemporalId,
    Voxel,
    extended_to_voxels,
    parse,
    parse_voxel,
    to_extended,
    validate,
)
from spatialid.hierarchy import parent

from .strategies import voxels


@given(voxels())
def test_parse_format_round_trip(v: Voxel) -> None:
    assert parse(str(v)) == v
    assert parse_voxel("/" + str(v)) == v


@given(voxels(), st.integers(1, 86400 * 365), st.integers(-(10**9), 10**9))
def test_spatio_temporal_round_trip(v: Voxel, i: int, t: int) -> None:
    st_id = SpatioTemporalId(v, i, t)
    assert parse(str(st_id)) == st_id


@given(voxels(max_zoom=12), st.integers(0, 3))
def test_extended_round_trip_and_cover(v: Voxel, dz: int) -> None:
    e = to_extended(v)
    assert parse(str(e)) == e
    assert extended_to_voxels(e) == [v]
    # Coarsen one axis: the cover is exactly the children sharing the finer axis.
    if v.z >= dz:
        coarse_v = ExtendedId(v.z, v.x, v.y, v.z - dz, v.f >> dz)
        cover = extended_to_voxels(coarse_v)
        assert len(cover) == 1 << dz
        assert v in cover
        assert all(c.z == v.z and (c.x, c.y) == (v.x, v.y) for c in cover)
        coarse_h = ExtendedId(v.z - dz, v.x >> dz, v.y >> dz, v.z, v.f)
        cover = extended_to_voxels(coarse_h)
        assert len(cover) == 4**dz
        assert v in cover
        assert all(parent(c, v.z - dz)[2:] == (v.x >> dz, v.y >> dz) for c in cover)


def test_spec_vector_parses() -> None:
    s = parse("12/0/3638/1614_1800/809712")
    assert s == SpatioTemporalId(Voxel(12, 0, 3638, 1614), 1800, 809712)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("1/2/3", "expected 4"),
        ("a/0/0/0", "z='a'"),
        ("1/0/0/0.5", "y='0.5'"),
        ("1/+0/0/0", "f='+0'"),
        ("31/0/0/0", "z=31"),
        ("-1/0/0/0", "z=-1"),
        ("2/0/4/0", "x=4"),
        ("2/0/0/-1", "y=-1"),
        ("2/4/0/0", "f=4"),
        ("2/-5/0/0", "f=-5"),
        ("2/0/0/0_0/5", "i=0"),
        ("2/0/0/0_-60/5", "i=-60"),
        ("2/0/0/0_60", "expected 2"),
        ("2/0/0/0_60/x", "t='x'"),
        ("2/4/0/1/0", "x=4"),
        ("2/0/0/1/2", "f=2"),
        ("2/0/0/31/0", "vz=31"),
        ("1/0/0/0/0/0", "expected 4"),
        ("2/0/0/0_60/1/2", "expected 2"),
    ],
)
def test_errors_name_the_bad_part(text: str, needle: str) -> None:
    with pytest.raises(SpatialIdError, match=None) as info:
        parse(text)
    assert needle in str(info.value)
    assert isinstance(info.value, ValueError)


def test_parse_rejects_non_strings() -> None:
    with pytest.raises(SpatialIdError, match="string"):
        parse(123)  # type: ignore[arg-type]


def test_parse_voxel_refuses_other_forms() -> None:
    with pytest.raises(SpatialIdError, match="plain"):
        parse_voxel("20/931389/412906/18/0")


def test_extended_expansion_limit() -> None:
    with pytest.raises(SpatialIdError, match="VoxelSet"):
        extended_to_voxels(ExtendedId(0, 0, 0, 30, 0))


@pytest.mark.parametrize(
    ("voxel", "field"),
    [
        (Voxel(31, 0, 0, 0), "z"),
        (Voxel(-1, 0, 0, 0), "z"),
        (Voxel(2, 4, 0, 0), "f"),
        (Voxel(2, 0, 4, 0), "x"),
        (Voxel(2, 0, 0, -1), "y"),
        (Voxel(2, 0, "1", 0), "x"),  # type: ignore[arg-type]
    ],
)
def test_validate_names_the_bad_index(voxel: Voxel, field: str) -> None:
    with pytest.raises(SpatialIdError) as info:
        validate(voxel)
    assert info.value.field == field


def test_errors_without_a_single_culprit_name_no_field() -> None:
    with pytest.raises(SpatialIdError) as info:
        parse("1/0/0/0/0/0")
    assert info.value.field is None

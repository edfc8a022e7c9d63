"""Point <-> voxel: conformance vectors, containment, corners, CRS, validation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spatialid import (
    SpatialIdError,
    Voxel,
    lnglat_to_voxel,
    voxel_bounds,
    voxel_bounds_in_crs,
    voxel_center,
    voxel_vertices,
    voxel_vertices_in_crs,
)
from spatialid.projection import LAT_LIMIT

from .strategies import alts, lats, lngs, voxels, zooms


@pytest.mark.parametrize(
    ("lng", "lat", "alt", "z", "expected"),
    [
        (0.0, 0.0, 10.0, 25, "25/10/16777216/16777216"),
        (139.753098, 35.685371, 0.0, 18, "18/0/232837/103222"),
        (139.767125, 35.681236, 100.0, 20, "20/3/931389/412906"),
    ],
)
def test_conformance_vectors(lng: float, lat: float, alt: float, z: int, expected: str) -> None:
    assert str(lnglat_to_voxel(lng, lat, alt, z)) == expected


def test_negative_altitudes() -> None:
    assert lnglat_to_voxel(0, 0, -0.1, 25).f == -1
    assert lnglat_to_voxel(0, 0, -100, 20).f == -4
    assert lnglat_to_voxel(0, 0, -(2.0**25), 30).f == -(2**30)


@pytest.mark.parametrize(("z", "f", "alt"), [(25, 0, 0.5), (20, 1, 48.0), (20, 10, 336.0)])
def test_center_altitudes(z: int, f: int, alt: float) -> None:
    for x in (0, 1 << (z - 1), (1 << z) - 1):
        assert voxel_center(Voxel(z, f, x, x))[2] == alt


def test_js_sdk_vertices() -> None:
    got = voxel_vertices(Voxel(22, 6, 3725284, 1651062))
    expected = [
        (139.74369049072266, 35.720454780411565, 48),
        (139.74369049072266, 35.7203850965781, 48),
        (139.74377632141113, 35.7203850965781, 48),
        (139.74377632141113, 35.720454780411565, 48),
        (139.74369049072266, 35.720454780411565, 56),
        (139.74369049072266, 35.7203850965781, 56),
        (139.74377632141113, 35.7203850965781, 56),
        (139.74377632141113, 35.720454780411565, 56),
    ]
    for g, e in zip(got, expected, strict=True):
        assert g == pytest.approx(e, abs=1e-12)


@given(lngs, lats, alts, zooms)
def test_point_in_its_voxel(lng: float, lat: float, alt: float, z: int) -> None:
    v = lnglat_to_voxel(lng, lat, alt, z)
    west, south, bottom, east, north, top = voxel_bounds(v)
    eps = 1e-9
    # 180 is -180; so is a longitude within rounding of it ((lng + 180) / 360 rounds to 1).
    wrapped = lng - 360.0 if lng > east + eps else lng
    clamped = max(-LAT_LIMIT, min(LAT_LIMIT, lat))
    assert west - eps <= wrapped <= east + eps
    assert south - eps <= clamped <= north + eps
    assert bottom <= alt < top


@given(voxels(max_zoom=30))
def test_center_maps_back(v: Voxel) -> None:
    lng, lat, alt = voxel_center(v)
    assert lnglat_to_voxel(lng, lat, alt, v.z) == v


@given(voxels())
def test_bounds_ordered(v: Voxel) -> None:
    west, south, bottom, east, north, top = voxel_bounds(v)
    assert west < east and south < north and bottom < top
    assert top - bottom == 2.0 ** (25 - v.z)
    assert len(voxel_vertices(v)) == 8


def test_antimeridian_wraps() -> None:
    assert lnglat_to_voxel(180, 0, 0, 5) == lnglat_to_voxel(-180, 0, 0, 5)
    assert lnglat_to_voxel(180, 0, 0, 5).x == 0


def test_latitude_is_clamped() -> None:
    assert lnglat_to_voxel(0, 90, 0, 10).y == 0
    assert lnglat_to_voxel(0, -90, 0, 10).y == 1023
    assert lnglat_to_voxel(0, -LAT_LIMIT, 0, 10).y == 1023


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ((181, 0, 0, 10), "lng=181"),
        ((0, -90.5, 0, 10), "lat=-90.5"),
        ((0, 0, 2.0**25, 10), "alt=33554432.0"),
        ((0, 0, -(2.0**25) - 1, 10), "alt="),
        ((math.nan, 0, 0, 10), "lng=nan"),
        ((0, math.inf, 0, 10), "lat=inf"),
        (("0", 0, 0, 10), "lng must be a number"),
        ((0, 0, 0, 31), "z=31"),
        ((0, 0, 0, 1.0), "z must be an integer"),
    ],
)
def test_errors(args: tuple[object, ...], needle: str) -> None:
    with pytest.raises(SpatialIdError) as info:
        lnglat_to_voxel(*args)  # type: ignore[arg-type]
    assert needle in str(info.value)


def test_web_mercator_bounds_are_exact() -> None:
    minx, miny, bottom, maxx, maxy, top = voxel_bounds_in_crs(Voxel(2, 0, 1, 1), 3857)
    half = 20037508.342789244
    assert minx == pytest.approx(-half / 2) and maxx == pytest.approx(0, abs=1e-6)
    assert miny == pytest.approx(0, abs=1e-6) and maxy == pytest.approx(half / 2)
    assert (bottom, top) == (0.0, 2.0**23)


@given(st.floats(138.5, 141.0), st.floats(34.0, 37.0), st.integers(10, 26))
def test_jgd2011_bounds_hold_vertices(lng: float, lat: float, z: int) -> None:
    v = lnglat_to_voxel(lng, lat, 50.0, z)
    minx, miny, bottom, maxx, maxy, top = voxel_bounds_in_crs(v, "EPSG:6677")
    assert (bottom, top) == voxel_bounds(v)[2::3]
    for x, y, _ in voxel_vertices_in_crs(v, "EPSG:6677"):
        assert minx - 1e-6 <= x <= maxx + 1e-6
        assert miny - 1e-6 <= y <= maxy + 1e-6


def test_crs_accepts_pyproj_objects_and_refuses_junk() -> None:
    from pyproj import CRS

    a = voxel_bounds_in_crs(Voxel(20, 3, 931389, 412906), CRS.from_epsg(6677))
    b = voxel_bounds_in_crs(Voxel(20, 3, 931389, 412906), "EPSG:6677")
    assert a == b
    with pytest.raises(SpatialIdError, match="crs"):
        voxel_bounds_in_crs(Voxel(0, 0, 0, 0), 3.5)


@given(st.floats(-1e6, 1e6))
def test_altitude_voxels_are_consistent_across_zooms(alt: float) -> None:
    fine = lnglat_to_voxel(139.7, 35.6, alt, 26)
    for z in (25, 20, 10, 0):
        assert lnglat_to_voxel(139.7, 35.6, alt, z).f == fine.f >> (26 - z)

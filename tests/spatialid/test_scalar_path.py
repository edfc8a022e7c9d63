"""The plain-Python scalar functions agree with the numpy kernel, edges included."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from spatialid import Voxel, lnglat_to_voxel, vectorized, voxel_bounds, voxel_center
from spatialid.points import _tile_y
from spatialid.projection import LAT_LIMIT, tile_y_to_lat
from spatialid.voxel import ALTITUDE_EXTENT_M, validate

from .strategies import voxels, zooms

REFERENCE_LAT_LIMIT = 85.0511287798
"""The clamp as the guidelines and the reference library write it (10 decimals)."""


def _near(value: float) -> st.SearchStrategy[float]:
    """``value`` or a float one or two steps away from it."""
    return st.sampled_from([-2, -1, 0, 1, 2]).map(lambda k: _step(value, k))


def _step(value: float, k: int) -> float:
    for _ in range(abs(k)):
        value = math.nextafter(value, math.copysign(math.inf, k))
    return value


def _lng_edges(z: int) -> st.SearchStrategy[float]:
    n = 1 << z
    return (
        st.integers(0, n)
        .flatmap(lambda k: _near(k / n * 360.0 - 180.0))
        .filter(lambda v: -180.0 <= v <= 180.0)
    )


def _lat_edges(z: int) -> st.SearchStrategy[float]:
    return st.integers(0, 1 << z).flatmap(lambda k: _near(float(tile_y_to_lat(k, z))))


def _alt_edges(z: int) -> st.SearchStrategy[float]:
    n = 1 << z
    return (
        st.integers(-n, n)
        .flatmap(lambda k: _near(k * (ALTITUDE_EXTENT_M / n)))
        .filter(lambda v: -ALTITUDE_EXTENT_M <= v < ALTITUDE_EXTENT_M)
    )


_LNG_SPECIAL = [-180.0, 180.0, 0.0, -0.0, math.nextafter(180.0, 0), math.nextafter(-180.0, 0)]
_LAT_SPECIAL = [
    s * c
    for s in (1.0, -1.0)
    for c in (
        90.0,
        LAT_LIMIT,
        math.nextafter(LAT_LIMIT, 0),
        math.nextafter(LAT_LIMIT, 90),
        REFERENCE_LAT_LIMIT,
        math.nextafter(REFERENCE_LAT_LIMIT, 90),
        0.0,
        5e-324,
    )
]
_ALT_SPECIAL = [
    -ALTITUDE_EXTENT_M,
    math.nextafter(ALTITUDE_EXTENT_M, 0),
    -0.0,
    -5e-324,
    5e-324,
    -0.1,
    -1e-12,
]


@st.composite
def points(draw: st.DrawFn, z: int) -> tuple[float, float, float]:
    """A point that is random, on a tile or layer edge at zoom ``z`` (or a step off it),
    or on a limit (the latitude clamp, the antimeridian, the altitude range)."""
    lng = draw(st.one_of(st.floats(-180.0, 180.0), _lng_edges(z), st.sampled_from(_LNG_SPECIAL)))
    lat = draw(st.one_of(st.floats(-90.0, 90.0), _lat_edges(z), st.sampled_from(_LAT_SPECIAL)))
    alt = draw(
        st.one_of(
            st.floats(-ALTITUDE_EXTENT_M, ALTITUDE_EXTENT_M, exclude_max=True),
            _alt_edges(z),
            st.sampled_from(_ALT_SPECIAL),
        )
    )
    return lng, lat, alt


def _kernel(points: list[tuple[float, float, float]], z: int) -> list[Voxel]:
    lng, lat, alt = (np.array(c, dtype=np.float64) for c in zip(*points, strict=True))
    f, x, y = vectorized.lnglat_to_voxel(lng, lat, alt, z)
    return [Voxel(z, *t) for t in zip(f.tolist(), x.tolist(), y.tolist(), strict=True)]


@settings(max_examples=300)
@given(zooms.flatmap(lambda z: st.tuples(st.just(z), st.lists(points(z), min_size=1, max_size=40))))
@example((25, [(139.767125, 35.681236, 100.0), (180.0, -90.0, -(2.0**25))]))
@example((0, [(180.0, 90.0, 0.0), (-180.0, -LAT_LIMIT, math.nextafter(2.0**25, 0))]))
def test_encoder_agrees_with_kernel_bit_for_bit(
    case: tuple[int, list[tuple[float, float, float]]],
) -> None:
    z, pts = case
    assert [lnglat_to_voxel(*p, z) for p in pts] == _kernel(pts, z)


@given(zooms, st.data())
def test_one_point_agrees_with_the_kernel_on_one_element_arrays(
    z: int, data: st.DataObject
) -> None:
    p = data.draw(points(z))
    v = lnglat_to_voxel(*p, z)
    assert v == _kernel([p], z)[0]
    assert type(v) is Voxel and all(type(c) is int for c in v)


@given(st.integers(10, 30), st.data())
def test_tile_edges_take_the_kernel_and_interiors_do_not(z: int, data: st.DataObject) -> None:
    n = 1 << z
    k = data.draw(st.integers(1, n - 1))
    edge = float(tile_y_to_lat(k, z))
    inside = float(tile_y_to_lat(k + 0.5, z))
    assert _tile_y(edge, n) is None
    assert _tile_y(inside, n) == k
    assert lnglat_to_voxel(0.0, edge, 0.0, z) == _kernel([(0.0, edge, 0.0)], z)[0]


@given(st.integers(0, 30), st.floats(-90.0, 90.0))
def test_fast_rows_match_the_kernel(z: int, lat: float) -> None:
    y = _tile_y(lat, 1 << z)
    assume(y is not None)
    assert y == _kernel([(0.0, lat, 0.0)], z)[0].y


def _ulps(a: np.ndarray, b: np.ndarray) -> float:
    return float((np.abs(a - b) / np.spacing(np.maximum(np.abs(a), np.abs(b)))).max())


@settings(max_examples=50)
@given(st.lists(st.floats(-LAT_LIMIT, LAT_LIMIT), min_size=1, max_size=200))
def test_guard_band_assumption_math_and_numpy_differ_by_few_ulps(lats: list[float]) -> None:
    """The guard band of ``_tile_y`` assumes that cos, tan and log of ``math`` and numpy
    differ by at most 8 units in the last place (it is 50 times wider than that needs)."""
    phi = np.radians(np.array(lats))
    assert np.array_equal(phi, [math.radians(a) for a in lats])
    assert np.array_equal(phi, [a * (math.pi / 180.0) for a in lats])
    cos, tan = np.cos(phi), np.tan(phi)
    assert _ulps(cos, np.array([math.cos(p) for p in phi.tolist()])) <= 8
    assert _ulps(tan, np.array([math.tan(p) for p in phi.tolist()])) <= 8
    t = tan + 1.0 / cos
    assert _ulps(np.log(t), np.array([math.log(v) for v in t.tolist()])) <= 8


def _numpy_is_libm() -> bool:
    """Whether numpy's float64 sinh and arctan are the C library's (no own SIMD routines)."""
    probe = np.linspace(-math.pi, math.pi, 4097)
    s = np.sinh(probe)
    return np.array_equal(s, [math.sinh(p) for p in probe.tolist()]) and np.array_equal(
        np.arctan(s), [math.atan(v) for v in s.tolist()]
    )


BOUNDS_ULPS = 0 if _numpy_is_libm() else 16
"""Where numpy has its own sinh/arctan (AVX-512 builds), latitudes may round differently."""


@given(st.lists(voxels(), min_size=1, max_size=40))
@example([Voxel(0, -1, 0, 0), Voxel(30, 2**30 - 1, 2**30 - 1, 2**30 - 1)])
@example([Voxel(30, -(2**30), 0, 1), Voxel(1, 0, 1, 1)])
def test_bounds_and_centres_agree_with_the_kernel(vs: list[Voxel]) -> None:
    z, f, x, y = (np.array(c) for c in zip(*vs, strict=True))
    kb = np.stack(vectorized.voxel_bounds(z, f, x, y), axis=1)
    kc = np.stack(vectorized.voxel_center(z, f, x, y), axis=1)
    sb = np.array([voxel_bounds(v) for v in vs])
    sc = np.array([voxel_center(v) for v in vs])
    lat_cols = [1, 4]
    other = [0, 2, 3, 5]
    assert np.array_equal(sb[:, other], kb[:, other])  # plain arithmetic: always exact
    assert np.array_equal(sc[:, [0, 2]], kc[:, [0, 2]])
    if BOUNDS_ULPS == 0:
        assert np.array_equal(sb, kb) and np.array_equal(sc, kc)
    else:
        assert _ulps(sb[:, lat_cols], kb[:, lat_cols]) <= BOUNDS_ULPS
        assert _ulps(sc[:, 1], kc[:, 1]) <= BOUNDS_ULPS
    assert all(type(c) is float for b in map(voxel_bounds, vs) for c in b)


@given(voxels())
def test_validate_fast_path_keeps_the_value(v: Voxel) -> None:
    assert validate(v) is v
    assert validate(tuple(v)) == v and type(validate(tuple(v))) is Voxel

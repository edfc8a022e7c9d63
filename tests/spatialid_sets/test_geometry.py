"""Geometry covers against brute force with shapely and dense sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from spatialid.errors import SpatialIdError
from spatialid.geometry import box_to_voxels, geometry_to_voxels, tile_x
from spatialid.lines import SNAP, traverse
from spatialid.projection import lat_to_tile_y, tile_x_to_lng, tile_y_to_lat
from spatialid.voxel import Voxel

Z = 6


def tile_poly(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(
        geom, lambda c: np.column_stack([tile_x(c[:, 0], Z), lat_to_tile_y(c[:, 1], Z)])
    )


@st.composite
def small_polygons(draw: st.DrawFn) -> shapely.Geometry:
    """Random simple polygons (possibly with a hole) near tile (40, 25) at zoom 6."""
    n = draw(st.integers(3, 7))
    grid = st.integers(0, 48)  # eighths of a tile: vertices often on tile edges
    pts = [(40 + draw(grid) / 8, 25 + draw(grid) / 8) for _ in range(n)]
    poly = shapely.convex_hull(shapely.multipoints(pts))
    if draw(st.booleans()):
        poly = shapely.difference(poly, shapely.buffer(shapely.centroid(poly), 0.7))
    if not isinstance(poly, shapely.Polygon) or poly.area == 0:
        poly = shapely.box(40.3, 25.2, 42.0, 27.9)
    # back to lng/lat
    return shapely.transform(
        poly, lambda c: np.column_stack([tile_x_to_lng(c[:, 0], Z), tile_y_to_lat(c[:, 1], Z)])
    )


@settings(max_examples=60, deadline=None)
@given(small_polygons())
def test_polygon_cover_is_exact(poly: shapely.Geometry) -> None:
    vs = geometry_to_voxels(poly, Z, alt_lower=0, alt_upper=2**25 / 64 * 1.5)
    tp = tile_poly(poly)
    x0, y0, x1, y1 = shapely.bounds(tp)
    expected = set()
    for x in range(math.floor(x0) - 1, math.ceil(x1) + 1):
        for y in range(math.floor(y0) - 1, math.ceil(y1) + 1):
            if shapely.intersection(tp, shapely.box(x, y, x + 1, y + 1)).area > 0:
                expected.add((x, y))
    got = {(v.x, v.y) for v in vs}
    assert got == expected
    assert {v.f for v in vs} == {0, 1}


def test_convention_band_0_32_m_at_z20_is_f0() -> None:
    sq = {
        "type": "Polygon",
        "coordinates": [[[139.76, 35.68], [139.761, 35.68], [139.761, 35.681], [139.76, 35.68]]],
    }
    assert {v.f for v in geometry_to_voxels(sq, 20, alt_lower=0, alt_upper=32)} == {0}
    assert {v.f for v in box_to_voxels(139.76, 35.68, 0, 139.761, 35.681, 32, 20)} == {0}
    pt = {"type": "Point", "coordinates": [139.76, 35.68]}
    assert {v.f for v in geometry_to_voxels(pt, 20, alt_lower=0, alt_upper=32)} == {0}
    assert {v.f for v in geometry_to_voxels(pt, 20, alt_lower=-0.1, alt_upper=32.1)} == {-1, 0, 1}


def test_points_and_collections() -> None:
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": [139.767125, 35.681236, 100.0]},
            },
            {
                "type": "Feature",
                "properties": {},
                "geometry": {
                    "type": "GeometryCollection",
                    "geometries": [{"type": "MultiPoint", "coordinates": [[0, 0, 10], [0, 0, 10]]}],
                },
            },
        ],
    }
    vs25 = geometry_to_voxels({"type": "Point", "coordinates": [0, 0, 10]}, 25)
    assert list(vs25) == [Voxel(25, 10, 16777216, 16777216)]
    assert Voxel(20, 3, 931389, 412906) in geometry_to_voxels(fc, 20)
    assert len(geometry_to_voxels(shapely.Point(180, 0, 5), 3)) == 1
    assert next(iter(geometry_to_voxels(shapely.Point(180, 0, 5), 3))).x == 0


def line_brute(p0: np.ndarray, p1: np.ndarray) -> set[tuple[int, ...]]:
    """Cells of dense samples, skipping samples within 1e-9 of a cell boundary."""
    t = np.linspace(0, 1, 20001)[:, None]
    pts = p0 * (1 - t) + p1 * t
    clear = np.all(np.abs(pts - np.round(pts)) > 1e-9, axis=1)
    return {tuple(c) for c in np.floor(pts[clear]).astype(int).tolist()}


def seg_touches_box(p0: np.ndarray, p1: np.ndarray, cell: np.ndarray) -> bool:
    """Slab test: does the closed segment meet the unit box at ``cell`` grown by SNAP?"""
    lo, hi = 0.0, 1.0
    d = p1 - p0
    for a in range(p0.size):
        if abs(d[a]) < 1e-15:
            if not cell[a] - 1e-9 <= p0[a] <= cell[a] + 1 + 1e-9:
                return False
            continue
        # the traversal snaps crossing points to integers within SNAP tile units
        lo_a, hi_a = cell[a] - SNAP, cell[a] + 1 + SNAP
        t0, t1 = sorted(((lo_a - p0[a]) / d[a], (hi_a - p0[a]) / d[a]))
        lo, hi = max(lo, t0), min(hi, t1)
    return lo <= hi + 1e-9


coord = st.floats(-6, 6, allow_nan=False).map(lambda v: round(v * 4) / 4 if abs(v) > 5 else v)


@settings(max_examples=150, deadline=None)
@given(st.lists(coord, min_size=6, max_size=6))
def test_3d_traversal_against_sampling(c: list[float]) -> None:
    p0, p1 = np.array(c[:3]), np.array(c[3:])
    cells = {tuple(v) for v in traverse(np.stack([p0, p1])).tolist()}
    assert line_brute(p0, p1) <= cells
    for cell in cells:
        assert seg_touches_box(p0, p1, np.array(cell, dtype=float))


def test_corner_crossing_has_no_extra_cells() -> None:
    cells = traverse(np.array([[0.5, 0.5, 0.5], [1.5, 1.5, 1.5]])).tolist()
    assert cells == [[0, 0, 0], [1, 1, 1]]
    cells = traverse(np.array([[0.5, 0.5], [1.5, 2.5]])).tolist()
    assert cells == [[0, 0], [0, 1], [1, 1], [1, 2]]


def test_2d_line_swept_across_band() -> None:
    line = {"type": "LineString", "coordinates": [[139.76, 35.68], [139.77, 35.69]]}
    vs = geometry_to_voxels(line, 18, alt_lower=0, alt_upper=300)
    flat = {(v.x, v.y) for v in vs}
    assert {v.f for v in vs} == {0, 1, 2}
    assert len(vs) == 3 * len(flat)


@pytest.mark.parametrize(
    ("geometry", "kwargs", "needle"),
    [
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}, {}, "alt_lower"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
            {"alt_lower": 0},
            "alt_upper",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
            {"alt_lower": 5, "alt_upper": 5},
            "alt_lower",
        ),
        ({"type": "Blob", "coordinates": []}, {}, "Blob"),
        ({"type": "LineString", "coordinates": []}, {}, "empty"),
        ({"type": "Point", "coordinates": [0, float("nan"), 1]}, {}, "non-finite"),
        ({"type": "Point", "coordinates": [0, 91, 1]}, {}, "latitude"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
            {"alt_lower": 0, "alt_upper": 1000, "max_voxels": 10},
            "max_voxels",
        ),
    ],
)
def test_validation(geometry: dict, kwargs: dict, needle: str) -> None:
    with pytest.raises(SpatialIdError, match=needle):
        geometry_to_voxels(geometry, 12, **kwargs)


def test_box_validation() -> None:
    with pytest.raises(SpatialIdError, match="bottom"):
        box_to_voxels(0, 0, 10, 1, 1, 10, 10)
    with pytest.raises(SpatialIdError, match="west"):
        box_to_voxels(2, 0, 0, 1, 1, 10, 10)

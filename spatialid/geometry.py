"""Geometry -> voxels: points, lines, extruded polygons, boxes (and tubes, see ``tube``).

Boundary convention
-------------------
Coordinates are mapped to continuous tile space with :mod:`spatialid.projection`; edges
of lines and polygons are straight in Web Mercator (what a web map draws). A voxel
``(f, x, y)`` is the half-open cell ``[x, x+1) x [y, y+1) x [f, f+1)``.

* Solids (extruded polygons, boxes, tubes) cover a voxel iff the overlap has positive
  volume (their interiors intersect). A 0-32 m band at z20 is ``f = 0`` only; a polygon
  edge lying exactly on a tile edge does not pull in the neighbouring tile.
* Points and lines cover the voxel containing each of their points (half-open).
* The altitude band ``[alt_lower, alt_upper)`` of 2D points and lines is half-open too,
  so it gives the same ``f`` range as a solid: ``floor(f(lower)) .. ceil(f(upper)) - 1``.
  The band is used only for 2D coordinates; 3D coordinates carry their own altitude.
* Voxels outside the valid ``f`` range ``[-2**z, 2**z)`` are dropped; latitudes are
  clamped to the Web Mercator limit; longitude 180 of a point or line wraps to -180.
  Polygons must not cross the antimeridian (cut them, as RFC 7946 asks).

Examples
--------
>>> station = {"type": "Point", "coordinates": [139.767125, 35.681236, 100.0]}
>>> [str(v) for v in geometry_to_voxels(station, 20)]
['20/3/931389/412906']
>>> flat = {"type": "Point", "coordinates": [139.767125, 35.681236]}
>>> band = geometry_to_voxels(flat, 20, alt_lower=0, alt_upper=32)
>>> [str(v) for v in band]
['20/0/931389/412906']
>>> len(box_to_voxels(139.76, 35.68, 0, 139.77, 35.69, 100, 16))
9
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from spatialid.errors import SpatialIdError, TooManyVoxels
from spatialid.lines import traverse
from spatialid.projection import alt_to_tile_f, lat_to_tile_y
from spatialid.runs import row_key
from spatialid.voxel import check_zoom
from spatialid.voxelset import VoxelSet

Parts = list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
"""Collected runs ``(f, y, x0, x1)``."""


def as_geojson(geometry: Any) -> dict[str, Any]:
    """The GeoJSON mapping of ``geometry`` (``__geo_interface__`` or a dict)."""
    gi = getattr(geometry, "__geo_interface__", geometry)
    if not isinstance(gi, dict) or "type" not in gi:
        raise SpatialIdError(f"geometry must be GeoJSON or have __geo_interface__, got {gi!r}")
    return gi


def tile_x(lng: Any, z: int) -> Any:
    """Unwrapped fractional tile x (longitude 180 gives ``2**z``)."""
    return (np.asarray(lng, dtype=np.float64) + 180.0) / 360.0 * float(1 << z)


def check_coords(coords: np.ndarray, where: str) -> np.ndarray:
    """Validate an ``(N, 2|3)`` coordinate array: finite, lng/lat in range."""
    if coords.size == 0:
        raise SpatialIdError(f"{where}: empty geometry")
    if coords.ndim != 2 or coords.shape[1] not in (2, 3):
        raise SpatialIdError(f"{where}: coordinates must be [lng, lat] or [lng, lat, alt]")
    if not np.all(np.isfinite(coords)):
        raise SpatialIdError(f"{where}: non-finite coordinate")
    if np.any(np.abs(coords[:, 1]) > 90.0):
        raise SpatialIdError(f"{where}: latitude out of range [-90, 90]")
    if np.any(np.abs(coords[:, 0]) > 180.0):
        raise SpatialIdError(f"{where}: longitude out of range [-180, 180]")
    return coords


def band_to_f(
    z: int, alt_lower: float | None, alt_upper: float | None, what: str
) -> tuple[int, int]:
    """Half-open ``[f0, f1)`` covered by the altitude band (positive-overlap rule)."""
    for name, value in (("alt_lower", alt_lower), ("alt_upper", alt_upper)):
        if value is None:
            raise SpatialIdError(f"{name} is required for a 2D {what}")
        if not math.isfinite(value):
            raise SpatialIdError(f"{name}={value!r} must be finite")
    assert alt_lower is not None and alt_upper is not None
    if alt_lower >= alt_upper:
        raise SpatialIdError(f"alt_lower={alt_lower} must be below alt_upper={alt_upper}")
    n = 1 << z
    f0 = max(math.floor(float(alt_to_tile_f(alt_lower, z))), -n)
    f1 = min(math.ceil(float(alt_to_tile_f(alt_upper, z))), n)
    return f0, max(f0, f1)


def extrude(
    y: np.ndarray, x0: np.ndarray, x1: np.ndarray, f0: int, f1: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Repeat 2D runs ``(y, x0, x1)`` on every ``f`` in ``[f0, f1)`` by broadcasting."""
    fs = np.arange(f0, f1, dtype=np.int64)
    shape_ = (fs.size, y.size)
    return (
        np.broadcast_to(fs[:, None], shape_).ravel(),
        np.broadcast_to(y, shape_).ravel(),
        np.broadcast_to(x0, shape_).ravel(),
        np.broadcast_to(x1, shape_).ravel(),
    )


def polygon_rows(geom: shapely.Geometry, z: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2D runs ``(y, x0, x1)`` of tiles whose interior meets a (multi)polygon's interior.

    The polygon (lng/lat) is moved to tile space, clipped by every strip
    ``j <= y <= j + 1`` in one vectorised ``shapely.intersection``; each areal part
    ``[a, b]`` in x gives the run ``[floor(a), ceil(b))``.
    """
    n = 1 << z

    def to_tile(c: np.ndarray) -> np.ndarray:
        return np.column_stack([tile_x(c[:, 0], z), lat_to_tile_y(c[:, 1], z)])

    tg = shapely.transform(geom, to_tile)
    xmin, ymin, xmax, ymax = shapely.bounds(tg)
    j = np.arange(max(math.floor(ymin), 0), min(math.ceil(ymax), n), dtype=np.int64)
    strips = shapely.box(xmin - 1.0, j, xmax + 1.0, j + 1)
    parts, idx = shapely.get_parts(shapely.intersection(strips, tg), return_index=True)
    keep = shapely.area(parts) > 0.0
    b = shapely.bounds(parts[keep])
    x0 = np.clip(np.floor(b[:, 0]), 0, n).astype(np.int64)
    x1 = np.clip(np.ceil(b[:, 2]), 0, n).astype(np.int64)
    return j[idx[keep]], x0, x1


def _wrap_cells(cells: np.ndarray, z: int) -> np.ndarray:
    """Wrap x, clamp y into range, drop cells whose f (3rd column, if any) is invalid."""
    n = 1 << z
    cells[:, 0] %= n
    cells[:, 1] = np.clip(cells[:, 1], 0, n - 1)
    if cells.shape[1] == 3:
        cells = cells[(cells[:, 2] >= -n) & (cells[:, 2] < n)]
    return cells


def _tile_coords(coords: np.ndarray, z: int) -> np.ndarray:
    cols = [tile_x(coords[:, 0], z), lat_to_tile_y(coords[:, 1], z)]
    if coords.shape[1] == 3:
        cols.append(alt_to_tile_f(coords[:, 2], z))
    return np.column_stack(cols)


def _line_parts(
    coords: np.ndarray,
    z: int,
    band: tuple[float | None, float | None],
    what: str,
    *,
    points: bool = False,
) -> Parts:
    tc = _tile_coords(coords, z)
    cells = _wrap_cells(np.floor(tc).astype(np.int64) if points else traverse(tc), z)
    if coords.shape[1] == 3:
        return [(cells[:, 2], cells[:, 1], cells[:, 0], cells[:, 0] + 1)]
    f0, f1 = band_to_f(z, band[0], band[1], what)
    return [extrude(cells[:, 1], cells[:, 0], cells[:, 0] + 1, f0, f1)]


def _polygon_parts(
    gi: dict[str, Any], z: int, band: tuple[float | None, float | None], max_voxels: int | None
) -> Parts:
    rings = (
        gi["coordinates"] if gi["type"] == "Polygon" else [r for p in gi["coordinates"] for r in p]
    )
    coords = [check_coords(np.asarray(r, dtype=np.float64), gi["type"]) for r in rings]
    lo, hi = band
    if lo is None and hi is None and all(c.shape[1] == 3 for c in coords):
        alts = np.concatenate([c[:, 2] for c in coords])
        lo, hi = float(alts.min()), float(alts.max())
    f0, f1 = band_to_f(z, lo, hi, gi["type"])
    y, x0, x1 = polygon_rows(shape(gi), z)
    _check_cap(int(np.sum(x1 - x0)) * (f1 - f0), max_voxels)
    return [extrude(y, x0, x1, f0, f1)]


def _check_cap(count: int, max_voxels: int | None) -> None:
    if max_voxels is not None and count > max_voxels:
        raise TooManyVoxels(count, max_voxels)


def _collect(
    gi: dict[str, Any],
    z: int,
    band: tuple[float | None, float | None],
    max_voxels: int | None,
    out: Parts,
) -> None:
    kind = gi.get("type")
    if kind == "FeatureCollection":
        for feat in gi.get("features", []):
            _collect(feat, z, band, max_voxels, out)
    elif kind == "Feature":
        if gi.get("geometry") is None:
            raise SpatialIdError("Feature: empty geometry")
        _collect(as_geojson(gi["geometry"]), z, band, max_voxels, out)
    elif kind == "GeometryCollection":
        for g in gi.get("geometries", []):
            _collect(as_geojson(g), z, band, max_voxels, out)
    elif kind in ("Point", "MultiPoint"):
        pts = np.asarray(gi["coordinates"], dtype=np.float64)
        pts = check_coords(pts.reshape(1, -1) if kind == "Point" else pts, kind)
        out.extend(_line_parts(pts, z, band, kind, points=True))
    elif kind in ("LineString", "MultiLineString"):
        lines = [gi["coordinates"]] if kind == "LineString" else gi["coordinates"]
        if not lines:
            raise SpatialIdError(f"{kind}: empty geometry")
        for line in lines:
            out.extend(_line_parts(check_coords(np.asarray(line, np.float64), kind), z, band, kind))
    elif kind in ("Polygon", "MultiPolygon"):
        if not gi.get("coordinates"):
            raise SpatialIdError(f"{kind}: empty geometry")
        out.extend(_polygon_parts(gi, z, band, max_voxels))
    else:
        raise SpatialIdError(f"unknown geometry type {kind!r}")


def parts_to_set(z: int, parts: Parts, max_voxels: int | None) -> VoxelSet:
    """Union collected runs into one ``VoxelSet``, enforcing ``max_voxels``."""
    if not parts:
        return VoxelSet.empty(z)
    f, y, x0, x1 = (np.concatenate([p[i] for p in parts]) for i in range(4))
    _check_cap(int(np.sum(x1 - x0)) if len(parts) == 1 else 0, max_voxels)
    vs = VoxelSet.from_runs(z, f, y, x0, x1)
    _check_cap(len(vs), max_voxels)
    return vs


def geometry_to_voxels(
    geometry: Any,
    z: int,
    *,
    alt_lower: float | None = None,
    alt_upper: float | None = None,
    max_voxels: int | None = None,
) -> VoxelSet:
    """The voxels at zoom ``z`` covering a geometry (see the module's convention).

    Parameters
    ----------
    geometry
        Anything with ``__geo_interface__`` or a GeoJSON dict: a geometry, Feature,
        FeatureCollection or GeometryCollection.
    z
        Zoom.
    alt_lower, alt_upper
        The altitude band in metres for 2D coordinates (required for 2D polygons; a 3D
        polygon without a band spans its lowest to highest vertex altitude).
    max_voxels
        Raise ``SpatialIdError`` as soon as the cover is known to exceed this count.

    Examples
    --------
    >>> line = {"type": "LineString", "coordinates": [[0, 0, 0], [0.001, 0, 0]]}
    >>> len(geometry_to_voxels(line, 20))
    3
    >>> sq = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    >>> len(geometry_to_voxels(sq, 9, alt_lower=0, alt_upper=65536))
    4
    """
    check_zoom(z)
    out: Parts = []
    try:
        _collect(as_geojson(geometry), z, (alt_lower, alt_upper), max_voxels, out)
    except SpatialIdError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.ShapelyError) as exc:
        # malformed GeoJSON (missing members, non-numeric or ragged coordinates, too few
        # points) or a polygon GEOS cannot intersect (self-intersecting): the caller's input
        raise SpatialIdError(f"invalid GeoJSON geometry: {type(exc).__name__}: {exc}") from None
    return parts_to_set(z, out, max_voxels)


def box_to_voxels(
    west: float,
    south: float,
    bottom: float,
    east: float,
    north: float,
    top: float,
    z: int,
    *,
    max_voxels: int | None = None,
) -> VoxelSet:
    """Voxels whose interior meets the box's interior (degrees and metres).

    >>> vs = box_to_voxels(0, 0, 0, 1, 1, 32, 20)
    >>> sorted(set(vs.runs()[0].tolist())), vs.boxes().tolist()
    ([0], [[524288, 527201, 521375, 524288, 0, 1]])
    """
    check_zoom(z)
    for name, value in (
        ("west", west),
        ("south", south),
        ("bottom", bottom),
        ("east", east),
        ("north", north),
        ("top", top),
    ):
        if not math.isfinite(value):
            raise SpatialIdError(f"{name}={value!r} must be finite")
    if not -180.0 <= west < east <= 180.0:
        raise SpatialIdError(f"need -180 <= west < east <= 180, got west={west}, east={east}")
    if not -90.0 <= south < north <= 90.0:
        raise SpatialIdError(f"need -90 <= south < north <= 90, got south={south}, north={north}")
    if bottom >= top:
        raise SpatialIdError(f"bottom={bottom} must be below top={top}")
    n = 1 << z
    f0, f1 = band_to_f(z, bottom, top, "box")
    x0 = max(math.floor(tile_x(west, z)), 0)
    x1 = min(math.ceil(tile_x(east, z)), n)
    y0 = max(math.floor(lat_to_tile_y(north, z)), 0)
    y1 = min(math.ceil(lat_to_tile_y(south, z)), n)
    ys = np.arange(y0, y1, dtype=np.int64)
    _check_cap(max(x1 - x0, 0) * ys.size * (f1 - f0), max_voxels)
    f, y, a, b = extrude(ys, np.full(ys.size, x0), np.full(ys.size, x1), f0, f1)
    return VoxelSet(z, (row_key(f, y), a, b)) if x1 > x0 else VoxelSet.empty(z)


def tube_to_voxels(
    path: Any, radius_m: float, z: int, *, max_voxels: int | None = None
) -> VoxelSet:
    """Flight-corridor cover; see :func:`spatialid.tube.tube_to_voxels` (re-exported here).

    >>> len(tube_to_voxels([[0.0, 0.0, 50.0]], 5.0, 20)) > 0
    True
    """
    from spatialid.tube import tube_to_voxels as tube

    return tube(path, radius_m, z, max_voxels=max_voxels)

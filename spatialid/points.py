"""Points <-> voxels: encode a position, and a voxel's bounds, centre and corners.

Positions are ``(lng, lat, alt)``: WGS84 degrees and metres. The tile-space convention is
half-open (see :mod:`spatialid.projection`): a voxel holds longitudes ``[west, east)``,
latitudes ``(south, north]`` and altitudes ``[bottom, top)``. Latitudes beyond
+-85.0511287798 degrees are clamped onto the first or last row; longitude 180 is -180.

The scalar encoder runs the same numpy kernel as :func:`spatialid.vectorized.lnglat_to_voxel`,
so both always agree bit for bit. CRS conversions go through pyproj and change only the
horizontal coordinates; altitudes are passed through unchanged.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
from pyproj import CRS, Transformer

from spatialid import vectorized
from spatialid.errors import SpatialIdError
from spatialid.voxel import Voxel, check_zoom, validate

Bounds = tuple[float, float, float, float, float, float]
Position = tuple[float, float, float]


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise SpatialIdError(f"{name} must be a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise SpatialIdError(f"{name}={value!r} is not a finite number")
    return out


def lnglat_to_voxel(lng: float, lat: float, alt: float, z: int) -> Voxel:
    """The voxel at zoom ``z`` containing a point.

    Parameters
    ----------
    lng : float
        Longitude in degrees, within [-180, 180] (180 is the same meridian as -180).
    lat : float
        Latitude in degrees, within [-90, 90]; clamped to +-85.0511287798.
    alt : float
        Altitude in metres, within [-2^25, 2^25).
    z : int
        Zoom, 0..30.

    Examples
    --------
    >>> str(lnglat_to_voxel(139.767125, 35.681236, 100.0, 20))
    '20/3/931389/412906'
    >>> str(lnglat_to_voxel(0, 0, 10, 25))
    '25/10/16777216/16777216'
    >>> lnglat_to_voxel(0, 91, 0, 10)
    Traceback (most recent call last):
    ...
    spatialid.errors.SpatialIdError: lat=91 is outside [-90, 90]
    """
    check_zoom(z)
    x_lng, y_lat, h = _number("lng", lng), _number("lat", lat), _number("alt", alt)
    if not -180.0 <= x_lng <= 180.0:
        raise SpatialIdError(f"lng={lng!r} is outside [-180, 180]")
    if not -90.0 <= y_lat <= 90.0:
        raise SpatialIdError(f"lat={lat!r} is outside [-90, 90]")
    if not vectorized.ALT_MIN <= h < vectorized.ALT_MAX:
        raise SpatialIdError(f"alt={alt!r} m is outside [-2^25, 2^25) m")
    f, x, y = vectorized.lnglat_to_voxel(
        np.array([x_lng]), np.array([y_lat]), np.array([h]), z, check=False
    )
    return Voxel(z, int(f[0]), int(x[0]), int(y[0]))


def voxel_bounds(v: Voxel) -> Bounds:
    """``(west, south, bottom, east, north, top)`` of a voxel in degrees and metres.

    Examples
    --------
    >>> w, s, b, e, n, t = voxel_bounds(Voxel(1, 0, 0, 0))
    >>> w, round(s, 9), b, e, round(n, 9), t
    (-180.0, 0.0, 0.0, 0.0, 85.05112878, 16777216.0)
    """
    z, f, x, y = validate(v)
    west, south, bottom, east, north, top = vectorized.voxel_bounds(z, f, x, y)
    return (float(west), float(south), float(bottom), float(east), float(north), float(top))


def voxel_center(v: Voxel) -> Position:
    """Centre ``(lng, lat, alt)`` of a voxel (the middle of its tile-space box).

    Examples
    --------
    >>> [voxel_center(Voxel(z, f, 0, 0))[2] for z, f in ((25, 0), (20, 1), (20, 10))]
    [0.5, 48.0, 336.0]
    """
    z, f, x, y = validate(v)
    lng, lat, alt = vectorized.voxel_center(z, f, x, y)
    return (float(lng), float(lat), float(alt))


def voxel_vertices(v: Voxel) -> list[Position]:
    """The 8 corners of a voxel.

    In the order of the JavaScript SDK's ``vertices3d``: north-west, south-west,
    south-east, north-east at the bottom, then the same four at the top.

    Examples
    --------
    >>> [tuple(round(c, 6) for c in p) for p in voxel_vertices(Voxel(22, 6, 3725284, 1651062))[:2]]
    [(139.74369, 35.720455, 48.0), (139.74369, 35.720385, 48.0)]
    """
    west, south, bottom, east, north, top = voxel_bounds(v)
    ring = [(west, north), (west, south), (east, south), (east, north)]
    return [(lng, lat, h) for h in (bottom, top) for lng, lat in ring]


@lru_cache(maxsize=64)
def _transformer(crs: Any) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(4326), CRS.from_user_input(crs), always_xy=True)


def _crs_key(crs: Any) -> Any:
    if isinstance(crs, int):
        return f"EPSG:{crs}"
    if isinstance(crs, CRS):
        return crs.to_wkt()
    if isinstance(crs, str):
        return crs
    raise SpatialIdError(f"crs must be an EPSG code, a string or a pyproj CRS, got {crs!r}")


def voxel_bounds_in_crs(v: Voxel, crs: Any) -> Bounds:
    """``(minx, miny, bottom, maxx, maxy, top)`` of a voxel in another CRS.

    ``crs`` is anything pyproj understands (``"EPSG:6677"``, ``3857``, a ``CRS``). The
    horizontal bounds are those of the voxel's edges densified (pyproj
    ``transform_bounds``), so they hold the whole voxel in curved projections too.

    Examples
    --------
    >>> b = voxel_bounds_in_crs(Voxel(1, 0, 0, 0), "EPSG:3857")
    >>> [round(c) for c in b]
    [-20037508, 0, 0, 0, 20037508, 16777216]
    """
    west, south, bottom, east, north, top = voxel_bounds(v)
    tr = _transformer(_crs_key(crs))
    minx, miny, maxx, maxy = tr.transform_bounds(west, south, east, north, densify_pts=21)
    return (float(minx), float(miny), bottom, float(maxx), float(maxy), top)


def voxel_vertices_in_crs(v: Voxel, crs: Any) -> list[Position]:
    """The 8 corners of a voxel (order of :func:`voxel_vertices`) in another CRS.

    Examples
    --------
    Coordinates are always (easting, northing) (pyproj ``always_xy``), also for the
    JGD2011 plane rectangular zones whose own axis order is northing first. Tokyo
    Station lies about 6 km west and 35 km south of the origin of zone IX:

    >>> p = voxel_vertices_in_crs(Voxel(20, 3, 931389, 412906), "EPSG:6677")[0]
    >>> [round(c, 2) for c in p]
    [-6000.93, -35358.03, 96.0]
    """
    corners = voxel_vertices(v)
    tr = _transformer(_crs_key(crs))
    xs, ys = tr.transform([c[0] for c in corners], [c[1] for c in corners])
    return [(float(a), float(b), c[2]) for a, b, c in zip(xs, ys, corners, strict=True)]

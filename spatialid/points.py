"""Points <-> voxels: encode a position, and a voxel's bounds, centre and corners.

Positions are ``(lng, lat, alt)``: WGS84 degrees and metres. The tile-space convention is
half-open (see :mod:`spatialid.projection`): a voxel holds longitudes ``[west, east)``,
latitudes ``(south, north]`` and altitudes ``[bottom, top)``. Latitudes beyond
+-85.0511287798 degrees are clamped onto the first or last row; longitude 180 is -180.

The scalar functions are plain Python (``math`` and integer arithmetic) doing the same
floating-point operations, in the same order, as their twins in :mod:`spatialid.vectorized`.
``x`` and ``f`` are exact. ``y`` goes through ``cos``, ``tan`` and ``log``, where the C
library and numpy's own SIMD routines (used on some CPUs) may round differently; those
differences are tiny (a few units in the last place), so a point whose tile-space ``y``
lies that close to a tile edge -- within a guard band hundreds of times wider -- is
handed to the numpy kernel instead. The encoder therefore agrees with
:func:`spatialid.vectorized.lnglat_to_voxel` bit for bit on every machine. The bounds and
centres are floats, where no guard band helps: their latitudes go through numpy's
``sinh`` and ``arctan`` (the rest is plain Python), so they equal the vectorised ones bit
for bit on every machine too.

CRS conversions go through pyproj and change only the horizontal coordinates; altitudes
are passed through unchanged.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
from pyproj import CRS, Transformer

from spatialid import vectorized
from spatialid.errors import SpatialIdError
from spatialid.projection import LAT_LIMIT
from spatialid.voxel import (
    ALTITUDE_EXTENT_M,
    MAX_ZOOM,
    MIN_ZOOM,
    Voxel,
    check_zoom,
    validate,
)

Bounds = tuple[float, float, float, float, float, float]
Position = tuple[float, float, float]


_FLOAT_TYPES = (int, float, np.integer, np.floating)
_PI = math.pi
_RADIANS = math.pi / 180.0
"""``math.radians`` and ``np.radians`` both multiply by this."""
_cos, _tan, _log, _floor = math.cos, math.tan, math.log, math.floor
_new_tuple = tuple.__new__
_TWO_PI = 2.0 * math.pi
_ALT_TO_F30 = float(1 << MAX_ZOOM) / ALTITUDE_EXTENT_M
_Y_GUARD = 2.0**-44
"""Half-width of the band around a tile edge, in units of ``y / 2**z`` per unit of the
condition factor of ``tan + sec``: 512 units in the last place, over 50 times what faithful
``cos``, ``tan`` and ``log`` routines (within 4 units each) can make two evaluations differ."""


def _number(name: str, value: Any) -> float:
    if type(value) is float:
        out = value
    elif isinstance(value, bool) or not isinstance(value, _FLOAT_TYPES):
        raise SpatialIdError(f"{name} must be a number, got {value!r}")
    else:
        out = float(value)
    if not math.isfinite(out):
        raise SpatialIdError(f"{name}={value!r} is not a finite number")
    return out


def _checked_point(lng: Any, lat: Any, alt: Any, z: Any) -> Position:
    """The point as floats, or ``SpatialIdError`` naming the first bad argument."""
    check_zoom(z)
    x_lng, y_lat, h = _number("lng", lng), _number("lat", lat), _number("alt", alt)
    if not -180.0 <= x_lng <= 180.0:
        raise SpatialIdError(f"lng={lng!r} is outside [-180, 180]")
    if not -90.0 <= y_lat <= 90.0:
        raise SpatialIdError(f"lat={lat!r} is outside [-90, 90]")
    if not -ALTITUDE_EXTENT_M <= h < ALTITUDE_EXTENT_M:
        raise SpatialIdError(f"alt={alt!r} m is outside [-2^25, 2^25) m")
    return x_lng, y_lat, h


def _tile_y(lat: float, n: int) -> int | None:
    """Tile row of ``lat`` at ``n = 2**z`` tiles, or ``None`` if it is too close to an edge.

    The operations of :func:`spatialid.vectorized.lnglat_to_voxel`, in its order, on
    Python floats. ``None`` means ``y * n`` lies within the guard band of an inner tile edge,
    where another ``cos``/``tan``/``log`` could fall on the other side: ask the kernel.
    """
    phi = (-LAT_LIMIT if lat < -LAT_LIMIT else LAT_LIMIT if lat > LAT_LIMIT else lat) * _RADIANS
    sec = 1.0 / _cos(phi)
    tan = _tan(phi)
    t = tan + sec
    v = (1.0 - _log(t) / _PI) / 2.0
    w = (0.0 if v < 0.0 else 1.0 if v > 1.0 else v) * n
    y = _floor(w)
    r = w - y
    # Rounding differences in t are amplified by (|tan| + sec) / t, large in the south.
    band = _Y_GUARD * n if tan >= 0.0 else _Y_GUARD * n * (sec - tan) / t
    if (r < band and 0 < y < n) or (r > 1.0 - band and y + 1 < n):
        return None
    return y if y < n else n - 1  # the southern edge of the map belongs to the last row


def lnglat_to_voxel(lng: float, lat: float, alt: float, z: int) -> Voxel:
    """The voxel at zoom ``z`` containing a point.

    The same voxel as :func:`spatialid.vectorized.lnglat_to_voxel` gives, computed in plain
    Python (see the module docstring).

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
    if not (
        type(lng) is float
        and type(lat) is float
        and type(alt) is float
        and type(z) is int
        and -180.0 <= lng <= 180.0
        and -90.0 <= lat <= 90.0
        and -ALTITUDE_EXTENT_M <= alt < ALTITUDE_EXTENT_M
        and MIN_ZOOM <= z <= MAX_ZOOM
    ):
        lng, lat, alt = _checked_point(lng, lat, alt, z)
    n = 1 << z
    y = _tile_y(lat, n)
    if y is None:
        f_a, x_a, y_a = vectorized.lnglat_to_voxel(
            np.array([lng]), np.array([lat]), np.array([alt]), z, check=False
        )
        return Voxel(z, int(f_a[0]), int(x_a[0]), int(y_a[0]))
    u = (lng + 180.0) / 360.0
    u -= _floor(u)
    # f: floor at zoom 30 (an exact scaling), then floor division by 2**(30 - z).
    f = _floor(alt * _ALT_TO_F30) >> (MAX_ZOOM - z)
    return _new_tuple(Voxel, (z, f, _floor(u * n), y))


def _lats(n: float, *ys: float) -> list[float]:
    """Latitudes of tile rows ``ys`` as :mod:`spatialid.vectorized` computes them (numpy's
    ``sinh`` and ``arctan`` may differ from the C library's in the last place)."""
    ya = np.array(ys, dtype=np.float64)
    lat: list[float] = np.degrees(np.arctan(np.sinh(np.pi - 2.0 * np.pi * ya / n))).tolist()
    return lat


def voxel_bounds(v: Voxel) -> Bounds:
    """``(west, south, bottom, east, north, top)`` of a voxel in degrees and metres.

    The same floats as :func:`spatialid.vectorized.voxel_bounds` (see the module docstring).

    Examples
    --------
    >>> w, s, b, e, n, t = voxel_bounds(Voxel(1, 0, 0, 0))
    >>> w, round(s, 9), b, e, round(n, 9), t
    (-180.0, 0.0, 0.0, 0.0, 85.05112878, 16777216.0)
    """
    z, f, x, y = validate(v)
    n = float(1 << z)
    dz = ALTITUDE_EXTENT_M / n
    south, north = _lats(n, y + 1.0, float(y))
    return (
        x / n * 360.0 - 180.0,
        south,
        f * dz,
        (x + 1.0) / n * 360.0 - 180.0,
        north,
        (f + 1.0) * dz,
    )


def voxel_center(v: Voxel) -> Position:
    """Centre ``(lng, lat, alt)`` of a voxel (the middle of its tile-space box).

    Examples
    --------
    >>> [voxel_center(Voxel(z, f, 0, 0))[2] for z, f in ((25, 0), (20, 1), (20, 10))]
    [0.5, 48.0, 336.0]
    """
    z, f, x, y = validate(v)
    n = float(1 << z)
    (lat,) = _lats(n, y + 0.5)
    return ((x + 0.5) / n * 360.0 - 180.0, lat, (f + 0.5) * (ALTITUDE_EXTENT_M / n))


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

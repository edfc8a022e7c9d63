"""Continuous tile coordinates: lng/lat/alt <-> fractional (x, y, f) at a zoom.

All functions accept Python floats or numpy arrays (they are built from numpy ufuncs).
Tile space is half-open: a voxel ``(f, x, y)`` is ``[x, x+1) x [y, y+1) x [f, f+1)``,
i.e. longitude ``[west, east)``, latitude ``(south, north]``, altitude ``[bottom, top)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from spatialid.voxel import ALTITUDE_EXTENT_M

LAT_LIMIT = 85.05112877980659
"""Web Mercator latitude limit in degrees; latitudes beyond it are clamped."""

ArrayLike = Any


def lng_to_tile_x(lng: ArrayLike, z: int) -> Any:
    """Fractional tile x of longitude ``lng`` at zoom ``z`` (180 wraps to -180)."""
    u = (np.asarray(lng, dtype=np.float64) + 180.0) / 360.0
    u = u - np.floor(u)
    return u * float(1 << z)


def lat_to_tile_y(lat: ArrayLike, z: int) -> Any:
    """Fractional tile y of latitude ``lat`` at zoom ``z`` (clamped to +-LAT_LIMIT)."""
    phi = np.radians(np.clip(np.asarray(lat, dtype=np.float64), -LAT_LIMIT, LAT_LIMIT))
    v = (1.0 - np.log(np.tan(phi) + 1.0 / np.cos(phi)) / np.pi) / 2.0
    return np.clip(v, 0.0, 1.0) * float(1 << z)


def alt_to_tile_f(alt: ArrayLike, z: int) -> Any:
    """Fractional vertical index of altitude ``alt`` (metres) at zoom ``z``."""
    return np.asarray(alt, dtype=np.float64) * (float(1 << z) / ALTITUDE_EXTENT_M)


def tile_x_to_lng(x: ArrayLike, z: int) -> Any:
    """Longitude of fractional tile x at zoom ``z``."""
    return np.asarray(x, dtype=np.float64) / float(1 << z) * 360.0 - 180.0


def tile_y_to_lat(y: ArrayLike, z: int) -> Any:
    """Latitude of fractional tile y at zoom ``z``."""
    n = np.pi - 2.0 * np.pi * np.asarray(y, dtype=np.float64) / float(1 << z)
    return np.degrees(np.arctan(np.sinh(n)))


def tile_f_to_alt(f: ArrayLike, z: int) -> Any:
    """Altitude in metres of fractional vertical index ``f`` at zoom ``z``."""
    return np.asarray(f, dtype=np.float64) * (ALTITUDE_EXTENT_M / float(1 << z))

"""Vectorised spatial ID math: numpy arrays in, numpy arrays out.

The functions carry the same names as their scalar twins in :mod:`spatialid.points`,
:mod:`spatialid.hierarchy` and :mod:`spatialid.voxel`, and compute bit-for-bit the same
results (the scalar point encoder calls the kernel here). Voxel indices are ``int64``
arrays; ``z`` is a Python int or an integer array broadcast against the others.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from spatialid.errors import SpatialIdError
from spatialid.projection import LAT_LIMIT
from spatialid.voxel import ALTITUDE_EXTENT_M, MAX_ZOOM, check_zoom

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
ArrayLike = Any

ALT_MIN = -ALTITUDE_EXTENT_M
ALT_MAX = ALTITUDE_EXTENT_M
"""Altitudes must lie in ``[ALT_MIN, ALT_MAX)`` metres."""


def _first_bad(ok: npt.NDArray[np.bool_], values: np.ndarray, name: str, rule: str) -> None:
    if not ok.all():
        i = int(np.flatnonzero(~ok.ravel())[0])
        bad = values.ravel()[i]
        raise SpatialIdError(f"{name}[{i}]={getattr(bad, 'item', lambda: bad)()!r} {rule}")


def _check_points(lng: FloatArray, lat: FloatArray, alt: FloatArray) -> None:
    # min/max propagate NaN, so one reduction per bound also catches NaN and infinities.
    if lng.size and not (lng.min() >= -180.0 and lng.max() <= 180.0):
        _first_bad((lng >= -180.0) & (lng <= 180.0), lng, "lng", "is outside [-180, 180]")
    if lat.size and not (lat.min() >= -90.0 and lat.max() <= 90.0):
        _first_bad((lat >= -90.0) & (lat <= 90.0), lat, "lat", "is outside [-90, 90]")
    if alt.size and not (alt.min() >= ALT_MIN and alt.max() < ALT_MAX):
        _first_bad((alt >= ALT_MIN) & (alt < ALT_MAX), alt, "alt", "is outside [-2^25, 2^25) m")


def lnglat_to_voxel(
    lng: ArrayLike, lat: ArrayLike, alt: ArrayLike, z: int, *, check: bool = True
) -> tuple[IntArray, IntArray, IntArray]:
    """Voxel indices ``(f, x, y)`` at zoom ``z`` of points given in degrees and metres.

    Parameters
    ----------
    lng, lat, alt : array_like
        Longitude in [-180, 180] (180 wraps to -180), latitude in [-90, 90] (clamped to
        +-85.0511287798 degrees) and altitude in [-2^25, 2^25) metres; broadcast together.
    z : int
        Zoom, 0..30.
    check : bool
        Validate the inputs (one min/max pass each); ``SpatialIdError`` names the first bad
        element.

    Examples
    --------
    >>> f, x, y = lnglat_to_voxel([139.767125, 0.0], [35.681236, 0.0], [100.0, 10.0], 20)
    >>> f.tolist(), x.tolist(), y.tolist()
    ([3, 0], [931389, 524288], [412906, 524288])
    """
    check_zoom(z)
    lng_a = np.asarray(lng, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    alt_a = np.asarray(alt, dtype=np.float64)
    if check:
        _check_points(lng_a, lat_a, alt_a)
    n = float(1 << z)
    # x: the same operations as projection.lng_to_tile_x, done in place.
    u = np.add(lng_a, 180.0)
    u /= 360.0
    u -= np.floor(u)
    u *= n
    np.floor(u, out=u)
    x = u.astype(np.int64)
    # y: the same operations as projection.lat_to_tile_y, done in place.
    phi = np.clip(lat_a, -LAT_LIMIT, LAT_LIMIT)
    np.radians(phi, out=phi)
    sec = np.cos(phi)
    np.reciprocal(sec, out=sec)
    np.tan(phi, out=phi)
    phi += sec
    del sec
    np.log(phi, out=phi)
    phi /= np.pi
    np.subtract(1.0, phi, out=phi)
    phi /= 2.0
    np.clip(phi, 0.0, 1.0, out=phi)
    phi *= n
    np.floor(phi, out=phi)
    y = phi.astype(np.int64)
    np.minimum(y, (1 << z) - 1, out=y)  # the southern edge of the map belongs to the last row
    # f: floor at zoom 30 (an exact scaling by 32, where no altitude underflows to -0.0),
    # then an arithmetic shift, which is floor division by a power of two.
    h = np.multiply(alt_a, float(1 << MAX_ZOOM) / ALTITUDE_EXTENT_M)
    np.floor(h, out=h)
    f = h.astype(np.int64)
    np.right_shift(f, MAX_ZOOM - z, out=f)
    return np.broadcast_arrays(f, x, y)  # type: ignore[return-value]


def _n(z: ArrayLike) -> Any:
    return np.ldexp(1.0, np.asarray(z, dtype=np.int64).astype(np.int32))


def voxel_bounds(
    z: ArrayLike, f: ArrayLike, x: ArrayLike, y: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Bounds ``(west, south, bottom, east, north, top)`` of voxels, degrees and metres.

    Examples
    --------
    >>> b = voxel_bounds(20, [10], [524288], [524288])
    >>> [round(float(a[0]), 9) for a in b]
    [0.0, -0.000343323, 320.0, 0.000343323, 0.0, 352.0]
    """
    n = _n(z)
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    fa = np.asarray(f, dtype=np.float64)
    west = xa / n * 360.0 - 180.0
    east = (xa + 1.0) / n * 360.0 - 180.0
    north = np.degrees(np.arctan(np.sinh(np.pi - 2.0 * np.pi * ya / n)))
    south = np.degrees(np.arctan(np.sinh(np.pi - 2.0 * np.pi * (ya + 1.0) / n)))
    dz = ALTITUDE_EXTENT_M / n
    bottom = fa * dz
    top = (fa + 1.0) * dz
    return west, south, bottom, east, north, top


def voxel_center(
    z: ArrayLike, f: ArrayLike, x: ArrayLike, y: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Centres ``(lng, lat, alt)`` of voxels (the mid-point in tile space).

    Examples
    --------
    >>> lng, lat, alt = voxel_center(25, [0, 0], [16777216, 0], [16777216, 0])
    >>> alt.tolist()
    [0.5, 0.5]
    """
    n = _n(z)
    xa = np.asarray(x, dtype=np.float64) + 0.5
    ya = np.asarray(y, dtype=np.float64) + 0.5
    lng = xa / n * 360.0 - 180.0
    lat = np.degrees(np.arctan(np.sinh(np.pi - 2.0 * np.pi * ya / n)))
    alt = (np.asarray(f, dtype=np.float64) + 0.5) * (ALTITUDE_EXTENT_M / n)
    return lng, lat, alt


def parent(
    z: ArrayLike, f: ArrayLike, x: ArrayLike, y: ArrayLike, to_zoom: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Indices ``(f, x, y)`` of the ancestors at zoom ``to_zoom`` (arithmetic shifts).

    Examples
    --------
    >>> [a.tolist() for a in parent(3, [-1, 5], [7, 2], [0, 3], 1)]
    [[-1, 1], [1, 0], [0, 0]]
    """
    check_zoom(to_zoom, name="to_zoom")
    za = np.asarray(z, dtype=np.int64)
    if za.size and (za.min() < to_zoom or za.max() > MAX_ZOOM):
        raise SpatialIdError(f"to_zoom={to_zoom} is finer than some z (min z={za.min()})")
    d = za - to_zoom
    return (
        np.right_shift(np.asarray(f, dtype=np.int64), d),
        np.right_shift(np.asarray(x, dtype=np.int64), d),
        np.right_shift(np.asarray(y, dtype=np.int64), d),
    )


def validate(
    z: ArrayLike, f: ArrayLike, x: ArrayLike, y: ArrayLike
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Broadcast and return ``(z, f, x, y)`` as int64 arrays, or raise on a bad element.

    Examples
    --------
    >>> [a.tolist() for a in validate(1, [0, -2], [1, 1], [0, 1])]
    [[1, 1], [0, -2], [1, 1], [0, 1]]
    >>> validate(1, [0, 2], 0, 0)
    Traceback (most recent call last):
    ...
    spatialid.errors.SpatialIdError: f[1]=2 is out of range [-2^z, 2^z) at zoom 1
    """
    arrays = np.broadcast_arrays(*(np.asarray(a) for a in (z, f, x, y)))
    for name, a in zip("zfxy", arrays, strict=True):
        if a.size and not np.issubdtype(a.dtype, np.integer):
            raise SpatialIdError(f"{name} must be an integer array, got dtype {a.dtype}")
    za, fa, xa, ya = (a.astype(np.int64) for a in arrays)
    _first_bad((za >= 0) & (za <= MAX_ZOOM), za, "z", f"is out of range [0, {MAX_ZOOM}]")
    n = np.left_shift(1, za)
    for name, a, ok in (
        ("x", xa, (xa >= 0) & (xa < n)),
        ("y", ya, (ya >= 0) & (ya < n)),
        ("f", fa, (fa >= -n) & (fa < n)),
    ):
        if not ok.all():
            i = int(np.flatnonzero(~ok.ravel())[0])
            rng = "[-2^z, 2^z)" if name == "f" else "[0, 2^z)"
            raise SpatialIdError(
                f"{name}[{i}]={int(a.ravel()[i])} is out of range {rng} at zoom {za.ravel()[i]}"
            )
    return za, fa, xa, ya


_FORMAT_ONE_STRING_MIN = 64
"""From this many IDs on, :func:`format_ids` writes them all with one ``%`` operation."""

_NO_ZOOMS: IntArray = np.zeros(1, dtype=np.int64)
_INT64 = np.dtype(np.int64)


def format_ids(z: ArrayLike, f: ArrayLike, x: ArrayLike, y: ArrayLike) -> list[str]:
    """Text IDs ``"z/f/x/y"`` of voxels (broadcast together, flattened in C order).

    The indices become Python ints, and many IDs are written by one ``%`` operation into
    one string that is then split (a single zoom is written once into the format); a few
    IDs go through an f-string each.

    Examples
    --------
    >>> format_ids(20, [3, -1], [931389, 0], [412906, 0])
    ['20/3/931389/412906', '20/-1/0/0']
    >>> format_ids([1, 2], 0, 0, [0, 1])
    ['1/0/0/0', '2/0/0/1']
    """
    fa = f if type(f) is np.ndarray and f.dtype is _INT64 else np.asarray(f, dtype=np.int64)
    xa = x if type(x) is np.ndarray and x.dtype is _INT64 else np.asarray(x, dtype=np.int64)
    ya = y if type(y) is np.ndarray and y.dtype is _INT64 else np.asarray(y, dtype=np.int64)
    zoom: int | None = z if type(z) is int else None
    za = np.asarray(z, dtype=np.int64) if zoom is None else _NO_ZOOMS
    if za.ndim == 0:
        zoom = int(za)
    columns: tuple[IntArray, ...]
    if zoom is not None:
        if fa.ndim == 1 and fa.shape == xa.shape == ya.shape and len(fa) < _FORMAT_ONE_STRING_MIN:
            p = f"{zoom}/"
            lists = (fa.tolist(), xa.tolist(), ya.tolist())
            return [f"{p}{a}/{b}/{c}" for a, b, c in zip(*lists, strict=True)]
        columns, fmt = tuple(np.broadcast_arrays(fa, xa, ya)), f"{zoom}/%d/%d/%d\n"
    else:
        columns, fmt = tuple(np.broadcast_arrays(za, fa, xa, ya)), "%d/%d/%d/%d\n"
    n = columns[0].size
    if n == 0:
        return []
    values = tuple(np.stack([a.ravel() for a in columns], axis=1).ravel().tolist())
    return ((fmt * n) % values)[:-1].split("\n")


def parse_ids(ids: list[str]) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Arrays ``(z, f, x, y)`` of plain ``"z/f/x/y"`` text IDs (validated).

    Examples
    --------
    >>> [a.tolist() for a in parse_ids(["20/3/931389/412906", "1/-2/1/0"])]
    [[20, 1], [3, -2], [931389, 1], [412906, 0]]
    >>> parse_ids(["1/0/0/0", "1/0/0"])
    Traceback (most recent call last):
    ...
    spatialid.errors.SpatialIdError: ids[1]='1/0/0' is not a z/f/x/y spatial ID
    """
    if not ids:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy(), empty.copy()
    arr = np.asarray(ids, dtype=str)
    ok = np.strings.count(arr, "/") == 3
    ok &= ~np.strings.startswith(arr, "/") & ~np.strings.endswith(arr, "/")
    _first_bad(ok, np.asarray(ids, dtype=object), "ids", "is not a z/f/x/y spatial ID")
    joined = "/".join(ids)
    tokens = np.asarray(joined.split("/"), dtype=str)
    digits = np.strings.lstrip(tokens, "-")
    ok = (np.strings.str_len(digits) > 0) & (np.strings.str_len(digits) <= 18)
    ok &= np.strings.isdecimal(digits) & (
        np.strings.str_len(tokens) - np.strings.str_len(digits) <= 1
    )
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0]) // 4
        raise SpatialIdError(f"ids[{i}]={ids[i]!r} has a part that is not an integer")
    # Every token is now a short decimal integer, so numpy's C text reader is safe and fast.
    values = np.fromstring(joined.replace("/", " "), dtype=np.int64, sep=" ").reshape(-1, 4)
    return validate(values[:, 0], values[:, 1], values[:, 2], values[:, 3])


def voxel_to_key(z: ArrayLike, f: ArrayLike, x: ArrayLike, y: ArrayLike) -> IntArray:
    """Integer keys (see :mod:`spatialid.encodings`) of voxels at zooms up to 20.

    Examples
    --------
    >>> voxel_to_key(1, [-2, 1], [0, 1], [0, 1]).tolist()
    [2, 17]
    """
    from spatialid.encodings import voxel_to_key_array

    return voxel_to_key_array(z, f, x, y)


def key_to_voxel(k: ArrayLike) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Arrays ``(z, f, x, y)`` of integer keys of zooms up to 20.

    Examples
    --------
    >>> [a.tolist() for a in key_to_voxel([2, 17])]
    [[1, 1], [-2, 1], [0, 1], [0, 1]]
    """
    from spatialid.encodings import key_to_voxel_array

    return key_to_voxel_array(k)

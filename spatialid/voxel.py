"""The voxel value type and its validation.

A voxel is ``Voxel(z, f, x, y)``: zoom ``z``, vertical index ``f`` and Web Mercator tile
indices ``x`` (east) and ``y`` (south). Its text form is ``"z/f/x/y"``.
"""

from __future__ import annotations

from typing import NamedTuple

from spatialid.errors import SpatialIdError

MIN_ZOOM = 0
MAX_ZOOM = 30
ALTITUDE_EXTENT_M = 2.0**25
"""Height of the vertical column cut into ``2**z`` voxels (metres)."""


class Voxel(NamedTuple):
    """A 3D spatial ID.

    Examples
    --------
    >>> v = Voxel(20, 3, 931389, 412906)
    >>> str(v)
    '20/3/931389/412906'
    """

    z: int
    f: int
    x: int
    y: int

    def __str__(self) -> str:
        return f"{self.z}/{self.f}/{self.x}/{self.y}"


def check_zoom(z: int, *, name: str = "z") -> int:
    """Return ``z`` if it is a supported zoom, else raise ``SpatialIdError``."""
    if isinstance(z, bool) or not isinstance(z, int):
        raise SpatialIdError(f"{name} must be an integer, got {z!r}", field=name)
    if not MIN_ZOOM <= z <= MAX_ZOOM:
        raise SpatialIdError(f"{name}={z} is out of range [{MIN_ZOOM}, {MAX_ZOOM}]", field=name)
    return z


def voxel_height(z: int) -> float:
    """Height of a voxel at zoom ``z`` in metres (``2**(25-z)``)."""
    return ALTITUDE_EXTENT_M / (1 << check_zoom(z))


def validate(v: Voxel) -> Voxel:
    """Return ``v`` as a ``Voxel`` if all its indices are in range, else raise.

    Examples
    --------
    >>> validate(Voxel(1, -2, 1, 0))
    Voxel(z=1, f=-2, x=1, y=0)
    """
    z, f, x, y = v
    # The common case first: plain ints in range (errors take the path below, which names them).
    exact = type(z) is int and type(f) is int and type(x) is int and type(y) is int
    if exact and MIN_ZOOM <= z <= MAX_ZOOM:
        n = 1 << z
        if 0 <= x < n and 0 <= y < n and -n <= f < n:
            return v if type(v) is Voxel else Voxel(z, f, x, y)
    check_zoom(z)
    n = 1 << z
    for name, value in (("f", f), ("x", x), ("y", y)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpatialIdError(f"{name} must be an integer, got {value!r}", field=name)
    if not 0 <= x < n:
        raise SpatialIdError(f"x={x} is out of range [0, {n}) at zoom {z}", field="x")
    if not 0 <= y < n:
        raise SpatialIdError(f"y={y} is out of range [0, {n}) at zoom {z}", field="y")
    if not -n <= f < n:
        raise SpatialIdError(f"f={f} is out of range [{-n}, {n}) at zoom {z}", field="f")
    return Voxel(z, f, x, y)

"""Reading spatial IDs from text, and the extended ID with separate zooms.

Three text forms are understood:

- ``"z/f/x/y"``: a plain 3D spatial ID (:class:`~spatialid.voxel.Voxel`);
- ``"z/f/x/y_i/t"``: a spatio-temporal ID (:class:`~spatialid.temporal.SpatioTemporalId`);
- ``"hz/x/y/vz/f"``: an extended ID (:class:`ExtendedId`) whose horizontal zoom ``hz``
  and vertical zoom ``vz`` may differ.

One leading ``/`` is accepted (the JavaScript SDK writes ``"/25/10/16777216/16777216"``),
as is surrounding whitespace. Every part must be a decimal integer.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from spatialid.errors import SpatialIdError
from spatialid.temporal import SpatioTemporalId, check_interval
from spatialid.voxel import Voxel, check_zoom, validate

MAX_EXPANSION = 2**24
"""Most voxels :func:`extended_to_voxels` will list (use a VoxelSet for more)."""

_INT = re.compile(r"-?[0-9]+")
_PLAIN = re.compile(r"/?(-?[0-9]+)/(-?[0-9]+)/(-?[0-9]+)/(-?[0-9]+)")
"""A plain ``z/f/x/y`` ID with nothing around it: the common case, read in one match."""


class ExtendedId(NamedTuple):
    """A spatial ID with horizontal zoom ``hz`` for ``x, y`` and vertical zoom ``vz`` for ``f``.

    Examples
    --------
    >>> e = ExtendedId(20, 931389, 412906, 18, 0)
    >>> str(e)
    '20/931389/412906/18/0'
    """

    hz: int
    x: int
    y: int
    vz: int
    f: int

    def __str__(self) -> str:
        return f"{self.hz}/{self.x}/{self.y}/{self.vz}/{self.f}"


def _ints(text: str, parts: list[str], names: tuple[str, ...]) -> list[int]:
    if len(parts) != len(names):
        raise SpatialIdError(
            f"malformed spatial ID {text!r}: expected {len(names)} '/'-separated parts "
            f"({'/'.join(names)}), got {len(parts)}"
        )
    out = []
    for name, part in zip(names, parts, strict=True):
        if not _INT.fullmatch(part):
            raise SpatialIdError(
                f"malformed spatial ID {text!r}: {name}={part!r} is not an integer"
            )
        out.append(int(part))
    return out


def validate_extended(e: ExtendedId) -> ExtendedId:
    """Return ``e`` if its indices are in range at their zooms, else raise.

    Examples
    --------
    >>> validate_extended(ExtendedId(1, 1, 0, 3, -8))
    ExtendedId(hz=1, x=1, y=0, vz=3, f=-8)
    >>> validate_extended(ExtendedId(1, 2, 0, 3, 0))
    Traceback (most recent call last):
    ...
    spatialid.errors.SpatialIdError: x=2 is out of range [0, 2) at zoom 1
    """
    hz, x, y, vz, f = e
    check_zoom(hz, name="hz")
    check_zoom(vz, name="vz")
    validate(Voxel(hz, 0, x, y))
    n = 1 << vz
    if isinstance(f, bool) or not isinstance(f, int):
        raise SpatialIdError(f"f must be an integer, got {f!r}")
    if not -n <= f < n:
        raise SpatialIdError(f"f={f} is out of range [{-n}, {n}) at vertical zoom {vz}")
    return ExtendedId(hz, x, y, vz, f)


def parse(text: str) -> Voxel | SpatioTemporalId | ExtendedId:
    """Read a spatial ID in any of the three text forms.

    Raises ``SpatialIdError`` naming the bad part when the text is malformed or an index
    is out of range.

    Examples
    --------
    >>> parse("20/3/931389/412906")
    Voxel(z=20, f=3, x=931389, y=412906)
    >>> str(parse("12/0/3638/1614_1800/809712"))
    '12/0/3638/1614_1800/809712'
    >>> parse("20/931389/412906/18/0")
    ExtendedId(hz=20, x=931389, y=412906, vz=18, f=0)
    >>> parse("2/0/4/0")
    Traceback (most recent call last):
    ...
    spatialid.errors.SpatialIdError: x=4 is out of range [0, 4) at zoom 2
    """
    if not isinstance(text, str):
        raise SpatialIdError(f"a spatial ID must be a string, got {type(text).__name__}")
    plain = _PLAIN.fullmatch(text)
    if plain is not None:
        z, f, x, y = plain.groups()
        return validate(Voxel(int(z), int(f), int(x), int(y)))
    s = text.strip()
    if s.startswith("/"):
        s = s[1:]
    if not s:
        raise SpatialIdError(f"malformed spatial ID {text!r}: empty")
    space, sep, time = s.partition("_")
    parts = space.split("/")
    if sep:
        z, f, x, y = _ints(text, parts, ("z", "f", "x", "y"))
        i, t = _ints(text, time.split("/"), ("i", "t"))
        return SpatioTemporalId(validate(Voxel(z, f, x, y)), check_interval(i), t)
    if len(parts) == 5:
        return validate_extended(ExtendedId(*_ints(text, parts, ("hz", "x", "y", "vz", "f"))))
    z, f, x, y = _ints(text, parts, ("z", "f", "x", "y"))
    return validate(Voxel(z, f, x, y))


def parse_voxel(text: str) -> Voxel:
    """Read a plain ``"z/f/x/y"`` spatial ID; the other forms are refused.

    Examples
    --------
    >>> parse_voxel("/25/10/16777216/16777216")
    Voxel(z=25, f=10, x=16777216, y=16777216)
    >>> parse_voxel("12/0/3638/1614_1800/809712")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spatialid.errors.SpatialIdError: expected a plain z/f/x/y spatial ID, got '12/0/3638/...'
    """
    v = parse(text)
    if not isinstance(v, Voxel):
        raise SpatialIdError(f"expected a plain z/f/x/y spatial ID, got {text!r}")
    return v


def to_extended(v: Voxel) -> ExtendedId:
    """The extended form of a voxel (both zooms equal).

    Examples
    --------
    >>> str(to_extended(Voxel(20, 3, 931389, 412906)))
    '20/931389/412906/20/3'
    """
    z, f, x, y = validate(v)
    return ExtendedId(z, x, y, z, f)


def extended_to_voxels(e: ExtendedId) -> list[Voxel]:
    """The voxels at zoom ``max(hz, vz)`` that exactly cover an extended ID.

    With ``hz == vz`` this is the one equivalent voxel. Otherwise the coarser axis is
    split: ordered by ``f``, then ``y``, then ``x``. More than ``2**24`` voxels is refused.

    Examples
    --------
    >>> extended_to_voxels(ExtendedId(2, 1, 1, 2, 0))
    [Voxel(z=2, f=0, x=1, y=1)]
    >>> [str(v) for v in extended_to_voxels(ExtendedId(1, 1, 0, 2, 3))]
    ['2/3/2/0', '2/3/3/0', '2/3/2/1', '2/3/3/1']
    >>> [str(v) for v in extended_to_voxels(ExtendedId(2, 1, 1, 1, -1))]
    ['2/-2/1/1', '2/-1/1/1']
    """
    hz, x, y, vz, f = validate_extended(e)
    z = max(hz, vz)
    dh, dv = z - hz, z - vz
    count = 1 << (2 * dh + dv)
    if count > MAX_EXPANSION:
        raise SpatialIdError(
            f"{e} covers {count} voxels at zoom {z}; use a VoxelSet for expansions this large"
        )
    xs = range(x << dh, (x + 1) << dh)
    ys = range(y << dh, (y + 1) << dh)
    return [Voxel(z, ff, xx, yy) for ff in range(f << dv, (f + 1) << dv) for yy in ys for xx in xs]

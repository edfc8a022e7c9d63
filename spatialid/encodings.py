"""Other encodings of a voxel: the tilehash digit string and an octree integer key.

Tilehash
--------
The digit form of the JavaScript spatial ID SDK (``spatial-id/javascript-sdk``,
``src/zfxy_tilehash.ts``, functions ``generateTilehash``/``parseZFXYTilehash``, and its
``getChildren`` order in ``src/zfxy.ts``). Each zoom level from 1 to ``z`` contributes one
digit, most significant level first: ``1 + xbit + 2*ybit + 4*fbit`` where the bits are
those of ``x``, ``y`` and ``|f|`` at that level. A negative ``f`` is written as a leading
``-`` followed by the digits of ``|f|``. So ``25/10/16777216/16777216`` is
``"4111111111111111111115151"`` and ``1/-1/0/0`` is ``"-5"`` (SDK test vectors). The SDK
cannot express zoom 0 or ``f = -2**z`` (``|f|`` is then out of range); both are refused.

Integer key
-----------
``voxel_to_key`` numbers every voxel of every zoom 0..30 with a distinct non-negative
integer so that all descendants of a voxel at any one zoom form one contiguous range::

    F    = f + 2**z                      # 0 <= F < 2**(z+1); F >> d is the ancestor's F
    m    = F[z] << 3z | sum over bit k < z of (F[k] << 3k+2 | y[k] << 3k+1 | x[k] << 3k)
    key  = base(z) + m,  base(z) = 2 * (8**z - 1) / 7   # keys of coarser zooms come first

``m`` is the Morton (octree) interleave of ``(f, y, x)``, each triple ordered like a
tilehash digit, under one top bit that says whether the voxel is above (1) or below (0)
0 m. A descendant at ``d`` levels finer has ``m' = m << 3d | (3d low bits)``, hence
:func:`descendant_key_range`. Keys are Python ints (up to 94 bits at zoom 30); the numpy
versions :func:`voxel_to_key_array` and :func:`key_to_voxel_array` use ``int64`` and need
``z <= 20``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import numpy.typing as npt

from spatialid.errors import SpatialIdError
from spatialid.voxel import MAX_ZOOM, Voxel, check_zoom, validate

IntArray = npt.NDArray[np.int64]

ARRAY_MAX_ZOOM = 20
"""Deepest zoom whose keys fit in ``int64``."""

_TILEHASH = re.compile(r"-?[1-8]+")


def voxel_to_tilehash(v: Voxel) -> str:
    """The JavaScript SDK tilehash of a voxel (zoom >= 1).

    Examples
    --------
    >>> voxel_to_tilehash(Voxel(25, 10, 16777216, 16777216))
    '4111111111111111111115151'
    >>> voxel_to_tilehash(Voxel(1, -1, 0, 0))
    '-5'
    """
    z, f, x, y = validate(v)
    if z == 0:
        raise SpatialIdError("a tilehash needs zoom >= 1; zoom 0 has no digits")
    a = abs(f)
    if a >= 1 << z:
        raise SpatialIdError(f"f={f} at zoom {z} has no tilehash (|f| must be < 2^z)")
    digits = [
        str(1 + ((x >> k) & 1) + 2 * ((y >> k) & 1) + 4 * ((a >> k) & 1))
        for k in range(z - 1, -1, -1)
    ]
    return ("-" if f < 0 else "") + "".join(digits)


def tilehash_to_voxel(s: str) -> Voxel:
    """The voxel of a JavaScript SDK tilehash.

    Examples
    --------
    >>> str(tilehash_to_voxel("4111111111111111111115151"))
    '25/10/16777216/16777216'
    >>> tilehash_to_voxel("19")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spatialid.errors.SpatialIdError: malformed tilehash '19': digits must be 1-8, ...
    """
    if not isinstance(s, str) or not _TILEHASH.fullmatch(s):
        raise SpatialIdError(f"malformed tilehash {s!r}: digits must be 1-8, after an optional '-'")
    negative = s.startswith("-")
    digits = s[1:] if negative else s
    if len(digits) > MAX_ZOOM:
        raise SpatialIdError(f"tilehash {s!r} has {len(digits)} digits, more than zoom {MAX_ZOOM}")
    f = x = y = 0
    for c in digits:
        d = int(c) - 1
        x, y, f = x << 1 | d & 1, y << 1 | d >> 1 & 1, f << 1 | d >> 2
    if negative:
        if f == 0:
            raise SpatialIdError(f"tilehash {s!r} is negative but its f is 0")
        f = -f
    return Voxel(len(digits), f, x, y)


def _base(z: int) -> int:
    return 2 * ((1 << 3 * z) - 1) // 7


def voxel_to_key(v: Voxel) -> int:
    """The integer key of a voxel (layout in the module docstring).

    Examples
    --------
    >>> [voxel_to_key(Voxel(0, f, 0, 0)) for f in (-1, 0)]
    [0, 1]
    >>> voxel_to_key(Voxel(1, -2, 0, 0)), voxel_to_key(Voxel(1, 1, 1, 1))
    (2, 17)
    """
    z, f, x, y = validate(v)
    big_f = f + (1 << z)
    m = (big_f >> z) << 3 * z
    for k in range(z):
        m |= ((big_f >> k) & 1) << 3 * k + 2 | ((y >> k) & 1) << 3 * k + 1 | ((x >> k) & 1) << 3 * k
    return _base(z) + m


def key_to_voxel(k: int) -> Voxel:
    """The voxel of an integer key.

    Examples
    --------
    >>> key_to_voxel(17)
    Voxel(z=1, f=1, x=1, y=1)
    >>> key_to_voxel(voxel_to_key(Voxel(30, -5, 7, 2**30 - 1)))
    Voxel(z=30, f=-5, x=7, y=1073741823)
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise SpatialIdError(f"a key must be an integer, got {k!r}")
    k = int(k)
    if not 0 <= k < _base(MAX_ZOOM + 1):
        raise SpatialIdError(f"key={k} is out of range [0, {_base(MAX_ZOOM + 1)})")
    z = 0
    while _base(z + 1) <= k:
        z += 1
    m = k - _base(z)
    big_f, x, y = (m >> 3 * z) << z, 0, 0
    for b in range(z):
        big_f |= ((m >> 3 * b + 2) & 1) << b
        y |= ((m >> 3 * b + 1) & 1) << b
        x |= ((m >> 3 * b) & 1) << b
    return Voxel(z, big_f - (1 << z), x, y)


def descendant_key_range(v: Voxel, z: int) -> tuple[int, int]:
    """Half-open key range ``[lo, hi)`` holding exactly the descendants of ``v`` at zoom ``z``.

    Examples
    --------
    >>> lo, hi = descendant_key_range(Voxel(0, 0, 0, 0), 1)
    >>> [str(key_to_voxel(k)) for k in range(lo, hi)][:3], hi - lo
    (['1/0/0/0', '1/0/1/0', '1/0/0/1'], 8)
    """
    v = validate(v)
    check_zoom(z)
    if z < v.z:
        raise SpatialIdError(f"zoom {z} is coarser than {v}")
    d = z - v.z
    m = voxel_to_key(v) - _base(v.z)
    return _base(z) + (m << 3 * d), _base(z) + ((m + 1) << 3 * d)


def _spread3(a: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Insert two zero bits above each of the low 21 bits."""
    a = a & np.uint64(0x1FFFFF)
    for shift, mask in (
        (32, 0x1F00000000FFFF),
        (16, 0x1F0000FF0000FF),
        (8, 0x100F00F00F00F00F),
        (4, 0x10C30C30C30C30C3),
        (2, 0x1249249249249249),
    ):
        a = (a | (a << np.uint64(shift))) & np.uint64(mask)
    return a


def _compact3(a: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Inverse of :func:`_spread3`."""
    a = a & np.uint64(0x1249249249249249)
    for shift, mask in (
        (2, 0x10C30C30C30C30C3),
        (4, 0x100F00F00F00F00F),
        (8, 0x1F0000FF0000FF),
        (16, 0x1F00000000FFFF),
        (32, 0x1FFFFF),
    ):
        a = (a | (a >> np.uint64(shift))) & np.uint64(mask)
    return a


def voxel_to_key_array(z: Any, f: Any, x: Any, y: Any) -> IntArray:
    """Vectorised :func:`voxel_to_key` for zooms up to 20 (``int64`` keys).

    Examples
    --------
    >>> voxel_to_key_array(1, [-2, 1], [0, 1], [0, 1]).tolist()
    [2, 17]
    """
    from spatialid.vectorized import validate as validate_arrays

    za, fa, xa, ya = validate_arrays(z, f, x, y)
    if za.size and za.max() > ARRAY_MAX_ZOOM:
        raise SpatialIdError(f"z={za.max()} is too deep for int64 keys (max {ARRAY_MAX_ZOOM})")
    zu = za.astype(np.uint64)
    three_z = np.uint64(3) * zu
    low = (fa & ((np.int64(1) << za) - 1)).astype(np.uint64)
    m = (_spread3(low) << np.uint64(2)) | (_spread3(ya.astype(np.uint64)) << np.uint64(1))
    m |= _spread3(xa.astype(np.uint64))
    m |= (fa >= 0).astype(np.uint64) << three_z
    base = (np.uint64(2) * ((np.uint64(1) << three_z) - np.uint64(1))) // np.uint64(7)
    return (base + m).astype(np.int64)


def key_to_voxel_array(k: Any) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Vectorised :func:`key_to_voxel` for keys of zooms up to 20: ``(z, f, x, y)``.

    Examples
    --------
    >>> [a.tolist() for a in key_to_voxel_array([2, 17])]
    [[1, 1], [-2, 1], [0, 1], [0, 1]]
    """
    ka = np.asarray(k, dtype=np.int64)
    bases = np.array([_base(z) for z in range(ARRAY_MAX_ZOOM + 2)], dtype=np.int64)
    if ka.size and (ka.min() < 0 or ka.max() >= bases[-1]):
        raise SpatialIdError(f"keys must be in [0, {bases[-1]}) for zooms up to {ARRAY_MAX_ZOOM}")
    z = np.searchsorted(bases, ka, side="right").astype(np.int64) - 1
    m = (ka - bases[z]).astype(np.uint64)
    zu = z.astype(np.uint64)
    top = (m >> (np.uint64(3) * zu)).astype(np.int64)
    mask = (np.int64(1) << z) - 1
    low = _compact3(m >> np.uint64(2)).astype(np.int64) & mask
    y = _compact3(m >> np.uint64(1)).astype(np.int64) & mask
    x = _compact3(m).astype(np.int64) & mask
    f = low - np.where(top == 1, 0, mask + 1)
    return z, f, x, y

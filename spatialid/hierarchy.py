"""The voxel octree: parents, children, shifts and neighbours.

The parent of ``(z, f, x, y)`` is ``(z-1, f>>1, x>>1, y>>1)``; Python's ``>>`` is an
arithmetic shift, so negative ``f`` (below 0 m) works. Horizontally ``x`` wraps around the
antimeridian; ``y`` (the poles) and ``f`` (the vertical limits) do not wrap: a voxel beyond
them does not exist and is left out (or ``None``).
"""

from __future__ import annotations

from itertools import product

from spatialid.errors import SpatialIdError
from spatialid.voxel import Voxel, check_zoom, validate

MAX_CHILDREN = 2**24
"""Most voxels :func:`children` will list (use a VoxelSet for more)."""


def parent(v: Voxel, z: int | None = None) -> Voxel:
    """The ancestor of ``v`` at zoom ``z`` (default: one level up).

    Examples
    --------
    >>> parent(Voxel(25, 0, 29803304, 13212456), 22)
    Voxel(z=22, f=0, x=3725413, y=1651557)
    >>> parent(Voxel(1, -1, 1, 0))
    Voxel(z=0, f=-1, x=0, y=0)
    """
    v = validate(v)
    to = v.z - 1 if z is None else check_zoom(z)
    if not 0 <= to <= v.z:
        raise SpatialIdError(f"parent zoom {to} must be within [0, {v.z}] for {v}")
    d = v.z - to
    return Voxel(to, v.f >> d, v.x >> d, v.y >> d)


def children(v: Voxel, z: int | None = None) -> list[Voxel]:
    """The descendants of ``v`` at zoom ``z`` (default: one level down).

    Ordered by ``f``, then ``y``, then ``x`` (so the 8 children of one level come in the
    order of the tilehash digits 1..8). More than ``2**24`` voxels is refused; use a
    VoxelSet to handle volumes that large.

    Examples
    --------
    >>> [str(c) for c in children(Voxel(0, 0, 0, 0))][:3]
    ['1/0/0/0', '1/0/1/0', '1/0/0/1']
    >>> len(children(Voxel(20, 3, 931389, 412906), 23))
    512
    """
    v = validate(v)
    to = v.z + 1 if z is None else check_zoom(z)
    if to < v.z:
        raise SpatialIdError(f"children zoom {to} is coarser than {v}")
    d = to - v.z
    if 3 * d > 24:
        raise SpatialIdError(
            f"{v} has {8**d} descendants at zoom {to} (more than 2**24); use a VoxelSet"
        )
    xs = range(v.x << d, (v.x + 1) << d)
    ys = range(v.y << d, (v.y + 1) << d)
    return [Voxel(to, f, x, y) for f in range(v.f << d, (v.f + 1) << d) for y in ys for x in xs]


def is_ancestor(a: Voxel, b: Voxel) -> bool:
    """Whether ``a`` is a strict ancestor of ``b`` (coarser and containing it).

    Examples
    --------
    >>> is_ancestor(Voxel(0, -1, 0, 0), Voxel(3, -2, 5, 1))
    True
    >>> is_ancestor(Voxel(3, -2, 5, 1), Voxel(3, -2, 5, 1))
    False
    """
    a, b = validate(a), validate(b)
    return a.z < b.z and parent(b, a.z) == a


def shift(v: Voxel, df: int = 0, dx: int = 0, dy: int = 0) -> Voxel | None:
    """The voxel ``(df, dx, dy)`` steps away at the same zoom, or ``None`` off the map.

    ``x`` wraps around the antimeridian; past the poles (``y``) or the vertical limits
    (``f``) there is no voxel.

    Examples
    --------
    >>> shift(Voxel(2, 0, 3, 1), dx=1)
    Voxel(z=2, f=0, x=0, y=1)
    >>> shift(Voxel(2, 3, 0, 0), df=1) is None
    True
    """
    z, f, x, y = validate(v)
    n = 1 << z
    f2, y2 = f + df, y + dy
    if not (-n <= f2 < n and 0 <= y2 < n):
        return None
    return Voxel(z, f2, (x + dx) % n, y2)


_OFFSETS = {
    c: [
        (df, dx, dy)
        for df, dy, dx in product((0, 1, -1), repeat=3)
        if 0 < abs(df) + abs(dx) + abs(dy) <= {6: 1, 18: 2, 26: 3}[c]
    ]
    for c in (6, 18, 26)
}


def neighbours(v: Voxel, connectivity: int = 26) -> list[Voxel]:
    """The voxels sharing a face (6), a face or edge (18) or any corner (26) with ``v``.

    Neighbours beyond the poles or the vertical limits do not exist and are left out;
    ``x`` wraps around the antimeridian. At zooms 0 and 1, where wrapping would reach the
    same tile twice (or ``v`` itself), each voxel is listed once and ``v`` never. The
    order is fixed: by ``df`` in (0, 1, -1), then ``dy``, then ``dx``.

    Examples
    --------
    >>> len(neighbours(Voxel(10, 0, 5, 5)))
    26
    >>> [str(n) for n in neighbours(Voxel(10, 0, 0, 0), 6)]
    ['10/0/1/0', '10/0/1023/0', '10/0/0/1', '10/1/0/0', '10/-1/0/0']
    """
    if connectivity not in _OFFSETS:
        raise SpatialIdError(f"connectivity={connectivity!r} must be 6, 18 or 26")
    v = validate(v)
    seen = {v}
    out = []
    for df, dx, dy in _OFFSETS[connectivity]:
        w = shift(v, df, dx, dy)
        if w is not None and w not in seen:
            seen.add(w)
            out.append(w)
    return out

"""``VoxelSet``: a compact, immutable set of voxels at one zoom, stored as x-runs.

Rows are keyed by ``(f, y)``; each row holds sorted, disjoint, non-touching half-open
x-runs ``[x0, x1)``. A 1 km x 1 km x 150 m block at z24 (about 20 million voxels) is
about 40 thousand runs. Set algebra is one vectorised sweep (see :mod:`spatialid.runs`).
x-runs never wrap the antimeridian: ``0 <= x0 < x1 <= 2**z``.

Examples
--------
>>> from spatialid.voxel import Voxel
>>> a = VoxelSet.from_voxels([Voxel(3, 0, 1, 1), Voxel(3, 0, 2, 1)])
>>> b = VoxelSet.from_voxels([Voxel(3, 0, 2, 1), Voxel(3, 1, 2, 1)])
>>> len(a | b), len(a & b), len(a - b), len(a ^ b)
(3, 1, 1, 2)
>>> Voxel(3, 0, 2, 1) in a
True
>>> a
VoxelSet(z=3, voxels=2, runs=1)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from spatialid import runs as R
from spatialid.errors import SpatialIdError
from spatialid.voxel import Voxel, check_zoom

IntArray = R.IntArray


class VoxelSet:
    """An immutable set of voxels at one zoom (see the module docstring).

    Build it with :meth:`from_voxels`, :meth:`from_arrays`, :meth:`from_runs`,
    :meth:`empty` or :meth:`from_compact`; never mutate the arrays it exposes.
    """

    __slots__ = ("_key", "_x0", "_x1", "_z")

    def __init__(self, z: int, runs: R.Runs) -> None:
        """Wrap already normalised runs ``(key, x0, x1)``; prefer the ``from_*`` builders."""
        self._z = check_zoom(z)
        self._key, self._x0, self._x1 = runs

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def empty(cls, z: int) -> VoxelSet:
        """The empty set at zoom ``z``.

        >>> len(VoxelSet.empty(5))
        0
        """
        e = np.empty(0, np.int64)
        return cls(z, (e, e.copy(), e.copy()))

    @classmethod
    def from_runs(
        cls, z: int, f: npt.ArrayLike, y: npt.ArrayLike, x0: npt.ArrayLike, x1: npt.ArrayLike
    ) -> VoxelSet:
        """Build from x-runs ``[x0, x1)`` in rows ``(f, y)``; runs may overlap or touch.

        >>> VoxelSet.from_runs(4, [0, 0], [3, 3], [0, 2], [3, 6]).runs()[2:]
        (array([0]), array([6]))
        """
        check_zoom(z)
        n = 1 << z
        fa, ya = np.asarray(f, np.int64), np.asarray(y, np.int64)
        a, b = np.asarray(x0, np.int64), np.asarray(x1, np.int64)
        fa, ya, a, b = np.broadcast_arrays(fa, ya, a, b)
        if fa.size and (
            fa.min() < -n
            or fa.max() >= n
            or ya.min() < 0
            or ya.max() >= n
            or a.min() < 0
            or b.max() > n
        ):
            raise SpatialIdError(
                f"runs out of range at zoom {z}: need -2^z<=f<2^z, 0<=y<2^z, 0<=x0, x1<=2^z"
            )
        return cls(z, R.normalize(R.row_key(fa, ya), a, b))

    @classmethod
    def from_arrays(cls, z: int, f: npt.ArrayLike, x: npt.ArrayLike, y: npt.ArrayLike) -> VoxelSet:
        """Build from index arrays (duplicates allowed).

        >>> len(VoxelSet.from_arrays(2, [0, 0, 1], [1, 1, 1], [0, 0, 0]))
        2
        """
        xa = np.asarray(x, np.int64)
        return cls.from_runs(z, f, y, xa, xa + 1)

    @classmethod
    def from_voxels(cls, voxels: Iterable[Voxel], z: int | None = None) -> VoxelSet:
        """Build from ``Voxel`` values, all at one zoom (``z`` required if empty).

        >>> VoxelSet.from_voxels([Voxel(1, 0, 1, 1)]).zoom
        1
        """
        arr = np.array([tuple(v) for v in voxels], dtype=np.int64).reshape(-1, 4)
        if arr.shape[0] == 0:
            if z is None:
                raise SpatialIdError("z is required to build an empty VoxelSet")
            return cls.empty(z)
        zs = np.unique(arr[:, 0])
        if zs.size != 1 or (z is not None and int(zs[0]) != z):
            raise SpatialIdError(f"voxels must share one zoom, got zooms {zs.tolist()}")
        return cls.from_arrays(int(zs[0]), arr[:, 1], arr[:, 2], arr[:, 3])

    @classmethod
    def from_compact(cls, voxels: Iterable[Voxel], z: int) -> VoxelSet:
        """Expand mixed-zoom voxels (all at zoom <= ``z``) to a set at zoom ``z``.

        >>> len(VoxelSet.from_compact([Voxel(1, 0, 0, 0), Voxel(2, 2, 3, 3)], 2))
        9
        """
        from spatialid.voxelset_ops import from_compact

        return from_compact(voxels, z)

    # ---- basic protocol -----------------------------------------------------------------
    @property
    def zoom(self) -> int:
        """The zoom of every member."""
        return self._z

    def runs(self) -> tuple[IntArray, IntArray, IntArray, IntArray]:
        """The canonical runs ``(f, y, x0, x1)`` sorted by ``(f, y, x0)`` (read-only)."""
        f, y = R.key_to_fy(self._key)
        return f, y, self._x0, self._x1

    def __len__(self) -> int:
        return R.length((self._key, self._x0, self._x1))

    def __bool__(self) -> bool:
        return self._key.size > 0

    def to_arrays(self) -> tuple[IntArray, IntArray, IntArray]:
        """Expand to index arrays ``(f, x, y)``, sorted by ``(f, y, x)``.

        >>> VoxelSet.from_runs(3, 1, 2, 4, 6).to_arrays()
        (array([1, 1]), array([4, 5]), array([2, 2]))
        """
        f, y, x0, x1 = self.runs()
        lengths = x1 - x0
        total = int(lengths.sum())
        starts = np.repeat(x0 - (np.cumsum(lengths) - lengths), lengths)
        x = starts + np.arange(total, dtype=np.int64)
        return np.repeat(f, lengths), x, np.repeat(y, lengths)

    def __iter__(self) -> Iterator[Voxel]:
        z = self._z
        f, x, y = self.to_arrays()
        for fi, xi, yi in zip(f.tolist(), x.tolist(), y.tolist(), strict=True):
            yield Voxel(z, fi, xi, yi)

    def __contains__(self, item: object) -> bool:
        """Membership of a ``Voxel``.

        A voxel at a finer zoom is contained iff its ancestor at the set's zoom is a
        member; a voxel at a coarser zoom iff all its descendants at the set's zoom are
        (i.e. the voxel's whole volume is covered).

        >>> s = VoxelSet.from_runs(1, [0, 0, 1, 1], [0, 1, 0, 1], 0, 2)
        >>> Voxel(0, 0, 0, 0) in s, Voxel(1, 0, 0, 0) in s, Voxel(5, 0, 3, 3) in s
        (True, True, True)
        """
        if not isinstance(item, tuple) or len(item) != 4:
            return False
        z, f, x, y = (int(v) for v in item)
        if z >= self._z:
            k = z - self._z
            return self._has(f >> k, x >> k, y >> k)
        k = self._z - z
        side = 1 << k
        if side * side > self._key.size:
            return False  # needs side*side rows, each at least one run
        box = VoxelSet.from_runs(
            self._z,
            np.repeat(np.arange(f * side, (f + 1) * side), side),
            np.tile(np.arange(y * side, (y + 1) * side), side),
            x * side,
            (x + 1) * side,
        )
        return len(self & box) == side**3

    def _has(self, f: int, x: int, y: int) -> bool:
        n = 1 << self._z
        if not (-n <= f < n and 0 <= y < n):
            return False
        key = int(R.row_key(f, y))
        lo, hi = np.searchsorted(self._key, [key, key + 1])
        i = int(np.searchsorted(self._x0[lo:hi], x, side="right")) - 1
        return i >= 0 and x < int(self._x1[lo + i])

    # ---- algebra ------------------------------------------------------------------------
    def _op(self, other: VoxelSet, pred: Any) -> VoxelSet:
        if not isinstance(other, VoxelSet):
            return NotImplemented
        if other._z != self._z:
            raise SpatialIdError(
                f"zoom mismatch: {self._z} vs {other._z}; convert with to_zoom() first"
            )
        a = (self._key, self._x0, self._x1)
        b = (other._key, other._x0, other._x1)
        return VoxelSet(self._z, R.sweep([a, b], pred))

    def __or__(self, other: VoxelSet) -> VoxelSet:
        return self._op(other, lambda c: (c[0] > 0) | (c[1] > 0))

    def __and__(self, other: VoxelSet) -> VoxelSet:
        return self._op(other, lambda c: (c[0] > 0) & (c[1] > 0))

    def __sub__(self, other: VoxelSet) -> VoxelSet:
        return self._op(other, lambda c: (c[0] > 0) & (c[1] == 0))

    def __xor__(self, other: VoxelSet) -> VoxelSet:
        return self._op(other, lambda c: (c[0] > 0) != (c[1] > 0))

    union = __or__
    intersection = __and__
    difference = __sub__
    symmetric_difference = __xor__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VoxelSet):
            return NotImplemented
        return (
            self._z == other._z
            and np.array_equal(self._key, other._key)
            and np.array_equal(self._x0, other._x0)
            and np.array_equal(self._x1, other._x1)
        )

    def __hash__(self) -> int:
        return hash((self._z, self._key.tobytes(), self._x0.tobytes(), self._x1.tobytes()))

    def issubset(self, other: VoxelSet) -> bool:
        """True iff every member of ``self`` is in ``other`` (same zoom)."""
        return not (self - other)

    def isdisjoint(self, other: VoxelSet) -> bool:
        """True iff ``self`` and ``other`` share no voxel (same zoom)."""
        return not (self & other)

    __le__ = issubset

    # ---- zoom ---------------------------------------------------------------------------
    def to_zoom(self, z: int) -> VoxelSet:
        """The same volume at another zoom.

        Coarser: the parents of the members (the covering set). Finer: all children.

        >>> s = VoxelSet.from_runs(2, 0, 1, 1, 3)
        >>> s.to_zoom(1).runs()[2:], len(s.to_zoom(3))
        ((array([0]), array([2])), 16)
        """
        check_zoom(z)
        f, y, x0, x1 = self.runs()
        if z <= self._z:
            k = self._z - z
            return VoxelSet(z, R.normalize(R.row_key(f >> k, y >> k), x0 >> k, ((x1 - 1) >> k) + 1))
        k = z - self._z
        side = 1 << k
        off = np.arange(side, dtype=np.int64)
        cf = ((f << k)[:, None, None] + off[None, :, None]).repeat(side, 2)
        cy = ((y << k)[:, None, None] + off[None, None, :]).repeat(side, 1)
        shape = cf.shape
        cx0 = np.broadcast_to((x0 << k)[:, None, None], shape)
        cx1 = np.broadcast_to((x1 << k)[:, None, None], shape)
        return VoxelSet(z, R.normalize(R.row_key(cf, cy).ravel(), cx0.ravel(), cx1.ravel()))

    # ---- delegated: compaction, boxes, export -------------------------------------------
    def compact(self) -> list[Voxel]:
        """Mixed-zoom voxels: every complete group of 8 children replaced by its parent.

        >>> VoxelSet.from_runs(1, [0, 0, 1, 1], [0, 1, 0, 1], 0, 2).compact()
        [Voxel(z=0, f=0, x=0, y=0)]
        """
        from spatialid.voxelset_ops import compact

        return compact(self)

    def boxes(self) -> IntArray:
        """Merged boxes, int64 rows ``(x0, x1, y0, y1, f0, f1)`` (half-open).

        >>> VoxelSet.from_runs(3, [0, 1, 0, 1], [2, 2, 3, 3], 1, 4).boxes().tolist()
        [[1, 4, 2, 4, 0, 2]]
        """
        from spatialid.voxelset_ops import boxes

        return boxes(self)

    def bounds(self) -> tuple[float, float, float, float, float, float]:
        """``(west, south, bottom, east, north, top)`` in degrees and metres.

        >>> VoxelSet.from_runs(1, 0, 0, 0, 1).bounds()
        (-180.0, 0.0, 0.0, 0.0, 85.0511287798066, 16777216.0)
        """
        from spatialid.voxelset_ops import bounds

        return bounds(self)

    def to_geojson(self) -> dict[str, Any]:
        """A GeoJSON FeatureCollection, one Feature per merged box (see ``boxes()``).

        >>> fc = VoxelSet.from_runs(20, 0, 5, 0, 2).to_geojson()
        >>> len(fc["features"]), fc["features"][0]["properties"]["altitude_upper"]
        (1, 32.0)
        """
        from spatialid.voxelset_ops import to_geojson

        return to_geojson(self)

    def __repr__(self) -> str:
        return f"VoxelSet(z={self._z}, voxels={len(self)}, runs={self._key.size})"

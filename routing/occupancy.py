"""What is blocked where and when: the ``Occupancy`` protocol and ``MemoryOccupancy``.

Times are float **unix seconds (UTC)** everywhere in :mod:`routing`. A busy interval
``(t0, t1)`` is half-open ``[t0, t1)``. Static blocks (obstacles, permanent restrictions)
are a :class:`~spatialid.VoxelSet` per zoom; time-bounded blocks (reservations, temporary
restrictions) are rows ``(f, x, y, t0, t1)``. Whatever zoom a block was stored at, it is
answered at the asked zoom conservatively: a coarse voxel is blocked/busy when any part of
it is, a fine voxel when its ancestor is.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from typing import NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from spatialid import Voxel, VoxelSet

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class TileBox(NamedTuple):
    """Half-open tile range ``[x0, x1) x [y0, y1)`` at some zoom (all f)."""

    x0: int
    y0: int
    x1: int
    y1: int


class BusyArrays(NamedTuple):
    """Busy rows at one zoom: voxel indices and half-open intervals ``[start, end)``."""

    f: IntArray
    x: IntArray
    y: IntArray
    start: FloatArray
    end: FloatArray


class Occupancy(Protocol):
    """A read-only view of what blocks vehicles, the planners' only input about the world."""

    def static_version(self) -> Hashable:
        """A token that changes whenever the static blocks change (for caches)."""
        ...

    def blocked_static(self, z: int, box: TileBox | None = None) -> VoxelSet:
        """Voxels at zoom ``z`` blocked at all times (optionally only those in ``box``)."""
        ...

    def restricted_static(self, z: int, box: TileBox | None = None) -> VoxelSet:
        """The part of :meth:`blocked_static` blocked by restrictions, not by obstacles: what
        ground vehicles avoid too (their roads may share voxels with the buildings beside)."""
        ...

    def busy_in(self, z: int, box: TileBox | None, t0: float, t1: float) -> BusyArrays:
        """Busy rows at zoom ``z`` in ``box`` whose interval overlaps ``[t0, t1)`` (bulk)."""
        ...

    def busy_intervals(self, voxel: Voxel) -> list[tuple[float, float]]:
        """Sorted, merged busy intervals of one voxel (any zoom)."""
        ...


def concat_busy(parts: list[BusyArrays]) -> BusyArrays:
    """Concatenate busy rows."""
    if not parts:
        return _empty_busy()
    return BusyArrays(
        np.concatenate([p.f for p in parts]),
        np.concatenate([p.x for p in parts]),
        np.concatenate([p.y for p in parts]),
        np.concatenate([p.start for p in parts]),
        np.concatenate([p.end for p in parts]),
    )


def select_busy(rows: BusyArrays, keep: npt.NDArray[np.bool_] | IntArray) -> BusyArrays:
    """The rows where ``keep`` (a mask) or at ``keep`` (indices)."""
    return BusyArrays(rows.f[keep], rows.x[keep], rows.y[keep], rows.start[keep], rows.end[keep])


def _empty_busy() -> BusyArrays:
    e = np.empty(0, np.int64)
    return BusyArrays(e, e.copy(), e.copy(), np.empty(0), np.empty(0))


def clip_to_box(vs: VoxelSet, box: TileBox | None) -> VoxelSet:
    """The members of ``vs`` inside the tile box (vectorised over runs)."""
    if box is None or not vs:
        return vs
    f, y, x0, x1 = vs.runs()
    a, b = np.maximum(x0, box.x0), np.minimum(x1, box.x1)
    keep = (y >= box.y0) & (y < box.y1) & (b > a)
    return VoxelSet.from_runs(vs.zoom, f[keep], y[keep], a[keep], b[keep])


def busy_to_zoom(rows: BusyArrays, zs: int, z: int, box: TileBox | None) -> BusyArrays:
    """Rows stored at zoom ``zs`` answered at zoom ``z`` (parents, or all children)."""
    f, x, y, s, e = rows
    if zs >= z:
        k = zs - z
        f, x, y = f >> k, x >> k, y >> k
    else:
        k = z - zs
        side = 1 << k
        if box is not None:  # drop coarse rows entirely outside the box before expanding
            keep = ((x + 1) << k > box.x0) & (x << k < box.x1)
            keep &= ((y + 1) << k > box.y0) & (y << k < box.y1)
            f, x, y, s, e = f[keep], x[keep], y[keep], s[keep], e[keep]
        off = np.arange(side, dtype=np.int64)
        n = f.size
        cf = (f << k)[:, None, None, None] + off[None, :, None, None]
        cx = (x << k)[:, None, None, None] + off[None, None, :, None]
        cy = (y << k)[:, None, None, None] + off[None, None, None, :]
        shape = (n, side, side, side)
        f = np.broadcast_to(cf, shape).ravel()
        x = np.broadcast_to(cx, shape).ravel()
        y = np.broadcast_to(cy, shape).ravel()
        s, e = np.repeat(s, side**3), np.repeat(e, side**3)
    if box is not None:
        keep = (x >= box.x0) & (x < box.x1) & (y >= box.y0) & (y < box.y1)
        f, x, y, s, e = f[keep], x[keep], y[keep], s[keep], e[keep]
    return BusyArrays(f, x, y, s, e)


def merge_intervals(pairs: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sort and merge overlapping or touching half-open intervals."""
    out: list[tuple[float, float]] = []
    for s, e in sorted(pairs):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


class MemoryOccupancy:
    """An in-memory :class:`Occupancy` (numpy rows per zoom) for tests, benchmarks, fleets."""

    def __init__(self) -> None:
        self._static: list[VoxelSet] = []
        self._static_cache: dict[int, VoxelSet] = {}
        self._restricted: list[VoxelSet] = []
        self._restricted_cache: dict[int, VoxelSet] = {}
        self._version = 0
        self._busy: dict[int, list[BusyArrays]] = {}
        self._busy_cache: dict[int, BusyArrays] = {}

    def static_version(self) -> Hashable:
        """Bumped by every :meth:`add_static`."""
        return (id(self), self._version)

    def add_static(self, voxels: VoxelSet, *, restriction: bool = False) -> None:
        """Block ``voxels`` (any zoom) at all times: an obstacle, or with ``restriction`` a
        permanent restriction (which ground vehicles avoid too)."""
        self._static.append(voxels)
        self._static_cache.clear()
        if restriction:
            self._restricted.append(voxels)
            self._restricted_cache.clear()
        self._version += 1

    def add_reservation(self, rows: Iterable[tuple[Voxel, float, float]]) -> None:
        """Mark each ``(voxel, t0, t1)`` busy in ``[t0, t1)`` (voxels of any zoom)."""
        by_zoom: dict[int, list[tuple[int, int, int, float, float]]] = {}
        for v, t0, t1 in rows:
            by_zoom.setdefault(v.z, []).append((v.f, v.x, v.y, float(t0), float(t1)))
        for z, items in by_zoom.items():
            a = np.array([r[:3] for r in items], np.int64).reshape(-1, 3)
            t = np.array([r[3:] for r in items], np.float64).reshape(-1, 2)
            self.add_busy_arrays(z, BusyArrays(a[:, 0], a[:, 1], a[:, 2], t[:, 0], t[:, 1]))

    def add_volume(self, voxels: VoxelSet, t0: float, t1: float) -> None:
        """Mark a whole voxel set busy in ``[t0, t1)`` (a reservation or temporary restriction)."""
        f, x, y = voxels.to_arrays()
        n = f.size
        self.add_busy_arrays(
            voxels.zoom, BusyArrays(f, x, y, np.full(n, float(t0)), np.full(n, float(t1)))
        )

    def add_busy_arrays(self, z: int, rows: BusyArrays) -> None:
        """Append busy rows stored at zoom ``z`` (the bulk form of :meth:`add_reservation`)."""
        self._busy.setdefault(z, []).append(rows)
        self._busy_cache.pop(z, None)

    def _rows(self, zs: int) -> BusyArrays:
        rows = self._busy_cache.get(zs)
        if rows is None:
            rows = concat_busy(self._busy[zs])
            self._busy_cache[zs] = rows
        return rows

    def blocked_static(self, z: int, box: TileBox | None = None) -> VoxelSet:
        """The union of all static sets at zoom ``z`` (coarser: covering parents)."""
        return clip_to_box(_union_at(self._static, self._static_cache, z), box)

    def restricted_static(self, z: int, box: TileBox | None = None) -> VoxelSet:
        """The union of the static sets added with ``restriction=True``, at zoom ``z``."""
        return clip_to_box(_union_at(self._restricted, self._restricted_cache, z), box)

    def busy_in(self, z: int, box: TileBox | None, t0: float, t1: float) -> BusyArrays:
        """Busy rows at zoom ``z`` overlapping ``[t0, t1)`` (vectorised; unmerged)."""
        out = []
        for zs in self._busy:
            rows = self._rows(zs)
            live = (rows.start < t1) & (rows.end > t0) & (rows.end > rows.start)
            rows = select_busy(rows, live)
            out.append(busy_to_zoom(rows, zs, z, box))
        return concat_busy(out)

    def busy_intervals(self, voxel: Voxel) -> list[tuple[float, float]]:
        """Merged busy intervals of ``voxel`` (a coarse voxel: union over its volume)."""
        z, f, x, y = voxel
        rows = self.busy_in(z, TileBox(x, y, x + 1, y + 1), -math.inf, math.inf)
        sel = rows.f == f
        return merge_intervals(zip(rows.start[sel].tolist(), rows.end[sel].tolist(), strict=True))


def _union_at(sets: list[VoxelSet], cache: dict[int, VoxelSet], z: int) -> VoxelSet:
    vs = cache.get(z)
    if vs is None:
        vs = VoxelSet.empty(z)
        for s in sets:
            vs = vs | s.to_zoom(z)
        cache[z] = vs
    return vs

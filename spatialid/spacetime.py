"""``VoxelSet4D``: voxel sets per time interval (spatio-temporal ``z/f/x/y_i/t`` IDs).

Time index ``t`` with interval ``i`` seconds covers ``[t*i, (t+1)*i)`` in unix time. A
4D set maps each ``t`` to a non-empty :class:`VoxelSet` at one zoom.

Examples
--------
>>> from datetime import datetime, timezone
>>> from spatialid.voxelset import VoxelSet
>>> vs = VoxelSet.from_runs(12, 0, 1614, 3638, 3639)
>>> start = datetime.fromtimestamp(1457482000, timezone.utc)
>>> st = VoxelSet4D.from_window(vs, start, start.replace(minute=59), 1800)
>>> list(st)
['12/0/3638/1614_1800/809712', '12/0/3638/1614_1800/809713']
>>> len(st), len(st & VoxelSet4D(12, 1800, {809713: vs}))
(2, 1)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime

from spatialid.errors import SpatialIdError
from spatialid.temporal import window_to_indices
from spatialid.voxel import Voxel, check_zoom
from spatialid.voxelset import VoxelSet


def window_to_t(start: datetime, end: datetime, i: int) -> range:
    """Time indices covering the half-open window ``[start, end)`` (aware datetimes).

    >>> from datetime import UTC, timedelta
    >>> s = datetime(2024, 1, 1, tzinfo=UTC)
    >>> window_to_t(s, s + timedelta(seconds=61), 60)
    range(28401120, 28401122)
    """
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise SpatialIdError(f"{name}={value!r} must be a timezone-aware datetime")
    if end <= start:
        raise SpatialIdError(f"end={end.isoformat()} must be after start={start.isoformat()}")
    return window_to_indices(start, end, i)


class VoxelSet4D:
    """An immutable mapping ``t -> VoxelSet`` at one zoom ``z`` and interval ``i``."""

    __slots__ = ("_sets", "i", "z")

    def __init__(self, z: int, i: int, sets: Mapping[int, VoxelSet] | None = None) -> None:
        """Build from a mapping of time index to voxel set (empty sets are dropped)."""
        self.z = check_zoom(z)
        if isinstance(i, bool) or not isinstance(i, int) or i <= 0:
            raise SpatialIdError(f"interval i={i!r} must be a positive integer (seconds)")
        self.i = i
        self._sets: dict[int, VoxelSet] = {}
        for t, vs in sorted((sets or {}).items()):
            if vs.zoom != z:
                raise SpatialIdError(f"set at t={t} has zoom {vs.zoom}, expected {z}")
            if vs:
                self._sets[int(t)] = vs

    @classmethod
    def from_window(cls, vs: VoxelSet, start: datetime, end: datetime, i: int) -> VoxelSet4D:
        """``vs`` during every interval meeting ``[start, end)``."""
        return cls(vs.zoom, i, dict.fromkeys(window_to_t(start, end, i), vs))

    def items(self) -> Iterator[tuple[int, VoxelSet]]:
        """``(t, VoxelSet)`` pairs in increasing ``t``."""
        return iter(self._sets.items())

    def __getitem__(self, t: int) -> VoxelSet:
        return self._sets.get(t) or VoxelSet.empty(self.z)

    def times(self) -> list[int]:
        """The time indices with a non-empty set, ascending."""
        return list(self._sets)

    def __len__(self) -> int:
        """Number of voxel-intervals."""
        return sum(len(vs) for vs in self._sets.values())

    def __bool__(self) -> bool:
        return bool(self._sets)

    def __iter__(self) -> Iterator[str]:
        """Spatio-temporal ID strings ``z/f/x/y_i/t``, by ``t`` then voxel."""
        for t, vs in self._sets.items():
            suffix = f"_{self.i}/{t}"
            for v in vs:
                yield f"{v}{suffix}"

    def __contains__(self, item: object) -> bool:
        """Membership of a pair ``(Voxel, t)``."""
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], Voxel)):
            return False
        v, t = item
        return t in self._sets and v in self._sets[t]

    def _combine(
        self, other: VoxelSet4D, op: Callable[[VoxelSet, VoxelSet], VoxelSet], keys: set[int]
    ) -> VoxelSet4D:
        if (self.z, self.i) != (other.z, other.i):
            raise SpatialIdError(f"mismatch: z={self.z}, i={self.i} vs z={other.z}, i={other.i}")
        return VoxelSet4D(self.z, self.i, {t: op(self[t], other[t]) for t in keys})

    def __or__(self, other: VoxelSet4D) -> VoxelSet4D:
        return self._combine(other, VoxelSet.__or__, set(self._sets) | set(other._sets))

    def __and__(self, other: VoxelSet4D) -> VoxelSet4D:
        return self._combine(other, VoxelSet.__and__, set(self._sets) & set(other._sets))

    def __sub__(self, other: VoxelSet4D) -> VoxelSet4D:
        return self._combine(other, VoxelSet.__sub__, set(self._sets))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VoxelSet4D):
            return NotImplemented
        return (self.z, self.i, self._sets) == (other.z, other.i, other._sets)

    __hash__ = None  # type: ignore[assignment]

    def isdisjoint(self, other: VoxelSet4D) -> bool:
        """True iff no voxel-interval is shared."""
        return not (self & other)

    def __repr__(self) -> str:
        return (
            f"VoxelSet4D(z={self.z}, i={self.i}, intervals={len(self._sets)}, "
            f"voxel_intervals={len(self)})"
        )

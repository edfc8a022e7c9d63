"""The cache of static planning grids: a small thread-safe LRU bounded in bytes.

Building the static grid of a drone route (a padded box of voxels, 1 byte per voxel,
obstacles and permanent restrictions dilated by the clearance) takes most of the planning
time of a route (bench/RESULTS.md has the figures), and the grid only changes when the static
blocks do. :class:`GridCache` keeps built grids keyed by ``(static_version, zoom, f_lo,
f_hi, clearance)`` and their tile box; a request reuses any grid of its key whose box
contains its own (:class:`routing.DronePlanner` snaps boxes outward to powers of two, so
requests in the same area ask for the same box). ``static_version`` is
:meth:`planning.postgis_occupancy.PostgisOccupancy.static_version`, a fingerprint of the
active permanent blocker boxes: a new, removed, deactivated or reactivated obstacle or
restriction changes it, and the next request builds a fresh grid (stale entries are no
longer asked for and age out of the LRU).

Memory bound: the sum of ``len(grid.blocked)`` over the entries (the grids' large part;
the multi-resolution planner's open-block flags cached on a grid add 1/16 of it) is at
most ``max_bytes`` (the app sets it from ``Settings.route_grid_cache_mb``; 0 disables the
cache), least recently used first out; a grid larger than the bound is not kept (a grid's size
grows with the area of its box times its height in voxels). The
app owns one cache (:class:`planning.caches.PlanningCaches`); each worker process has its
own app, so its own cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from routing.grid import VoxelGrid
from routing.occupancy import TileBox


def _contains(outer: TileBox, inner: TileBox) -> bool:
    return (
        outer.x0 <= inner.x0
        and outer.y0 <= inner.y0
        and inner.x1 <= outer.x1
        and inner.y1 <= outer.y1
    )


class GridCache:
    """A thread-safe LRU of static grids (a :class:`routing.drone.GridStore`)."""

    @classmethod
    def of_mb(cls, mb: float) -> GridCache:
        """A cache of at most ``mb`` MiB of grid bytes (0: keep nothing)."""
        return cls(int(mb * 1024 * 1024))

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[Hashable, TileBox], VoxelGrid] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def find(self, token: Hashable, box: TileBox) -> VoxelGrid | None:
        """The most recently used grid of ``token`` whose box contains ``box``."""
        with self._lock:
            for key in reversed(self._items):
                if key[0] == token and _contains(key[1], box):
                    self._items.move_to_end(key)
                    self.hits += 1
                    return self._items[key]
            self.misses += 1
            return None

    def put(self, token: Hashable, box: TileBox, grid: VoxelGrid) -> None:
        """Keep ``grid`` (evicting the least recently used entries over the bound)."""
        size = len(grid.blocked)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop((token, box), None)
            if old is not None:
                self.bytes -= len(old.blocked)
            self._items[(token, box)] = grid
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, gone = self._items.popitem(last=False)
                self.bytes -= len(gone.blocked)

    def clear(self) -> None:
        """Forget every grid."""
        with self._lock:
            self._items.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)

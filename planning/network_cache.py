"""The cache of ground networks: built from a source's stored roads, reused while unchanged.

Loading a source's road graph and building its :class:`routing.GroundNetwork` costs far
more than a ground search, so networks are kept per ``(source, mode, kind, max speed)``
with the version of the source's road data they were built from (the edge count and the
largest edge id): a re-import changes the version and the next request builds afresh.
At most ``max_entries`` networks are kept, the oldest first out. Safe across threads: the
entries are read and replaced under a lock; a network is built outside it, so two
requests that miss at once may both build (the last one stays). Each network keeps its
:class:`routing.HeuristicTables` beside it (lock-protected), so plans to the same goal
share free-flow tables across requests, as they did when the network held them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from routing import GroundNetwork, HeuristicTables

MAX_ENTRIES = 8


class NetworkCache:
    """A thread-safe map from a network key to the network built for one data version."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._items: dict[Hashable, tuple[Hashable, GroundNetwork, HeuristicTables]] = {}
        self._lock = threading.Lock()

    def get(
        self, key: Hashable, version: Hashable, build: Callable[[], GroundNetwork]
    ) -> GroundNetwork:
        """The network of ``key`` built for ``version``; ``build`` makes it on a miss."""
        with self._lock:
            hit = self._items.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        net = build()
        with self._lock:
            if key not in self._items and len(self._items) >= self.max_entries:
                self._items.pop(next(iter(self._items)))
            self._items[key] = (version, net, HeuristicTables(net))
        return net

    def heuristics(self, net: GroundNetwork) -> HeuristicTables:
        """The heuristic tables kept with ``net`` (fresh ones if it is not cached)."""
        with self._lock:
            for _, cached, tables in self._items.values():
                if cached is net:
                    return tables
        return HeuristicTables(net)

    def clear(self) -> None:
        """Forget every network."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

"""The planning caches one app owns: static drone grids and ground networks.

The app builds one :class:`PlanningCaches` from its settings (``api.app.create_app``) and
passes it to every plan; a CLI command or a benchmark makes its own. Nothing here is a
module global, and both caches are safe to share between request threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planning.grid_cache import GridCache
from planning.network_cache import NetworkCache


@dataclass(frozen=True)
class PlanningCaches:
    """The grid cache (bounded in bytes) and the network cache of one app."""

    grids: GridCache
    networks: NetworkCache = field(default_factory=NetworkCache)

    @classmethod
    def create(cls, *, grid_cache_mb: float) -> PlanningCaches:
        """Caches with a grid cache of at most ``grid_cache_mb`` MiB (0 disables it)."""
        return cls(grids=GridCache.of_mb(grid_cache_mb))

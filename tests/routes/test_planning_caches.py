"""The planning caches the app owns: sized by Settings, shared safely between threads."""

from __future__ import annotations

import sys
import threading
from typing import Any

import pytest

from api.app import create_app
from api.settings import Settings
from planning.network_cache import NetworkCache


def test_the_app_owns_caches_sized_by_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUKAN_ROUTE_GRID_CACHE_MB", "3")
    app = create_app(Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"))
    assert app.state.planning_caches.grids.max_bytes == 3 * 1024 * 1024
    other = create_app(Settings(route_grid_cache_mb=0))
    assert other.state.planning_caches.grids.max_bytes == 0  # 0 disables the grid cache
    assert other.state.planning_caches is not app.state.planning_caches  # one per app


def test_a_network_is_reused_until_its_road_data_changes() -> None:
    cache = NetworkCache(max_entries=2)
    built: list[str] = []

    def build(name: str) -> Any:
        built.append(name)
        return object()

    first = cache.get("a", 1, lambda: build("a1"))
    assert cache.get("a", 1, lambda: build("again")) is first
    second = cache.get("a", 2, lambda: build("a2"))  # the source was re-imported
    assert second is not first and built == ["a1", "a2"] and len(cache) == 1
    cache.get("b", 1, lambda: build("b1"))
    cache.get("c", 1, lambda: build("c1"))  # over the bound: the oldest ("a") goes
    assert len(cache) == 2
    cache.get("a", 2, lambda: build("a2 again"))
    assert built[-1] == "a2 again"


def test_the_network_cache_stays_bounded_under_concurrent_misses() -> None:
    cache = NetworkCache(max_entries=4)
    start = threading.Barrier(8)
    seen: list[Any] = []
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            start.wait(timeout=30)
            for i in range(300):
                key = (k + i) % 16
                net = cache.get(key, 0, lambda key=key: ("net", key))
                assert net == ("net", key)
            seen.append(k)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so unguarded updates would collide
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert sorted(seen) == list(range(8))
    assert len(cache) <= 4


def test_a_cached_network_keeps_its_heuristic_tables_beside_it() -> None:
    from routing import GroundNetwork
    from routing.synthetic import grid_network

    cache = NetworkCache(max_entries=2)
    net = cache.get("a", 1, lambda: GroundNetwork(grid_network(139.76, 35.68, 3, 40.0)))
    tables = cache.heuristics(net)
    assert cache.heuristics(net) is tables and tables.net is net  # shared by requests
    other = GroundNetwork(grid_network(139.76, 35.68, 3, 40.0))
    assert cache.heuristics(other) is not tables  # not cached: its own, not kept
    cache.get("a", 2, lambda: other)  # re-imported: the old tables go with the old net
    assert cache.heuristics(other) is cache.heuristics(other) is not tables

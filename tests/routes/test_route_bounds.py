"""Hard bounds on route requests over real HTTP and PostGIS: ``too_far`` before any work,
the planning budget kept, ``/health`` answering while a long route plans in a worker, and
a worker killed mid-plan (503, then the next request is served)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.planning_pool import PlanningPool
from api.settings import Settings
from tests.conftest import Key
from tests.pgtools import serve
from tests.routes.conftest import Roads
from tests.routes.helpers import offset, place, vehicle
from tests.routes.test_drone_routes import body, square

BUDGET_S = 2.0
LONG_M = 40_000.0
"""A long drone route: its padded box is hundreds of MiB of grid at zoom 23."""
NARROW = {"altitude_lower_m": 50.0, "altitude_upper_m": 70.0}
"""A narrow altitude band: a few layers, so the long route's grid stays near 0.6 GiB."""


@pytest.fixture(scope="module")
def bounded(settings: Settings) -> Iterator[tuple[FastAPI, str]]:
    """A server with a 2 s planning budget (many expansions: time is the bound), robot
    routes of at most 150 m, and every drone route on one dense grid (the planner that
    takes long on a long route); the app and its base URL."""
    app = create_app(
        settings.model_copy(
            update={
                "route_budget_s": BUDGET_S,
                "route_max_expansions": 50_000_000,
                "route_max_distance_robot_m": 150.0,
                "planning_workers": 2,
                "route_dense_max_span_m": 1e9,  # long routes on the dense grid: slow
            }
        )
    )
    with serve(app) as base:
        yield app, base


@pytest.fixture()
def bclient(bounded: tuple[FastAPI, str]) -> Iterator[httpx.Client]:
    """An HTTP client for the bounded server."""
    with httpx.Client(base_url=bounded[1], timeout=60) as c:
        yield c


def pool_of(app: FastAPI) -> PlanningPool:
    """The app's planning pool (the server runs in this process)."""
    pool = app.state.planning_pool
    assert isinstance(pool, PlanningPool)
    return pool


def too_far(r: httpx.Response, limit_m: float) -> dict[str, Any]:
    """The body of a 422 ``too_far`` problem with ``limit_m``."""
    assert r.status_code == 422, r.text[:300]
    assert r.headers["content-type"].startswith("application/problem+json")
    p: dict[str, Any] = r.json()
    assert p["reason"] == "too_far", p
    assert p["field"] == "destination" and p["max_distance_m"] == limit_m, p
    assert p["errors"][0]["field"] == "destination", p
    return p


def test_a_drone_route_longer_than_the_limit_is_too_far(
    bclient: httpx.Client, operator_key: Key
) -> None:
    vid = vehicle(bclient, operator_key.headers)
    a = place()
    r = bclient.post(
        "/v1/routes", headers=operator_key.headers, json=body(vid, a, offset(*a, 150_000, 0))
    )
    p = too_far(r, 100_000.0)
    assert 148_000 < p["distance_m"] < 152_000, p
    assert f"{p['distance_m'] / 1000:.1f} km" in p["detail"], p
    assert "at most 100 km" in p["detail"], p


def test_a_5000_km_route_is_refused_before_any_grid_is_built(
    inproc_client: httpx.Client, inproc_app: FastAPI, bclient: httpx.Client, operator_key: Key
) -> None:
    grids = inproc_app.state.planning_caches.grids
    vid = vehicle(inproc_client, operator_key.headers)
    a = (140.0, 35.0)
    b = (179.0, 0.0)  # about 5,000 km away
    misses, hits = grids.misses, grids.hits
    for client in (inproc_client, bclient):  # in this process, and in a worker
        started = time.monotonic()
        r = client.post("/v1/routes", headers=operator_key.headers, json=body(vid, a, b))
        assert time.monotonic() - started < 3.0  # generous: no planning work at all
        assert too_far(r, 100_000.0)["distance_m"] > 4_500_000
    assert (grids.misses, grids.hits) == (misses, hits)  # no grid asked for, none built


def test_robot_routes_have_their_own_limit_and_a_fleet_item_is_too_far(
    bclient: httpx.Client, make_key: Callable[..., Key], footways: Roads
) -> None:
    key = make_key("fleet")
    robots = [vehicle(bclient, key.headers, kind="robot") for _ in range(2)]
    drone = vehicle(bclient, key.headers)
    src, t = footways.source, body(drone, (0, 0), (0, 0))["departure_time"]
    far = footways.at(195, 0)  # 190 m along the west footway
    one = {"vehicle_id": robots[0], "origin": footways.at(5, 0), "destination": far}
    r = bclient.post("/v1/routes", headers=key.headers, json={**one, "departure_time": t})
    assert 185 < too_far(r, 150.0)["distance_m"] < 195
    fly = {**one, "vehicle_id": drone, "departure_time": t}
    fly["origin"], fly["destination"] = footways.at(5, 0, 60.0), footways.at(195, 0, 60.0)
    assert bclient.post("/v1/routes", headers=key.headers, json=fly).status_code == 200
    items = [
        {"vehicle_id": robots[0], "origin": footways.at(5, 0), "destination": footways.at(100, 0)},
        {"vehicle_id": robots[1], "origin": footways.at(5, 0), "destination": far},
    ]
    for it in items:
        it.update(departure_time=t, source=src, reserve=True)
    r = bclient.post("/v1/fleets/routes", headers=key.headers, json={"requests": items})
    assert r.status_code == 200, r.text[:300]
    res = r.json()["results"]
    assert [x["reason"] for x in res] == [None, "too_far"], res
    assert res[1]["reservation"] is None and "at most 0.15 km" in res[1]["detail"], res[1]
    assert res[0]["reservation"] is not None


def test_a_long_route_answers_budget_exceeded_within_the_budget(
    bclient: httpx.Client, operator_key: Key
) -> None:
    vid = vehicle(bclient, operator_key.headers, **NARROW)
    a = place()
    started = time.monotonic()
    r = bclient.post(
        "/v1/routes", headers=operator_key.headers, json=body(vid, a, offset(*a, LONG_M, 0))
    )
    elapsed = time.monotonic() - started
    assert r.status_code == 422 and r.json()["reason"] == "budget_exceeded", r.text[:300]
    assert elapsed < BUDGET_S * 1.1 + 1.0, elapsed


def test_a_search_around_a_no_fly_zone_keeps_the_budget_in_its_worker(
    bclient: httpx.Client,
    bounded: tuple[FastAPI, str],
    operator_key: Key,
    make_key: Callable[..., Key],
) -> None:
    """The search itself stops at the deadline: the answer comes in time and the worker
    that planned is alive (not killed for overrunning)."""
    pool = pool_of(bounded[0])
    city = make_key("municipality")
    vid = vehicle(bclient, operator_key.headers, **NARROW)
    a = place()
    b = offset(*a, 6_000, 0)
    zone = bclient.post(
        "/v1/restrictions",
        headers=city.headers,
        json={
            "geometry": square(*offset(*a, 3_000, 0), 1_000.0),
            "altitude_lower": 0,
            "altitude_upper": 400,
            "reason": "event",
        },
    )
    assert zone.status_code == 201, zone.text
    before = set(pool.worker_pids())
    started = time.monotonic()
    r = bclient.post("/v1/routes", headers=operator_key.headers, json=body(vid, a, b))
    elapsed = time.monotonic() - started
    assert elapsed < BUDGET_S * 1.1 + 1.0, elapsed
    assert r.status_code == 200 or r.json()["reason"] == "budget_exceeded", r.text[:300]
    assert set(pool.worker_pids()) == before  # nobody was killed


def _plan_in_thread(
    base: str, headers: dict[str, str], json: dict[str, object]
) -> tuple[threading.Thread, list[httpx.Response]]:
    out: list[httpx.Response] = []

    def run() -> None:
        with httpx.Client(base_url=base, timeout=120) as c:
            out.append(c.post("/v1/routes", headers=headers, json=json))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


@pytest.fixture(scope="module")
def slow_server(settings: Settings) -> Iterator[str]:
    """A server whose long drone routes plan for seconds in a worker (one dense grid, a
    20 s budget); its base URL."""
    update = {"route_budget_s": 20.0, "route_dense_max_span_m": 1e9, "planning_workers": 2}
    with serve(create_app(settings.model_copy(update=update))) as base:
        yield base


def test_health_answers_within_100_ms_while_a_long_route_plans(
    slow_server: str, operator_key: Key
) -> None:
    with httpx.Client(base_url=slow_server, timeout=60) as client:
        vid = vehicle(client, operator_key.headers, **NARROW)
        a = place()
        route = body(vid, a, offset(*a, LONG_M, 0))
        thread, out = _plan_in_thread(slow_server, operator_key.headers, route)
        time.sleep(0.3)  # the worker has the request
        took = []
        while thread.is_alive() and len(took) < 20:
            started = time.perf_counter()
            assert client.get("/health").status_code == 200
            took.append(time.perf_counter() - started)
            time.sleep(0.05)
    assert thread.is_alive(), f"the route ended after {len(took)} /health calls"
    assert len(took) == 20
    took.sort()
    assert took[int(0.95 * (len(took) - 1))] < 0.100, took
    thread.join(120)
    assert out, "no answer"
    assert out[0].status_code == 200 or out[0].json()["reason"] == "budget_exceeded", out[0].text


def test_a_worker_killed_mid_plan_is_503_and_the_next_request_is_served(
    bclient: httpx.Client, bounded: tuple[FastAPI, str], operator_key: Key
) -> None:
    # the bounded server plans long routes on the dense grid: seconds, so the kill lands
    # mid-plan (the hierarchical planner may finish a long route before it)
    app, base = bounded
    pool = pool_of(app)
    vid = vehicle(bclient, operator_key.headers, **NARROW)
    a = place()
    thread, out = _plan_in_thread(base, operator_key.headers, body(vid, a, offset(*a, LONG_M, 0)))
    until = time.monotonic() + 10
    while not pool.busy_pids() and time.monotonic() < until:
        time.sleep(0.02)
    (pid,) = pool.busy_pids()  # the route's worker: nothing else plans on this server now
    time.sleep(0.3)
    os.kill(pid, signal.SIGKILL)
    thread.join(30)
    assert out, "no answer"
    r = out[0]
    assert r.status_code == 503, r.text[:300]
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "Retry-After" in r.headers
    nxt = bclient.post(
        "/v1/routes", headers=operator_key.headers, json=body(vid, a, offset(*a, 300, 0))
    )
    assert nxt.status_code == 200, nxt.text[:300]
    until = time.monotonic() + 30
    while len(pool.worker_pids()) < pool.size and time.monotonic() < until:
        time.sleep(0.1)
    assert pid not in pool.worker_pids() and len(pool.worker_pids()) == pool.size


def test_a_worker_that_died_while_idle_is_passed_over_and_replaced(
    bclient: httpx.Client, bounded: tuple[FastAPI, str], operator_key: Key
) -> None:
    app, _ = bounded
    pool = pool_of(app)
    until = time.monotonic() + 30
    while len(pool.worker_pids()) < pool.size and time.monotonic() < until:
        time.sleep(0.1)
    vid = vehicle(bclient, operator_key.headers, **NARROW)
    a = place()
    dead = pool.worker_pids()
    for pid in dead:  # every idle worker dies (out of memory, killed by hand)
        os.kill(pid, signal.SIGKILL)
    for pid in dead:
        until = time.monotonic() + 5
        while Path(f"/proc/{pid}/stat").exists() and _state(pid) != "Z":
            assert time.monotonic() < until, f"worker {pid} did not die"
            time.sleep(0.02)
    r = bclient.post(
        "/v1/routes", headers=operator_key.headers, json=body(vid, a, offset(*a, 300, 0))
    )
    assert r.status_code == 200, r.text[:300]
    assert not set(dead) & set(pool.worker_pids())


def _state(pid: int) -> str:
    """The process state letter from /proc (``Z``: exited, not yet reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return "Z"


def test_the_app_starts_its_workers_and_stops_them_on_shutdown(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"planning_workers": 1}))
    with serve(app):
        pids = pool_of(app).worker_pids()
        assert len(pids) == 1
        os.kill(pids[0], 0)  # alive
    assert app.state.planning_pool is not None
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    none = create_app(settings.model_copy(update={"planning_workers": 0}))
    with serve(none):
        assert none.state.planning_pool is None  # plans in the request thread

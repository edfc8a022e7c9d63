"""POST /v1/routes answers 422 with a machine-readable ``reason`` when there is no route:
``no_path``, ``no_edge_nearby`` and ``outside_altitude_band`` for an empty band, over HTTP.

The ground cases use the ``footways`` source of ``tests/routes/conftest.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

import planning.routes
from api.app import create_app
from api.settings import Settings
from registry import migrate
from registry.db import make_engine, make_sessionmaker, session_scope
from registry.services import principals
from tests.conftest import Key
from tests.pgtools import drop_database, recreate_database, serve, with_database
from tests.routes.conftest import Roads
from tests.routes.helpers import at, offset, place, point, route_windows_overlap, vehicle


def _plan(
    client: httpx.Client,
    key: Key | dict[str, str],
    vid: str,
    o: dict[str, float],
    d: dict[str, float],
    **extra: Any,
) -> httpx.Response:
    headers = key.headers if isinstance(key, Key) else key
    return client.post(
        "/v1/routes",
        headers=headers,
        json={"vehicle_id": vid, "origin": o, "destination": d, "departure_time": at(30), **extra},
    )


def _reason(r: httpx.Response) -> str:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"]
    return str(r.json()["reason"])


def test_no_path_between_roads_that_do_not_meet(
    client: httpx.Client, make_key: Callable[..., Key], footways: Roads
) -> None:
    key = make_key("fleet")
    robot = vehicle(client, key.headers, kind="robot")
    src = footways.source
    along = _plan(client, key, robot, footways.at(5, 0), footways.at(195, 0), source=src)
    assert along.status_code == 200, along.text  # the west footway itself is walkable
    assert along.json()["route"]["source"] == footways.source
    across = _plan(client, key, robot, footways.at(5, 0), footways.at(290, 300), source=src)
    assert _reason(across) == "no_path"


def test_no_edge_nearby_when_the_source_has_no_road_for_the_vehicle(
    client: httpx.Client, make_key: Callable[..., Key], footways: Roads
) -> None:
    key = make_key("fleet")
    car = vehicle(client, key.headers, kind="car")  # footways only: nothing a car may use
    r = _plan(client, key, car, footways.at(5, 0), footways.at(195, 0), source=footways.source)
    assert _reason(r) == "no_edge_nearby"
    assert footways.source in r.json()["detail"]


@pytest.fixture(scope="module")
def roadless(base_database_url: str) -> Iterator[tuple[str, str]]:
    """A server on a fresh database with no road data at all: (base URL, fleet token)."""
    name = f"{make_url(base_database_url).database}_roadless_{uuid.uuid4().hex[:8]}"
    url = with_database(base_database_url, name)
    recreate_database(url)
    try:
        migrate.upgrade(url)
        engine = make_engine(url)
        factory: sessionmaker[Session] = make_sessionmaker(engine)
        with session_scope(factory) as s:
            from registry.services import operators

            op = operators.create_operator(session=s, actor=None, name="roadless")
            _, token = principals.create_principal(
                session=s, actor=None, name="roadless-fleet", role="fleet", operator_id=op.id
            )
        engine.dispose()
        with serve(create_app(Settings(database_url=url))) as base:
            yield base, token
    finally:
        drop_database(url)


def test_no_edge_nearby_when_no_road_data_was_imported(roadless: tuple[str, str]) -> None:
    base, token = roadless
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=60) as c:
        robot = vehicle(c, headers, kind="robot")
        a = place()
        r = _plan(c, headers, robot, point(*a, 0), point(*offset(*a, 100, 0), 0))
        assert _reason(r) == "no_edge_nearby"
        assert "no road data" in r.json()["detail"]


@pytest.mark.parametrize(
    ("band", "why"),
    [
        ({"altitude_lower_m": 200.0}, "the default upper bound (150 m) is below the lower"),
        ({"altitude_lower_m": -100.0, "altitude_upper_m": 0.0}, "an upper bound of 0 is kept"),
    ],
)
def test_a_drone_band_without_the_route_is_outside_altitude_band(
    client: httpx.Client, operator_key: Key, band: dict[str, float], why: str
) -> None:
    vid = vehicle(client, operator_key.headers, **band)
    a = place()
    r = _plan(client, operator_key, vid, point(*a, 60), point(*offset(*a, 100, 0), 60))
    assert _reason(r) == "outside_altitude_band", why


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="invalid_route is only reachable when the validator disagrees with the planner; "
    "a reservation committed between the planner's reads and the validator's (READ "
    "COMMITTED) does that, and the request answers 422 invalid_route instead of "
    "re-planning as it does for a race lost at the insert",
)
def test_a_reservation_committed_while_validating_is_a_lost_race(
    inproc_client: httpx.Client,
    live_server: str,
    make_key: Callable[..., Key],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The in-process server plans in this process: a hook around the validator makes
    another operator reserve a voxel of the route (over HTTP, committed) just before
    validation."""
    client = inproc_client
    me, other = make_key("operator"), make_key("operator")
    vid, theirs = vehicle(client, me.headers), vehicle(client, other.headers)
    real = planning.routes.validate_route
    taken: list[dict[str, Any]] = []

    def validate_after_a_rival(route: Any, occupancy: Any, limits: Any) -> list[str]:
        if not taken:
            sid = route.spatio_temporal_ids()[len(route.visits) // 2]
            with httpx.Client(base_url=live_server, timeout=60) as rival:
                r = rival.post(
                    "/v1/reservations",
                    headers=other.headers,
                    json={
                        "vehicle_id": theirs,
                        "volumes": [
                            {
                                "spatial_ids": [sid["id"]],
                                "time_start": sid["time_start"],
                                "time_end": sid["time_end"],
                            }
                        ],
                    },
                )
            assert r.status_code == 201, r.text
            taken.append(sid)
        return real(route, occupancy, limits)

    monkeypatch.setattr(planning.routes, "validate_route", validate_after_a_rival)
    a = place()
    r = _plan(client, me, vid, point(*a, 60), point(*offset(*a, 300, 0), 60), reserve=True)
    assert taken, "the hook did not run"
    assert r.status_code == 201, r.text  # today: 422 invalid_route
    assert r.json()["attempts"] == 2
    assert route_windows_overlap(taken, r.json()["route"]["spatial_ids"]) == 0

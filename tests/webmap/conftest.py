"""Fixtures of the web map test: a small Helsinki city, keys, a restriction and a reservation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from registry.importers.parsers.osm import read_osm
from registry.importers.store import write_buildings, write_roads
from registry.services import operators, principals
from tests.conftest import WORLD, add_authority, unique

CHROMIUM = Path("/usr/bin/chromium")
PBF = Path(__file__).resolve().parents[2] / "data" / "helsinki.osm.pbf"
SOURCE = "test:webmap-helsinki"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
    "--use-gl=swiftshader", "--enable-unsafe-swiftshader",
]  # fmt: skip
RESERVED = (24.9445, 60.1676, 24.9500, 60.1680)
"""Esplanadi park (bounds): reserved 80-120 m for the test."""
RESTRICTED = (24.9500, 60.1700, 24.9540, 60.1720)
"""Around the Senate Square (bounds): restricted 0-100 m for the test."""


@dataclass(frozen=True)
class City:
    """The test city: who may look at it and what is in it."""

    operator_token: str
    town_token: str
    vehicle_id: str
    restriction_id: str
    reservation_id: str


def polygon(bounds: tuple[float, float, float, float]) -> dict[str, Any]:
    """A GeoJSON polygon of bounds (west, south, east, north)."""
    w, s, e, n = bounds
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def _token(factory: sessionmaker[Session], role: str, with_operator: bool) -> str:
    with session_scope(factory) as session:
        op = None
        if with_operator:
            op = operators.create_operator(session=session, actor=None, name=unique("op")).id
        principal, token = principals.create_principal(
            session=session, actor=None, name=unique(role), role=role, operator_id=op
        )
        add_authority(session, principal, jurisdiction=WORLD, max_priority=0, may_preempt=False)
        return token


def _created(r: httpx.Response) -> str:
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.fixture(scope="package")
def city(live_server: str, db_sessions: sessionmaker[Session]) -> City:
    """Helsinki imported, an operator with a drone and a reservation, a restriction (once:
    a second reservation of the same volume would conflict with the first)."""
    data = read_osm(PBF)
    with session_scope(db_sessions) as session:
        out = write_buildings(session=session, source=SOURCE, buildings=data.buildings)
        write_roads(
            session=session, source=SOURCE, nodes=data.nodes, stretches=data.stretches, out=out
        )
    op = _token(db_sessions, "operator", True)
    town = _token(db_sessions, "municipality", False)
    now = datetime.now(UTC)
    with httpx.Client(base_url=live_server, timeout=30) as c:
        auth = {"Authorization": f"Bearer {op}"}
        vehicle = _created(
            c.post(
                "/v1/vehicles",
                headers=auth,
                json={"name": unique("quad"), "kind": "drone", "max_speed_mps": 15},
            )
        )
        restriction = _created(
            c.post(
                "/v1/restrictions",
                headers={"Authorization": f"Bearer {town}"},
                json={
                    "geometry": polygon(RESTRICTED),
                    "altitude_lower": 0,
                    "altitude_upper": 100,
                    "reason": "web map test",
                },
            )
        )
        volume = {
            "geometry": polygon(RESERVED),
            "altitude_lower": 80,
            "altitude_upper": 120,
            "zoom": 21,
            "time_start": (now - timedelta(minutes=1)).isoformat(),
            "time_end": (now + timedelta(hours=2)).isoformat(),
        }
        reservation = _created(
            c.post(
                "/v1/reservations",
                headers=auth,
                json={"vehicle_id": vehicle, "volumes": [volume]},
            )
        )
    return City(op, town, vehicle, restriction, reservation)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Any]:
    """One Playwright driver for the package (a second one in the same thread cannot start)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    b = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
    yield b
    b.close()

"""Helpers of the telemetry tests: a drone with a reservation around now, and fixes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

import spatialid
from tests.conftest import Key
from tests.reservations.helpers import created, ids, reserve, spot

Z = 20
F = 1
"""The reservations' floor: 32 m to 64 m above the ellipsoid at zoom 20."""


@dataclass(frozen=True)
class Flight:
    """A drone, its reservation (three z20 voxels eastwards, now - 1 min to now + 1 h)."""

    vehicle_id: str
    reservation: dict[str, Any]
    x: int
    y: int

    def point(self, k: int = 0) -> tuple[float, float, float]:
        """The centre of the ``k``-th voxel of the row (k outside 0..2: outside it)."""
        c = spatialid.voxel_center(spatialid.Voxel(Z, F, self.x + k, self.y))
        return c[0], c[1], c[2]

    def fix(self, at: datetime, k: int = 0, **extra: Any) -> dict[str, Any]:
        """A fix at the centre of voxel ``k`` at ``at``."""
        lng, lat, alt = self.point(k)
        return {
            "vehicle_id": self.vehicle_id,
            "time": at.isoformat(),
            "lng": lng,
            "lat": lat,
            "alt_m": alt,
            **extra,
        }


def vehicle(client: httpx.Client, key: Key, speed: float = 40.0) -> str:
    """A new drone of ``key``'s operator."""
    r = client.post(
        "/v1/vehicles",
        headers=key.headers,
        json={"name": "d", "kind": "drone", "max_speed_mps": speed},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def flight(client: httpx.Client, key: Key, *, minutes: float = 60) -> Flight:
    """A fast drone (100 m/s) with a live reservation from a minute ago for ``minutes``."""
    vid = vehicle(client, key, speed=100.0)
    x, y = spot()
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    t1 = t0 + timedelta(minutes=1 + minutes)
    body = {
        "spatial_ids": ids(x, y, 3, F, Z),
        "time_start": t0.isoformat(),
        "time_end": t1.isoformat(),
    }
    res = created(reserve(client, key, body, vehicle_id=vid))
    return Flight(vid, res, x, y)


def send(client: httpx.Client, key: Key, *fixes: dict[str, Any]) -> dict[str, Any]:
    """POST a batch and return its 200 body."""
    r = client.post("/v1/telemetry", headers=key.headers, json={"fixes": list(fixes)})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body

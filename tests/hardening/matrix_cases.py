"""Requests of the access-control matrix: one builder per endpoint, resources made per cell."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import Key

ROLES = ("none", "operator", "fleet", "municipality", "admin")


@dataclass
class World:
    """Principals: operator A (operator + fleet keys), operator B, two municipalities, admin."""

    client: httpx.Client
    keys: dict[str, Key]  # operator, fleet (both operator A), municipality, admin
    other_op: Key  # an operator key of operator B
    other_muni: Key

    def owner(self, role: str, own: bool) -> Key:
        """Whose resource the cell targets: the caller's side (own) or the other side."""
        if not own:
            return self.other_muni if role == "municipality" else self.other_op
        return (
            self.keys[role]
            if role in ("operator", "fleet", "municipality")
            else self.keys["operator"]
        )

    def make(self, key: Key, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create a resource as ``key`` (admin for keyless kinds); return its JSON."""
        r = self.client.post(path, headers=key.headers, json=body)
        assert r.status_code == 201, (path, r.text)
        data: dict[str, Any] = r.json()
        return data

    def vehicle(self, key: Key) -> str:
        """A fresh drone of ``key``'s operator, with one position report."""
        v = self.make(key, "/v1/vehicles", vehicle_body())
        self.make(key, f"/v1/vehicles/{v['id']}/positions", position_body())
        return str(v["id"])

    def reservation(self, key: Key) -> str:
        """A fresh reservation of ``key`` at a random spot."""
        return str(self.make(key, "/v1/reservations", reservation_body())["id"])

    def restriction(self, own: bool) -> str:
        """A fresh restriction of municipality 1 (own) or 2 (other)."""
        key = self.keys["municipality"] if own else self.other_muni
        return str(self.make(key, "/v1/restrictions", restriction_body())["id"])

    def obstacle(self) -> str:
        """A fresh obstacle (admin-made; obstacles belong to no operator)."""
        return str(self.make(self.keys["admin"], "/v1/obstacles", obstacle_body())["id"])


def window() -> tuple[str, str]:
    """A random half-hour window within the next days."""
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=random.randrange(60, 6000))
    return t0.isoformat(), (t0 + timedelta(minutes=30)).isoformat()


def vehicle_body(operator_id: uuid.UUID | None = None) -> dict[str, Any]:
    """A drone."""
    body: dict[str, Any] = {"name": f"m-{uuid.uuid4().hex[:8]}", "kind": "drone"}
    body["max_speed_mps"] = 10
    if operator_id:
        body["operator_id"] = str(operator_id)
    return body


def position_body() -> dict[str, Any]:
    """A position report."""
    return {"time": datetime.now(UTC).isoformat(), "lng": 139.76, "lat": 35.68, "alt_m": 40}


def reservation_body(vehicle_id: str | None = None) -> dict[str, Any]:
    """One z20 voxel at a random spot and window."""
    x, y = random.randrange(930_000, 935_000), random.randrange(400_000, 420_000)
    t0, t1 = window()
    body: dict[str, Any] = {
        "volumes": [{"spatial_ids": [f"20/2/{x}/{y}"], "time_start": t0, "time_end": t1}]
    }
    if vehicle_id:
        body["vehicle_id"] = vehicle_id
    return body


def square() -> dict[str, Any]:
    """A ~10 m square at a random place near Tokyo."""
    lng, lat, d = 139.7 + random.random() * 0.1, 35.6 + random.random() * 0.1, 0.0001
    ring = [[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def restriction_body() -> dict[str, Any]:
    """A small restriction in a random window (affects no test's reservation)."""
    t0, t1 = window()
    body = {"geometry": square(), "altitude_lower": 500, "altitude_upper": 520, "reason": "m"}
    return {**body, "time_start": t0, "time_end": t1}


def obstacle_body() -> dict[str, Any]:
    """A small building."""
    return {"geometry": square(), "height_m": 20, "source": "matrix"}


def route_body(vehicle_id: str) -> dict[str, Any]:
    """A short drone route."""
    return {
        "vehicle_id": vehicle_id,
        "origin": {"lng": 139.7601, "lat": 35.6801, "alt": 30},
        "destination": {"lng": 139.7611, "lat": 35.6806, "alt": 30},
        "departure_time": window()[0],
    }


Request = tuple[str, dict[str, Any]]  # (path, httpx keyword arguments)
Builder = Callable[[World, str, bool], Request]

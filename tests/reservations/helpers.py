"""Helpers for reservation tests: fresh airspace per test, request bodies, assertions."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import Key

Z = 20


def spot() -> tuple[int, int]:
    """A random z20 (x, y) in Japan no other test uses (with room around it)."""
    return random.randrange(930_000, 935_000) * 1, random.randrange(400_000, 420_000)


def window(start_h: float = 1, hours: float = 1) -> tuple[str, str]:
    """An RFC 3339 window starting ``start_h`` hours from now."""
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=start_h)
    return t0.isoformat(), (t0 + timedelta(hours=hours)).isoformat()


def ids(x: int, y: int, n: int = 3, f: int = 1, z: int = Z) -> list[str]:
    """``n`` IDs in a row eastwards from (x, y)."""
    return [f"{z}/{f}/{x + k}/{y}" for k in range(n)]


def volume(spatial_ids: list[str], w: tuple[str, str] | None = None) -> dict[str, Any]:
    """A spatial-ID volume in a window (default: in an hour, for an hour)."""
    t0, t1 = w or window()
    return {"spatial_ids": spatial_ids, "time_start": t0, "time_end": t1}


def reserve(
    client: httpx.Client, key: Key, *volumes: dict[str, Any], **body: Any
) -> httpx.Response:
    """POST a reservation."""
    return client.post(
        "/v1/reservations", headers=key.headers, json={"volumes": list(volumes), **body}
    )


def created(r: httpx.Response) -> dict[str, Any]:
    """The body of a 201."""
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def conflict(r: httpx.Response) -> dict[str, Any]:
    """The body of a 409 problem."""
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    data: dict[str, Any] = r.json()
    return data


def fields(r: httpx.Response) -> set[str]:
    """The fields named by a 422 problem."""
    assert r.status_code == 422, r.text
    return {e["field"] for e in r.json()["errors"]}


def square(lng: float, lat: float, d: float) -> dict[str, Any]:
    """A GeoJSON square polygon with corner (lng, lat) and side ``d`` degrees."""
    ring = [[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def tile_corner(x: int, y: int, z: int = Z) -> tuple[float, float]:
    """(lng, lat) of the north-west corner of tile (x, y)."""
    import math

    n = 2**z
    lng = x / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return lng, lat

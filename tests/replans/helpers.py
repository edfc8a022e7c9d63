"""Helpers of the re-plan tests: wait for a reservation's proposal, and a window's volume."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx

from tests.conftest import Key


def proposal_of(
    client: httpx.Client, key: Key, reservation_id: str, timeout_s: float = 30.0
) -> dict[str, Any]:
    """The reservation's newest proposal once the replanner has planned it (not requested)."""
    deadline = time.monotonic() + timeout_s
    while True:
        r = client.get(
            "/v1/replans", params={"reservation_id": reservation_id}, headers=key.headers
        )
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        if items and items[-1]["state"] != "requested":
            latest: dict[str, Any] = items[-1]
            return latest
        assert time.monotonic() < deadline, f"no proposal for {reservation_id}: {items}"
        time.sleep(0.2)


def one_volume(spatial_id: str, start: datetime, end: datetime) -> dict[str, Any]:
    """A volume of one spatial ID in ``[start, end)``."""
    return {
        "spatial_ids": [spatial_id],
        "time_start": start.isoformat(),
        "time_end": end.isoformat(),
    }


def tile_box(x: int, y: int) -> dict[str, Any]:
    """The footprint of z20 tile (x, y), a hair inside it, as a GeoJSON polygon."""
    from tests.reservations.helpers import tile_corner

    (w, n), (e, s) = tile_corner(x, y), tile_corner(x + 1, y + 1)
    w, n, e, s = w + 1e-7, n - 1e-7, e - 1e-7, s + 1e-7
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def pending_proposal(client: httpx.Client, owner: Key, declarer: Key) -> dict[str, Any]:
    """A pending proposal of ``owner``'s: a flight whose middle voxel ``declarer`` (an admin
    or a municipality governing it) closes with a restriction."""
    from tests.telemetry.helpers import flight

    fl = flight(client, owner)
    body = {
        "geometry": tile_box(fl.x + 1, fl.y),
        "altitude_lower": 0,
        "altitude_upper": 100,
        "reason": "closed",
    }
    r = client.post("/v1/restrictions", headers=declarer.headers, json=body)
    assert r.status_code == 201, r.text
    p = proposal_of(client, owner, fl.reservation["id"])
    assert p["state"] == "pending", p
    return p

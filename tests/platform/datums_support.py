"""Helpers of the altitude-datum tests: a small square, and a problem naming a field."""

from __future__ import annotations

from typing import Any

import httpx


def square(lng: float, lat: float, d: float = 0.002) -> dict[str, Any]:
    """A GeoJSON square of side ``d`` degrees with its south-west corner at (lng, lat)."""
    return {
        "type": "Polygon",
        "coordinates": [
            [[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]
        ],
    }


def problem(r: httpx.Response, status: int, field: str) -> dict[str, Any]:
    """The problem body of ``r``, which has ``status`` and names ``field``."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert field in str(body), body
    return body

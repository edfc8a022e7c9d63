"""Helpers for occupancy and tile tests: own airspace, bboxes of z20 tiles, queries."""

from __future__ import annotations

import random
from typing import Any

import httpx

from tests.conftest import Key
from tests.reservations.helpers import tile_corner

Z = 20


def spot() -> tuple[int, int]:
    """A random z20 (x, y) away from the reservation tests' area, with room around it."""
    return random.randrange(940_000, 946_000, 8), random.randrange(400_000, 420_000, 8)


def bbox(x: int, y: int, nx: int = 1, ny: int = 1, z: int = Z) -> str:
    """``w,s,e,n`` just inside the ``nx`` by ``ny`` tiles from (x, y) at zoom ``z``."""
    w, n = tile_corner(x, y, z)
    e, s = tile_corner(x + nx, y + ny, z)
    eps = 1e-7
    return f"{w + eps},{s + eps},{e - eps},{n - eps}"


def occupancy(client: httpx.Client, key: Key, **params: Any) -> httpx.Response:
    """GET /v1/occupancy."""
    return client.get("/v1/occupancy", headers=key.headers, params=params)


def ok(r: httpx.Response) -> dict[str, Any]:
    """The body of a 200."""
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def cells(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Cells of an occupancy answer by id."""
    return {c["id"]: c for c in body["cells"]}


def problem_fields(r: httpx.Response, status: int = 422) -> set[str]:
    """The fields a problem+json response names."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return {e["field"] for e in r.json().get("errors", [])}

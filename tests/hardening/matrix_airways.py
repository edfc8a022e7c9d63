"""Airway cells of the grant and jurisdiction matrix: who may declare and remove airways."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import Key
from tests.hardening.matrix_cases import ROLES, Authority, World


def line(lng: float, lat: float) -> dict[str, Any]:
    """A ~100 m airway centre line from (lng, lat) east, 20 m wide at 40-60 m."""
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[lng, lat], [lng + 0.001, lat]]},
        "properties": {"width_m": 20, "altitude_lower_m": 40, "altitude_upper_m": 60},
    }


def in_tokyo() -> dict[str, Any]:
    return line(139.7 + random.random() * 0.1, 35.6 + random.random() * 0.1)


def in_helsinki() -> dict[str, Any]:
    return line(24.94 + random.random() * 0.01, 60.17 + random.random() * 0.01)


def declare(a: Authority, key: Key, doc: dict[str, Any]) -> httpx.Response:
    """POST an airway as ``key``."""
    return a.post(key, "/v1/airways", doc)


def remove(a: Authority, key: Key, by: Key) -> httpx.Response:
    """DELETE, as ``by``, an airway ``key`` declared in Tokyo."""
    r = declare(a, key, in_tokyo())
    assert r.status_code == 201, r.text
    return a.client.delete(f"/v1/airways/{r.json()['items'][0]['id']}", headers=by.headers)


AIRWAYS: dict[str, tuple[Callable[[Authority], httpx.Response], int]] = {
    "tokyo declares an airway in Tokyo": (lambda a: declare(a, a.tokyo, in_tokyo()), 201),
    "tokyo declares an airway in Helsinki": (lambda a: declare(a, a.tokyo, in_helsinki()), 403),
    "a town without jurisdiction declares one": (
        lambda a: declare(a, a.nowhere, in_tokyo()),
        403,
    ),
    "operator declares an airway": (lambda a: declare(a, a.ordinary, in_tokyo()), 403),
    "admin declares an airway in Helsinki": (lambda a: declare(a, a.admin, in_helsinki()), 201),
    "tokyo removes its airway": (lambda a: remove(a, a.tokyo, a.tokyo), 200),
    "operator removes tokyo's airway": (lambda a: remove(a, a.tokyo, a.ordinary), 403),
    "admin removes tokyo's airway": (lambda a: remove(a, a.tokyo, a.admin), 200),
    "operator reads the airways": (
        lambda a: a.client.get("/v1/airways", headers=a.ordinary.headers),
        200,
    ),
}
"""Airways: admins anywhere, a municipality inside its jurisdiction; everyone reads."""


def airway(w: World, own: bool) -> str:
    """A fresh airway of municipality 1 (own) or 2 (other), both governing the world."""
    key = w.keys["municipality"] if own else w.other_muni
    return str(w.make(key, "/v1/airways", in_tokyo())["items"][0]["id"])


def _row(none: int, operator: Any, fleet: Any, muni: Any, admin: Any) -> dict[str, Any]:
    cells = [none, operator, fleet, muni, admin]
    return {r: c if isinstance(c, tuple) else (c, c) for r, c in zip(ROLES, cells, strict=True)}


BUILDERS: dict[tuple[str, str], Callable[[World, str, bool], tuple[str, dict[str, Any]]]] = {
    ("POST", "/v1/airways"): lambda w, r, o: ("/v1/airways", {"json": in_tokyo()}),
    ("GET", "/v1/airways"): lambda w, r, o: ("/v1/airways", {}),
    ("GET", "/v1/airways/{airway_id}"): lambda w, r, o: (f"/v1/airways/{airway(w, o)}", {}),
    ("DELETE", "/v1/airways/{airway_id}"): lambda w, r, o: (f"/v1/airways/{airway(w, o)}", {}),
}
"""Rows of the endpoint matrix for the airways endpoints (own: the caller's side)."""
EXPECTED: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/airways"): _row(401, 403, 403, 201, 201),
    ("GET", "/v1/airways"): _row(401, 200, 200, 200, 200),
    ("GET", "/v1/airways/{airway_id}"): _row(401, 200, 200, 200, 200),
    ("DELETE", "/v1/airways/{airway_id}"): _row(401, 403, 403, (200, 403), 200),
}

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

    def flight(self, key: Key) -> tuple[str, str]:
        """A fresh drone of ``key``'s operator with a registration mark and a booked voxel:
        (its mark, an instant inside its reservation)."""
        mark = identifier()
        v = self.make(key, "/v1/vehicles", {**vehicle_body(), "registration_mark": mark})
        body = reservation_body(str(v["id"]))
        self.make(key, "/v1/reservations", body)
        return mark, instant_in(body)

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


def identifier() -> str:
    """A fresh registration mark."""
    return "JU" + "".join(random.choices("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", k=10))


def instant_in(body: dict[str, Any]) -> str:
    """An instant one minute into the first volume of a reservation body."""
    t0 = datetime.fromisoformat(body["volumes"][0]["time_start"])
    return (t0 + timedelta(minutes=1)).isoformat()


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


# --- authority: priority grants and jurisdictions --------------------------------------

TOKYO = {
    "type": "Polygon",
    "coordinates": [[[138.9, 35.5], [139.9, 35.5], [139.9, 36.5], [138.9, 36.5], [138.9, 35.5]]],
}
"""Roughly the Tokyo metropolis; ``square()`` falls inside it."""


@dataclass
class Authority:
    """Principals with grants and jurisdictions, for the grant and jurisdiction cells."""

    client: httpx.Client
    ordinary: Key  # an operator with the default grant (0, no preemption)
    medic: Key  # an operator granted 50 without preemption
    rescue: Key  # an operator granted 100 with preemption
    rescue_fleet: Key  # a fleet key of the rescue operator
    tokyo: Key  # a municipality governing TOKYO
    nowhere: Key  # a municipality without a jurisdiction
    admin: Key

    def post(self, key: Key, path: str, body: dict[str, Any]) -> httpx.Response:
        """POST ``body`` as ``key``."""
        return self.client.post(path, headers=key.headers, json=body)

    def book(self, key: Key, priority: int, body: dict[str, Any] | None = None) -> httpx.Response:
        """A reservation at ``priority`` (of ``body``, else a fresh spot)."""
        return self.post(
            key, "/v1/reservations", {**(body or reservation_body()), "priority": priority}
        )

    def over(self, key: Key, priority: int, first: Key, first_priority: int = 0) -> httpx.Response:
        """A booking at ``priority`` of the volume ``first`` just booked at ``first_priority``."""
        body = reservation_body()
        assert self.book(first, first_priority, body).status_code == 201
        return self.book(key, priority, body)

    def vehicle(self, key: Key, kind: str = "drone") -> str:
        """A fresh vehicle of ``key``'s operator."""
        body = {**vehicle_body(), "kind": kind, "max_speed_mps": 10 if kind == "drone" else 1.5}
        r = self.post(key, "/v1/vehicles", body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def route(self, key: Key, priority: int, reserve: bool) -> httpx.Response:
        """A drone route at ``priority``."""
        body = {**route_body(self.vehicle(key)), "priority": priority, "reserve": reserve}
        return self.post(key, "/v1/routes", body)

    def fleet(self, key: Key, priority: int) -> httpx.Response:
        """A fleet of one robot, reserving at ``priority``."""
        one = {**route_body(self.vehicle(key, "robot")), "priority": priority, "reserve": True}
        return self.post(key, "/v1/fleets/routes", {"requests": [one]})

    def grant(self, key: Key, of: Key, body: dict[str, Any] | None = None) -> httpx.Response:
        """GET (no body) or PUT the grant of ``of``'s operator as ``key``."""
        path = f"/v1/operators/{of.operator_id}/grant"
        if body is None:
            return self.client.get(path, headers=key.headers)
        return self.client.put(path, headers=key.headers, json=body)

    def jurisdiction(self, key: Key, of: Key, body: dict[str, Any] | None = None) -> httpx.Response:
        """GET (no body) or PUT the jurisdiction of ``of`` as ``key``."""
        path = f"/v1/principals/{of.principal_id}/jurisdiction"
        if body is None:
            return self.client.get(path, headers=key.headers)
        return self.client.put(path, headers=key.headers, json=body)

    def restrict(self, key: Key, geometry: dict[str, Any] | None = None) -> httpx.Response:
        """A small windowed restriction (near Tokyo unless ``geometry``)."""
        body = restriction_body()
        return self.post(
            key, "/v1/restrictions", {**body, "geometry": geometry or body["geometry"]}
        )

    def identify(self, key: Key, where: str, by: str = "identifier") -> httpx.Response:
        """Identify, as ``key``, an ordinary operator's drone booked in ``where`` (tokyo or
        helsinki), by its registration mark or by its voxel, at an instant of its booking."""
        mark = identifier()
        r = self.post(self.ordinary, "/v1/vehicles", {**vehicle_body(), "registration_mark": mark})
        assert r.status_code == 201, r.text
        x0, y0 = PLACES[where]
        voxel = f"20/2/{x0 + random.randrange(150)}/{y0 + random.randrange(150)}"
        t0, t1 = window()
        volume = {"spatial_ids": [voxel], "time_start": t0, "time_end": t1}
        body = {"vehicle_id": r.json()["id"], "volumes": [volume]}
        assert self.post(self.ordinary, "/v1/reservations", body).status_code == 201
        query = {"identifier": mark} if by == "identifier" else {"spatial_id": voxel}
        params = {**query, "at": instant_in(body)}
        return self.client.get("/v1/identify", headers=key.headers, params=params)

    def lookups(self, key: Key) -> httpx.Response:
        """The recorded look-ups as ``key``."""
        return self.client.get("/v1/identify/lookups", headers=key.headers)

    def change(self, key: Key, method: str) -> httpx.Response:
        """PATCH or DELETE, as ``key``, a restriction ``key`` declared near Tokyo."""
        r = self.restrict(key)
        assert r.status_code == 201, r.text
        path = f"/v1/restrictions/{r.json()['id']}"
        kw: dict[str, Any] = {"json": {"reason": "changed"}} if method == "PATCH" else {}
        return self.client.request(method, path, headers=key.headers, **kw)


def helsinki() -> dict[str, Any]:
    """A ~10 m square in Helsinki."""
    lng, lat, d = 24.94 + random.random() * 0.01, 60.17 + random.random() * 0.01, 0.0001
    ring = [[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def across_tokyo_edge() -> dict[str, Any]:
    """A square across TOKYO's eastern edge."""
    lng, lat, d = 139.89, 35.7 + random.random() * 0.1, 0.02
    ring = [[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


PLACES = {"tokyo": (931_193, 413_018), "helsinki": (596_931, 303_513)}
"""North-west corners (z20 x, y) of small areas inside TOKYO and in Helsinki."""
AuthorityCase = Callable[[Authority], httpx.Response]
KEEP_GRANT = {"max_priority": 0, "may_preempt": False}

AUTHORITY: dict[str, tuple[AuthorityCase, int]] = {
    # priority grants: booking
    "ordinary books at 0": (lambda a: a.book(a.ordinary, 0), 201),
    "ordinary books at 1": (lambda a: a.book(a.ordinary, 1), 403),
    "ordinary books at 100": (lambda a: a.book(a.ordinary, 100), 403),
    "medic books at 50": (lambda a: a.book(a.medic, 50), 201),
    "medic books at 51": (lambda a: a.book(a.medic, 51), 403),
    "medic at 50 over ordinary's 0 (no preemption)": (
        lambda a: a.over(a.medic, 50, a.ordinary),
        409,
    ),
    "rescue at 100 over ordinary's 0 (preempts)": (
        lambda a: a.over(a.rescue, 100, a.ordinary),
        201,
    ),
    "rescue at 50 over medic's 50 (equal)": (lambda a: a.over(a.rescue, 50, a.medic, 50), 409),
    "rescue's fleet key at 100 over ordinary's 0": (
        lambda a: a.over(a.rescue_fleet, 100, a.ordinary),
        201,
    ),
    "admin at 100 over medic's 50": (lambda a: a.over(a.admin, 100, a.medic, 50), 201),
    "municipality books at 0": (lambda a: a.book(a.tokyo, 0), 403),
    "ordinary route reserved at 90": (lambda a: a.route(a.ordinary, 90, True), 403),
    "ordinary route planned only at 90": (lambda a: a.route(a.ordinary, 90, False), 200),
    "medic route reserved at 50": (lambda a: a.route(a.medic, 50, True), 201),
    "ordinary fleet reserved at 50": (lambda a: a.fleet(a.ordinary, 50), 403),
    # priority grants: reading and setting
    "ordinary reads its grant": (lambda a: a.grant(a.ordinary, a.ordinary), 200),
    "rescue's fleet key reads its operator's grant": (
        lambda a: a.grant(a.rescue_fleet, a.rescue),
        200,
    ),
    "ordinary reads rescue's grant": (lambda a: a.grant(a.ordinary, a.rescue), 404),
    "municipality reads a grant": (lambda a: a.grant(a.tokyo, a.ordinary), 404),
    "admin reads a grant": (lambda a: a.grant(a.admin, a.rescue), 200),
    "ordinary sets its own grant": (lambda a: a.grant(a.ordinary, a.ordinary, KEEP_GRANT), 403),
    "rescue sets ordinary's grant": (lambda a: a.grant(a.rescue, a.ordinary, KEEP_GRANT), 403),
    "municipality sets a grant": (lambda a: a.grant(a.tokyo, a.ordinary, KEEP_GRANT), 403),
    "admin sets a grant": (lambda a: a.grant(a.admin, a.ordinary, KEEP_GRANT), 200),
    # jurisdictions: restrictions
    "tokyo restricts inside Tokyo": (lambda a: a.restrict(a.tokyo), 201),
    "tokyo restricts Helsinki": (lambda a: a.restrict(a.tokyo, helsinki()), 403),
    "tokyo restricts across its edge": (lambda a: a.restrict(a.tokyo, across_tokyo_edge()), 403),
    "a town without jurisdiction restricts Tokyo": (lambda a: a.restrict(a.nowhere), 403),
    "admin restricts Helsinki": (lambda a: a.restrict(a.admin, helsinki()), 201),
    "operator restricts Tokyo": (lambda a: a.restrict(a.ordinary), 403),
    "tokyo changes its restriction": (lambda a: a.change(a.tokyo, "PATCH"), 200),
    "tokyo lifts its restriction": (lambda a: a.change(a.tokyo, "DELETE"), 200),
    # jurisdictions: reading and setting
    "tokyo reads its jurisdiction": (lambda a: a.jurisdiction(a.tokyo, a.tokyo), 200),
    "tokyo reads another town's": (lambda a: a.jurisdiction(a.tokyo, a.nowhere), 404),
    "operator reads tokyo's": (lambda a: a.jurisdiction(a.ordinary, a.tokyo), 404),
    "admin reads tokyo's": (lambda a: a.jurisdiction(a.admin, a.tokyo), 200),
    "tokyo sets its own": (
        lambda a: a.jurisdiction(a.tokyo, a.tokyo, {"geometry": TOKYO}),
        403,
    ),
    "operator sets tokyo's": (
        lambda a: a.jurisdiction(a.ordinary, a.tokyo, {"geometry": TOKYO}),
        403,
    ),
    "admin sets tokyo's": (lambda a: a.jurisdiction(a.admin, a.tokyo, {"geometry": TOKYO}), 200),
    "admin gives an operator a jurisdiction": (
        lambda a: a.jurisdiction(a.admin, a.ordinary, {"geometry": TOKYO}),
        422,
    ),
    # jurisdictions: identification
    "tokyo identifies a drone booked in Tokyo": (lambda a: a.identify(a.tokyo, "tokyo"), 200),
    "tokyo identifies a drone booked in Helsinki": (
        lambda a: a.identify(a.tokyo, "helsinki"),
        403,
    ),
    "tokyo identifies a voxel in Tokyo": (lambda a: a.identify(a.tokyo, "tokyo", "voxel"), 200),
    "tokyo identifies a voxel in Helsinki": (
        lambda a: a.identify(a.tokyo, "helsinki", "voxel"),
        403,
    ),
    "a town without jurisdiction identifies in Tokyo": (
        lambda a: a.identify(a.nowhere, "tokyo"),
        403,
    ),
    "admin identifies a drone booked in Helsinki": (
        lambda a: a.identify(a.admin, "helsinki"),
        200,
    ),
    "ordinary identifies its own drone": (lambda a: a.identify(a.ordinary, "tokyo"), 403),
    "tokyo reads its look-ups": (lambda a: a.lookups(a.tokyo), 200),
    "ordinary reads look-ups": (lambda a: a.lookups(a.ordinary), 403),
}
"""Grant and jurisdiction cells: what each principal may do, by its grant or its area."""


def owned(none: int, operator: Any, fleet: Any, muni: Any, admin: Any) -> dict[str, Any]:
    """A row of (own, other) pairs (a bare int means the same for both)."""
    cells = [none, operator, fleet, muni, admin]
    return {r: c if isinstance(c, tuple) else (c, c) for r, c in zip(ROLES, cells, strict=True)}


def operator_of(w: World, role: str, own: bool) -> Key:
    """The operator-side key whose resources a cell targets (A's for non-operator roles)."""
    return w.owner(role if role in ("operator", "fleet") else "operator", own)


def veh(w: World, role: str, own: bool) -> str:
    return w.vehicle(operator_of(w, role, own))

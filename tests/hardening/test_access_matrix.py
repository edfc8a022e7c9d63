"""Access control: every endpoint x role x ownership with the expected status, in one table.

The endpoint list comes from /openapi.json, so a new endpoint without a row fails here.
``(own, other)``: the caller's own resource, or another operator's (municipality: another
municipality's restriction). Endpoints without a target resource have own == other.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import WORLD, Key
from tests.hardening import matrix_airways, matrix_live_ops
from tests.hardening.conftest import new_key
from tests.hardening.matrix_cases import (
    ROLES,
    Builder,
    World,
    obstacle_body,
    operator_of,
    owned,
    position_body,
    reservation_body,
    restriction_body,
    route_body,
    veh,
    vehicle_body,
)


def res(w: World, role: str, own: bool) -> str:
    return w.reservation(operator_of(w, role, own))


def op_id(w: World, role: str, own: bool) -> str:
    return str(operator_of(w, role, own).operator_id)


def principal_of(w: World, role: str, own: bool) -> str:
    """The caller itself (admin: operator A's key), or another principal of its side."""
    if role == "admin" and own:
        return str(w.keys["operator"].principal_id)
    return str((w.keys[role] if own else w.owner(role, False)).principal_id)


def town_of(w: World, own: bool) -> str:
    """Municipality 1 (own) or 2: whose jurisdiction a PUT cell sets (to the whole world)."""
    return str((w.keys["municipality"] if own else w.other_muni).principal_id)


def identify(w: World, owner: Key) -> tuple[str, dict[str, Any]]:
    """Identify, by its registration mark at an instant of its booking, a drone of ``owner``
    (municipality 1 governs the whole world)."""
    mark, at = w.flight(owner)
    return "/v1/identify", {"params": {"identifier": mark, "at": at}}


B: dict[tuple[str, str], Builder] = {
    ("GET", "/health"): lambda w, r, o: ("/health", {}),
    ("POST", "/v1/operators"): lambda w, r, o: (
        "/v1/operators",
        {"json": {"name": f"m{id(w)}{r}{o}x"}},
    ),
    ("GET", "/v1/operators"): lambda w, r, o: ("/v1/operators", {}),
    ("GET", "/v1/operators/me"): lambda w, r, o: ("/v1/operators/me", {}),
    ("GET", "/v1/operators/{operator_id}"): lambda w, r, o: (f"/v1/operators/{op_id(w, r, o)}", {}),
    ("GET", "/v1/operators/{operator_id}/grant"): lambda w, r, o: (
        f"/v1/operators/{op_id(w, r, o)}/grant",
        {},
    ),
    ("PUT", "/v1/operators/{operator_id}/grant"): lambda w, r, o: (
        f"/v1/operators/{op_id(w, r, o)}/grant",
        {"json": {"max_priority": 0, "may_preempt": False}},  # the default: changes nothing
    ),
    ("GET", "/v1/principals/{principal_id}/jurisdiction"): lambda w, r, o: (
        f"/v1/principals/{principal_of(w, r, o) if r != 'none' else town_of(w, o)}/jurisdiction",
        {},
    ),
    ("PUT", "/v1/principals/{principal_id}/jurisdiction"): lambda w, r, o: (
        f"/v1/principals/{town_of(w, o)}/jurisdiction",
        {"json": {"geometry": WORLD}},  # what the fixtures give: changes nothing
    ),
    ("POST", "/v1/vehicles"): lambda w, r, o: (
        "/v1/vehicles",
        {"json": vehicle_body(operator_of(w, r, o).operator_id)},
    ),
    ("GET", "/v1/vehicles"): lambda w, r, o: ("/v1/vehicles", {}),
    ("GET", "/v1/vehicles/{vehicle_id}"): lambda w, r, o: (f"/v1/vehicles/{veh(w, r, o)}", {}),
    ("PATCH", "/v1/vehicles/{vehicle_id}"): lambda w, r, o: (
        f"/v1/vehicles/{veh(w, r, o)}",
        {"json": {"name": "renamed"}},
    ),
    ("DELETE", "/v1/vehicles/{vehicle_id}"): lambda w, r, o: (f"/v1/vehicles/{veh(w, r, o)}", {}),
    ("POST", "/v1/vehicles/{vehicle_id}/retire"): lambda w, r, o: (
        f"/v1/vehicles/{veh(w, r, o)}/retire",
        {},
    ),
    ("POST", "/v1/vehicles/{vehicle_id}/positions"): lambda w, r, o: (
        f"/v1/vehicles/{veh(w, r, o)}/positions",
        {"json": position_body()},
    ),
    ("GET", "/v1/vehicles/{vehicle_id}/position"): lambda w, r, o: (
        f"/v1/vehicles/{veh(w, r, o)}/position",
        {},
    ),
    ("GET", "/v1/spatial-ids/{z}/{f}/{x}/{y}"): lambda w, r, o: ("/v1/spatial-ids/20/0/1/1", {}),
    ("POST", "/v1/spatial-ids/cover"): lambda w, r, o: (
        "/v1/spatial-ids/cover",
        {
            "json": {
                "geometry": {"type": "Point", "coordinates": [139.76, 35.68]},
                "zoom": 20,
                "altitude_lower": 0,
                "altitude_upper": 10,
            }
        },
    ),
    ("POST", "/v1/reservations"): lambda w, r, o: (
        "/v1/reservations",
        {"json": reservation_body(veh(w, r, o))},
    ),
    ("GET", "/v1/reservations"): lambda w, r, o: ("/v1/reservations", {}),
    ("GET", "/v1/reservations/{reservation_id}"): lambda w, r, o: (
        f"/v1/reservations/{res(w, r, o)}",
        {},
    ),
    ("PATCH", "/v1/reservations/{reservation_id}"): lambda w, r, o: (
        f"/v1/reservations/{res(w, r, o)}",
        {"json": {"state": "cancelled", "version": 1}},
    ),
    ("PUT", "/v1/reservations/{reservation_id}"): lambda w, r, o: (
        f"/v1/reservations/{res(w, r, o)}",
        {"json": {"volumes": reservation_body()["volumes"]}, "headers": {"If-Match": '"1"'}},
    ),
    ("DELETE", "/v1/reservations/{reservation_id}"): lambda w, r, o: (
        f"/v1/reservations/{res(w, r, o)}",
        {},
    ),
    ("POST", "/v1/restrictions"): lambda w, r, o: (
        "/v1/restrictions",
        {"json": restriction_body()},
    ),
    ("GET", "/v1/restrictions"): lambda w, r, o: ("/v1/restrictions", {}),
    ("GET", "/v1/restrictions/{restriction_id}"): lambda w, r, o: (
        f"/v1/restrictions/{w.restriction(o)}",
        {},
    ),
    ("PATCH", "/v1/restrictions/{restriction_id}"): lambda w, r, o: (
        f"/v1/restrictions/{w.restriction(o)}",
        {"json": {"reason": "changed"}},
    ),
    ("DELETE", "/v1/restrictions/{restriction_id}"): lambda w, r, o: (
        f"/v1/restrictions/{w.restriction(o)}",
        {},
    ),
    ("GET", "/v1/restrictions/{restriction_id}/affected-reservations"): lambda w, r, o: (
        f"/v1/restrictions/{w.restriction(o)}/affected-reservations",
        {},
    ),
    ("POST", "/v1/obstacles"): lambda w, r, o: ("/v1/obstacles", {"json": obstacle_body()}),
    ("GET", "/v1/obstacles"): lambda w, r, o: ("/v1/obstacles", {}),
    ("GET", "/v1/obstacles/{obstacle_id}"): lambda w, r, o: (f"/v1/obstacles/{w.obstacle()}", {}),
    ("DELETE", "/v1/obstacles/{obstacle_id}"): lambda w, r, o: (
        f"/v1/obstacles/{w.obstacle()}",
        {},
    ),
    ("GET", "/v1/occupancy"): lambda w, r, o: (
        "/v1/occupancy",
        {"params": {"bbox": "139.76,35.68,139.761,35.681"}},
    ),
    ("POST", "/v1/occupancy/query"): lambda w, r, o: (
        "/v1/occupancy/query",
        {"json": {"spatial_ids": ["20/0/931000/410000"]}},
    ),
    ("GET", "/v1/tiles/{layer}/{z}/{x}/{y}.mvt"): lambda w, r, o: (
        "/v1/tiles/reservations/14/14552/6451.mvt",
        {},
    ),
    ("POST", "/v1/routes"): lambda w, r, o: ("/v1/routes", {"json": route_body(veh(w, r, o))}),
    ("POST", "/v1/fleets/routes"): lambda w, r, o: (
        "/v1/fleets/routes",
        {"json": {"requests": [route_body(veh(w, r, o))]}},
    ),
    ("GET", "/v1/map/roads.geojson"): lambda w, r, o: (
        "/v1/map/roads.geojson",
        {"params": {"bbox": "139.76,35.68,139.761,35.681"}},
    ),
    ("GET", "/v1/map/obstacles/{z}/{x}/{y}.mvt"): lambda w, r, o: (
        "/v1/map/obstacles/12/0/0.mvt",  # empty: the matrix creates obstacles in Tokyo
        {},
    ),
    ("GET", "/v1/identify"): lambda w, r, o: identify(w, operator_of(w, r, o)),
    ("GET", "/v1/identify/lookups"): lambda w, r, o: ("/v1/identify/lookups", {}),
}

# (none, operator, fleet, municipality, admin); hidden foreign resources are 404, not 403
EXPECTED: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/health"): owned(200, 200, 200, 200, 200),
    ("POST", "/v1/operators"): owned(401, 403, 403, 403, 201),
    ("GET", "/v1/operators"): owned(401, 200, 200, 200, 200),
    ("GET", "/v1/operators/me"): owned(401, 200, 200, 404, 404),
    ("GET", "/v1/operators/{operator_id}"): owned(401, (200, 404), (200, 404), 404, 200),
    ("GET", "/v1/operators/{operator_id}/grant"): owned(401, (200, 404), (200, 404), 404, 200),
    ("PUT", "/v1/operators/{operator_id}/grant"): owned(401, 403, 403, 403, 200),
    ("GET", "/v1/principals/{principal_id}/jurisdiction"): owned(
        401, (200, 404), (200, 404), (200, 404), 200
    ),
    ("PUT", "/v1/principals/{principal_id}/jurisdiction"): owned(401, 403, 403, 403, 200),
    ("POST", "/v1/vehicles"): owned(401, (201, 404), (201, 404), 403, 201),
    ("GET", "/v1/vehicles"): owned(401, 200, 200, 200, 200),
    ("GET", "/v1/vehicles/{vehicle_id}"): owned(401, (200, 404), (200, 404), 404, 200),
    ("PATCH", "/v1/vehicles/{vehicle_id}"): owned(401, (200, 404), (200, 404), 404, 200),
    ("DELETE", "/v1/vehicles/{vehicle_id}"): owned(401, (200, 404), (200, 404), 404, 200),
    ("POST", "/v1/vehicles/{vehicle_id}/retire"): owned(401, (200, 404), (200, 404), 404, 200),
    ("POST", "/v1/vehicles/{vehicle_id}/positions"): owned(401, (201, 404), (201, 404), 404, 201),
    ("GET", "/v1/vehicles/{vehicle_id}/position"): owned(401, (200, 404), (200, 404), 404, 200),
    ("GET", "/v1/spatial-ids/{z}/{f}/{x}/{y}"): owned(200, 200, 200, 200, 200),
    ("POST", "/v1/spatial-ids/cover"): owned(200, 200, 200, 200, 200),
    ("POST", "/v1/reservations"): owned(401, (201, 404), (201, 404), 403, 201),
    ("GET", "/v1/reservations"): owned(401, 200, 200, 200, 200),
    ("GET", "/v1/reservations/{reservation_id}"): owned(401, (200, 404), (200, 404), 404, 200),
    ("PATCH", "/v1/reservations/{reservation_id}"): owned(401, (200, 404), (200, 404), 404, 200),
    ("PUT", "/v1/reservations/{reservation_id}"): owned(401, (200, 404), (200, 404), 404, 200),
    ("DELETE", "/v1/reservations/{reservation_id}"): owned(401, (200, 404), (200, 404), 404, 200),
    ("POST", "/v1/restrictions"): owned(401, 403, 403, 201, 201),
    ("GET", "/v1/restrictions"): owned(401, 200, 200, 200, 200),
    ("GET", "/v1/restrictions/{restriction_id}"): owned(401, 200, 200, 200, 200),
    ("PATCH", "/v1/restrictions/{restriction_id}"): owned(401, 403, 403, (200, 403), 200),
    ("DELETE", "/v1/restrictions/{restriction_id}"): owned(401, 403, 403, (200, 403), 200),
    ("GET", "/v1/restrictions/{restriction_id}/affected-reservations"): owned(
        401, 403, 403, (200, 403), 200
    ),
    ("POST", "/v1/obstacles"): owned(401, 403, 403, 403, 201),
    ("GET", "/v1/obstacles"): owned(401, 200, 200, 200, 200),
    ("GET", "/v1/obstacles/{obstacle_id}"): owned(401, 200, 200, 200, 200),
    ("DELETE", "/v1/obstacles/{obstacle_id}"): owned(401, 403, 403, 403, 200),
    ("GET", "/v1/occupancy"): owned(401, 200, 200, 200, 200),
    ("POST", "/v1/occupancy/query"): owned(401, 200, 200, 200, 200),
    ("GET", "/v1/tiles/{layer}/{z}/{x}/{y}.mvt"): owned(401, 204, 204, 204, 204),
    ("POST", "/v1/routes"): owned(401, (200, 404), (200, 404), 403, 200),
    ("POST", "/v1/fleets/routes"): owned(401, (422, 404), (422, 404), 403, 422),
    ("GET", "/v1/map/roads.geojson"): owned(200, 200, 200, 200, 200),
    ("GET", "/v1/map/obstacles/{z}/{x}/{y}.mvt"): owned(204, 204, 204, 204, 204),
    ("GET", "/v1/identify"): owned(401, 403, 403, 200, 200),
    ("GET", "/v1/identify/lookups"): owned(401, 403, 403, 200, 200),
}
B.update(matrix_airways.BUILDERS)
EXPECTED.update(matrix_airways.EXPECTED)
B.update(matrix_live_ops.BUILDERS)
EXPECTED.update(matrix_live_ops.EXPECTED)


@pytest.fixture(scope="module")
def world(
    client_m: httpx.Client, keys: dict[str, Key], db_sessions: sessionmaker[Session]
) -> World:
    """Operator A's operator and fleet keys, operator B, two municipalities and an admin."""
    return World(
        client_m, keys, new_key(db_sessions, "operator"), new_key(db_sessions, "municipality")
    )


def test_every_endpoint_has_a_row(client_m: httpx.Client) -> None:
    spec = client_m.get("/openapi.json").json()
    ops = {(m.upper(), p) for p, item in spec["paths"].items() for m in item}
    assert ops - set(B) == set(), "endpoints without an access-matrix row"
    assert set(B) - ops == set(), "matrix rows for endpoints that no longer exist"


def test_matrix(world: World) -> None:
    observed: dict[tuple[str, str], dict[str, tuple[int, int]]] = {}
    for op, build in B.items():
        method, _ = op
        row = {}
        for role in ROLES:
            cell = []
            for own in (True, False):
                path, kw = build(world, role, own)
                headers = {} if role == "none" else dict(world.keys[role].headers)
                headers.update(kw.pop("headers", {}))  # e.g. If-Match
                cell.append(world.client.request(method, path, headers=headers, **kw).status_code)
            row[role] = (cell[0], cell[1])
        observed[op] = row
    diff = {op: (row, EXPECTED[op]) for op, row in observed.items() if row != EXPECTED[op]}
    assert not diff, "observed != expected:\n" + "\n".join(f"{k}: {v}" for k, v in diff.items())

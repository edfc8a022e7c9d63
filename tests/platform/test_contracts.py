"""The OpenAPI document states each operation's errors, and real problem bodies match it."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jsonschema
import pytest

import spatialid
from tests.conftest import Key
from tests.reservations.helpers import ids, reserve, spot, volume, window

PROBLEM = "application/problem+json"
PUBLIC_NO_DATABASE = {"/v1/spatial-ids/{z}/{f}/{x}/{y}", "/v1/spatial-ids/cover"}


@pytest.fixture(scope="module")
def spec(live_server: str) -> dict[str, Any]:
    """The served OpenAPI document."""
    r = httpx.get(f"{live_server}/openapi.json", timeout=30)
    assert r.status_code == 200
    data: dict[str, Any] = r.json()
    return data


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every documented operation."""
    return [(m.upper(), p, op) for p, ops in spec["paths"].items() for m, op in ops.items()]


def test_every_operation_documents_its_errors(spec: dict[str, Any]) -> None:
    missing: list[str] = []
    for method, path, op in operations(spec):
        statuses = set(op["responses"])
        need: set[str] = set()
        if op.get("security"):
            need.add("401")
        if op.get("parameters") or "requestBody" in op:
            need.add("422")
        if "requestBody" in op:
            need |= {"400", "413"}  # an unparsable body; a body over the size cap
        if path != "/health" and path not in PUBLIC_NO_DATABASE:
            need.add("503")
        if need - statuses:
            missing.append(f"{method} {path}: {sorted(need - statuses)}")
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")) and path != "/health":
                schema = response["content"][PROBLEM]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)
    assert not missing, "\n".join(missing)


def test_at_least_the_expected_operations(spec: dict[str, Any]) -> None:
    ops = operations(spec)
    assert len(ops) >= 30
    assert sum(1 for _, _, op in ops if op.get("security")) >= 25


def test_problem_declares_its_extension_members(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    members = schemas["Problem"]["properties"]
    assert {
        "errors",
        "conflicts",
        "reason",
        "cap",
        "count_at_least",
        "max_body_bytes",
        "max_priority",
    } <= set(members)
    conflict = schemas[members["conflicts"]["anyOf"][0]["items"]["$ref"].rsplit("/", 1)[1]]
    assert {"kind", "spatial_ids", "time_start", "time_end"} <= set(conflict["required"])
    assert conflict["properties"]["time_start"]["format"] == "date-time"
    reasons = next(s for s in members["reason"]["anyOf"] if "enum" in s)["enum"]
    assert {"no_path", "budget_exceeded", "no_edge_nearby", "invalid_route"} <= set(reasons)


@pytest.fixture(scope="module")
def problem_of(spec: dict[str, Any]) -> Callable[[httpx.Response, int], dict[str, Any]]:
    """Check a response is a problem with ``status`` whose every member the schema declares."""
    schema = copy.deepcopy(spec["components"]["schemas"])
    for name in ("Problem", "FieldError", "ConflictOut"):
        schema[name]["additionalProperties"] = False  # undeclared members fail
    root = {"$ref": "#/components/schemas/Problem", "components": {"schemas": schema}}
    validator = jsonschema.Draft202012Validator(
        root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )

    def check(r: httpx.Response, status: int) -> dict[str, Any]:
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith(PROBLEM)
        body: dict[str, Any] = r.json()
        errors = [e.message for e in validator.iter_errors(body)]
        assert not errors, (errors, body)
        assert body["status"] == status
        return body

    return check


def test_the_validator_refuses_undeclared_members(
    problem_of: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    body = {"title": "Conflict", "status": 409, "detail": "x", "surprise": 1}
    r = httpx.Response(409, json=body, headers={"content-type": PROBLEM})
    with pytest.raises(AssertionError):
        problem_of(r, 409)


def test_conflict_bodies_match_problem(
    client: httpx.Client,
    make_key: Callable[..., Key],
    problem_of: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    me, other, town = make_key("operator"), make_key("operator"), make_key("municipality")
    x, y = spot()
    w = window()
    assert reserve(client, me, volume(ids(x, y), w)).status_code == 201
    body = problem_of(reserve(client, other, volume(ids(x, y), w)), 409)
    assert body["conflicts"][0]["kind"] == "reservation"
    assert set(body["conflicts"][0]["spatial_ids"]) <= set(ids(x, y))

    x2, y2 = spot()
    west, south, _, east, north, _ = (
        float(b) for b in spatialid.voxel_bounds(spatialid.Voxel(20, 1, x2, y2))
    )
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    made = client.post(
        "/v1/restrictions",
        headers=town.headers,
        json={
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "altitude_lower": 0,
            "altitude_upper": 150,
            "reason": "contract test",
        },
    )
    assert made.status_code == 201, made.text
    body = problem_of(reserve(client, me, volume(ids(x2, y2, n=1), w)), 409)
    hit = [c for c in body["conflicts"] if c["kind"] == "restriction"]
    assert hit and hit[0]["restriction_id"] == made.json()["id"]
    assert hit[0]["reason"] == "contract test"


def test_route_reason_bodies_match_problem(
    client: httpx.Client,
    operator_key: Key,
    problem_of: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    vehicle = client.post(
        "/v1/vehicles",
        headers=operator_key.headers,
        json={"name": "high", "kind": "drone", "max_speed_mps": 10, "altitude_lower_m": 200},
    )
    assert vehicle.status_code == 201, vehicle.text
    r = client.post(
        "/v1/routes",
        headers=operator_key.headers,
        json={
            "vehicle_id": vehicle.json()["id"],
            "origin": {"lng": 139.76, "lat": 35.68},
            "destination": {"lng": 139.77, "lat": 35.68},
            "departure_time": window()[0],
        },
    )
    assert problem_of(r, 422)["reason"] == "outside_altitude_band"


def test_other_problem_bodies_match_problem(
    client: httpx.Client,
    operator_key: Key,
    problem_of: Callable[[httpx.Response, int], dict[str, Any]],
) -> None:
    bad = client.post("/v1/vehicles", headers=operator_key.headers, json={"kind": "boat"})
    fields = {e["field"] for e in problem_of(bad, 422)["errors"]}
    assert {"body.kind", "body.name", "body.max_speed_mps"} <= fields
    limit = client.get("/v1/vehicles?limit=0", headers=operator_key.headers)
    assert problem_of(limit, 422)["errors"][0]["field"] == "query.limit"
    problem_of(client.get("/v1/vehicles"), 401)
    problem_of(client.get(f"/v1/vehicles/{uuid.uuid4()}", headers=operator_key.headers), 404)
    problem_of(client.post("/v1/operators", headers=operator_key.headers, json={"name": "x"}), 403)
    x, y = spot()
    beyond = reserve(client, operator_key, volume(ids(x, y, 1)), priority=100)
    assert problem_of(beyond, 403)["max_priority"] == 0  # ungranted: priority 0 only
    problem_of(client.get("/v1/spatial-ids/20/0/99999999/0"), 422)
    big = {
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[139, 35], [140, 35], [140, 36], [139, 35]]],
        },
        "zoom": 20,
        "altitude_lower": 0,
        "altitude_upper": 100,
    }
    too_large = problem_of(client.post("/v1/spatial-ids/cover", json=big), 413)
    assert too_large["cap"] > 0 and too_large["count_at_least"] > too_large["cap"]
    unparsable = client.post(
        "/v1/vehicles",
        headers={**operator_key.headers, "content-type": "application/json"},
        content=b"{not json",
    )
    assert unparsable.status_code in (400, 422)
    problem_of(unparsable, unparsable.status_code)
    wrong = client.request("PUT", "/v1/vehicles", headers=operator_key.headers)
    problem_of(wrong, 405)
    assert set(wrong.headers["allow"].split(", ")) >= {"GET", "POST"}

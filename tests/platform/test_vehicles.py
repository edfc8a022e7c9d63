"""Vehicles over HTTP: CRUD, pagination, filters, ownership and validation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import Key


def _create(client: httpx.Client, key: Key, **body: Any) -> dict[str, Any]:
    body = {"name": "quad", "kind": "drone", "max_speed_mps": 12.5, **body}
    r = client.post("/v1/vehicles", headers=key.headers, json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def _fields(r: httpx.Response) -> set[str]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return {e["field"] for e in r.json()["errors"]}


def test_create_with_minimal_body(client: httpx.Client, operator_key: Key) -> None:
    r = client.post(
        "/v1/vehicles",
        headers=operator_key.headers,
        json={"name": "Quad 1", "kind": "drone", "max_speed_mps": 15},
    )
    assert r.status_code == 201
    v = r.json()
    uuid.UUID(v["id"])
    assert v["operator_id"] == str(operator_key.operator_id)
    assert v["status"] == "active"
    assert v["max_speed_mps"] == 15
    assert v["altitude_datum"] == "W84"


def test_fleet_principal_creates_for_its_operator(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    fleet = make_key("fleet")
    v = _create(client, fleet, kind="robot", name="rover")
    assert v["operator_id"] == str(fleet.operator_id)


def test_full_crud(client: httpx.Client, operator_key: Key) -> None:
    v = _create(
        client,
        operator_key,
        serial="SN-1",
        remote_id="1581F4XFB00000000000",
        length_m=0.5,
        width_m=0.5,
        height_m=0.2,
        climb_rate_mps=3,
        descent_rate_mps=2,
        altitude_lower_m=0,
        altitude_upper_m=150,
    )
    path = f"/v1/vehicles/{v['id']}"
    got = client.get(path, headers=operator_key.headers).json()
    assert got == v
    r = client.patch(
        path, headers=operator_key.headers, json={"name": "renamed", "status": "maintenance"}
    )
    assert r.status_code == 200
    assert r.json()["name"] == "renamed"
    assert r.json()["status"] == "maintenance"
    assert r.json()["serial"] == "SN-1"
    r = client.post(f"{path}/retire", headers=operator_key.headers)
    assert r.status_code == 200
    assert r.json()["status"] == "retired"
    assert client.get(path, headers=operator_key.headers).json()["status"] == "retired"
    r = client.patch(path, headers=operator_key.headers, json={"name": "again"})
    assert r.status_code == 409
    v2 = _create(client, operator_key)
    r = client.delete(f"/v1/vehicles/{v2['id']}", headers=operator_key.headers)
    assert r.status_code == 200
    assert r.json()["status"] == "retired"


def test_admin_needs_operator_id(client: httpx.Client, admin_key: Key, operator_key: Key) -> None:
    r = client.post(
        "/v1/vehicles",
        headers=admin_key.headers,
        json={"name": "a", "kind": "car", "max_speed_mps": 30},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "operator_id"
    v = _create(client, admin_key, kind="car", operator_id=str(operator_key.operator_id))
    assert v["operator_id"] == str(operator_key.operator_id)
    assert client.get(f"/v1/vehicles/{v['id']}", headers=operator_key.headers).status_code == 200


def test_an_admin_of_an_operator_registers_for_it_by_default(
    client: httpx.Client, make_key: Callable[..., Key], operator_key: Key
) -> None:
    admin = make_key("admin", operator_key.operator_id)
    v = _create(client, admin, kind="car")
    assert v["operator_id"] == str(operator_key.operator_id)
    other = make_key("operator")  # naming another operator still works for an admin
    v = _create(client, admin, kind="robot", operator_id=str(other.operator_id))
    assert v["operator_id"] == str(other.operator_id)


def test_the_schema_states_which_identifiers_each_kind_carries(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("VehicleCreate", "VehicleUpdate"):
        rules = {r["if"]["properties"]["kind"]["const"]: r for r in spec[name]["allOf"]}
        assert all(r["if"]["required"] == ["kind"] for r in rules.values())  # no kind: stored
        absent = {k: set(r["then"]["properties"]) for k, r in rules.items()}
        assert absent == {
            "drone": {"plate"},
            "robot": {"plate", "registration_mark", "remote_id"},
            "car": {"registration_mark", "remote_id"},
        }
        assert rules["car"]["then"]["properties"]["remote_id"] == {"type": "null"}


def test_pagination_and_filters(client: httpx.Client, operator_key: Key) -> None:
    made = [
        _create(client, operator_key, name=f"v{i}", kind="drone" if i % 2 else "robot")
        for i in range(5)
    ]
    seen: list[str] = []
    link: str | None = "/v1/vehicles?limit=2"
    while link is not None:
        r = client.get(link, headers=operator_key.headers)
        assert r.status_code == 200
        page = r.json()
        assert len(page["items"]) <= 2
        seen += [v["id"] for v in page["items"]]
        if len(seen) == 2:  # a vehicle registered while reading comes last, nothing repeats
            made.append(_create(client, operator_key, name="late", kind="car"))
        link = page["next"]
        assert link is None or "limit=2" in link
    assert seen == [v["id"] for v in made]
    first = client.get(
        "/v1/vehicles", headers=operator_key.headers, params={"kind": "drone", "limit": 1}
    ).json()
    assert first["next"] is not None and "kind=drone" in first["next"]
    second = client.get(first["next"], headers=operator_key.headers).json()
    assert [v["kind"] for v in second["items"]] == ["drone"]
    assert second["items"][0]["id"] != first["items"][0]["id"]
    for cursor in ("x", "bm90IGEgY3Vyc29y", "WyJhIiwiYiJd", "WzFd"):
        bad = client.get("/v1/vehicles", headers=operator_key.headers, params={"after": cursor})
        assert bad.status_code == 422
        assert _fields(bad) == {"after"}
    drones = client.get(
        "/v1/vehicles", headers=operator_key.headers, params={"kind": "drone"}
    ).json()
    assert {v["id"] for v in drones["items"]} == {v["id"] for v in made if v["kind"] == "drone"}
    client.post(f"/v1/vehicles/{made[0]['id']}/retire", headers=operator_key.headers)
    retired = client.get("/v1/vehicles", headers=operator_key.headers, params={"status": "retired"})
    assert [v["id"] for v in retired.json()["items"]] == [made[0]["id"]]
    bad = client.get("/v1/vehicles", headers=operator_key.headers, params={"kind": "boat"})
    assert _fields(bad) == {"query.kind"}
    assert _fields(
        client.get("/v1/vehicles", headers=operator_key.headers, params={"limit": 0})
    ) == {"query.limit"}


def test_other_operators_vehicle_is_404(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key
) -> None:
    a, b = make_key("operator"), make_key("operator")
    v = _create(client, a)
    path = f"/v1/vehicles/{v['id']}"
    for method, extra in (("GET", {}), ("PATCH", {"json": {"name": "x"}}), ("DELETE", {})):
        r = client.request(method, path, headers=b.headers, **extra)
        assert r.status_code == 404, method
        assert r.headers["content-type"].startswith("application/problem+json")
    assert client.post(f"{path}/retire", headers=b.headers).status_code == 404
    listed = client.get("/v1/vehicles", headers=b.headers).json()["items"]
    assert v["id"] not in {x["id"] for x in listed}
    r = client.post(
        "/v1/vehicles",
        headers=b.headers,
        json={"name": "n", "kind": "drone", "max_speed_mps": 5, "operator_id": str(a.operator_id)},
    )
    assert r.status_code == 404
    assert client.get(path, headers=a.headers).json()["status"] == "active"
    assert client.get(path, headers=admin_key.headers).status_code == 200
    missing = client.get(f"/v1/vehicles/{uuid.uuid4()}", headers=a.headers)
    assert missing.status_code == 404


def test_validation_names_the_field(client: httpx.Client, operator_key: Key) -> None:
    h = operator_key.headers
    base = {"name": "n", "kind": "drone", "max_speed_mps": 5}
    assert _fields(client.post("/v1/vehicles", headers=h, json={**base, "max_speed_mps": -1})) == {
        "body.max_speed_mps"
    }
    assert _fields(client.post("/v1/vehicles", headers=h, json={**base, "kind": "boat"})) == {
        "body.kind"
    }
    assert _fields(
        client.post("/v1/vehicles", headers=h, json={**base, "max_speed_mps": "fast"})
    ) == {"body.max_speed_mps"}
    assert _fields(client.post("/v1/vehicles", headers=h, json={"name": "n"})) == {
        "body.kind",
        "body.max_speed_mps",
    }
    assert _fields(client.post("/v1/vehicles", headers=h, json={**base, "colour": "red"})) == {
        "body.colour"
    }
    r = client.post(
        "/v1/vehicles", headers=h, json={**base, "altitude_lower_m": 100, "altitude_upper_m": 50}
    )
    assert _fields(r) == {"altitude_upper_m"}
    v = _create(client, operator_key)
    path = f"/v1/vehicles/{v['id']}"
    assert _fields(client.patch(path, headers=h, json={"wings": 4})) == {"body.wings"}
    assert _fields(client.patch(path, headers=h, json={"status": "retired"})) == {"body.status"}
    assert _fields(client.get("/v1/vehicles/not-a-uuid", headers=h)) == {"path.vehicle_id"}


def test_duplicate_serial_is_409(client: httpx.Client, operator_key: Key) -> None:
    _create(client, operator_key, serial="DUP-1")
    r = client.post(
        "/v1/vehicles",
        headers=operator_key.headers,
        json={"name": "b", "kind": "drone", "max_speed_mps": 3, "serial": "DUP-1"},
    )
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")


def test_admin_sees_all_and_filters_by_operator(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key
) -> None:
    a, b = make_key("operator"), make_key("operator")
    va, vb = _create(client, a), _create(client, b, kind="car")
    for key, vehicle in ((a, va), (b, vb)):
        r = client.get(
            "/v1/vehicles", headers=admin_key.headers, params={"operator_id": str(key.operator_id)}
        )
        assert [v["id"] for v in r.json()["items"]] == [vehicle["id"]]
    r = client.get(
        "/v1/vehicles",
        headers=admin_key.headers,
        params={"operator_id": str(b.operator_id), "kind": "drone"},
    )
    assert r.json() == {"items": [], "next": None}
    r = client.get("/v1/vehicles", headers=a.headers, params={"operator_id": str(b.operator_id)})
    assert r.json()["items"] == []


def test_retiring_cancels_future_reservations(client: httpx.Client, operator_key: Key) -> None:
    """Why: retiring a vehicle kept its future airspace."""
    from tests.reservations.helpers import created, ids, reserve, spot, volume, window

    v = _create(client, operator_key)
    x, y = spot()
    h = operator_key.headers
    soon = created(
        reserve(client, operator_key, volume(ids(x, y, 1), window(1, 1)), vehicle_id=v["id"])
    )
    later = created(
        reserve(client, operator_key, volume(ids(x, y, 1), window(3, 1)), vehicle_id=v["id"])
    )
    gone = created(
        reserve(client, operator_key, volume(ids(x, y, 1), window(5, 1)), vehicle_id=v["id"])
    )
    assert client.delete(f"/v1/reservations/{gone['id']}", headers=h).is_success
    other = created(reserve(client, operator_key, volume(ids(x + 5, y, 1), window(1, 1))))
    r = client.post(f"/v1/vehicles/{v['id']}/retire", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "retired"
    assert r.json()["cancelled_reservations"] == sorted([soon["id"], later["id"]])
    for rid in (soon["id"], later["id"], gone["id"]):
        assert client.get(f"/v1/reservations/{rid}", headers=h).json()["state"] == "cancelled"
    assert client.get(f"/v1/reservations/{other['id']}", headers=h).json()["state"] == "accepted"
    created(reserve(client, operator_key, volume(ids(x, y, 1), window(1, 1))))  # the space is free
    refused = reserve(
        client, operator_key, volume(ids(x + 9, y, 1), window(7, 1)), vehicle_id=v["id"]
    )
    assert refused.status_code == 409 and "retired" in refused.json()["detail"]
    again = client.post(f"/v1/vehicles/{v['id']}/retire", headers=h)
    assert again.status_code == 200 and again.json()["cancelled_reservations"] == []
    v2 = _create(client, operator_key)
    booked = created(
        reserve(client, operator_key, volume(ids(x + 20, y, 1), window(2, 1)), vehicle_id=v2["id"])
    )
    r = client.delete(f"/v1/vehicles/{v2['id']}", headers=h)
    assert r.status_code == 200 and r.json()["cancelled_reservations"] == [booked["id"]]

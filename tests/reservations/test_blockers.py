"""Restrictions and obstacles: refusal naming them, reports of reservations inside, roles."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.conftest import Key
from tests.reservations.helpers import (
    conflict,
    created,
    ids,
    reserve,
    spot,
    square,
    tile_corner,
    volume,
    window,
)


def _area(x: int, y: int, tiles: float = 3) -> dict[str, object]:
    """A square over ``tiles`` z20 tiles starting inside tile (x, y)."""
    lng, lat = tile_corner(x, y)
    d = 360 / 2**20 * tiles
    return square(lng + 1e-6, lat - d, d - 2e-6)


def test_restriction_refuses_reservation(
    client: httpx.Client, make_key: Callable[..., Key], operator_key: Key
) -> None:
    town = make_key("municipality")
    x, y = spot()
    body = {
        "geometry": _area(x, y),
        "altitude_lower": 0,
        "altitude_upper": 60,
        "reason": "fireworks",
        "zoom": 20,
    }
    r = client.post("/v1/restrictions", headers=town.headers, json=body)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert r.json()["affected_reservations"] == []
    assert r.json()["time_start"] is None  # permanent
    refused = conflict(reserve(client, operator_key, volume(ids(x, y + 1, 1, f=0))))
    assert rid in refused["detail"] and "fireworks" in refused["detail"]
    assert refused["conflicts"][0]["kind"] == "restriction"
    assert refused["conflicts"][0]["restriction_id"] == rid
    created(reserve(client, operator_key, volume(ids(x, y, 1, f=3))))  # above the band (96 m+)
    assert client.get(f"/v1/restrictions/{rid}", headers=operator_key.headers).status_code == 200
    assert client.delete(f"/v1/restrictions/{rid}", headers=operator_key.headers).status_code == 403
    r = client.delete(f"/v1/restrictions/{rid}", headers=town.headers)
    assert r.status_code == 200 and r.json()["active"] is False
    created(reserve(client, operator_key, volume(ids(x, y + 1, 1, f=0))))  # lifted


def test_restriction_over_reservation_reports_it(
    client: httpx.Client, make_key: Callable[..., Key], operator_key: Key
) -> None:
    town = make_key("municipality")
    x, y = spot()
    t0, t1 = window(2, 1)
    res = created(reserve(client, operator_key, volume(ids(x, y + 1, 1, f=1), (t0, t1))))
    later = window(5, 1)
    body = {
        "geometry": _area(x, y),
        "altitude_lower": 0,
        "altitude_upper": 100,
        "reason": "visit",
        "time_start": later[0],
        "time_end": later[1],
    }
    r = client.post("/v1/restrictions", headers=town.headers, json=body)
    assert r.status_code == 201 and r.json()["affected_reservations"] == []  # other time
    body.update(time_start=t0, time_end=t1)
    r = client.post("/v1/restrictions", headers=town.headers, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["affected_reservations"] == [res["id"]]
    got = client.get(f"/v1/reservations/{res['id']}", headers=operator_key.headers).json()
    assert got["needs_replan"] is True and got["state"] == "accepted"


def test_restriction_roles_and_validation(
    client: httpx.Client, make_key: Callable[..., Key], operator_key: Key
) -> None:
    x, y = spot()
    body = {"geometry": _area(x, y), "altitude_lower": 0, "altitude_upper": 60, "reason": "r"}
    r = client.post("/v1/restrictions", headers=operator_key.headers, json=body)
    assert r.status_code == 403
    town = make_key("municipality")
    bad = {**body, "altitude_upper": -5}
    assert client.post("/v1/restrictions", headers=town.headers, json=bad).status_code == 422
    line = {**body, "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}
    r = client.post("/v1/restrictions", headers=town.headers, json=line)
    assert r.status_code == 422  # the schema allows only a Polygon or a MultiPolygon
    assert r.json()["errors"][0]["field"] == "body.geometry"
    half = {**body, "time_start": window()[0]}
    assert client.post("/v1/restrictions", headers=town.headers, json=half).status_code == 422
    big = {**body, "geometry": square(139.0, 35.0, 0.2)}  # auto zoom keeps it in budget
    r = client.post("/v1/restrictions", headers=town.headers, json=big)
    assert r.status_code == 201, r.text
    assert r.json()["zoom"] < 20
    client.delete(f"/v1/restrictions/{r.json()['id']}", headers=town.headers)
    mine = client.get("/v1/restrictions", headers=town.headers, params={"mine": True}).json()
    assert [i["id"] for i in mine["items"]] == [r.json()["id"]]


def test_obstacle_refuses_reservation(
    client: httpx.Client, admin_key: Key, operator_key: Key, make_key: Callable[..., Key]
) -> None:
    x, y = spot()
    body = {
        "geometry": _area(x, y, 2),
        "height_m": 40,
        "kind": "building",
        "name": "Tower",
        "source": "test",
        "source_ref": f"{x}-{y}",
    }
    assert client.post("/v1/obstacles", headers=operator_key.headers, json=body).status_code == 403
    r = client.post("/v1/obstacles", headers=admin_key.headers, json=body)
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    refused = conflict(reserve(client, operator_key, volume(ids(x, y + 1, 1, f=1))))
    assert oid in refused["detail"] and refused["conflicts"][0]["kind"] == "obstacle"
    created(reserve(client, operator_key, volume(ids(x, y + 1, 1, f=2))))  # 64 m+ is clear
    assert client.post("/v1/obstacles", headers=admin_key.headers, json=body).status_code == 409
    assert client.get(f"/v1/obstacles/{oid}", headers=operator_key.headers).status_code == 200
    assert client.delete(f"/v1/obstacles/{oid}", headers=admin_key.headers).status_code == 200
    created(reserve(client, operator_key, volume(ids(x, y + 1, 1, f=1))))


def test_ground_vehicles_share_voxels_with_buildings_but_not_with_each_other(
    client: httpx.Client, admin_key: Key, operator_key: Key
) -> None:
    x, y = spot()
    body = {
        "geometry": _area(x, y, 2),
        "height_m": 20,
        "kind": "building",
        "source": "test",
        "source_ref": f"ground-{x}-{y}",
    }
    assert client.post("/v1/obstacles", headers=admin_key.headers, json=body).status_code == 201
    vehicles = {}
    for kind in ("drone", "robot", "car"):
        r = client.post(
            "/v1/vehicles",
            headers=operator_key.headers,
            json={"name": f"{kind}-{x}", "kind": kind, "max_speed_mps": 5},
        )
        vehicles[kind] = r.json()["id"]
    street = volume(ids(x, y + 1, 1, f=0))  # ground level, inside the building's voxels
    assert conflict(reserve(client, operator_key, street, vehicle_id=vehicles["drone"]))
    created(reserve(client, operator_key, street, vehicle_id=vehicles["robot"]))
    # the road voxel is now the robot's: the car cannot have it at the same time
    assert conflict(reserve(client, operator_key, street, vehicle_id=vehicles["car"]))

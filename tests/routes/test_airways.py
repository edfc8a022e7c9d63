"""Airways over real HTTP and PostGIS: import, refusals, list/get/delete, routes on them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from tests.conftest import Key
from tests.routes.helpers import (
    offset,
    overlapping_pairs,
    place,
    point,
    route_windows_overlap,
    vehicle,
)


def feature(coords: list[tuple[float, float]], **props: Any) -> dict[str, Any]:
    """A centre line feature, 30 m wide at 40-60 m unless told."""
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [list(c) for c in coords]},
        "properties": {
            "width_m": 30.0,
            "altitude_lower_m": 40.0,
            "altitude_upper_m": 60.0,
            **props,
        },
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def cross(a: tuple[float, float]) -> dict[str, Any]:
    """Two corridors crossing 500 m east of ``a``: east (40-60 m) and north (48-80 m)."""
    return collection(
        feature([a, offset(*a, 1000, 0)], name="east"),
        feature(
            [offset(*a, 500, -300), offset(*a, 500, 600)],
            name="north",
            altitude_lower_m=48.0,
            altitude_upper_m=80.0,
        ),
    )


def square(a: tuple[float, float], half_m: float) -> dict[str, Any]:
    w, s = offset(*a, -half_m, -half_m)
    e, n = offset(*a, half_m, half_m)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def imported(client: httpx.Client, key: Key, doc: dict[str, Any]) -> list[dict[str, Any]]:
    r = client.post("/v1/airways", headers=key.headers, json=doc)
    assert r.status_code == 201, r.text
    return list(r.json()["items"])


def departure(minutes: float = 30, seconds: float = 0) -> str:
    t = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=minutes, seconds=seconds)
    return t.isoformat()


def plan(client: httpx.Client, key: Key, vid: str, a: Any, b: Any, **extra: Any) -> httpx.Response:
    body = {
        "vehicle_id": vid,
        "origin": point(*a),
        "destination": point(*b),
        "departure_time": departure(),
        **extra,
    }
    return client.post("/v1/routes", headers=key.headers, json=body)


def outside(session: Session, ids: list[dict[str, str]], airway_ids: list[str]) -> list[str]:
    """Route voxels not inside one airway's corridor (buffer by width/2 in metres) and band."""
    rows = session.execute(
        text("""SELECT v.sid FROM unnest(CAST(:sids AS text[])) AS v(sid)
        CROSS JOIN LATERAL (SELECT split_part(v.sid, '/', 1)::int z,
            split_part(v.sid, '/', 2)::int f, split_part(v.sid, '/', 3)::int x,
            split_part(v.sid, '/', 4)::int y) p
        CROSS JOIN LATERAL (SELECT ST_Transform(ST_TileEnvelope(p.z, p.x, p.y), 4326) g) t
        WHERE NOT EXISTS (SELECT 1 FROM airways a WHERE a.id = ANY(CAST(:ids AS uuid[]))
            AND ST_CoveredBy(t.g::geography, ST_Buffer(a.geometry::geography, a.width_m / 2))
            AND p.f * 2 ^ (25 - p.z) >= a.altitude_lower_m
            AND (p.f + 1) * 2 ^ (25 - p.z) <= a.altitude_upper_m)"""),
        {"sids": [s["id"] for s in ids], "ids": airway_ids},
    )
    return [r[0] for r in rows]


def test_import_list_get_delete(client: httpx.Client, admin_key: Key) -> None:
    a = place()
    items = imported(client, admin_key, cross(a))
    assert [i["name"] for i in items] == ["east", "north"]
    assert items[0]["geometry"]["type"] == "LineString" and items[0]["direction"] == "both"
    assert items[1]["altitude_lower_m"] == 48.0 and items[1]["altitude_datum"] == "W84"
    one = imported(client, admin_key, feature([a, offset(*a, 0, 200)], direction="forward"))
    assert one[0]["direction"] == "forward" and one[0]["name"] is None
    page = client.get("/v1/airways?mine=true&limit=2", headers=admin_key.headers).json()
    # oldest first; the airways of one import share its time and follow by id
    assert [i["id"] for i in page["items"]] == sorted(i["id"] for i in items)
    rest = client.get(page["next"], headers=admin_key.headers).json()
    assert [i["id"] for i in rest["items"]] == [one[0]["id"]] and rest["next"] is None
    got = client.get(f"/v1/airways/{one[0]['id']}", headers=admin_key.headers)
    assert got.status_code == 200 and got.json() == one[0]
    gone = client.delete(f"/v1/airways/{one[0]['id']}", headers=admin_key.headers)
    assert gone.status_code == 200
    assert client.get(f"/v1/airways/{one[0]['id']}", headers=admin_key.headers).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"geometry": {"type": "Polygon", "coordinates": []}}, "features[3].geometry.type"),
        (
            {"properties": {"width_m": 0, "altitude_lower_m": 40, "altitude_upper_m": 60}},
            "features[3].properties.width_m",
        ),
        (
            {"properties": {"width_m": 30, "altitude_lower_m": 60, "altitude_upper_m": 60}},
            "features[3].properties.altitude_upper_m",
        ),
        (
            {"properties": {"width_m": 30, "altitude_lower_m": 40}},
            "features[3].properties.altitude_upper_m",
        ),
        (
            {
                "properties": {
                    "width_m": 30,
                    "altitude_lower_m": 4,
                    "altitude_upper_m": 6,
                    "direction": "up",
                }
            },
            "features[3].properties.direction",
        ),
    ],
)
def test_import_refuses_a_bad_feature_naming_it(
    client: httpx.Client, admin_key: Key, change: dict[str, Any], field: str
) -> None:
    a = place()
    features = [feature([a, offset(*a, 100 * (i + 1), 0)]) for i in range(4)]
    features[3] = {**features[3], **change}
    r = client.post("/v1/airways", headers=admin_key.headers, json=collection(*features))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in r.json()["errors"]]
    mine = client.get("/v1/airways?mine=true&limit=100", headers=admin_key.headers).json()
    assert not any(i["geometry"]["coordinates"][0] == list(a) for i in mine["items"])  # none stored


def test_import_refuses_too_many_and_too_long(client: httpx.Client, admin_key: Key) -> None:
    a = place()
    many = collection(*[feature([a, offset(*a, 50, 0)])] * 1001)
    r = client.post("/v1/airways", headers=admin_key.headers, json=many)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "features"
    long = feature([a, (a[0] + 9.0, a[1])])  # about 700 km
    r = client.post("/v1/airways", headers=admin_key.headers, json=long)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "geometry.coordinates"


def test_who_may_declare_airways(
    client: httpx.Client, make_key: Callable[..., Key], operator_key: Key
) -> None:
    a = place()
    muni = make_key("municipality", jurisdiction=square(a, 2000))
    r = client.post("/v1/airways", headers=operator_key.headers, json=cross(a))
    assert r.status_code == 403
    for junk in ({"content": b"not json"}, {"json": {"type": "Feature"}}):  # refused unread
        r = client.post("/v1/airways", headers=operator_key.headers, **junk)
        assert r.status_code == 403, r.text
    inside = imported(client, muni, feature([a, offset(*a, 1000, 0)]))
    assert inside[0]["principal_id"] == str(muni.principal_id)
    far = feature([a, offset(*a, 3000, 0)])
    assert client.post("/v1/airways", headers=muni.headers, json=far).status_code == 403
    other = make_key("municipality", jurisdiction=square(a, 2000))
    r = client.delete(f"/v1/airways/{inside[0]['id']}", headers=other.headers)
    assert r.status_code == 403
    r = client.delete(f"/v1/airways/{inside[0]['id']}", headers=operator_key.headers)
    assert r.status_code == 403
    assert client.delete(f"/v1/airways/{inside[0]['id']}", headers=muni.headers).status_code == 200


def test_an_airways_only_route_joins_two_corridors_and_stays_inside(
    client: httpx.Client, admin_key: Key, operator_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    a = place()
    ids = [i["id"] for i in imported(client, admin_key, cross(a))]
    vid = vehicle(client, operator_key.headers, airways_only=True)
    assert client.get(f"/v1/vehicles/{vid}", headers=operator_key.headers).json()["airways_only"]
    r = plan(client, operator_key, vid, offset(*a, 100, 10), offset(*a, 500, 500))
    assert r.status_code == 200, r.text
    route = r.json()["route"]
    assert route["planner"] == "airways"
    assert route["length_m"] > 800.0  # along the corridors, not straight (~570 m)
    fs = {int(s["id"].split("/")[1]) for s in route["spatial_ids"]}
    assert fs == {12, 13, 14, 15}  # east at 48-52 m, a climb, north at 60-64 m
    with session_scope(db_sessions) as session:
        assert outside(session, route["spatial_ids"], ids) == []
    free = vehicle(client, operator_key.headers)  # a drone without the flag may ask
    r = plan(
        client, operator_key, free, offset(*a, 100, 10), offset(*a, 500, 500), airways_only=True
    )
    assert r.status_code == 200 and r.json()["route"]["planner"] == "airways"
    r = plan(client, operator_key, free, offset(*a, 100, 10), offset(*a, 500, 500))
    assert r.status_code == 200 and r.json()["route"]["planner"] == "drone"


def test_a_reserved_airway_route_makes_the_second_drone_wait(
    client: httpx.Client, admin_key: Key, operator_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    a = place()
    ids = [i["id"] for i in imported(client, admin_key, cross(a))]
    slow = vehicle(client, operator_key.headers, airways_only=True, max_speed_mps=5.0)
    fast = vehicle(client, operator_key.headers, airways_only=True, max_speed_mps=15.0)
    ends = (offset(*a, 50, 0), offset(*a, 950, 0))
    first = plan(client, operator_key, slow, *ends, reserve=True)
    assert first.status_code == 201, first.text
    second = plan(client, operator_key, fast, *ends, reserve=True, departure_time=departure(30, 5))
    assert second.status_code == 201, second.text
    r1, r2 = first.json()["route"], second.json()["route"]
    assert route_windows_overlap(r1["spatial_ids"], r2["spatial_ids"]) == 0
    assert r2["duration_s"] > 900 / 15 * 2  # it waited behind the slow one
    assert r2["arrival"] > r1["arrival"]
    with session_scope(db_sessions) as session:
        res = [first.json()["reservation"]["id"], second.json()["reservation"]["id"]]
        assert overlapping_pairs(session, res) == 0
        assert outside(session, r2["spatial_ids"], ids) == []


def test_far_from_every_airway_is_no_airway_nearby(
    client: httpx.Client, admin_key: Key, operator_key: Key
) -> None:
    a = place()
    imported(client, admin_key, cross(a))
    vid = vehicle(client, operator_key.headers, airways_only=True)
    r = plan(client, operator_key, vid, offset(*a, 100, -1000), offset(*a, 900, 0))
    assert r.status_code == 422, r.text
    doc = r.json()
    assert doc["reason"] == "no_airway_nearby" and doc["field"] == "origin"
    assert doc["distance_m"] == pytest.approx(806.2 - 15.0, abs=10.0)  # to north's south end


def test_a_vehicle_that_requires_airways_may_not_ask_false(
    client: httpx.Client, operator_key: Key
) -> None:
    a = place()
    vid = vehicle(client, operator_key.headers, airways_only=True)
    r = plan(client, operator_key, vid, a, offset(*a, 100, 0), airways_only=False)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "airways_only"
    robot = client.post(
        "/v1/vehicles",
        headers=operator_key.headers,
        json={"name": "r", "kind": "robot", "max_speed_mps": 2.0, "airways_only": True},
    )
    assert robot.status_code == 422 and robot.json()["errors"][0]["field"] == "airways_only"
    off = client.patch(
        f"/v1/vehicles/{vid}", headers=operator_key.headers, json={"airways_only": False}
    )
    assert off.status_code == 200 and off.json()["airways_only"] is False

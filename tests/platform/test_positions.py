"""Position reports: record, read the latest with its spatial ID, ownership, validation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

import spatialid
from tests.conftest import Key


def _vehicle(client: httpx.Client, key: Key) -> str:
    r = client.post(
        "/v1/vehicles",
        headers=key.headers,
        json={"name": "q", "kind": "drone", "max_speed_mps": 40},
    )
    assert r.status_code == 201
    vid: str = r.json()["id"]
    return vid


def _report(client: httpx.Client, key: Key, vid: str, **body: Any) -> httpx.Response:
    body = {
        "time": datetime.now(UTC).isoformat(),
        "lng": 139.7671,
        "lat": 35.6812,
        "alt_m": 40.0,
        **body,
    }
    return client.post(f"/v1/vehicles/{vid}/positions", headers=key.headers, json=body)


def test_report_and_latest(client: httpx.Client, operator_key: Key) -> None:
    vid = _vehicle(client, operator_key)
    r = client.get(f"/v1/vehicles/{vid}/position", headers=operator_key.headers)
    assert r.status_code == 404
    now = datetime.now(UTC)
    first = _report(client, operator_key, vid, time=(now - timedelta(seconds=10)).isoformat())
    assert first.status_code == 201, first.text
    second = _report(
        client,
        operator_key,
        vid,
        time=now.isoformat(),
        lng=139.77,
        lat=35.68,
        alt_m=55.5,
        speed_mps=7.5,
        heading_deg=90,
    )
    assert second.status_code == 201
    late = _report(client, operator_key, vid, time=(now - timedelta(minutes=1)).isoformat())
    assert late.status_code == 201
    latest = client.get(f"/v1/vehicles/{vid}/position", headers=operator_key.headers).json()
    assert latest["id"] == second.json()["id"]
    assert (latest["lng"], latest["lat"], latest["alt_m"]) == (139.77, 35.68, 55.5)
    assert latest["speed_mps"] == 7.5 and latest["heading_deg"] == 90
    assert latest["altitude_datum"] == "W84"
    assert latest["spatial_id_zoom"] == 25
    assert latest["spatial_id"] == str(spatialid.lnglat_to_voxel(139.77, 35.68, 55.5, 25))


def test_positions_of_another_operators_vehicle_are_404(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    a, b = make_key("operator"), make_key("operator")
    vid = _vehicle(client, a)
    assert _report(client, a, vid).status_code == 201
    assert _report(client, b, vid).status_code == 404
    assert client.get(f"/v1/vehicles/{vid}/position", headers=b.headers).status_code == 404


def test_position_validation(client: httpx.Client, operator_key: Key) -> None:
    vid = _vehicle(client, operator_key)
    cases = {
        "body.lng": {"lng": 181},
        "body.lat": {"lat": -91},
        "body.speed_mps": {"speed_mps": -1},
        "body.heading_deg": {"heading_deg": 360},
        "body.time": {"time": "2026-01-01T00:00:00"},
        "body.altitude_datum": {"altitude_datum": "EGM96"},
        "body.extra": {"extra": 1},
    }
    for field, bad in cases.items():
        r = _report(client, operator_key, vid, **bad)
        assert r.status_code == 422, (field, r.text)
        assert field in {e["field"] for e in r.json()["errors"]}, (field, r.json())
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    r = _report(client, operator_key, vid, time=future)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "time"


def test_retired_vehicle_cannot_report(client: httpx.Client, operator_key: Key) -> None:
    vid = _vehicle(client, operator_key)
    client.post(f"/v1/vehicles/{vid}/retire", headers=operator_key.headers)
    assert _report(client, operator_key, vid).status_code == 409


def test_same_vehicle_and_time_is_the_same_report(client: httpx.Client, operator_key: Key) -> None:
    vid = _vehicle(client, operator_key)
    at = datetime.now(UTC).isoformat()
    first = _report(client, operator_key, vid, time=at)
    again = _report(client, operator_key, vid, time=at, lng=139.768)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["lng"] == 139.7671  # the stored report, not the repeat's values


def test_a_jump_faster_than_the_vehicle_is_refused(client: httpx.Client, operator_key: Key) -> None:
    vid = _vehicle(client, operator_key)  # 40 m/s at most
    now = datetime.now(UTC)
    assert _report(
        client, operator_key, vid, time=(now - timedelta(seconds=2)).isoformat()
    ).is_success
    r = _report(client, operator_key, vid, time=now.isoformat(), lng=139.78)  # ~1.2 km in 2 s
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "lng"
    assert "impossible_jump" in r.json()["detail"]

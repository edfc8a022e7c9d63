"""Reservation lifecycle: preemption, state machine, versions, idempotency, all-or-nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Key
from tests.reservations.helpers import conflict, created, ids, reserve, spot, volume, window


def _get(client: httpx.Client, key: Key, rid: str) -> dict[str, object]:
    r = client.get(f"/v1/reservations/{rid}", headers=key.headers)
    assert r.status_code == 200, r.text
    data: dict[str, object] = r.json()
    return data


def test_higher_priority_preempts(client: httpx.Client, make_key: Callable[..., Key]) -> None:
    granted = {"max_priority": 100, "may_preempt": True}
    a, b = make_key("operator", **granted), make_key("operator", **granted)
    x, y = spot()
    w = window()
    low_a = created(reserve(client, a, volume(ids(x, y, 2), w)))
    low_b = created(reserve(client, b, volume(ids(x + 2, y, 2), w), priority=10))
    conflict(reserve(client, a, volume(ids(x, y, 4), w), priority=10))  # equal to b's: 409
    high = created(reserve(client, a, volume(ids(x, y, 4), w), priority=100))
    assert high["preempted"] == {"count": 2, "ids": [low_a["id"]]}  # b's id not shown to a
    assert _get(client, a, low_a["id"])["state"] == "preempted"
    got_b = _get(client, b, low_b["id"])
    assert got_b["state"] == "preempted" and got_b["needs_replan"] is True
    conflict(reserve(client, b, volume(ids(x + 3, y, 1), w), priority=50))
    r = client.patch(
        f"/v1/reservations/{low_a['id']}",
        headers=a.headers,
        json={"state": "activated", "version": 2},
    )
    assert r.status_code == 409 and "preempted" in r.json()["detail"]


def test_state_machine_and_versions(client: httpx.Client, operator_key: Key) -> None:
    x, y = spot()
    w = window()
    res = created(reserve(client, operator_key, volume(ids(x, y), w)))
    path = f"/v1/reservations/{res['id']}"
    h = operator_key.headers
    r = client.patch(path, headers=h, json={"state": "ended", "version": 1})
    assert r.status_code == 409 and "'accepted' to 'ended'" in r.json()["detail"]
    r = client.patch(path, headers=h, json={"state": "activated", "version": 7})
    assert r.status_code == 409 and "version" in r.json()["detail"]
    r = client.patch(path, headers=h, json={"state": "activated", "version": 1})
    assert r.status_code == 200 and r.json()["state"] == "activated" and r.json()["version"] == 2
    conflict(reserve(client, operator_key, volume(ids(x, y), w)))  # still held while active
    r = client.patch(path, headers=h, json={"state": "ended", "version": 2})
    assert r.status_code == 200 and r.json()["state"] == "ended"
    created(reserve(client, operator_key, volume(ids(x, y), w)))  # freed at once
    assert client.delete(path, headers=h).status_code == 409  # ended cannot be cancelled
    r = client.patch(path, headers=h, json={"state": "bogus", "version": 3})
    assert r.status_code == 422


def test_idempotency_key(client: httpx.Client, operator_key: Key) -> None:
    x, y = spot()
    body = volume(ids(x, y))
    key = {**operator_key.headers, "Idempotency-Key": uuid.uuid4().hex}
    url = "/v1/reservations"
    first = client.post(url, headers=key, json={"volumes": [body]})
    again = client.post(url, headers=key, json={"volumes": [body]})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    other = client.post(url, headers=key, json={"volumes": [body], "priority": 5})
    assert other.status_code == 422 and "Idempotency-Key" in other.text
    listed = client.get(url, headers=operator_key.headers).json()["items"]
    assert [r["id"] for r in listed].count(first.json()["id"]) == 1


def test_all_or_nothing(
    client: httpx.Client, operator_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    x, y = spot()
    w = window()
    created(reserve(client, operator_key, volume(ids(x + 10, y, 1), w)))
    with db_sessions() as s:
        before = s.scalar(text("SELECT count(*) FROM reservation_boxes"))
        before_r = s.scalar(text("SELECT count(*) FROM reservations"))
    r = reserve(client, operator_key, volume(ids(x, y, 3), w), volume(ids(x + 10, y, 1), w))
    conflict(r)
    with db_sessions() as s:
        assert s.scalar(text("SELECT count(*) FROM reservation_boxes")) == before
        assert s.scalar(text("SELECT count(*) FROM reservations")) == before_r
    created(reserve(client, operator_key, volume(ids(x, y, 3), w)))  # the first part is free


def test_list_filters_and_pagination(client: httpx.Client, operator_key: Key) -> None:
    from tests.reservations.helpers import tile_corner

    x, y = spot()
    made = [created(reserve(client, operator_key, volume(ids(x + 5 * k, y, 1)))) for k in range(3)]
    h = operator_key.headers
    page = client.get("/v1/reservations", headers=h, params={"limit": 2}).json()
    assert len(page["items"]) == 2 and page["next"] is not None
    rest = client.get(page["next"], headers=h).json()
    assert len(rest["items"]) == 1 and rest["next"] is None
    assert [r["id"] for r in page["items"] + rest["items"]] == [m["id"] for m in made]
    client.delete(f"/v1/reservations/{made[0]['id']}", headers=h)
    cancelled = client.get("/v1/reservations", headers=h, params={"state": "cancelled"}).json()
    assert [r["id"] for r in cancelled["items"]] == [made[0]["id"]]
    lng, lat = tile_corner(x + 5, y)
    bbox = f"{lng + 1e-6},{lat - 1e-5},{lng + 2e-5},{lat - 1e-6}"
    near = client.get("/v1/reservations", headers=h, params={"bbox": bbox}).json()
    assert [r["id"] for r in near["items"]] == [made[1]["id"]]
    later = window(30, 1)
    none = client.get(
        "/v1/reservations", headers=h, params={"time_start": later[0], "time_end": later[1]}
    ).json()
    assert none["items"] == []
    r = client.get("/v1/reservations", headers=h, params={"bbox": "1,2,3"})
    assert r.status_code == 422


def test_past_reservations_read_as_ended_everywhere(
    client: httpx.Client, operator_key: Key
) -> None:
    """Why: past reservations never became `ended`: detail, list, its filter and
    occupancy now agree, and an ended reservation can no longer change state."""
    import time
    from datetime import UTC, datetime, timedelta

    x, y = spot()
    now = datetime.now(UTC)
    w = ((now - timedelta(minutes=30)).isoformat(), (now + timedelta(seconds=2)).isoformat())
    body = {"name": "quad", "kind": "drone", "max_speed_mps": 10}
    v = client.post("/v1/vehicles", headers=operator_key.headers, json=body).json()["id"]
    res = created(reserve(client, operator_key, volume(ids(x, y, 1), w), vehicle_id=v))
    future = created(reserve(client, operator_key, volume(ids(x + 3, y, 1))))
    assert res["state"] == "accepted"
    h = operator_key.headers
    occ = {"spatial_ids": ids(x, y, 1), "time_start": w[0], "time_end": window(1, 1)[1]}
    r = client.post("/v1/occupancy/query", headers=h, json=occ)
    assert r.status_code == 200 and r.json()["totals"]["reservation"] == 1
    time.sleep(max(0.0, (datetime.fromisoformat(w[1]) - datetime.now(UTC)).total_seconds()) + 0.5)
    assert _get(client, operator_key, res["id"])["state"] == "ended"

    def listed(**params: str) -> list[str]:
        page = client.get("/v1/reservations", headers=h, params=params).json()
        return [i["id"] for i in page["items"]]

    assert res["id"] in listed() and res["id"] in listed(state="ended")
    assert res["id"] not in listed(state="accepted") and future["id"] in listed(state="accepted")
    assert future["id"] not in listed(state="ended")
    states = {
        i["id"]: i["state"] for i in client.get("/v1/reservations", headers=h).json()["items"]
    }
    assert states[res["id"]] == "ended" and states[future["id"]] == "accepted"
    r = client.post("/v1/occupancy/query", headers=h, json=occ)
    assert r.status_code == 200 and r.json()["totals"]["reservation"] == 0, r.text
    r = client.patch(
        f"/v1/reservations/{res['id']}", headers=h, json={"state": "activated", "version": 1}
    )
    assert r.status_code == 409 and "'ended'" in r.json()["detail"]
    assert client.delete(f"/v1/reservations/{res['id']}", headers=h).status_code == 409
    created(reserve(client, operator_key, volume(ids(x + 6, y, 1)), vehicle_id=v))  # vehicle free

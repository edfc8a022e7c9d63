"""Priority with authority over HTTP: grants set by an admin, 403 beyond them, preemption
only where granted (whole reservations), and what preempted a reservation shown to its owner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.conftest import Key
from tests.hardening.matrix_cases import route_body
from tests.reservations.helpers import conflict, created, ids, reserve, spot, volume, window


def _forbidden(r: httpx.Response, field: str, max_priority: int) -> dict[str, Any]:
    """A 403 problem naming ``field`` and the allowed maximum."""
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["max_priority"] == max_priority
    assert [e["field"] for e in body["errors"]] == [field]
    return body


def _get(client: httpx.Client, key: Key, rid: str) -> dict[str, Any]:
    r = client.get(f"/v1/reservations/{rid}", headers=key.headers)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def _vehicle(client: httpx.Client, key: Key, kind: str = "drone") -> str:
    body = {"name": f"grant-{kind}", "kind": kind, "max_speed_mps": 10 if kind == "drone" else 1.5}
    r = client.post("/v1/vehicles", headers=key.headers, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_an_ordinary_operator_cannot_book_at_priority_100(
    client: httpx.Client, operator_key: Key
) -> None:
    x, y = spot()
    w = window()
    r = reserve(client, operator_key, volume([f"20/1/{x}/{y}"], w), priority=100)
    body = _forbidden(r, "priority", 0)
    assert "100" in body["detail"] and "granted" in body["detail"]
    created(reserve(client, operator_key, volume([f"20/1/{x}/{y}"], w)))  # priority 0: fine
    listed = client.get("/v1/reservations", headers=operator_key.headers).json()["items"]
    assert all(item["priority"] == 0 for item in listed)  # nothing stored by the 403


def test_routes_and_fleets_are_refused_before_planning(
    client: httpx.Client, operator_key: Key
) -> None:
    vid = _vehicle(client, operator_key)
    r = client.post(
        "/v1/routes",
        headers=operator_key.headers,
        json={**route_body(vid), "reserve": True, "priority": 90},
    )
    _forbidden(r, "priority", 0)
    planned = client.post(
        "/v1/routes", headers=operator_key.headers, json={**route_body(vid), "priority": 90}
    )
    assert planned.status_code == 200, planned.text  # planning only: books nothing
    item = {**route_body(_vehicle(client, operator_key, "robot")), "reserve": True, "priority": 50}
    r = client.post("/v1/fleets/routes", headers=operator_key.headers, json={"requests": [item]})
    _forbidden(r, "requests.0.priority", 0)


def test_a_grant_without_preemption_only_conflicts(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    medic, other = make_key("operator", max_priority=50), make_key("operator")
    x, y = spot()
    w = window()
    _forbidden(reserve(client, medic, volume(ids(x, y, 1), w), priority=51), "priority", 50)
    low = created(reserve(client, other, volume(ids(x, y, 2), w)))
    refused = conflict(reserve(client, medic, volume(ids(x, y, 1), w), priority=50))
    assert "may not preempt" in refused["detail"] and refused["conflicts"]
    assert _get(client, other, low["id"])["state"] == "accepted"
    high = created(reserve(client, medic, volume(ids(x + 5, y, 1), w), priority=50))
    assert high["priority"] == 50 and high["preempted"] == {"count": 0, "ids": []}


def test_a_granted_emergency_preempts_the_whole_reservation_and_the_victim_sees_why(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    robot, rescue = make_key("operator"), make_key("operator", max_priority=100, may_preempt=True)
    x, y = spot()
    w = window(1, 0.11)  # a 6.5-minute route of many voxels
    route = created(reserve(client, robot, volume(ids(x, y, 12), w)))
    t0 = datetime.fromisoformat(w[0])
    five = (t0.isoformat(), (t0 + timedelta(seconds=5)).isoformat())
    blip = volume([f"20/1/{x + 6}/{y}"], five)  # one voxel for 5 s
    r = reserve(client, rescue, blip, priority=100, reason="  fire at the harbour ")
    high = created(r)
    assert high["preempted"] == {"count": 1, "ids": []}  # another operator's: a count only
    assert high["reason"] == "fire at the harbour"
    victim = _get(client, robot, route["id"])
    assert victim["state"] == "preempted" and victim["needs_replan"] is True
    by = victim["preempted_by"]
    assert by["priority"] == 100 and by["reason"] == "fire at the harbour"
    assert by["reservation_id"] is None and by["at"] >= victim["created_at"]
    text = client.get(f"/v1/reservations/{route['id']}", headers=robot.headers).text
    assert str(rescue.operator_id) not in text and high["id"] not in text  # not disclosed
    listed = client.get(
        "/v1/reservations", headers=robot.headers, params={"state": "preempted"}
    ).json()["items"]
    assert [i["preempted_by"]["reason"] for i in listed if i["id"] == route["id"]] == [
        "fire at the harbour"
    ]
    # the whole reservation was taken: voxels the emergency never touched are free again
    created(reserve(client, make_key("operator"), volume(ids(x, y, 3), w)))
    admin = make_key("admin")
    assert _get(client, admin, route["id"])["preempted_by"]["reservation_id"] == high["id"]


def test_a_preemptor_of_the_same_operator_is_named(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    a = make_key("operator", max_priority=90, may_preempt=True)
    x, y = spot()
    w = window()
    low = created(reserve(client, a, volume(ids(x, y, 2), w)))
    high = created(reserve(client, a, volume(ids(x, y, 1), w), priority=90))
    assert high["preempted"] == {"count": 1, "ids": [low["id"]]}
    by = _get(client, a, low["id"])["preempted_by"]
    assert by["reservation_id"] == high["id"] and by["reason"] is None
    assert _get(client, a, high["id"])["preempted_by"] is None


def test_only_an_admin_sets_a_grant_and_it_applies_at_once(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key
) -> None:
    op, other, town = make_key("operator"), make_key("operator"), make_key("municipality")
    fleet = make_key("fleet", op.operator_id)
    path = f"/v1/operators/{op.operator_id}/grant"
    want = {"operator_id": str(op.operator_id), "max_priority": 0, "may_preempt": False}
    for key in (op, fleet, admin_key):
        r = client.get(path, headers=key.headers)
        assert r.status_code == 200 and r.json() == want, r.text
    for key in (other, town):
        assert client.get(path, headers=key.headers).status_code == 404
    body = {"max_priority": 90, "may_preempt": True}
    for key in (op, fleet, other, town):
        r = client.put(path, headers=key.headers, json=body)
        assert r.status_code == 403 and "admin" in r.json()["detail"], r.text
    assert client.put(path, json=body).status_code == 401
    x, y = spot()
    _forbidden(reserve(client, op, volume(ids(x, y, 1)), priority=90), "priority", 0)
    r = client.put(path, headers=admin_key.headers, json=body)
    assert r.status_code == 200 and r.json() == {**want, **body}, r.text
    created(reserve(client, op, volume(ids(x, y, 1)), priority=90))
    created(reserve(client, fleet, volume(ids(x + 3, y, 1)), priority=90))  # per operator
    r = client.put(path, headers=admin_key.headers, json={"max_priority": 101})
    assert r.status_code == 422 and "body.max_priority" in r.text
    r = client.put(path, headers=admin_key.headers, json={**body, "extra": 1})
    assert r.status_code == 422
    missing = "/v1/operators/00000000-0000-4000-8000-000000000000/grant"
    assert client.put(missing, headers=admin_key.headers, json=body).status_code == 404
    client.put(path, headers=admin_key.headers, json={"max_priority": 10})
    _forbidden(reserve(client, op, volume(ids(x + 6, y, 1)), priority=90), "priority", 10)


def test_admins_are_unrestricted_and_reasons_are_bounded(
    client: httpx.Client, operator_key: Key, admin_key: Key
) -> None:
    x, y = spot()
    w = window()
    low = created(reserve(client, operator_key, volume(ids(x, y, 1), w)))
    created(reserve(client, admin_key, volume(ids(x, y, 1), w), priority=100, reason="drill"))
    by = _get(client, operator_key, low["id"])["preempted_by"]
    assert by["priority"] == 100 and by["reason"] == "drill"
    r = reserve(client, operator_key, volume(ids(x + 4, y, 1), w), reason="x" * 201)
    assert r.status_code == 422 and "body.reason" in r.text

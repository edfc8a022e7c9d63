"""POST /v1/telemetry: a result per fix, bad fixes refused alone with their reason, the
rest kept; idempotent on (vehicle, time); late fixes never move a vehicle back."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Key
from tests.telemetry.helpers import flight, send, vehicle


def test_each_bad_fix_is_refused_with_its_reason_and_the_rest_kept(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    me, other = make_key("operator"), make_key("operator")
    fl = flight(client, me)
    theirs = vehicle(client, other)
    retired = vehicle(client, me)
    assert client.post(f"/v1/vehicles/{retired}/retire", headers=me.headers).is_success
    now = datetime.now(UTC)
    good = fl.fix(now - timedelta(seconds=3))
    batch = [
        good,
        fl.fix(now + timedelta(minutes=5)),  # future
        {**fl.fix(now - timedelta(seconds=2)), "lng": 0.0, "lat": 0.0},  # sentinel
        {**fl.fix(now - timedelta(seconds=2)), "alt_m": -1000.0},  # Remote ID's unknown
        {**fl.fix(now - timedelta(seconds=2)), "lat": 91.0},
        {**fl.fix(now - timedelta(seconds=2)), "heading_deg": 361.0},
        {**fl.fix(now - timedelta(seconds=2)), "vehicle_id": theirs},
        {**fl.fix(now - timedelta(seconds=2)), "vehicle_id": str(uuid.uuid4())},
        {**fl.fix(now - timedelta(seconds=2)), "vehicle_id": retired},
        {**fl.fix(now - timedelta(seconds=2)), "lng": good["lng"] + 0.05},  # ~4.5 km in 1 s
        fl.fix(now - timedelta(seconds=1), 1),
        good,  # again, in the same batch
        {**fl.fix(now - timedelta(days=90))},
    ]
    body = send(client, me, *batch)
    reasons = [(r["status"], r.get("reason"), r.get("field")) for r in body["results"]]
    assert reasons == [
        ("accepted", None, None),
        ("refused", "time_in_future", "time"),
        ("refused", "sentinel_value", "lng"),
        ("refused", "sentinel_value", "alt_m"),
        ("refused", "out_of_range", "lat"),
        ("refused", "out_of_range", "heading_deg"),
        ("refused", "vehicle_not_found", "vehicle_id"),
        ("refused", "vehicle_not_found", "vehicle_id"),
        ("refused", "vehicle_retired", "vehicle_id"),
        ("refused", "impossible_jump", "lng"),
        ("accepted", None, None),
        ("duplicate", None, None),
        ("refused", "too_old", "time"),
    ]
    assert [r["index"] for r in body["results"]] == list(range(len(batch)))
    assert (body["accepted"], body["duplicates"], body["refused"]) == (2, 1, 10)
    assert all(r["detail"] for r in body["results"] if r["status"] == "refused")

    again = send(client, me, good, fl.fix(now - timedelta(seconds=1), 1))
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert "id" not in again["results"][0]  # nothing new stored


def test_late_and_out_of_order_fixes_join_the_history_without_moving_the_vehicle_back(
    client: httpx.Client, operator_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    fl = flight(client, operator_key)
    now = datetime.now(UTC)
    t = [now - timedelta(seconds=s) for s in (10, 8, 6, 4)]
    send(client, operator_key, fl.fix(t[3], 2), fl.fix(t[0], 0))  # newest first
    send(client, operator_key, fl.fix(t[1], 1))  # late
    send(client, operator_key, fl.fix(t[2], 1), fl.fix(t[1], 1))  # late, and a repeat
    latest = client.get(f"/v1/vehicles/{fl.vehicle_id}/position", headers=operator_key.headers)
    assert latest.status_code == 200
    assert datetime.fromisoformat(latest.json()["time"]) == t[3]
    assert latest.json()["lng"] == fl.point(2)[0]
    with db_sessions() as session:
        times = session.scalars(
            text("SELECT time FROM positions WHERE vehicle_id = :v ORDER BY time"),
            {"v": fl.vehicle_id},
        ).all()
    assert times == t  # each fix once


def test_a_device_clock_a_little_ahead_is_accepted_far_ahead_refused(
    client: httpx.Client, operator_key: Key
) -> None:
    fl = flight(client, operator_key)
    now = datetime.now(UTC)
    body = send(
        client, operator_key, fl.fix(now + timedelta(seconds=3)), fl.fix(now + timedelta(minutes=2))
    )
    assert [r["status"] for r in body["results"]] == ["accepted", "refused"]
    assert "ahead of the server" in body["results"][1]["detail"]


def test_the_batch_is_bounded_and_malformed_batches_are_422(
    client: httpx.Client, operator_key: Key
) -> None:
    fl = flight(client, operator_key)
    one = fl.fix(datetime.now(UTC))
    cases = {
        "body.fixes": {"fixes": []},
        "body.fixes.0.time": {"fixes": [{**one, "time": "yesterday"}]},
        "body.fixes.0.vehicle_id": {"fixes": [{**one, "vehicle_id": "x"}]},
        "body.fixes.0.colour": {"fixes": [{**one, "colour": "red"}]},
    }
    for field, body in cases.items():
        r = client.post("/v1/telemetry", headers=operator_key.headers, json=body)
        assert r.status_code == 422, (field, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in {e["field"] for e in r.json()["errors"]}, (field, r.json())
    many = {"fixes": [one] * 10_001}
    r = client.post("/v1/telemetry", headers=operator_key.headers, json=many)
    assert r.status_code in (413, 422)


def test_who_may_report_which_vehicle(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key
) -> None:
    a = make_key("operator")
    keys = {
        "operator": a,
        "fleet": make_key("fleet", a.operator_id),
        "other operator": make_key("operator"),
        "municipality": make_key("municipality"),
        "admin": admin_key,
    }
    fl = flight(client, a)
    t0 = datetime.now(UTC) - timedelta(seconds=10)
    outcome = {}
    for n, (who, key) in enumerate(keys.items()):
        (result,) = send(client, key, fl.fix(t0 + timedelta(seconds=n)))["results"]
        outcome[who] = result.get("reason", result["status"])
    assert outcome == {
        "operator": "accepted",
        "fleet": "accepted",
        "other operator": "vehicle_not_found",
        "municipality": "vehicle_not_found",
        "admin": "accepted",
    }
    r = client.post("/v1/telemetry", json={"fixes": [fl.fix(datetime.now(UTC))]})
    assert r.status_code == 401

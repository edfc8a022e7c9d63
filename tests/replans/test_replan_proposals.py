"""Re-plan proposals over HTTP: a preemption, a restriction and a contingency each bring a
proposal planned around what changed, its space held until accepted (an atomic swap),
declined or expired; a preemption of the held space withdraws it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.settings import Settings
from registry.db import session_scope
from registry.services import replan_proposals
from tests.conftest import Key
from tests.events.test_event_log import drain
from tests.pgtools import serve
from tests.replans.helpers import one_volume, proposal_of, tile_box
from tests.reservations.helpers import conflict, created, reserve
from tests.telemetry.helpers import F, Flight, Z, flight, send


def _about(items: list[dict[str, Any]], proposal_id: str) -> list[str]:
    return [e["type"] for e in items if e["subject"] == proposal_id]


def _avoids(volumes: list[dict[str, Any]], fl: Flight, k: int = 1) -> bool:
    """No volume lies inside the flight's ``k``-th z20 voxel."""
    for v in volumes:
        for sid in v["spatial_ids"]:
            z, f, x, y = (int(p) for p in sid.split("/"))
            s = z - Z
            if (f >> s, x >> s, y >> s) == (F, fl.x + k, fl.y):
                return False
    return True


def _preempted(client: httpx.Client, make_key: Callable[..., Key]) -> tuple[Key, Flight]:
    """An operator's flight whose middle voxel a priority-50 operator takes for an hour."""
    me = make_key("operator")
    fl = flight(client, me)
    police = make_key("operator", max_priority=50, may_preempt=True)
    now = datetime.now(UTC)
    body = one_volume(f"{Z}/{F}/{fl.x + 1}/{fl.y}", now, now + timedelta(hours=1))
    created(reserve(client, police, body, priority=50, reason="police operation"))
    return me, fl


def test_a_preempted_reservation_gets_a_proposal_around_the_preemptor(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    me, fl = _preempted(client, make_key)
    rid = fl.reservation["id"]
    p = proposal_of(client, me, rid)
    assert p["state"] == "pending", p
    assert p["cause"] == "preempted" and p["vehicle_id"] == fl.vehicle_id
    assert p["from_position"] is False  # no fix yet: from the reservation's origin
    assert p["route"]["type"] == "LineString" and len(p["volumes"]) > 1
    assert _avoids(p["volumes"], fl)
    expires = datetime.fromisoformat(p["expires_at"])
    assert datetime.now(UTC) < expires <= datetime.now(UTC) + timedelta(seconds=31)
    items, mark = drain(client, me)
    (told,) = [e for e in items if e["subject"] == p["id"]]
    assert told["type"] == "kukan.replan.proposed" and told["source"] == "/v1/replans"
    assert told["data"]["reservation_id"] == rid and told["data"]["cause"] == "preempted"
    assert told["data"]["expires_at"] is not None and told["data"]["route"]["coordinates"]

    r = client.post(f"/v1/replans/{p['id']}/accept", headers=me.headers)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["replaced"] is False  # a preempted reservation is booked anew
    new = done["reservation"]
    assert new["id"] != rid and new["vehicle_id"] == fl.vehicle_id
    assert new["state"] == "accepted" and _avoids(new["volumes"], fl)
    assert done["proposal"]["state"] == "accepted"
    later, _ = drain(client, me, mark)
    assert "kukan.replan.accepted" in _about(later, p["id"])
    assert "kukan.reservation.created" in _about(later, new["id"])
    again = client.post(f"/v1/replans/{p['id']}/accept", headers=me.headers)
    assert again.status_code == 409  # once only
    old = client.get(f"/v1/reservations/{rid}", headers=me.headers).json()
    assert old["state"] == "preempted"  # the record of what happened stays


def test_the_held_space_is_refused_to_others_until_declined(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    me, fl = _preempted(client, make_key)
    p = proposal_of(client, me, fl.reservation["id"])
    assert p["state"] == "pending", p
    v = p["volumes"][len(p["volumes"]) // 2]
    rival = make_key("operator")
    body = {
        "spatial_ids": v["spatial_ids"],
        "time_start": v["time_start"],
        "time_end": v["time_end"],
    }
    conflict(reserve(client, rival, body))
    r = client.post(f"/v1/replans/{p['id']}/decline", headers=me.headers)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "declined"
    created(reserve(client, rival, body))  # freed at once
    r = client.post(f"/v1/replans/{p['id']}/accept", headers=me.headers)
    assert r.status_code == 409


def test_a_preemption_of_the_held_space_withdraws_the_proposal(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    me, fl = _preempted(client, make_key)
    p = proposal_of(client, me, fl.reservation["id"])
    assert p["state"] == "pending", p
    v = p["volumes"][len(p["volumes"]) // 2]
    body = {
        "spatial_ids": v["spatial_ids"],
        "time_start": v["time_start"],
        "time_end": v["time_end"],
    }
    medical = make_key("operator", max_priority=90, may_preempt=True)
    created(reserve(client, medical, body, priority=90, reason="ambulance"))
    after = client.get(f"/v1/replans/{p['id']}", headers=me.headers).json()
    assert after["state"] == "withdrawn" and "priority 90" in after["detail"]


def test_an_expired_proposal_frees_its_space(
    client: httpx.Client, make_key: Callable[..., Key], db_sessions: sessionmaker[Session]
) -> None:
    me, fl = _preempted(client, make_key)
    p = proposal_of(client, me, fl.reservation["id"])
    assert p["state"] == "pending", p
    v = p["volumes"][0]
    body = {
        "spatial_ids": v["spatial_ids"],
        "time_start": v["time_start"],
        "time_end": v["time_end"],
    }
    rival = make_key("operator")
    conflict(reserve(client, rival, body))
    with session_scope(db_sessions) as session:  # the replanner's expiry, a minute ahead
        n = replan_proposals.expire_due(session=session, now=datetime.now(UTC) + timedelta(60))
    assert n >= 1
    assert client.get(f"/v1/replans/{p['id']}", headers=me.headers).json()["state"] == "expired"
    created(reserve(client, rival, body))
    r = client.post(f"/v1/replans/{p['id']}/accept", headers=me.headers)
    assert r.status_code == 409


def test_a_restriction_cut_is_replanned_and_swapped_in_place(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    me = make_key("operator")
    fl = flight(client, me)
    town = make_key("municipality")
    body = {
        "geometry": tile_box(fl.x + 1, fl.y),
        "altitude_lower": 0,
        "altitude_upper": 100,
        "reason": "fire",
    }
    r = client.post("/v1/restrictions", headers=town.headers, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["affected_reservations"] == [fl.reservation["id"]]
    p = proposal_of(client, me, fl.reservation["id"])
    assert p["state"] == "pending" and p["cause"] == "restriction", p
    assert _avoids(p["volumes"], fl)
    r = client.post(f"/v1/replans/{p['id']}/accept", headers=me.headers)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["replaced"] is True
    res = done["reservation"]
    assert res["id"] == fl.reservation["id"] and res["version"] > fl.reservation["version"]
    assert res["needs_replan"] is False and _avoids(res["volumes"], fl)


def test_only_the_owner_sees_and_decides(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key
) -> None:
    me, fl = _preempted(client, make_key)
    p = proposal_of(client, me, fl.reservation["id"])
    other, town = make_key("operator"), make_key("municipality")
    path = f"/v1/replans/{p['id']}"
    assert client.get(path, headers=other.headers).status_code == 404
    assert client.post(f"{path}/accept", headers=other.headers).status_code == 404
    assert client.post(f"{path}/decline", headers=other.headers).status_code == 404
    assert client.post(f"{path}/accept", headers=town.headers).status_code == 403
    assert client.get("/v1/replans", headers=other.headers).json()["items"] == []
    assert client.get(path, headers=admin_key.headers).status_code == 200
    assert client.get(path).status_code == 401
    assert client.get(path, headers=me.headers).json()["state"] == "pending"  # untouched
    bad = client.get("/v1/replans", params={"state": "bogus"}, headers=me.headers)
    assert bad.status_code == 422


@pytest.fixture(scope="module")
def quiet_server(settings: Settings) -> Iterator[str]:
    """A server without the sweeper: contingency comes from the (past-dated) fixes alone."""
    with serve(create_app(settings.model_copy(update={"conformance_sweep_s": 0}))) as base:
        yield base


def test_a_contingent_flight_is_replanned_from_its_last_fix(
    quiet_server: str, make_key: Callable[..., Key]
) -> None:
    with httpx.Client(base_url=quiet_server, timeout=30) as c:
        me = make_key("operator")
        fl = flight(c, me)
        t0 = datetime.now(UTC) - timedelta(seconds=50)
        for s, k in [(0, 0), (1, 5), (40, 5), (45, 5)]:
            (res,) = send(c, me, fl.fix(t0 + timedelta(seconds=s), k))["results"]
        assert res["conformance"] == "contingent", res
        p = proposal_of(c, me, fl.reservation["id"])
        assert p["state"] == "pending" and p["cause"] == "contingent", p
        assert p["from_position"] is True
        lng, lat, alt = fl.point(5)
        assert p["origin"] == pytest.approx({"lng": lng, "lat": lat, "alt_m": alt})

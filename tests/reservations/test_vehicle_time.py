"""One vehicle, one place: a vehicle's live reservations never overlap in time.

The pre-check names the other reservation; the exclusion on ``reservations`` is the
authority, shown by a race in which both requests pass the pre-check before either
inserts (the box table is held locked until both wait, as a blocker would hold it).
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Key
from tests.reservations.helpers import conflict, created, ids, reserve, spot, volume, window
from tests.reservations.test_preempt_race import _race


def drone(client: httpx.Client, key: Key, kind: str = "drone") -> str:
    """A fresh vehicle of ``key``'s operator."""
    body = {"name": f"v-{uuid.uuid4().hex[:8]}", "kind": kind, "max_speed_mps": 10}
    r = client.post("/v1/vehicles", headers=key.headers, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def tile(lng: float, lat: float, z: int = 20) -> tuple[int, int]:
    """The z20 tile (x, y) of a point."""
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lng + 180) / 360 * n), int(y)


def _at(minutes: float, length: float) -> tuple[str, str]:
    t0 = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=3, minutes=minutes)
    return t0.isoformat(), (t0 + timedelta(minutes=length)).isoformat()


def busy(r: httpx.Response) -> dict[str, Any]:
    """The body of a 409 ``vehicle_busy`` problem."""
    body = conflict(r)
    assert body["reason"] == "vehicle_busy", body
    return body


def test_tokyo_then_helsinki_is_refused(client: httpx.Client, operator_key: Key) -> None:
    """Why: a vehicle held Tokyo 06:00-06:07 and Helsinki at 06:02."""
    v = drone(client, operator_key)
    tx, ty = tile(139.7721, 35.6852)  # Tokyo, off the squares other tests restrict
    hx, hy = tile(24.9384, 60.1699)
    tokyo = created(reserve(client, operator_key, volume(ids(tx, ty, 1), _at(0, 7)), vehicle_id=v))
    refused = busy(reserve(client, operator_key, volume(ids(hx, hy, 1), _at(2, 3)), vehicle_id=v))
    assert refused["reservation_id"] == tokyo["id"] and refused["vehicle_id"] == v
    assert tokyo["id"] in refused["detail"]
    created(reserve(client, operator_key, volume(ids(hx, hy, 1), _at(7, 3)), vehicle_id=v))  # after
    other = drone(client, operator_key)  # another vehicle may be in Helsinki meanwhile
    created(reserve(client, operator_key, volume(ids(hx, hy, 1), _at(2, 3)), vehicle_id=other))


def test_freed_reservations_do_not_hold_the_vehicle(
    client: httpx.Client, operator_key: Key
) -> None:
    v = drone(client, operator_key)
    x, y = spot()
    w = window(2, 1)
    first = created(reserve(client, operator_key, volume(ids(x, y, 1), w), vehicle_id=v))
    busy(reserve(client, operator_key, volume(ids(x + 9, y, 1), w), vehicle_id=v))
    assert client.delete(f"/v1/reservations/{first['id']}", headers=operator_key.headers).is_success
    created(reserve(client, operator_key, volume(ids(x + 9, y, 1), w), vehicle_id=v))
    created(reserve(client, operator_key, volume(ids(x + 20, y, 1), w)))  # no vehicle: no rule


def test_the_database_refuses_an_overlap(
    client: httpx.Client, operator_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    """Past the service, the exclusion constraint still refuses a second live row."""
    v = drone(client, operator_key)
    x, y = spot()
    made = created(reserve(client, operator_key, volume(ids(x, y, 1), window(2, 1)), vehicle_id=v))
    with db_sessions() as s:
        row = s.execute(
            text("SELECT vehicle_id, span FROM reservations WHERE id = :i"), {"i": made["id"]}
        ).one()
        assert str(row[0]) == v and row[1].lower is not None
        with pytest.raises(IntegrityError, match="ex_reservations_vehicle_time"):
            s.execute(
                text(
                    """INSERT INTO reservations (id, principal_id, operator_id, vehicle_id,
                        time_start, time_end, geometry)
                    SELECT gen_random_uuid(), principal_id, operator_id, vehicle_id,
                        time_start + interval '10 minutes', time_end, geometry
                    FROM reservations WHERE id = :i"""
                ),
                {"i": made["id"]},
            )
        s.rollback()


def test_two_bookings_race_one_wins(
    live_server: str,
    client: httpx.Client,
    operator_key: Key,
    db_sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two processes book one vehicle at overlapping times at different places, both
    past the pre-check: exactly one 201, the other 409 ``vehicle_busy`` naming it."""
    from registry.services import lifecycle

    refusals: list[str] = []
    real = lifecycle.busy_error

    def counted(**kw: Any) -> Any:
        refusals.append(str(kw["vehicle_id"]))
        return real(**kw)

    monkeypatch.setattr(lifecycle, "busy_error", counted)  # the server runs in this process
    for _ in range(2):
        v = drone(client, operator_key)
        x, y = spot()
        a = {"vehicle_id": v, "volumes": [volume(ids(x, y, 1), _at(0, 10))]}
        b = {"vehicle_id": v, "volumes": [volume(ids(x + 40, y, 1), _at(5, 10))]}
        ra, rb = _race(live_server, db_sessions, None, [(operator_key, a), (operator_key, b)])
        statuses = sorted([ra.status_code, rb.status_code])
        assert statuses == [201, 409], (ra.text[:300], rb.text[:300])
        win, lose = (ra, rb) if ra.status_code == 201 else (rb, ra)
        assert busy(lose)["reservation_id"] == win.json()["id"]
        assert refusals.count(v) == 1  # refused by the exclusion, not by the pre-check
        with db_sessions() as s:
            live = s.execute(
                text(
                    """SELECT count(*) FROM reservations WHERE vehicle_id = :v
                    AND state IN ('accepted', 'activated')"""
                ),
                {"v": v},
            ).scalar_one()
        assert live == 1


def test_fleet_naming_a_vehicle_twice_is_422(client: httpx.Client, operator_key: Key) -> None:
    """Why: a fleet request may list the same robot twice."""
    robots = [drone(client, operator_key, "robot") for _ in range(2)]
    t0 = window(2, 1)[0]

    def item(v: str) -> dict[str, Any]:
        return {
            "vehicle_id": v,
            "origin": {"lng": 139.7601, "lat": 35.6801},
            "destination": {"lng": 139.7611, "lat": 35.6806},
            "departure_time": t0,
        }

    body = {"requests": [item(robots[0]), item(robots[1]), item(robots[1]), item(robots[0])]}
    r = client.post("/v1/fleets/routes", headers=operator_key.headers, json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    errors = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert set(errors) == {"requests.2.vehicle_id", "requests.3.vehicle_id"}
    assert "also in requests.1" in errors["requests.2.vehicle_id"]
    assert "also in requests.0" in errors["requests.3.vehicle_id"]


def test_retiring_waits_for_a_booking_in_flight_and_cancels_it(
    live_server: str,
    client: httpx.Client,
    operator_key: Key,
    db_sessions: sessionmaker[Session],
) -> None:
    """A booking in flight when the vehicle is retired: the retirement waits for it and
    cancels what it booked, so no live reservation of a retired vehicle stays."""
    import threading

    from tests.reservations.test_preempt_race import _waiting

    v = drone(client, operator_key)
    x, y = spot()
    body = {"vehicle_id": v, "volumes": [volume(ids(x, y, 1), _at(0, 10))]}
    out: dict[str, httpx.Response] = {}

    def call(name: str, method: str, path: str, **kw: Any) -> None:
        with httpx.Client(base_url=live_server, timeout=60) as c:
            out[name] = c.request(method, path, headers=operator_key.headers, **kw)

    with db_sessions() as gate:
        gate.execute(text("LOCK TABLE reservation_boxes IN SHARE MODE"))  # holds the insert
        book = threading.Thread(target=call, args=("book", "POST", "/v1/reservations"),
                                kwargs={"json": body})  # fmt: skip
        book.start()
        _waiting(gate, 1)  # the booking holds the vehicle (share) and waits at its insert
        retire = threading.Thread(target=call, args=("retire", "POST", f"/v1/vehicles/{v}/retire"))
        retire.start()
        _waiting(gate, 2)  # the retirement waits for the booking's lock on the vehicle row,
        events = gate.execute(  # not for the table the gate holds
            text(
                """SELECT wait_event FROM pg_stat_activity WHERE datname = current_database()
                AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"""
            )
        ).scalars()
        assert sorted(events) == ["relation", "transactionid"]
        gate.commit()
    book.join(timeout=60)
    retire.join(timeout=60)
    booked = created(out["book"])
    assert out["retire"].status_code == 200, out["retire"].text
    assert out["retire"].json()["cancelled_reservations"] == [booked["id"]]
    got = client.get(f"/v1/reservations/{booked['id']}", headers=operator_key.headers).json()
    assert got["state"] == "cancelled"

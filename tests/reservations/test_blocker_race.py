"""Blockers versus reservations in flight: whichever commits second sees the first."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from registry.models import Principal
from registry.services import reservations, restrictions
from registry.volume_errors import Contested
from tests.pgtools import backend_pid, wait_blocked
from tests.reservations.helpers import ids, spot, square, tile_corner


def _vol(x: int, y: int) -> list[reservations.VolumeRequest]:
    t0 = datetime.now(UTC) + timedelta(hours=1)
    return [
        reservations.VolumeRequest(
            spatial_ids=ids(x, y, 1), time_start=t0, time_end=t0 + timedelta(hours=1)
        )
    ]


def _area(x: int, y: int) -> dict[str, Any]:
    lng, lat = tile_corner(x, y)
    d = 360 / 2**20
    return square(lng + 1e-6, lat - d + 1e-6, d - 2e-6)


def _me(session: Session, key: Any) -> Principal:
    me = session.get(Principal, key.principal_id)
    assert me is not None
    return me


def test_restriction_first_refuses_the_waiting_reservation(
    db_sessions: sessionmaker[Session], make_key: Any
) -> None:
    town, op = make_key("municipality"), make_key("operator")
    x, y = spot()
    a, b = db_sessions(), db_sessions()
    out: dict[str, Any] = {}
    try:
        restrictions.create_restriction(
            session=a,
            actor=_me(a, town),
            geometry=_area(x, y),
            altitude_lower=0,
            altitude_upper=100,
            reason="race",
            zoom=20,
        )
        holder, waiter = backend_pid(a), backend_pid(b)

        def reserve() -> None:
            try:
                reservations.create_reservation(session=b, actor=_me(b, op), volumes=_vol(x, y))
            except Contested as exc:
                out["error"] = exc

        t = threading.Thread(target=reserve)
        t.start()
        # its insert waits for the restriction's SHARE lock on the box table
        assert wait_blocked(db_sessions, waiter, holder, t) == "relation"
        a.commit()
        t.join(timeout=10)
        assert "restriction" in str(out.get("error"))
    finally:
        b.rollback()
        a.close()
        b.close()


def test_reservation_first_is_reported_by_the_waiting_restriction(
    db_sessions: sessionmaker[Session], make_key: Any
) -> None:
    town, op = make_key("municipality"), make_key("operator")
    x, y = spot()
    a, b = db_sessions(), db_sessions()
    out: dict[str, Any] = {}
    try:
        made = reservations.create_reservation(session=b, actor=_me(b, op), volumes=_vol(x, y))
        holder, waiter = backend_pid(b), backend_pid(a)

        def restrict() -> None:
            out["result"] = restrictions.create_restriction(
                session=a,
                actor=_me(a, town),
                geometry=_area(x, y),
                altitude_lower=0,
                altitude_upper=100,
                reason="race",
                zoom=20,
            )

        t = threading.Thread(target=restrict)
        t.start()
        # the SHARE lock on the box table waits for the reservation's transaction
        assert wait_blocked(db_sessions, waiter, holder, t) == "relation"
        b.commit()
        t.join(timeout=10)
        assert out["result"][1] == [made.reservation.id]
        a.commit()
    finally:
        a.close()
        b.close()

"""The race the pre-check cannot see: the exclusion constraint turns it into Contested."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from registry.models import Principal
from registry.services import reservations
from registry.volume_errors import Contested
from tests.pgtools import backend_pid, wait_blocked
from tests.reservations.helpers import ids, spot, window


def volume(spatial_ids: list[str], w: tuple[str, str] | None = None) -> reservations.VolumeRequest:
    """A service-level volume (datetimes, not strings)."""
    t0, t1 = w or window()
    start, end = datetime.fromisoformat(t0), datetime.fromisoformat(t1)
    return reservations.VolumeRequest(spatial_ids=spatial_ids, time_start=start, time_end=end)


def test_racing_insert_becomes_contested(db_sessions: sessionmaker[Session], make_key: Any) -> None:
    key = make_key("operator")
    x, y = spot()
    w = window()
    vol = [volume(ids(x, y, 2), w)]
    first, second = db_sessions(), db_sessions()
    outcome: dict[str, Any] = {}
    try:
        me = first.get(Principal, key.principal_id)
        assert me is not None
        reservations.create_reservation(session=first, actor=me, volumes=vol)  # not committed
        holder, waiter = backend_pid(first), backend_pid(second)

        def race() -> None:
            me2 = second.get(Principal, key.principal_id)
            assert me2 is not None
            try:
                reservations.create_reservation(session=second, actor=me2, volumes=vol)
            except Contested as exc:
                outcome["error"] = exc

        t = threading.Thread(target=race)
        t.start()
        # the second insert waits on the first's uncommitted boxes (their transaction)
        assert wait_blocked(db_sessions, waiter, holder, t) == "transactionid"
        first.commit()
        t.join(timeout=10)
        err = outcome.get("error")
        assert isinstance(err, Contested)
        contested = err.problem_extra["conflicts"]
        assert {i for c in contested for i in c["spatial_ids"]} == set(ids(x, y, 2))
    finally:
        second.rollback()
        first.close()
        second.close()


def test_pre_check_sees_committed(db_sessions: sessionmaker[Session], make_key: Any) -> None:
    key = make_key("fleet")
    x, y = spot()
    vol = [volume(ids(x, y, 1))]
    with db_sessions() as s:
        me = s.get(Principal, key.principal_id)
        assert me is not None
        reservations.create_reservation(session=s, actor=me, volumes=vol)
        s.commit()
        with pytest.raises(Contested):
            reservations.create_reservation(session=s, actor=me, volumes=vol)

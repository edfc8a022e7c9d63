"""Event retention: events older than the retention are dropped up to a cut; a reader
behind the cut is told (410 ``cursor_expired``) instead of shown a log with holes, a reader
without a cursor starts at the oldest kept, and the outbound feeds read on past the cut."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from registry.models import Principal
from registry.services import events
from tests.conftest import Key
from tests.events.test_event_log import about, drain
from tests.reservations.helpers import created, ids, reserve, spot, volume


def test_a_cursor_behind_the_cut_is_gone_and_nothing_after_it_is_lost(
    client: httpx.Client, make_key: Callable[..., Key], db_sessions: sessionmaker[Session]
) -> None:
    me = make_key("operator")
    _, behind = drain(client, me)
    x, y = spot()
    old = created(reserve(client, me, volume(ids(x, y, 1))))
    (told,) = [e for e in drain(client, me, behind)[0] if e["subject"] == old["id"]]
    cut_at = datetime.fromisoformat(told["time"]) + timedelta(milliseconds=1)
    with session_scope(db_sessions) as session:
        dropped = events.drop_expired(session, before=cut_at, chunk=50)
    while dropped:  # in chunks, each its own transaction
        with session_scope(db_sessions) as session:
            dropped = events.drop_expired(session, before=cut_at, chunk=50)
    new = created(reserve(client, me, volume(ids(x + 2, y, 1))))

    r = client.get(behind, headers=me.headers)
    assert r.status_code == 410, r.text
    problem = r.json()
    assert problem["reason"] == "cursor_expired" and problem["errors"][0]["field"] == "after"
    after = behind.split("after=")[1].split("&")[0]
    r = client.get("/v1/events/stream", headers={**me.headers, "Last-Event-ID": after})
    assert r.status_code == 410 and r.json()["errors"][0]["field"] == "Last-Event-ID"

    kept, _ = drain(client, me)  # no cursor: from the oldest kept
    assert about(kept, old["id"]) == [] and about(kept, new["id"]) == ["kukan.reservation.created"]
    with session_scope(db_sessions) as session:  # an outbound feed reads on past the cut
        actor = session.get(Principal, me.principal_id)
        assert actor is not None
        page = events.read_events(
            session=session, actor=actor, after=after, limit=100, skip_dropped=True
        )
        assert [e.subject for e in page.items] == [new["id"]]

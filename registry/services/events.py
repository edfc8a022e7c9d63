"""The event log: events emitted in the caller's transaction, read per principal in an
order that no late commit can break.

Writers call :func:`emit` (or the reservation helpers) inside the transaction of the change,
so an event is stored if and only if the change commits. Readers page with
:func:`read_events`: events in ``(tx, seq)`` order, and only those whose writing
transaction is older than the oldest transaction still running
(``pg_snapshot_xmin(pg_current_snapshot())``). Every such transaction has ended, so its
events are final; every transaction that may still write gets a larger ID, so its events
sort after the cursor. A reader therefore never skips an event, and never sees one twice.
The price: an event waits, at most, for the longest write transaction running beside it.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select, text, tuple_
from sqlalchemy.orm import Session

from registry.errors import Gone, InvalidInput
from registry.models import Event, Principal, Reservation, Restriction

RESERVATIONS = "/v1/reservations"
"""The CloudEvents ``source`` of reservation events."""
HORIZON = text("(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")
"""The oldest transaction still running: events of older transactions are final."""
CURSOR_FIELD = "after"
_PREFIX = "e1."


@dataclass(frozen=True)
class EventPage:
    """Events after a cursor, and the cursor to read on from (always set: the log goes on)."""

    items: list[Event]
    after: str


def encode_cursor(tx: int, seq: int) -> str:
    """The opaque cursor of the position ``(tx, seq)`` in the log."""
    return base64.urlsafe_b64encode(f"{_PREFIX}{tx}.{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, field: str = CURSOR_FIELD) -> tuple[int, int]:
    """The position of a cursor from :func:`encode_cursor`; InvalidInput naming ``field``."""
    bad = InvalidInput(f"{field} is not a cursor of the event log", field=field)
    try:
        plain = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad from None
    if not plain.startswith(_PREFIX):
        raise bad
    parts = plain[len(_PREFIX) :].split(".")
    if len(parts) != 2 or not all(p.isdigit() and len(p) <= 19 for p in parts):
        raise bad
    tx, seq = int(parts[0]), int(parts[1])
    if tx >= 2**63 or seq >= 2**63:
        raise bad
    return tx, seq


def cursor_of(event: Event) -> str:
    """The cursor just after ``event`` (its position in the log)."""
    return encode_cursor(event.tx, event.seq)


def emit(
    *,
    session: Session,
    type: str,
    source: str,
    subject: str,
    data: dict[str, Any],
    principal_id: uuid.UUID | None,
    operator_id: uuid.UUID | None,
) -> None:
    """Store one event for its audience (a principal, an operator, or both) in the
    caller's transaction."""
    session.execute(
        insert(Event).values(
            type=type,
            source=source,
            subject=subject,
            data=data,
            principal_id=principal_id,
            operator_id=operator_id,
        )
    )


def reservation_data(res: Reservation, **extra: Any) -> dict[str, Any]:
    """The ``data`` of a reservation event: what a client needs to act on it."""
    return {
        "reservation_id": str(res.id),
        "vehicle_id": None if res.vehicle_id is None else str(res.vehicle_id),
        "state": res.state,
        "version": res.version,
        "priority": res.priority,
        "time_start": res.time_start.isoformat(),
        "time_end": res.time_end.isoformat(),
        **extra,
    }


def emit_reservation(session: Session, res: Reservation, kind: str, **extra: Any) -> None:
    """Tell a reservation's owner (its principal and operator) that it is ``kind``
    (``kukan.reservation.<kind>``)."""
    emit(
        session=session,
        type=f"kukan.reservation.{kind}",
        source=RESERVATIONS,
        subject=str(res.id),
        data=reservation_data(res, **extra),
        principal_id=res.principal_id,
        operator_id=res.operator_id,
    )


def _bulk(kind: str, extra: str = "") -> Any:
    """The insert of a ``kukan.reservation.<kind>`` event for each reservation in ``:ids``
    (``extra``: more ``data`` members, as ``jsonb_build_object`` arguments)."""
    return text(
        f"""INSERT INTO events (type, source, subject, data, principal_id, operator_id)
        SELECT 'kukan.reservation.{kind}', '{RESERVATIONS}', r.id::text,
            jsonb_build_object('reservation_id', r.id, 'vehicle_id', r.vehicle_id,
                'state', r.state, 'version', r.version, 'priority', r.priority,
                'time_start', r.time_start, 'time_end', r.time_end{extra}),
            r.principal_id, r.operator_id
        FROM reservations r WHERE r.id = ANY(:ids) ORDER BY r.id"""
    )


_PREEMPTED = _bulk(
    "preempted",
    """, 'preempted_by', jsonb_build_object('priority', r.preempted_by_priority,
        'reason', r.preempted_by_reason, 'at', r.preempted_at)""",
)
_CANCELLED = _bulk("cancelled")


def emit_preempted(session: Session, ids: Sequence[uuid.UUID]) -> None:
    """Tell each preempted reservation's owner, with the preemptor's priority and reason
    (not its reservation, which the victim may not read)."""
    if ids:
        session.execute(_PREEMPTED, {"ids": list(ids)})


def emit_cancelled(session: Session, ids: Sequence[uuid.UUID]) -> None:
    """Tell each cancelled reservation's owner (a bulk cancel, e.g. a vehicle retired)."""
    if ids:
        session.execute(_CANCELLED, {"ids": list(ids)})


RESTRICTIONS = "/v1/restrictions"
"""The CloudEvents ``source`` of restriction events."""
_INTERSECTS = text(
    f"""INSERT INTO events (type, source, subject, data, principal_id, operator_id)
    SELECT 'kukan.restriction.intersects', '{RESTRICTIONS}', CAST(:rid AS text),
        jsonb_build_object('restriction_id', CAST(:rid AS uuid),
            'reason', CAST(:reason AS text), 'reservation_id', r.id,
            'vehicle_id', r.vehicle_id, 'state', r.state, 'version', r.version,
            'needs_replan', r.needs_replan),
        r.principal_id, r.operator_id
    FROM reservations r WHERE r.id = ANY(:ids) ORDER BY r.id"""
)


def emit_intersects(
    session: Session, restriction: Restriction, reservation_ids: Sequence[uuid.UUID]
) -> None:
    """Tell each owner of a reservation a restriction now meets (it needs re-planning),
    and the restriction's declarer which reservations it meets."""
    if not reservation_ids:
        return
    ids = sorted(reservation_ids)
    session.execute(_INTERSECTS, {"rid": restriction.id, "reason": restriction.reason, "ids": ids})
    if restriction.principal_id is None:  # declared on the server itself: no one to tell
        return
    emit(
        session=session,
        type="kukan.restriction.intersects",
        source=RESTRICTIONS,
        subject=str(restriction.id),
        data={
            "restriction_id": str(restriction.id),
            "reason": restriction.reason,
            "reservations": len(ids),
            "reservation_ids": [str(i) for i in ids],
        },
        principal_id=restriction.principal_id,
        operator_id=None,
    )


def end_cursor(session: Session) -> str:
    """The cursor after every event that is final now (later reads see only newer ones)."""
    return encode_cursor(int(session.execute(select(HORIZON)).scalar_one()), 0)


def dropped_through(session: Session) -> tuple[int, int]:
    """The position at and before which retention has dropped every event ((0, 0): none)."""
    row = session.execute(text("SELECT tx, seq FROM event_retention WHERE id = 1")).first()
    return (0, 0) if row is None else (int(row[0]), int(row[1]))


def read_events(
    *,
    session: Session,
    actor: Principal,
    after: str | None,
    limit: int,
    skip_dropped: bool = False,
) -> EventPage:
    """The events ``actor`` may see after cursor ``after`` (None: from the oldest kept), at
    most ``limit``: its own and its operator's; an admin sees every event.

    A cursor before what retention dropped is ``Gone`` (410: some events after it are no
    longer there), unless ``skip_dropped`` (an outbound feed), which reads on from the
    oldest kept."""
    if limit < 1:
        raise InvalidInput(f"limit must be >= 1, got {limit}", field="limit")
    start = decode_cursor(after) if after is not None else (0, 0)
    cut = dropped_through(session)
    if start < cut:
        if after is not None and not skip_dropped:
            raise Gone(
                "events after this cursor were dropped by retention: read from the oldest "
                "kept (no cursor), or from a newer cursor",
                field=CURSOR_FIELD,
                reason="cursor_expired",
            )
        start = cut
    horizon = int(session.execute(select(HORIZON)).scalar_one())
    query = select(Event).where(tuple_(Event.tx, Event.seq) > start, Event.tx < horizon)
    if not actor.is_admin:
        mine = Event.principal_id == actor.id
        if actor.operator_id is not None:
            mine = or_(mine, Event.operator_id == actor.operator_id)
        query = query.where(mine)
    rows = list(session.scalars(query.order_by(Event.tx, Event.seq).limit(limit)))
    if len(rows) == limit:
        return EventPage(rows, cursor_of(rows[-1]))
    # every final event after the cursor was read: read on from the horizon
    return EventPage(rows, encode_cursor(*max(start, (horizon, 0))))


_CUT = text(
    """SELECT tx, seq FROM events WHERE time < :before AND tx < :horizon
    ORDER BY tx DESC, seq DESC LIMIT 1"""
)
_MARK = text(
    """INSERT INTO event_retention (id, tx, seq, dropped, dropped_at)
    VALUES (1, :tx, :seq, 0, now())
    ON CONFLICT (id) DO UPDATE SET tx = excluded.tx, seq = excluded.seq, dropped_at = now()
    WHERE (event_retention.tx, event_retention.seq) < (excluded.tx, excluded.seq)"""
)
_DROP = text(
    """WITH gone AS (DELETE FROM events WHERE seq IN (
        SELECT seq FROM events WHERE (tx, seq) <= (:tx, :seq) LIMIT :chunk) RETURNING 1)
    UPDATE event_retention SET dropped = dropped + (SELECT count(*) FROM gone) WHERE id = 1
    RETURNING (SELECT count(*) FROM gone)"""
)


def drop_expired(session: Session, *, before: datetime, chunk: int = 10_000) -> int:
    """Cut the log at the newest final event older than ``before``: mark the cut (so a
    reader behind it is told, never shown a log with holes) and delete up to ``chunk``
    events at or before it; how many were deleted (call again until 0)."""
    horizon = int(session.execute(select(HORIZON)).scalar_one())
    row = session.execute(_CUT, {"before": before, "horizon": horizon}).first()
    tx, seq = dropped_through(session) if row is None else (int(row[0]), int(row[1]))
    if (tx, seq) == (0, 0):
        return 0
    session.execute(_MARK, {"tx": tx, "seq": seq})
    tx, seq = dropped_through(session)
    return int(session.execute(_DROP, {"tx": tx, "seq": seq, "chunk": chunk}).scalar_one())

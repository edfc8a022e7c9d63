"""The reservation lifecycle as read: ``ended`` once the end has passed; a vehicle's time.

A live reservation (``accepted``, ``activated``) whose ``time_end`` is not after now reads
as ``ended`` everywhere, computed at read time from one clock (the database's ``now()``
in queries, :func:`effective_state` in Python), so nothing has to sweep the table. Its
boxes lie wholly in the past and block nothing.

A vehicle is in one place at a time: the exclusion ``ex_reservations_vehicle_time`` on
``reservations`` refuses a second live reservation of a vehicle overlapping in time;
:func:`vehicle_conflict` is the cheap pre-check that names the other reservation, and
:func:`busy_error` turns the constraint's refusal (a racing booking) into the same error.
Retiring a vehicle cancels its live reservations that have not ended
(:func:`cancel_vehicle_reservations`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, text, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.errors import Conflict
from registry.models import (
    LIVE_STATES,
    Obstacle,
    ReplanCause,
    Reservation,
    ReservationBox,
    Restriction,
)
from registry.services import events
from registry.volume_errors import VehicleBusy

VEHICLE_TIME_CONSTRAINT = "ex_reservations_vehicle_time"


def effective_state(res: Reservation, now: datetime | None = None) -> str:
    """The state as read: a live reservation whose end has passed is ``ended``."""
    now = now or datetime.now(UTC)
    if res.state in LIVE_STATES and res.time_end <= now:
        return "ended"
    return res.state


def state_is(state: str) -> ColumnElement[bool]:
    """The SQL condition: the reservation reads as ``state`` now."""
    over = Reservation.time_end <= func.now()
    if state == "ended":
        return or_(Reservation.state == "ended", and_(Reservation.state.in_(LIVE_STATES), over))
    if state in LIVE_STATES:
        return and_(Reservation.state == state, Reservation.time_end > func.now())
    return Reservation.state == state


def needs_replan(res: Reservation, now: datetime | None = None) -> bool:
    """The flag as read: an ended reservation needs no re-planning."""
    return res.needs_replan and effective_state(res, now) != "ended"


def needs_replan_is(flag: bool) -> ColumnElement[bool]:
    """The SQL condition: the reservation's flag reads as ``flag`` now."""
    ended = or_(
        Reservation.state == "ended",
        and_(Reservation.state.in_(LIVE_STATES), Reservation.time_end <= func.now()),
    )
    on = and_(Reservation.needs_replan.is_(True), ~ended)
    return on if flag else ~on


def refuse_retired(vehicle_id: uuid.UUID, status: str) -> None:
    """A retired vehicle cannot be booked. The booking reads the row share-locked
    (:func:`registry.services.vehicles.lock_for_booking`): retiring updates it, so it
    waits for bookings in flight and then cancels what they booked, and a booking after
    the retirement sees it."""
    if status == "retired":
        raise Conflict(f"vehicle {vehicle_id} is retired and cannot be booked")


def vehicle_conflict(
    *,
    session: Session,
    vehicle_id: uuid.UUID,
    start: datetime,
    end: datetime,
    exclude: uuid.UUID | None = None,
) -> VehicleBusy | None:
    """The error naming a live reservation of the vehicle overlapping ``[start, end)``
    (other than ``exclude``, a reservation being replaced)."""
    row = session.execute(
        select(Reservation.id, Reservation.time_start, Reservation.time_end)
        .where(
            Reservation.vehicle_id == vehicle_id,
            Reservation.state.in_(LIVE_STATES),
            Reservation.time_start < end,
            Reservation.time_end > start,
            Reservation.id != exclude if exclude is not None else true(),
        )
        .order_by(Reservation.time_start)
        .limit(1)
    ).first()
    if row is None:
        return None
    return VehicleBusy(
        f"vehicle {vehicle_id} is already reserved from {row[1].isoformat()} to "
        f"{row[2].isoformat()} (reservation {row[0]}): a vehicle is in one place at a time",
        vehicle_id=vehicle_id,
        reservation_id=row[0],
        time_start=row[1],
        time_end=row[2],
    )


def is_vehicle_time_violation(exc: IntegrityError) -> bool:
    """Whether the database refused a row by the vehicle-time exclusion."""
    diag: Any = getattr(getattr(exc, "orig", None), "diag", None)
    return getattr(diag, "constraint_name", None) == VEHICLE_TIME_CONSTRAINT


def busy_error(
    *,
    session: Session,
    vehicle_id: uuid.UUID,
    start: datetime,
    end: datetime,
    exclude: uuid.UUID | None = None,
) -> VehicleBusy:
    """The error for a booking the exclusion refused (run after rolling back to a
    savepoint: the winner is committed by then, so the query names it)."""
    found = vehicle_conflict(
        session=session, vehicle_id=vehicle_id, start=start, end=end, exclude=exclude
    )
    return found or VehicleBusy(
        f"vehicle {vehicle_id} was booked for an overlapping time by a concurrent request",
        vehicle_id=vehicle_id,
        reservation_id=None,
        time_start=None,
        time_end=None,
    )


def cancel_vehicle_reservations(*, session: Session, vehicle_id: uuid.UUID) -> list[uuid.UUID]:
    """Cancel the vehicle's live reservations that have not ended; their ids, sorted."""
    # the table lock before the rows, as preemption does (see reservations._preempt)
    session.execute(text("LOCK TABLE reservation_boxes IN ROW EXCLUSIVE MODE"))
    ids = sorted(
        session.scalars(
            update(Reservation)
            .where(
                Reservation.vehicle_id == vehicle_id,
                Reservation.state.in_(LIVE_STATES),
                Reservation.time_end > func.now(),
            )
            .values(state="cancelled", version=Reservation.version + 1, updated_at=func.now())
            .returning(Reservation.id)
        )
    )
    if ids:
        session.execute(
            update(ReservationBox)
            .where(ReservationBox.reservation_id.in_(ids))
            .values(active=False)
        )
        events.emit_cancelled(session, ids)
    return ids


@dataclass(frozen=True)
class Cause:
    """What makes a reservation need re-planning: a restriction or obstacle, since when."""

    kind: str
    blocker_id: uuid.UUID
    reason: str
    since: datetime


def causes_by_reservation(
    *, session: Session, reservation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Cause]]:
    """The recorded causes of each reservation (oldest first), in one query."""
    out: dict[uuid.UUID, list[Cause]] = {r: [] for r in reservation_ids}
    if not out:
        return out
    query = (
        select(
            ReplanCause.reservation_id,
            ReplanCause.restriction_id,
            ReplanCause.obstacle_id,
            ReplanCause.since,
            Restriction.reason,
            Obstacle.kind,
            Obstacle.name,
        )
        .outerjoin(Restriction, Restriction.id == ReplanCause.restriction_id)
        .outerjoin(Obstacle, Obstacle.id == ReplanCause.obstacle_id)
        .where(ReplanCause.reservation_id.in_(list(out)))
        .order_by(ReplanCause.reservation_id, ReplanCause.since, ReplanCause.id)
    )
    for rid, restriction, obstacle, since, reason, okind, oname in session.execute(query):
        if restriction is not None:
            out[rid].append(Cause("restriction", restriction, reason, since))
        elif obstacle is not None:
            what = f"{okind} {oname}" if oname else str(okind)
            out[rid].append(Cause("obstacle", obstacle, what, since))
    return out

"""Restrictions: areas and altitude bands where no one may fly, declared by municipalities.

A municipality declares and changes restrictions only inside its jurisdiction (see
:mod:`registry.services.authority`); admins anywhere.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, NamedTuple

from geoalchemy2.shape import from_shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.boxes import blockers, overlap, replans
from registry.errors import Forbidden, InvalidInput, NotFound
from registry.models import (
    LIVE_STATES,
    OVERSIGHT_ROLES,
    Principal,
    ReplanCause,
    Reservation,
    Restriction,
)
from registry.services import events, replan_proposals
from registry.services.authority import require_governs
from registry.services.paging import Page, keyset_page


class PlacedRestriction(NamedTuple):
    """A restriction as stored, and the active reservations it now overlaps (marked
    ``needs_replan``)."""

    restriction: Restriction
    needs_replan: list[uuid.UUID]


def create_restriction(
    *,
    session: Session,
    actor: Principal,
    geometry: dict[str, Any],
    altitude_lower: float,
    altitude_upper: float,
    reason: str,
    time_start: datetime | None = None,
    time_end: datetime | None = None,
    zoom: int | None = None,
    max_voxels: int = 100_000,
) -> PlacedRestriction:
    """Declare a restriction; return it and the active reservations it now overlaps."""
    if actor.role not in OVERSIGHT_ROLES:
        raise Forbidden(f"a principal with role {actor.role!r} cannot declare restrictions")
    if (time_start is None) != (time_end is None):
        raise InvalidInput(
            "give both time_start and time_end, or neither (permanent)",
            field="time_end" if time_end is None else "time_start",
        )
    if time_start is not None and time_end is not None:
        if time_end <= time_start:
            raise InvalidInput("time_end must be after time_start", field="time_end")
        if time_end <= datetime.now(UTC):
            raise InvalidInput("the window is in the past", field="time_end")
    if not reason.strip():
        raise InvalidInput("reason must not be empty", field="reason")
    shape = blockers.polygon(geometry)
    require_governs(
        session=session, actor=actor, geometry=from_shape(shape, srid=4326), what="the geometry"
    )
    rows, z = blockers.cover(geometry, altitude_lower, altitude_upper, zoom, max_voxels)
    item = Restriction(
        principal_id=actor.id,
        geometry=from_shape(shape, srid=4326),
        altitude_lower_m=altitude_lower,
        altitude_upper_m=altitude_upper,
        time_start=time_start,
        time_end=time_end,
        zoom=z,
        reason=reason.strip(),
        active=True,
    )
    session.add(item)
    session.flush()
    hit = blockers.place(
        session=session,
        column="restriction_id",
        owner_id=item.id,
        rows=rows,
        start=time_start,
        end=time_end,
    )
    events.emit_intersects(session, item, hit)
    replan_proposals.request(session=session, reservation_ids=hit, cause="restriction")
    return PlacedRestriction(item, hit)


def get_restriction(*, session: Session, restriction_id: uuid.UUID) -> Restriction:
    """Any restriction (they are public: operators must know where not to fly)."""
    item = session.get(Restriction, restriction_id)
    if item is None:
        raise NotFound(f"restriction {restriction_id} not found")
    return item


def list_restrictions(
    *,
    session: Session,
    active: bool | None = None,
    mine: Principal | None = None,
    limit: int = 50,
    after: str | None = None,
) -> Page[Restriction]:
    """Restrictions, oldest first; ``mine`` keeps only those a principal declared."""
    query = select(Restriction)
    if active is not None:
        query = query.where(Restriction.active.is_(active))
    if mine is not None:
        query = query.where(Restriction.principal_id == mine.id)
    keys = (Restriction.created_at, Restriction.id)
    return keyset_page(session=session, query=query, keys=keys, limit=limit, after=after)


def _managed(session: Session, actor: Principal, restriction_id: uuid.UUID) -> Restriction:
    item = get_restriction(session=session, restriction_id=restriction_id)
    if not actor.is_admin and item.principal_id != actor.id:
        raise Forbidden(f"restriction {restriction_id} was declared by another principal")
    require_governs(
        session=session,
        actor=actor,
        geometry=item.geometry,
        what=f"restriction {restriction_id}",
    )
    return item


def update_restriction(
    *,
    session: Session,
    actor: Principal,
    restriction_id: uuid.UUID,
    reason: str | None = None,
    active: bool | None = None,
) -> PlacedRestriction:
    """Change the reason or (de)activate; re-activating reports reservations under it."""
    item = _managed(session, actor, restriction_id)
    if reason is not None:
        if not reason.strip():
            raise InvalidInput("reason must not be empty", field="reason")
        item.reason = reason.strip()
    hit: list[uuid.UUID] = []
    if active is not None and active != item.active:
        item.active = active
        if active:
            overlap.lock_reservation_boxes(session=session)
        overlap.set_active(
            session=session,
            table="blocker_boxes",
            column="restriction_id",
            ids=[item.id],
            active=active,
        )
        if active:
            hit = blockers.mark_replans(
                session=session, column="restriction_id", owner_ids=[item.id]
            )
        else:  # lifted: the reservations it alone held for re-plan are clear again
            cleared = replans.recheck(session=session, column="restriction_id", owner_ids=[item.id])
            replan_proposals.withdraw_for(
                session=session,
                reservation_ids=cleared,
                cause="restriction",
                detail=f"restriction {item.id} was lifted: the reservation is clear again",
            )
    session.flush()
    events.emit_intersects(session, item, hit)
    replan_proposals.request(session=session, reservation_ids=hit, cause="restriction")
    return PlacedRestriction(item, hit)


def delete_restriction(
    *, session: Session, actor: Principal, restriction_id: uuid.UUID
) -> Restriction:
    """Lift a restriction: it stays readable, inactive; its space is free at once."""
    return update_restriction(
        session=session, actor=actor, restriction_id=restriction_id, active=False
    ).restriction


def affected_reservations(
    *,
    session: Session,
    actor: Principal,
    restriction_id: uuid.UUID,
    limit: int = 50,
    after: str | None = None,
) -> Page[Reservation]:
    """The live reservations this restriction holds for re-planning, oldest first: for
    the principal that declared it and admins (whatever operator holds them)."""
    if actor.role not in OVERSIGHT_ROLES:
        raise Forbidden(f"a principal with role {actor.role!r} cannot list affected reservations")
    item = _managed(session, actor, restriction_id)
    query = (
        select(Reservation)
        .join(ReplanCause, ReplanCause.reservation_id == Reservation.id)
        .where(
            ReplanCause.restriction_id == item.id,
            Reservation.state.in_(LIVE_STATES),
            Reservation.time_end > func.now(),
        )
    )
    keys = (Reservation.created_at, Reservation.id)
    return keyset_page(session=session, query=query, keys=keys, limit=limit, after=after)

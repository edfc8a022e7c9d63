"""Identification: an identifier seen in the air, or a voxel at an instant, resolved to the
vehicle, its operator and its reservation; every look-up recorded.

Only municipalities and admins identify. A municipality resolves only inside its
jurisdiction: a match counts when the reservation live at the instant meets the area it
governs, so a vehicle with no reservation then, or one elsewhere, is refused (``forbidden``)
rather than named. Nothing matching is ``not_found``. Every look-up that gets that far,
found or not, is a row of ``identification_lookups`` (who, when, what, the vehicle it
resolved to), written in the look-up's transaction; the caller commits it also when the
answer is a refusal, so refusals are on the record too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry.boxes.leaf import voxels_to_boxes
from registry.errors import Forbidden, InvalidInput
from registry.models import (
    LIVE_STATES,
    OVERSIGHT_ROLES,
    IdentificationLookup,
    Operator,
    Principal,
    Reservation,
    Role,
    Vehicle,
)
from registry.services import authority
from registry.services.identifiers import where_identifier
from registry.services.paging import Page, keyset_page
from spatialid import SpatialIdError, parse_voxel

HELD_STATES = (*LIVE_STATES, "ended")
"""States of a reservation that held its space at an instant inside its window."""
MAX_MATCHES = 20
"""Most matches one look-up answers (a coarse voxel may hold many reservations)."""

_AT_VOXEL = text(
    f"""SELECT DISTINCT b.reservation_id FROM reservation_boxes b
    JOIN reservations r ON r.id = b.reservation_id
    WHERE b.x && int4range(:x0, :x1) AND b.y && int4range(:y0, :y1)
        AND b.f && int4range(:f0, :f1) AND b.during @> CAST(:at AS timestamptz)
        AND r.state IN ({", ".join(repr(s) for s in HELD_STATES)})
    LIMIT {MAX_MATCHES}"""
)


@dataclass(frozen=True)
class Match:
    """One resolved vehicle (None: a reservation booked without one), its operator and its
    reservation at the instant (None: none then)."""

    vehicle: Vehicle | None
    operator: Operator | None
    reservation: Reservation | None


@dataclass(frozen=True)
class Identification:
    """A recorded look-up and what it resolved to; ``refusal`` says why nothing is shown."""

    lookup: IdentificationLookup
    matches: list[Match]
    refusal: str | None = None


def _require_oversight(actor: Principal) -> None:
    if actor.role not in OVERSIGHT_ROLES:
        raise Forbidden(f"a principal with role {actor.role!r} cannot identify vehicles")


def _reservation_at(session: Session, vehicle_id: uuid.UUID, at: datetime) -> Reservation | None:
    return session.scalar(
        select(Reservation)
        .where(
            Reservation.vehicle_id == vehicle_id,
            Reservation.state.in_(HELD_STATES),
            Reservation.time_start <= at,
            Reservation.time_end > at,
        )
        .limit(1)
    )


def _by_identifier(session: Session, value: str, at: datetime) -> list[Match]:
    vehicles = session.scalars(
        select(Vehicle)
        .where(where_identifier(value), Vehicle.status != "retired")
        .order_by(Vehicle.created_at, Vehicle.id)
        .limit(MAX_MATCHES)
    )
    return [
        Match(v, session.get(Operator, v.operator_id), _reservation_at(session, v.id, at))
        for v in vehicles
    ]


def _by_voxel(session: Session, spatial_id: str, at: datetime) -> list[Match]:
    try:
        voxel = parse_voxel(spatial_id)
    except SpatialIdError as exc:
        raise InvalidInput(str(exc), field="spatial_id") from None
    boxes, _ = voxels_to_boxes([voxel])
    x0, x1, y0, y1, f0, f1 = (int(v) for v in boxes[0])
    ids = list(
        session.scalars(
            _AT_VOXEL,
            {"x0": x0, "x1": x1, "y0": y0, "y1": y1, "f0": f0, "f1": f1, "at": at},
        )
    )
    reservations = session.scalars(
        select(Reservation)
        .where(Reservation.id.in_(ids))
        .order_by(Reservation.time_start, Reservation.id)
    )
    out = []
    for res in reservations:
        vehicle = session.get(Vehicle, res.vehicle_id) if res.vehicle_id else None
        operator = session.get(Operator, res.operator_id) if res.operator_id else None
        out.append(Match(vehicle, operator, res))
    return out


def identify(
    *,
    session: Session,
    actor: Principal,
    identifier: str | None = None,
    spatial_id: str | None = None,
    at: datetime | None = None,
) -> Identification:
    """Resolve an identifier (any of the three) or a voxel at ``at`` (default now) and
    record the look-up; Forbidden for roles that do not identify."""
    _require_oversight(actor)
    if (identifier is None) == (spatial_id is None):
        raise InvalidInput("give either identifier or spatial_id", field="identifier")
    at = at or datetime.now(UTC)
    if identifier is not None:
        matches = _by_identifier(session, identifier, at)
    else:
        assert spatial_id is not None
        matches = _by_voxel(session, spatial_id, at)
    outcome, refusal = "found", None
    if not matches:
        outcome, refusal = "not_found", "no live vehicle or reservation matches"
    elif actor.role == Role.MUNICIPALITY:
        held = [m.reservation.id for m in matches if m.reservation is not None]
        inside = authority.reservations_met(session=session, actor=actor, reservation_ids=held)
        matches = [m for m in matches if m.reservation is not None and m.reservation.id in inside]
        if not matches:
            outcome = "forbidden"
            refusal = (
                f"what matches has no reservation live at {at.isoformat()} that meets this "
                "municipality's jurisdiction"
            )
    first = matches[0] if matches else None
    lookup = IdentificationLookup(
        principal_id=actor.id,
        identifier=identifier.strip() if identifier is not None else None,
        spatial_id=spatial_id,
        at=at,
        outcome=outcome,
        vehicle_id=first.vehicle.id if first and first.vehicle else None,
        reservation_id=first.reservation.id if first and first.reservation else None,
    )
    session.add(lookup)
    session.flush()
    return Identification(lookup, matches, refusal)


def list_lookups(
    *,
    session: Session,
    actor: Principal,
    principal_id: uuid.UUID | None = None,
    vehicle_id: uuid.UUID | None = None,
    limit: int = 50,
    after: str | None = None,
) -> Page[IdentificationLookup]:
    """The recorded look-ups, oldest first: an admin's of everyone, a municipality's own."""
    _require_oversight(actor)
    query = select(IdentificationLookup)
    if not actor.is_admin:
        query = query.where(IdentificationLookup.principal_id == actor.id)
    if principal_id is not None:
        query = query.where(IdentificationLookup.principal_id == principal_id)
    if vehicle_id is not None:
        query = query.where(IdentificationLookup.vehicle_id == vehicle_id)
    keys = (IdentificationLookup.asked_at, IdentificationLookup.id)
    return keyset_page(session=session, query=query, keys=keys, limit=limit, after=after)

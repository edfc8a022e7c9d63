"""Vehicles: create, list, get, update and retire, scoped to the caller's operator."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from registry.errors import Conflict, Forbidden, InvalidInput, NotFound
from registry.models import (
    OPERATING_ROLES,
    VEHICLE_KINDS,
    VEHICLE_STATUSES,
    Operator,
    Principal,
    Vehicle,
)
from registry.services import identifiers, lifecycle
from registry.services.integrity import integrity_as_domain
from registry.services.paging import Page, keyset_page

OPTIONAL_FIELDS = (
    "serial",
    "remote_id",
    "registration_mark",
    "plate",
    "length_m",
    "width_m",
    "height_m",
    "climb_rate_mps",
    "descent_rate_mps",
    "altitude_lower_m",
    "altitude_upper_m",
    "airways_only",
)
UPDATABLE_FIELDS = ("name", "kind", "max_speed_mps", "status", *OPTIONAL_FIELDS)
_POSITIVE = ("max_speed_mps", "length_m", "width_m", "height_m")
_NONNEGATIVE = ("climb_rate_mps", "descent_rate_mps")


def _check(values: Mapping[str, Any]) -> None:
    for field, value in values.items():
        if field not in UPDATABLE_FIELDS:
            raise InvalidInput(f"unknown vehicle field {field!r}", field=field)
        if value is None:
            if field in ("name", "kind", "max_speed_mps", "status", "airways_only"):
                raise InvalidInput(f"{field} may not be null", field=field)
            continue
        if field == "kind" and value not in VEHICLE_KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(VEHICLE_KINDS)}", field=field)
        if field == "status" and value not in VEHICLE_STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(VEHICLE_STATUSES)}", field=field)
        if field == "name" and not 1 <= len(str(value).strip()) <= 200:
            raise InvalidInput("name must be 1 to 200 characters", field=field)
        if field in _POSITIVE + _NONNEGATIVE + ("altitude_lower_m", "altitude_upper_m"):
            if not math.isfinite(float(value)):
                raise InvalidInput(f"{field} must be finite, got {value!r}", field=field)
            if field in _POSITIVE and value <= 0:
                raise InvalidInput(f"{field} must be > 0, got {value!r}", field=field)
            if field in _NONNEGATIVE and value < 0:
                raise InvalidInput(f"{field} must be >= 0, got {value!r}", field=field)


def _check_band(vehicle: Vehicle) -> None:
    lower, upper = vehicle.altitude_lower_m, vehicle.altitude_upper_m
    if lower is not None and upper is not None and lower >= upper:
        raise InvalidInput(
            f"altitude_upper_m ({upper}) must be above altitude_lower_m ({lower})",
            field="altitude_upper_m",
        )
    if vehicle.airways_only and vehicle.kind != "drone":
        raise InvalidInput("only drones keep to the airways", field="airways_only")


def _visible(query: Select[Vehicle], actor: Principal | None) -> Select[Vehicle]:
    if actor is None or actor.is_admin:
        return query
    if actor.operator_id is None:
        return query.where(Vehicle.id.is_(None))
    return query.where(Vehicle.operator_id == actor.operator_id)


def _owner_for_create(
    *, session: Session, actor: Principal | None, operator_id: uuid.UUID | None
) -> uuid.UUID:
    if actor is not None and actor.role not in OPERATING_ROLES:
        raise Forbidden(f"a principal with role {actor.role!r} cannot register vehicles")
    if actor is not None and not actor.is_admin:
        if operator_id is not None and operator_id != actor.operator_id:
            raise NotFound(f"operator {operator_id} not found")
        assert actor.operator_id is not None
        return actor.operator_id
    if operator_id is None and actor is not None and actor.operator_id is not None:
        return actor.operator_id  # an admin of an operator registers for it by default
    if operator_id is None:
        raise InvalidInput(
            "operator_id is required for an admin of no operator", field="operator_id"
        )
    if session.get(Operator, operator_id) is None:
        raise NotFound(f"operator {operator_id} not found")
    return operator_id


def create_vehicle(
    *,
    session: Session,
    actor: Principal | None,
    name: str,
    kind: str,
    max_speed_mps: float,
    operator_id: uuid.UUID | None = None,
    attrs: Mapping[str, Any] | None = None,
) -> Vehicle:
    """Register a vehicle for the actor's operator (admins name ``operator_id``, or default
    to their own operator when they have one)."""
    owner = _owner_for_create(session=session, actor=actor, operator_id=operator_id)
    values = {"name": name, "kind": kind, "max_speed_mps": max_speed_mps, **(attrs or {})}
    _check(values)
    values = identifiers.normalise_values(values)
    values["name"] = name.strip()
    vehicle = Vehicle(id=uuid.uuid4(), operator_id=owner, status="active", **values)
    _check_band(vehicle)
    identifiers.check_kind(vehicle)
    identifiers.check_unique(session=session, vehicle=identifiers.carried(vehicle))
    with _unique_identifiers(session, vehicle):
        session.add(vehicle)
    return vehicle


@contextmanager
def _unique_identifiers(session: Session, vehicle: Vehicle) -> Iterator[None]:
    """Flush the vehicle; a racing vehicle that took one of its identifiers first (the
    partial unique indexes) is named like the pre-check names it."""
    mine = identifiers.carried(vehicle)
    try:
        with integrity_as_domain(session, what=f"vehicle {vehicle.name!r}"):
            yield
    except Conflict:
        identifiers.check_unique(session=session, vehicle=mine)
        raise


def get_vehicle(*, session: Session, actor: Principal | None, vehicle_id: uuid.UUID) -> Vehicle:
    """Return a vehicle the actor may see; another operator's vehicle is NotFound."""
    vehicle = session.scalar(_visible(select(Vehicle).where(Vehicle.id == vehicle_id), actor))
    if vehicle is None:
        raise NotFound(f"vehicle {vehicle_id} not found")
    return vehicle


def lock_for_booking(
    *, session: Session, actor: Principal | None, vehicle_id: uuid.UUID
) -> tuple[str, str]:
    """The kind and status of a vehicle the actor may see (NotFound otherwise), its row
    share-locked for a booking (a retirement waits); two columns, no ORM object."""
    query = select(Vehicle.kind, Vehicle.status).where(Vehicle.id == vehicle_id)
    if actor is not None and not actor.is_admin:
        query = query.where(
            Vehicle.operator_id == actor.operator_id
            if actor.operator_id is not None
            else Vehicle.id.is_(None)
        )
    row = session.execute(query.with_for_update(read=True)).first()
    if row is None:
        raise NotFound(f"vehicle {vehicle_id} not found")
    return str(row[0]), str(row[1])


def list_vehicles(
    *,
    session: Session,
    actor: Principal | None,
    kind: str | None = None,
    status: str | None = None,
    operator_id: uuid.UUID | None = None,
    carrying: Mapping[str, str | None] | None = None,
    limit: int = 50,
    after: str | None = None,
) -> Page[Vehicle]:
    """List visible vehicles, oldest first, filtered by kind, status, operator and
    identifiers (``carrying``: field -> value, compared in their stored form)."""
    _check({k: v for k, v in (("kind", kind), ("status", status)) if v is not None})
    query = _visible(select(Vehicle), actor)
    if kind is not None:
        query = query.where(Vehicle.kind == kind)
    if status is not None:
        query = query.where(Vehicle.status == status)
    if operator_id is not None:
        query = query.where(Vehicle.operator_id == operator_id)
    for field, value in (carrying or {}).items():
        if value is not None:
            column = getattr(Vehicle, field)
            query = query.where(column == identifiers.normalise(field, value))
    keys = (Vehicle.created_at, Vehicle.id)
    return keyset_page(session=session, query=query, keys=keys, limit=limit, after=after)


def update_vehicle(
    *,
    session: Session,
    actor: Principal | None,
    vehicle_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> Vehicle:
    """Apply ``changes`` to a visible vehicle; a retired vehicle cannot be changed."""
    vehicle = get_vehicle(session=session, actor=actor, vehicle_id=vehicle_id)
    _check(changes)
    changes = identifiers.normalise_values(changes)
    if vehicle.status == "retired":
        raise Conflict(f"vehicle {vehicle_id} is retired and cannot be changed")
    before = {f: getattr(vehicle, f) for f in changes}
    for field, value in changes.items():
        setattr(vehicle, field, value.strip() if field == "name" else value)
    try:
        _check_band(vehicle)
        identifiers.check_kind(vehicle)
        with session.no_autoflush:
            identifiers.check_unique(session=session, vehicle=identifiers.carried(vehicle))
    except (InvalidInput, Conflict):
        for field, value in before.items():  # leave the session's vehicle as it was
            setattr(vehicle, field, value)
        raise
    with _unique_identifiers(session, vehicle):
        pass
    return vehicle


class Retired(NamedTuple):
    """A retired vehicle and the reservations its retirement cancelled."""

    vehicle: Vehicle
    cancelled_reservations: list[uuid.UUID]


def retire_vehicle(*, session: Session, actor: Principal | None, vehicle_id: uuid.UUID) -> Retired:
    """Mark a visible vehicle retired and cancel its live reservations that have not ended,
    in the caller's transaction (idempotent: again, it cancels nothing)."""
    vehicle = get_vehicle(session=session, actor=actor, vehicle_id=vehicle_id)
    if vehicle.status != "retired":
        vehicle.status = "retired"
        # the row update waits for bookings of the vehicle in flight (they share-lock it),
        # so what they booked is committed and cancelled below; later bookings see it retired
        session.flush()
    cancelled = lifecycle.cancel_vehicle_reservations(session=session, vehicle_id=vehicle_id)
    return Retired(vehicle, cancelled)

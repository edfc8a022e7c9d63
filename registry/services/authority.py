"""Authority: operators' priority grants and municipalities' jurisdictions.

Both are data an admin sets and both are checked in the transaction of the write they
govern: a booking reads its operator's grant ``FOR SHARE`` (a grant change waits for the
bookings in flight, and they for it), a restriction edit reads its municipality's
jurisdiction the same way. Admins are unrestricted.
"""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

from geoalchemy2.shape import from_shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.boxes.blockers import polygon
from registry.errors import Forbidden, InvalidInput, NotFound
from registry.models import Operator, Principal, Reservation, Role
from registry.services.operators import get_operator

MAX_PRIORITY = 100


class Grant(NamedTuple):
    """What an operator's principals may book: up to ``max_priority``, preempting or not."""

    max_priority: int
    may_preempt: bool


UNRESTRICTED = Grant(MAX_PRIORITY, True)


def get_grant(*, session: Session, actor: Principal | None, operator_id: uuid.UUID) -> Operator:
    """The operator carrying the grant (admins: any; others: only their own)."""
    return get_operator(session=session, actor=actor, operator_id=operator_id)


def set_grant(
    *,
    session: Session,
    actor: Principal | None,
    operator_id: uuid.UUID,
    max_priority: int,
    may_preempt: bool,
) -> Operator:
    """Set an operator's grant (admin only, or a trusted local caller, ``actor=None``)."""
    if actor is not None and not actor.is_admin:
        raise Forbidden("only an admin may set an operator's priority grant")
    if not 0 <= max_priority <= MAX_PRIORITY:
        raise InvalidInput(f"max_priority must be 0..{MAX_PRIORITY}", field="max_priority")
    operator = session.get(Operator, operator_id, with_for_update=True)
    if operator is None:
        raise NotFound(f"operator {operator_id} not found")
    operator.max_priority = max_priority
    operator.may_preempt = may_preempt
    session.flush()
    return operator


def grant_of(*, session: Session, actor: Principal) -> Grant:
    """The actor's grant, read ``FOR SHARE`` in the caller's transaction."""
    if actor.is_admin:
        return UNRESTRICTED
    if actor.operator_id is None:
        return Grant(0, False)
    row = session.execute(
        select(Operator.max_priority, Operator.may_preempt)
        .where(Operator.id == actor.operator_id)
        .with_for_update(read=True)
    ).one()
    return Grant(int(row[0]), bool(row[1]))


def check_priority(
    *, session: Session, actor: Principal, priority: int, field: str = "priority"
) -> Grant:
    """The actor's grant; Forbidden (naming the allowed maximum) above its ``max_priority``."""
    grant = grant_of(session=session, actor=actor)
    if priority > grant.max_priority:
        raise Forbidden(
            f"priority {priority} is above the {grant.max_priority} this operator is granted "
            "(an admin grants higher priorities)",
            field=field,
            extra={"max_priority": grant.max_priority},
        )
    return grant


def get_jurisdiction(
    *, session: Session, actor: Principal | None, principal_id: uuid.UUID
) -> Principal:
    """A principal and its jurisdiction (admins: any; others: only themselves)."""
    if actor is not None and not actor.is_admin and actor.id != principal_id:
        raise NotFound(f"principal {principal_id} not found")
    principal = session.get(Principal, principal_id)
    if principal is None:
        raise NotFound(f"principal {principal_id} not found")
    return principal


def set_jurisdiction(
    *,
    session: Session,
    actor: Principal | None,
    principal_id: uuid.UUID,
    geometry: dict[str, Any] | None,
) -> Principal:
    """Set (or clear, with None) the area a municipality governs (admin only)."""
    if actor is not None and not actor.is_admin:
        raise Forbidden("only an admin may set a jurisdiction")
    principal = session.scalar(
        select(Principal).where(Principal.id == principal_id).with_for_update(of=Principal)
    )
    if principal is None:
        raise NotFound(f"principal {principal_id} not found")
    if principal.role != Role.MUNICIPALITY:
        raise InvalidInput(
            f"only a municipality governs an area; this principal is a {principal.role}",
            field="geometry",
        )
    principal.jurisdiction = None if geometry is None else from_shape(polygon(geometry), 4326)
    session.flush()
    session.refresh(principal)
    return principal


def require_governs(*, session: Session, actor: Principal, geometry: Any, what: str) -> None:
    """Forbidden unless ``geometry`` (a geometry value or column expression) lies inside
    the actor's jurisdiction; admins govern everywhere."""
    if actor.is_admin:
        return
    row = session.execute(
        select(
            Principal.jurisdiction.is_(None),
            func.ST_CoveredBy(geometry, Principal.jurisdiction),
        )
        .where(Principal.id == actor.id)
        .with_for_update(read=True, of=Principal)
    ).one()
    if row[0]:
        raise Forbidden(
            "this municipality has no jurisdiction: an admin sets the area it governs "
            f"(PUT /v1/principals/{actor.id}/jurisdiction) before it may act on restrictions",
            field="geometry",
        )
    if not row[1]:
        raise Forbidden(f"{what} is not inside this municipality's jurisdiction", field="geometry")


def reservations_met(
    *, session: Session, actor: Principal, reservation_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of ``reservation_ids`` whose footprint meets the actor's jurisdiction (admins:
    all; a municipality without a jurisdiction: none)."""
    if actor.is_admin:
        return set(reservation_ids)
    if not reservation_ids:
        return set()
    rows = session.scalars(
        select(Reservation.id)
        .join(Principal, Principal.id == actor.id)
        .where(
            Reservation.id.in_(reservation_ids),
            func.ST_Intersects(Reservation.geometry, Principal.jurisdiction),
        )
    )
    return set(rows)

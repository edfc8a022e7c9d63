"""Re-plan proposals, the operator's side: read them, accept one, decline one.

Accepting swaps the proposal's route in atomically: in one transaction the hold is dropped
and its volumes become the reservation's (a live reservation keeps its id, as a replace
does; a preempted one is booked anew for the same vehicle), so the held space is never free
in between. The new volumes are judged again as any booking is: a blocker or a reservation
that took the space meanwhile is ``Contested`` and the proposal stays pending.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from registry.errors import Conflict, Forbidden, InvalidInput, NotFound
from registry.models import (
    LIVE_STATES,
    OPERATING_ROLES,
    REPLAN_STATES,
    Principal,
    ReplanProposal,
    Reservation,
)
from registry.services import lifecycle
from registry.services.paging import Page, keyset_page
from registry.services.replace import replace_reservation
from registry.services.replan_proposals import drop_holds, emit, requests_of
from registry.services.reservations import create_reservation


@dataclass
class Accepted:
    """The proposal accepted, and the reservation that now flies its route."""

    proposal: ReplanProposal
    reservation: Reservation
    replaced: bool
    """The route replaced the reservation in place (else it was booked anew)."""


def _visible(query: Select[Any], actor: Principal) -> Select[Any]:
    if actor.is_admin:
        return query
    mine = ReplanProposal.principal_id == actor.id
    if actor.operator_id is not None:
        mine = or_(mine, ReplanProposal.operator_id == actor.operator_id)
    return query.where(mine)


def get_proposal(
    *, session: Session, actor: Principal, proposal_id: uuid.UUID, lock: bool = False
) -> ReplanProposal:
    """A proposal the actor may see (its reservation's owner, an admin); else NotFound."""
    query = _visible(select(ReplanProposal).where(ReplanProposal.id == proposal_id), actor)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    p: ReplanProposal | None = session.scalar(query)
    if p is None:
        raise NotFound(f"re-plan proposal {proposal_id} not found")
    return p


def list_proposals(
    *,
    session: Session,
    actor: Principal,
    state: str | None = None,
    reservation_id: uuid.UUID | None = None,
    limit: int = 50,
    after: str | None = None,
) -> Page[ReplanProposal]:
    """The proposals the actor may see, oldest first, by state and reservation."""
    query = _visible(select(ReplanProposal), actor)
    if state is not None:
        if state not in REPLAN_STATES:
            raise InvalidInput(
                f"state must be one of {', '.join(REPLAN_STATES)}, got {state!r}", field="state"
            )
        query = query.where(ReplanProposal.state == state)
    if reservation_id is not None:
        query = query.where(ReplanProposal.reservation_id == reservation_id)
    keys = (ReplanProposal.created_at, ReplanProposal.id)
    return keyset_page(session=session, query=query, keys=keys, limit=limit, after=after)


def _pending(session: Session, actor: Principal, proposal_id: uuid.UUID) -> ReplanProposal:
    if actor.role not in OPERATING_ROLES:
        raise Forbidden(f"a principal with role {actor.role!r} cannot decide re-plans")
    p = get_proposal(session=session, actor=actor, proposal_id=proposal_id, lock=True)
    if p.state != "pending":
        raise Conflict(f"re-plan proposal {p.id} is {p.state}, not pending")
    if p.expires_at is not None and p.expires_at <= datetime.now(UTC):
        raise Conflict(f"re-plan proposal {p.id} expired at {p.expires_at.isoformat()}")
    return p


def accept_proposal(*, session: Session, actor: Principal, proposal_id: uuid.UUID) -> Accepted:
    """Swap the proposal's route in (see the module doc); Conflict unless it is pending
    and unexpired and its reservation is still the one it was planned for."""
    p = _pending(session, actor, proposal_id)
    res = session.get(Reservation, p.reservation_id, with_for_update=True)
    assert res is not None  # the foreign key cascades
    state = lifecycle.effective_state(res)
    if state not in (*LIVE_STATES, "preempted"):
        raise Conflict(f"reservation {res.id} is {state}: its re-plan cannot be accepted")
    volumes = requests_of(p)
    drop_holds(session, [p.hold_id])  # the same transaction books the space again
    session.flush()
    if state in LIVE_STATES:
        done = replace_reservation(
            session=session,
            actor=actor,
            reservation_id=res.id,
            volumes=volumes,
            expected_versions={p.base_version},
        )
        booked, replaced = done.reservation, True
    else:
        created = create_reservation(
            session=session,
            actor=actor,
            volumes=volumes,
            priority=res.priority,
            vehicle_id=res.vehicle_id,
            reason=res.reason,
        )
        booked, replaced = created.reservation, False
    p.state, p.hold_id, p.updated_at = "accepted", None, datetime.now(UTC)
    p.detail = f"flown by reservation {booked.id}"
    session.flush()
    emit(session, [p.id], accepted_reservation_id=str(booked.id), replaced=replaced)
    return Accepted(p, booked, replaced)


def decline_proposal(
    *, session: Session, actor: Principal, proposal_id: uuid.UUID
) -> ReplanProposal:
    """Decline a pending proposal: its hold is freed at once."""
    p = _pending(session, actor, proposal_id)
    drop_holds(session, [p.hold_id])
    p.state, p.hold_id, p.updated_at = "declined", None, datetime.now(UTC)
    p.detail = "declined by the operator"
    session.flush()
    emit(session, [p.id])
    return p

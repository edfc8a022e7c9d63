"""Re-plan proposals: the alternatives Kukan offers after a preemption, a restriction or a
contingency, and the operator's answer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import PageDep, PrincipalDep, SessionDep
from api.problem_schemas import problem_responses
from api.replan_schemas import ReplanAcceptedOut, ReplanOut, ReplanPage, ReplanState
from api.routers.reservations import reservation_out
from registry.services import replan_decisions

router = APIRouter(
    prefix="/v1/replans", tags=["reservations"], responses=problem_responses(401, 503)
)


@router.get("", response_model=ReplanPage, responses=problem_responses(422))
def list_replans(
    session: SessionDep,
    me: PrincipalDep,
    paging: PageDep,
    state: ReplanState | None = None,
    reservation_id: uuid.UUID | None = None,
) -> ReplanPage:
    """The caller's re-plan proposals, oldest first, by state and reservation."""
    page = replan_decisions.list_proposals(
        session=session,
        actor=me,
        state=state,
        reservation_id=reservation_id,
        limit=paging.limit,
        after=paging.after,
    )
    return ReplanPage(
        items=[ReplanOut.model_validate(p) for p in page.items],
        next=paging.next_link(page.after),
    )


@router.get("/{proposal_id}", response_model=ReplanOut, responses=problem_responses(404, 422))
def get_replan(proposal_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> object:
    """One re-plan proposal of the caller's."""
    return replan_decisions.get_proposal(session=session, actor=me, proposal_id=proposal_id)


@router.post(
    "/{proposal_id}/accept",
    response_model=ReplanAcceptedOut,
    responses=problem_responses(403, 404, 409, 412, 422),
)
def accept_replan(proposal_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> object:
    """Fly the proposal's route: in one transaction its hold is freed and its volumes become
    the reservation's (same id for a live reservation; a preempted one is booked anew for
    the vehicle). 409 when it is no longer pending or has expired, or when the space was
    taken meanwhile (by a restriction, say): the proposal then stays as it was."""
    done = replan_decisions.accept_proposal(session=session, actor=me, proposal_id=proposal_id)
    return ReplanAcceptedOut(
        proposal=ReplanOut.model_validate(done.proposal),
        reservation=reservation_out(session, done.reservation, me=me),
        replaced=done.replaced,
    )


@router.post(
    "/{proposal_id}/decline",
    response_model=ReplanOut,
    responses=problem_responses(403, 404, 409, 422),
)
def decline_replan(proposal_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> object:
    """Let the proposal go now (its held space is freed at once)."""
    return replan_decisions.decline_proposal(session=session, actor=me, proposal_id=proposal_id)

"""The event log of the calling principal: what happened to its reservations, in order."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import PageDep, PrincipalDep, SessionDep
from api.event_schemas import CloudEventOut, EventPage
from api.problem_schemas import problem_responses
from registry.services import events

router = APIRouter(prefix="/v1/events", tags=["events"], responses=problem_responses(401, 503))


@router.get("", response_model=EventPage, responses=problem_responses(422))
def list_events(session: SessionDep, me: PrincipalDep, page: PageDep) -> EventPage:
    """The caller's events after `after` (from the start without it), oldest first.

    Each event is written in the transaction of the change it reports, and a page holds
    only events of transactions that have ended, so reading on from `next` never skips
    an event that commits late, nor repeats one. Operators and fleets see their own and
    their operator's events; admins see every event."""
    got = events.read_events(session=session, actor=me, after=page.after, limit=page.limit)
    link = page.next_link(got.after)
    assert link is not None
    return EventPage(
        items=[CloudEventOut.model_validate(e) for e in got.items],
        next=link,
    )

"""The event log of the calling principal: what happened to its reservations, in order,
as pages (``GET /v1/events``) or as a Server-Sent Events stream (``/v1/events/stream``)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.deps import PageDep, PrincipalDep, SessionDep, SettingsDep, TokenDep
from api.event_schemas import CloudEventOut, EventPage
from api.problem_schemas import problem_responses
from registry.db import session_scope
from registry.errors import Gone, RegistryError
from registry.services import events
from registry.services.principals import authenticate

router = APIRouter(prefix="/v1/events", tags=["events"], responses=problem_responses(401, 503))


@router.get("", response_model=EventPage, responses=problem_responses(410, 422))
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


@dataclass(frozen=True)
class Stream:
    """A stream's start, checked before the response begins."""

    token: str
    after: str
    until: float
    """The ``time.monotonic()`` instant the stream ends."""


def _stream(
    request: Request,
    token: TokenDep,
    settings: SettingsDep,
    after: Annotated[
        str | None,
        Query(min_length=1, max_length=1000, description="start after this cursor"),
    ] = None,
    timeout_s: Annotated[
        float | None,
        Query(ge=0, le=86_400, description="close after this many seconds (capped)"),
    ] = None,
    last_event_id: Annotated[
        str | None,
        Header(max_length=1000, description="resume after this event (as browsers send)"),
    ] = None,
) -> Stream:
    """Authenticate and check the cursor (401, 422) before any event is sent."""
    cursor = last_event_id or after
    if cursor is not None:
        events.decode_cursor(cursor, field="Last-Event-ID" if last_event_id else "after")
    with session_scope(request.app.state.sessionmaker) as session:
        authenticate(session=session, token=token)
        if cursor is None:  # from now: fixed before the response starts
            cursor = events.end_cursor(session)
        elif events.decode_cursor(cursor) < events.dropped_through(session):
            raise Gone(
                "events after this cursor were dropped by retention: reconnect without one",
                field="Last-Event-ID" if last_event_id else "after",
                reason="cursor_expired",
            )
    limit = settings.events_stream_max_s
    return Stream(
        token, cursor, time.monotonic() + (limit if timeout_s is None else min(limit, timeout_s))
    )


StreamDep = Annotated[Stream, Depends(_stream)]


def _read(
    sessions: sessionmaker[Session], token: str, after: str | None, limit: int
) -> events.EventPage:
    """One look at the log, as the token's principal now (a revoked key reads nothing)."""
    with session_scope(sessions) as session:
        me = authenticate(session=session, token=token)
        page = events.read_events(session=session, actor=me, after=after, limit=limit)
        for e in page.items:
            session.expunge(e)
        return page


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    responses=problem_responses(410, 422),
)
async def stream_events(
    request: Request, start: StreamDep, settings: SettingsDep
) -> AsyncIterator[ServerSentEvent]:
    """The caller's events as Server-Sent Events, from `after` or `Last-Event-ID` (from
    now without either: only later events), each as soon as it is final.

    Every event's `id` is its cursor: reconnecting with `Last-Event-ID` (browsers do) or
    `?after=` goes on with the next event, none skipped or repeated. `data` is the
    CloudEvent. The stream ends after `timeout_s` (and at most the server's limit), when
    the key is revoked or the database is away; reconnect to go on."""
    sessions = request.app.state.sessionmaker
    cursor = start.after
    while True:
        try:
            page = await run_in_threadpool(
                _read, sessions, start.token, cursor, settings.page_size_max
            )
        except (RegistryError, DBAPIError):
            return  # revoked, or the database is away: the client reconnects
        for e in page.items:
            yield ServerSentEvent(
                data=CloudEventOut.model_validate(e).model_dump(mode="json"),
                id=events.cursor_of(e),
            )
        cursor = page.after
        left = start.until - time.monotonic()
        if left <= 0 or await request.is_disconnected():
            return
        if not page.items:
            await anyio.sleep(min(settings.events_poll_s, left))

"""Request dependencies as ``Annotated`` aliases: a DB session and the calling principal."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.errors import is_transient, sqlstate
from api.settings import Settings
from planning.caches import PlanningCaches
from registry.db import session_scope
from registry.errors import Unauthenticated
from registry.models import Principal
from registry.services.datums import Converter
from registry.services.principals import authenticate

T = TypeVar("T")
log = logging.getLogger("kukan.api")

ATTEMPTS = 3
"""Runs of an ``in_transaction`` unit of work at most (the first and two retries)."""

bearer = HTTPBearer(auto_error=False, description="An API key from `kukan keys create`.")


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed before the response is sent."""
    with session_scope(request.app.state.sessionmaker) as session:
        yield session


async def get_settings(request: Request) -> Settings:
    """The settings the app was built with (async: no thread-pool hand-off)."""
    settings: Settings = request.app.state.settings
    return settings


async def get_planning_caches(request: Request) -> PlanningCaches:
    """The app's planning caches (static grids, ground networks)."""
    caches: PlanningCaches = request.app.state.planning_caches
    return caches


async def get_altitudes(request: Request) -> Converter:
    """The app's altitude datum converter (``MSL``/``AGL`` heights to ``W84``)."""
    converter: Converter = request.app.state.altitudes
    return converter


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PlanningCachesDep = Annotated[PlanningCaches, Depends(get_planning_caches)]
AltitudesDep = Annotated[Converter, Depends(get_altitudes)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def get_principal(session: SessionDep, credentials: Credentials) -> Principal:
    """The principal behind the bearer token; 401 when missing, unknown or revoked."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("a bearer token is required (Authorization: Bearer <token>)")
    return authenticate(session=session, token=credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


@dataclass(frozen=True)
class PageQuery:
    """A list request's ``after`` cursor and page size, and how to link the next page."""

    after: str | None
    limit: int
    path: str
    params: tuple[tuple[str, str], ...]
    """The request's other query parameters (the filters), kept in the next link."""

    def next_link(self, after: str | None) -> str | None:
        """The path and query of the page after cursor ``after`` (None at the end)."""
        if after is None:
            return None
        query = urlencode([*self.params, ("after", after), ("limit", str(self.limit))])
        return f"{self.path}?{query}"


async def get_page_query(
    request: Request,
    settings: SettingsDep,
    after: Annotated[
        str | None,
        Query(min_length=1, max_length=1000, description="opaque cursor from a page's `next`"),
    ] = None,
    limit: Annotated[
        int | None, Query(ge=1, description="page size (capped at the server's maximum)")
    ] = None,
) -> PageQuery:
    """The paging query of a list (async: no thread-pool hand-off)."""
    others = tuple(
        (k, v) for k, v in request.query_params.multi_items() if k not in ("after", "limit")
    )
    return PageQuery(
        after=after,
        limit=min(limit or settings.page_size_default, settings.page_size_max),
        path=request.url.path,
        params=others,
    )


PageDep = Annotated[PageQuery, Depends(get_page_query)]


async def get_token(credentials: Credentials) -> str:
    """The bearer token (401 when missing); checked against the database by ``in_transaction``."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("a bearer token is required (Authorization: Bearer <token>)")
    return credentials.credentials


TokenDep = Annotated[str, Depends(get_token)]


async def in_transaction(
    request: Request, token: str, work: Callable[[Session, Principal], T]
) -> T:
    """Authenticate and run ``work`` in one transaction, in one thread-pool hand-off.

    The hot endpoints use this instead of ``SessionDep`` and ``PrincipalDep`` (each a hand-off
    of its own); the transaction is committed before the response is built. A deadlock or
    serialization failure rolls the whole transaction back, so ``work`` runs again in a
    fresh one (at most ``ATTEMPTS`` runs): ``work`` must only write through ``session``.
    """

    def run() -> T:
        return with_retries(
            request.app.state.sessionmaker,
            lambda session: work(session, authenticate(session=session, token=token)),
        )

    return await run_in_threadpool(run)


def with_retries(sessions: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """Run ``work`` in one transaction, again in a fresh one after a deadlock or
    serialization failure (at most ``ATTEMPTS`` runs; see :func:`in_transaction`)."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with session_scope(sessions) as session:
                return work(session)
        except DBAPIError as exc:
            if attempt == ATTEMPTS or not is_transient(exc):
                raise
            log.info("transaction rolled back (%s), retrying", sqlstate(exc))
            time.sleep(random.uniform(0.005, 0.05) * attempt)
    raise AssertionError("unreachable")

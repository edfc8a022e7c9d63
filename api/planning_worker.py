"""A planning worker process: its own database engine, planning caches and altitude
converter; it runs one route request's whole transaction at a time (see
:mod:`api.planning_pool`, which owns the workers).

A request arrives as a :class:`Job` on the worker's end of a pipe and goes back as a
:class:`Reply`: the response model, or the exception the request raised, shipped as its
class, ``args`` and attributes (:func:`ship`) and rebuilt in the API process as the same
type (:func:`unship`), so it becomes the same problem+json response as when planned in
the API process. Nothing here is a module global: the worker's state lives in
:func:`worker_main`.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import signal
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from api.deps import with_retries
from api.errors import STATUS_OF
from api.route_schemas import FleetRequest, RouteRequest
from api.route_work import budget, fleet_response, route_response
from api.settings import Settings
from planning.caches import PlanningCaches
from registry.db import make_engine, make_sessionmaker
from registry.errors import Unauthenticated
from registry.models import Principal
from registry.services.datums import Converter, altitude_converter
from routing import SearchBudgetExceeded

log = logging.getLogger("kukan.planning")
DOMAIN_ERRORS = tuple(STATUS_OF)


@dataclass(frozen=True)
class Job:
    """One request for a worker: what to plan, for whom, and by when (``time.monotonic``
    instants: the planning deadline, and the last instant to commit, before the pool
    stops waiting)."""

    kind: Literal["route", "fleet"]
    body: RouteRequest | FleetRequest
    principal_id: uuid.UUID
    deadline: float
    commit_by: float


@dataclass(frozen=True)
class Shipped:
    """An exception as data: its class (module and name), ``args`` and attributes."""

    module: str
    name: str
    args: tuple[Any, ...]
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """A job's outcome: the response model, or the shipped exception."""

    value: BaseModel | None = None
    error: Shipped | None = None


def ship(exc: BaseException) -> Shipped:
    """``exc`` as data that pickles (a plain ``RuntimeError`` with its text if it does not)."""
    cls = type(exc)
    out = Shipped(cls.__module__, cls.__qualname__, exc.args, dict(vars(exc)))
    try:
        pickle.loads(pickle.dumps(out))
    except Exception:  # an attribute that does not pickle: keep the message
        return Shipped("builtins", "RuntimeError", (f"{cls.__qualname__}: {exc}",))
    return out


def unship(data: Shipped) -> BaseException:
    """The exception of :func:`ship`, rebuilt as the same type (without calling its
    ``__init__``: ``args`` and attributes are restored as they were)."""
    cls = getattr(importlib.import_module(data.module), data.name, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        return RuntimeError(f"{data.module}.{data.name}: {data.args}")
    exc = cls.__new__(cls)
    exc.args = data.args
    vars(exc).update(data.state)
    return exc


@dataclass
class WorkerState:
    """What one worker plans with."""

    settings: Settings
    sessions: sessionmaker[Session]
    caches: PlanningCaches
    altitudes: Converter


def run_job(state: WorkerState, job: Job) -> Reply:
    """Run ``job`` in one transaction (retried after a deadlock, like the API's)."""

    def work(session: Session) -> BaseModel:
        me = session.get(Principal, job.principal_id)
        if me is None or me.revoked_at is not None:
            raise Unauthenticated("the bearer token has been revoked")
        b = budget(state.settings, job.deadline)
        out: BaseModel
        if isinstance(job.body, RouteRequest):
            out = route_response(
                session,
                me,
                job.body,
                settings=state.settings,
                caches=state.caches,
                altitudes=state.altitudes,
                budget=b,
            )
        else:
            out = fleet_response(
                session, me, job.body, settings=state.settings, caches=state.caches, budget=b
            )
        if time.monotonic() > job.commit_by:  # rolled back: nothing is booked
            raise SearchBudgetExceeded("the planning budget ran out before the commit")
        return out

    try:
        return Reply(value=with_retries(state.sessions, work))
    except SearchBudgetExceeded as exc:
        late = time.monotonic() - job.deadline
        if late > 0.1 * state.settings.route_budget_s:
            log.warning("planning worker %d: budget_exceeded %.3f s late", os.getpid(), late)
        return Reply(error=ship(exc))
    except Exception as exc:
        if not isinstance(exc, DOMAIN_ERRORS):  # a bug or the database: log it here
            log.exception("planning worker %d: %s", os.getpid(), type(exc).__name__)
        return Reply(error=ship(exc))


def worker_main(conn: Connection, settings: Settings) -> None:
    """A worker's life: build its state, say ``ready``, run jobs until ``None`` or EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the API process decides when we stop
    engine = make_engine(
        settings.database_url,
        pool_size=2,
        connect_timeout=settings.db_connect_timeout_s,
        pre_ping=False,
    )
    state = WorkerState(
        settings=settings,
        sessions=make_sessionmaker(engine),
        caches=PlanningCaches.create(grid_cache_mb=settings.route_grid_cache_mb),
        altitudes=altitude_converter(settings.geoid_grid),
    )
    conn.send(("ready", os.getpid()))
    try:
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                break
            if job is None:
                break
            conn.send(run_job(state, job))
    finally:
        engine.dispose()

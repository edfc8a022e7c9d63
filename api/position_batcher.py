"""Single position reports, gathered: the reports that arrive while one batch is being
stored wait for the next, and each batch is authenticated and ingested in one transaction
per principal, in a thread of its own.

A report costs its request no thread hand-off and no database round trip of its own: the
request awaits its report's result. Each report still gets exactly the answer it would get
alone (its key checked as :func:`registry.services.principals.authenticate` checks it, its
fix checked, stored and judged by :func:`registry.services.telemetry.ingest`). A database
failure fails the reports of that batch (503), never others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from registry.errors import Conflict, InvalidInput, NotFound, RegistryError
from registry.models import Position
from registry.services.principals import authenticate
from registry.services.telemetry import ingest
from registry.services.telemetry_checks import Fix, FixResult, TelemetryPolicy

log = logging.getLogger("kukan.positions")
MAX_BATCH = 2_000
"""Most reports stored in one transaction (the rest wait for the next)."""
LINGER_S = 0.003
"""How long a drainer waits for more reports after the first (a batch's fixed cost is
several round trips: shared by more reports, each costs less)."""
DRAINERS = 2
"""Batches in flight at once per process: one is stored while the next gathers and is
checked, so the process never idles on a round trip."""


@dataclass
class Report:
    """One report waiting: its bearer token, its fix, and where its answer goes."""

    token: str
    fix: Fix
    done: asyncio.Future[dict[str, Any]] = field(repr=False)


def answer(fix: Fix, result: FixResult) -> dict[str, Any]:
    """The stored report as the endpoint answers it (``new``: just stored)."""
    return {
        "id": result.id,
        "vehicle_id": fix.vehicle_id,
        "time": fix.time,
        "received_at": result.received_at,
        "lng": fix.lng,
        "lat": fix.lat,
        "alt_m": fix.alt_m,
        "speed_mps": fix.speed_mps,
        "heading_deg": fix.heading_deg,
        "voxel": result.spatial_id,
        "reservation_id": result.reservation_id,
        "conforming": result.conforming,
        "new": True,
    }


def refusal(fix: Fix, result: FixResult) -> RegistryError:
    """The error a refused report answers with."""
    if result.reason == "vehicle_retired":
        return Conflict(f"vehicle {fix.vehicle_id} is retired")
    if result.reason == "vehicle_not_found":
        return NotFound(f"vehicle {fix.vehicle_id} not found")
    return InvalidInput(f"{result.reason}: {result.detail}", field=result.field)


class PositionBatcher:
    """Gathers single reports and stores them in batches (one drainer task per process)."""

    def __init__(self, factory: sessionmaker[Session], policy: TelemetryPolicy) -> None:
        self.factory = factory
        self.policy = policy
        self._waiting: list[Report] = []
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, drainers: int = DRAINERS) -> None:
        """Begin draining (``drainers`` batches in flight at most)."""
        self._tasks = [
            asyncio.create_task(self._run(), name=f"kukan-position-batcher-{k}")
            for k in range(drainers)
        ]

    async def close(self) -> None:
        """Stop; reports still waiting are answered 503 by their requests' cancellation."""
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for r in self._waiting:
            if not r.done.done():
                r.done.cancel()

    async def report(self, token: str, fix: Fix) -> dict[str, Any]:
        """Store one report; its stored row (``new`` False: it was stored before)."""
        done: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting.append(Report(token, fix, done))
        self._wake.set()
        return await done

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(LINGER_S)  # let the reports arriving now join this batch
            self._wake.clear()
            while self._waiting:
                if len(self._waiting) > MAX_BATCH:
                    self._wake.set()  # more than one batch waits: let another drainer in
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                try:
                    outcomes = await asyncio.to_thread(self._store, batch)
                except Exception as exc:  # the database went away, say: these reports fail
                    log.warning("a batch of %d position reports failed: %s", len(batch), exc)
                    outcomes = [exc] * len(batch)
                for r, outcome in zip(batch, outcomes, strict=True):
                    if r.done.done():  # the request went away
                        continue
                    if isinstance(outcome, BaseException):
                        r.done.set_exception(outcome)
                    else:
                        r.done.set_result(outcome)

    def _store(self, batch: list[Report]) -> list[dict[str, Any] | BaseException]:
        """Authenticate and ingest the batch, one transaction per key (a failure of one
        key's transaction fails only its reports)."""
        outcomes: list[dict[str, Any] | BaseException | None] = [None] * len(batch)
        by_token: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(batch):
            by_token[r.token].append(i)
        for token, idx in by_token.items():
            try:
                with session_scope(self.factory) as session:
                    actor = authenticate(session=session, token=token)
                    fixes = [batch[i].fix for i in idx]
                    results = ingest(session=session, actor=actor, fixes=fixes, policy=self.policy)
                    for i, fix, result in zip(idx, fixes, results, strict=True):
                        outcomes[i] = self._outcome(session, fix, result)
            except Exception as exc:  # a bad key (401) or the database: this key's reports
                for i in idx:
                    outcomes[i] = exc
        return [o if o is not None else RuntimeError("no outcome") for o in outcomes]

    @staticmethod
    def _outcome(session: Session, fix: Fix, result: FixResult) -> dict[str, Any] | RegistryError:
        if result.status == "refused":
            return refusal(fix, result)
        if result.status == "accepted":
            return answer(fix, result)
        stored = session.get(Position, (fix.vehicle_id, fix.time))  # a duplicate: the first
        if stored is None:  # pragma: no cover - a duplicate is stored
            return NotFound(f"vehicle {fix.vehicle_id} has no fix at {fix.time.isoformat()}")
        return {
            **{c: getattr(stored, c) for c in COLUMNS},
            "new": False,
        }


COLUMNS = (
    "id", "vehicle_id", "time", "received_at", "lng", "lat", "alt_m", "speed_mps",
    "heading_deg", "voxel", "reservation_id", "conforming",
)  # fmt: skip


def fix_of(vehicle_id: uuid.UUID, body: Any, alt_m: float) -> Fix:
    """The fix of a position report body (its altitude already in W84)."""
    return Fix(vehicle_id, body.time, body.lng, body.lat, alt_m, body.speed_mps, body.heading_deg)

"""The API process's background sweeper: conformance (silence, time outside, windows over)
every ``conformance_sweep_s``, and every hour the fix history's partitions (made ahead,
dropped past retention) and the events past their retention. Each API process runs one;
the database lets one work at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from api.settings import Settings
from registry.services import events, partitions
from registry.services.conformance_sweep import CHUNK, SweepReport, sweep

log = logging.getLogger("kukan.sweeper")
PARTITIONS_EVERY_S = 3600.0


class Sweeper:
    """A task that sweeps until closed; errors are logged and the next turn tries again."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session]) -> None:
        self.settings = settings
        self.factory = factory
        self.policy = settings.telemetry_policy()
        self._task: asyncio.Task[None] | None = None
        self._partitions_at = -PARTITIONS_EVERY_S

    def start(self) -> None:
        """Begin sweeping (nothing when ``conformance_sweep_s`` is 0)."""
        if self.settings.conformance_sweep_s > 0:
            self._task = asyncio.create_task(self._run(), name="kukan-sweeper")

    async def close(self) -> None:
        """Stop sweeping."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def once(self, now: datetime | None = None) -> SweepReport | None:
        """One turn: the partitions when due, then a conformance sweep, each committed."""
        now = now or datetime.now(UTC)
        if time.monotonic() - self._partitions_at >= PARTITIONS_EVERY_S:
            with self.factory() as session, session.begin():
                days = self.settings.telemetry_retention_days
                partitions.ensure_partitions(session, now=now)
                dropped = partitions.drop_expired(session, now=now, retention_days=days)
            if dropped:
                log.info("dropped fix partitions past retention: %s", ", ".join(dropped))
            gone = self.drop_events(now)
            if gone:
                log.info("dropped %d events past retention", gone)
            self._partitions_at = time.monotonic()
        with self.factory() as session, session.begin():
            first = sweep(session, now=now, policy=self.policy)
        report = first
        while report is not None and report.rows == CHUNK:  # more due: the next chunk
            with self.factory() as session, session.begin():
                report = sweep(session, now=now, policy=self.policy, after=report.last)
        return first

    def drop_events(self, now: datetime) -> int:
        """Drop the events older than ``events_retention_days``, in chunks (each its own
        transaction); how many."""
        before = now - timedelta(days=self.settings.events_retention_days)
        total = 0
        while True:
            with self.factory() as session, session.begin():
                n = events.drop_expired(session, before=before)
            total += n
            if n == 0:
                return total

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.once)
            except Exception:  # a database restart, say: log it and try again next turn
                log.exception("sweep failed")
            await asyncio.sleep(self.settings.conformance_sweep_s)

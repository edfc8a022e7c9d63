"""The API process's replanner: plans requested re-plan proposals, one at a time, and
expires pending ones past their time, every ``replan_poll_s`` when idle. Each API process
runs one; a lease in the database keeps two from planning the same request."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging

from sqlalchemy.orm import Session, sessionmaker

from api.route_work import budget
from api.settings import Settings
from planning.caches import PlanningCaches
from planning.replan import ReplanPolicy, expire, replan_next

log = logging.getLogger("kukan.replanner")


class Replanner:
    """A task that re-plans until closed; errors are logged and the next turn tries again."""

    def __init__(
        self, settings: Settings, factory: sessionmaker[Session], caches: PlanningCaches
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.caches = caches
        self.policy = ReplanPolicy(
            hold_s=settings.replan_hold_s,
            fresh_s=max(settings.telemetry_lost_after_s, 1.0) * 3,
            budget=dataclasses.replace(
                budget(settings), seconds=min(settings.route_budget_s, settings.replan_budget_s)
            ),
        )
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin re-planning (nothing when ``replan_poll_s`` is 0)."""
        if self.settings.replan_poll_s > 0:
            self._task = asyncio.create_task(self._run(), name="kukan-replanner")

    async def close(self) -> None:
        """Stop re-planning."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def once(self) -> str | None:
        """Expire what is due, then plan one request; its outcome (None: nothing waited)."""
        expire(factory=self.factory)
        return replan_next(factory=self.factory, caches=self.caches, policy=self.policy)

    async def _run(self) -> None:
        while True:
            busy = False
            try:
                busy = await asyncio.to_thread(self.once) is not None
            except Exception:  # a database restart, say: log it and try again next turn
                log.exception("re-plan failed")
            if not busy:
                await asyncio.sleep(self.settings.replan_poll_s)

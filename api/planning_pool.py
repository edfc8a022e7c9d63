"""The app's planning workers: route requests planned in other processes, off the event
loop and out of the API process's GIL.

:class:`PlanningPool` (``app.state.planning_pool``, created and closed by the app's
lifespan; none with ``KUKAN_PLANNING_WORKERS=0``) starts ``size`` worker processes with
the ``forkserver`` context: the fork server imports :mod:`api.planning_worker` once, and
each worker forked from it (:func:`api.planning_worker.worker_main`) builds its own
engine, caches and converter; nothing of the API process is inherited. Each request goes
to an idle worker over its pipe, read in a thread of the pool's own, so the event loop
keeps answering.

The planning deadline starts when the request arrives (it waits for a worker until the
deadline at most, then answers 503). A worker that has not answered ``grace_s`` after
the deadline (8 % of the budget, at least ``GRACE_MIN_S``) is killed and the request
answers 422 ``budget_exceeded``: its transaction dies with its connection, and nothing
is booked, for a worker commits only until half the grace has passed. A worker that dies
answers 503 (``PlanningUnavailable``); one found dead while idle is passed over. Either
way a new worker takes its place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Literal

from pydantic import BaseModel

from api.errors import PlanningUnavailable
from api.planning_worker import Job, Reply, unship, worker_main
from api.route_schemas import FleetRequest, RouteRequest
from api.settings import Settings
from routing import SearchBudgetExceeded

log = logging.getLogger("kukan.planning")
GRACE_MIN_S = 0.5
"""The least time past its deadline a worker is given to answer."""
START_TIMEOUT_S = 60.0
"""How long a new worker may take to import and connect before it counts as failed."""


@dataclass
class Worker:
    """One worker process and the API process's end of its pipe."""

    process: BaseProcess
    conn: Connection

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return int(self.process.pid or 0)


class PlanningPool:
    """``size`` planning worker processes (see the module docstring)."""

    def __init__(self, settings: Settings, size: int) -> None:
        self.settings = settings
        self.size = size
        self.ctx = multiprocessing.get_context("forkserver")
        self.ctx.set_forkserver_preload(["api.planning_worker"])
        self.threads = ThreadPoolExecutor(2 * size, thread_name_prefix="kukan-planning")
        self.idle: asyncio.Queue[Worker] = asyncio.Queue()
        self.busy: dict[int, Worker] = {}
        self.workers: dict[int, Worker] = {}
        self.grace_s = max(GRACE_MIN_S, 0.08 * settings.route_budget_s)
        """How long past its deadline a worker may take to answer before it is killed."""
        self._closed = False
        self._spawning: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Start every worker and wait until each is ready."""
        workers = await asyncio.gather(*(self._spawn() for _ in range(self.size)))
        for w in workers:
            self.idle.put_nowait(w)

    def busy_pids(self) -> list[int]:
        """The pids of the workers planning now."""
        return sorted(self.busy.copy())

    def worker_pids(self) -> list[int]:
        """The pids of every worker started and not yet replaced."""
        return sorted(self.workers.copy())

    async def run(
        self,
        kind: Literal["route", "fleet"],
        body: RouteRequest | FleetRequest,
        principal_id: uuid.UUID,
        started: float,
    ) -> BaseModel:
        """Plan ``body`` for the principal in a worker by the deadline ``started`` (a
        ``time.monotonic()`` instant: the request's arrival) plus the budget: its response
        model, or the exception it raised (rebuilt as the same type)."""
        if self._closed:
            raise PlanningUnavailable("the planning workers are shutting down")
        deadline = started + self.settings.route_budget_s
        worker = await self._idle_worker(deadline)
        give_up_at = deadline + self.grace_s
        job = Job(kind, body, principal_id, deadline, deadline + self.grace_s / 2)
        loop = asyncio.get_running_loop()
        self.busy[worker.pid] = worker
        replace = True
        try:
            call = loop.run_in_executor(self.threads, _round_trip, worker.conn, job)
            try:
                reply = await asyncio.wait_for(call, timeout=give_up_at - time.monotonic())
            except TimeoutError:
                log.warning("planning worker %d overran its budget: killed", worker.pid)
                worker.process.kill()
                raise SearchBudgetExceeded(
                    f"the planning budget of {self.settings.route_budget_s:g} s ran out"
                ) from None
            except (EOFError, OSError) as exc:
                log.warning("planning worker %d died: %s", worker.pid, type(exc).__name__)
                raise PlanningUnavailable("the planning worker stopped; retry") from None
            replace = False
        finally:
            self.busy.pop(worker.pid, None)
            if replace or not worker.process.is_alive():
                self._replace(worker)
            else:
                self.idle.put_nowait(worker)
        if reply.error is not None:
            raise unship(reply.error)
        assert reply.value is not None
        return reply.value

    async def _idle_worker(self, deadline: float) -> Worker:
        """An idle worker that is alive, waited for until ``deadline`` at most; one that died
        while idle (killed, out of memory) is replaced, not handed the job."""
        while True:
            try:
                worker = await asyncio.wait_for(self.idle.get(), deadline - time.monotonic())
            except TimeoutError:
                raise PlanningUnavailable("every planning worker is busy; retry") from None
            if worker.process.is_alive():
                return worker
            log.warning("planning worker %d died while idle: replaced", worker.pid)
            self._replace(worker)

    def _replace(self, worker: Worker) -> None:
        """Put a new worker in the place of one killed or dead (in the background)."""
        self.workers.pop(worker.pid, None)
        with contextlib.suppress(OSError):
            worker.process.kill()
        worker.conn.close()
        if self._closed:
            return

        async def spawn() -> None:
            try:
                self.idle.put_nowait(await self._spawn())
            except Exception:
                log.exception("a planning worker did not start; retrying")
                await asyncio.sleep(1.0)
                if not self._closed:
                    task = asyncio.create_task(spawn())
                    self._spawning.add(task)
                    task.add_done_callback(self._spawning.discard)

        task = asyncio.create_task(spawn())
        self._spawning.add(task)
        task.add_done_callback(self._spawning.discard)

    async def _spawn(self) -> Worker:
        """A new worker, once it has said it is ready."""
        ours, theirs = self.ctx.Pipe()
        process = self.ctx.Process(
            target=worker_main, args=(theirs, self.settings), name="kukan-planning", daemon=True
        )
        process.start()
        theirs.close()
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(
                loop.run_in_executor(self.threads, ours.recv), timeout=START_TIMEOUT_S
            )
        except BaseException:
            process.kill()
            ours.close()
            raise
        worker = Worker(process, ours)
        self.workers[worker.pid] = worker
        return worker

    async def close(self) -> None:
        """Stop every worker: idle ones are asked to, busy ones killed."""
        self._closed = True
        for task in list(self._spawning):
            task.cancel()
        stopping = []
        while not self.idle.empty():
            w = self.idle.get_nowait()
            with contextlib.suppress(OSError):
                w.conn.send(None)
            stopping.append(w)
        for w in list(self.busy.values()):
            w.process.kill()
            stopping.append(w)
        loop = asyncio.get_running_loop()
        for w in stopping:
            await loop.run_in_executor(self.threads, w.process.join, 5.0)
            if w.process.is_alive():
                w.process.kill()
            w.conn.close()
        self.threads.shutdown(wait=False, cancel_futures=True)


def _round_trip(conn: Connection, job: Job) -> Reply:
    """Send ``job`` and wait for its reply (in a pool thread)."""
    conn.send(job)
    reply: Reply = conn.recv()
    return reply

"""Serve the API with N uvicorn processes, each on its own SO_REUSEPORT socket.

``uvicorn --workers N`` shares one listening socket; a worker woken by a burst of new
connections accepts all of them, so long-lived keep-alive clients can all end up on one
worker while the others idle (measured: 16 clients, one worker at 55 % of a core, the
other at 0 %). With one ``SO_REUSEPORT`` socket per process the kernel spreads the
connections over the processes by their address hash.

The parent process supervises the workers. When one exits unexpectedly (crash, OOM
kill, ``kill -9``) it logs one line (pid, exit code or signal) and starts a replacement,
which opens a fresh ``SO_REUSEPORT`` socket on the same host and port. A worker that had
run for ``STABLE_S`` seconds is replaced at once; one that dies sooner is an *early* exit
and its slot backs off (0.25 s doubling, capped at 5 s). After ``--restart-limit`` early
exits within ``--restart-window`` seconds (default 5 in 60 s: the workers cannot start)
the parent stops the remaining workers and exits with status 1. SIGTERM or SIGINT stops
all workers (SIGTERM to each, uvicorn's graceful shutdown) and exits 0.

Run: ``python -m api.serve --workers 2 --port 8000`` (settings from ``KUKAN_*``, as
``uvicorn --factory api.app:app_from_env``). The supervisor logs at ``--log-level``:
deaths at error, starts at info, giving up at critical.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

log = logging.getLogger("kukan.serve")

STABLE_S = 10.0  # a worker that ran this long before dying is replaced without delay
BACKOFF_BASE_S = 0.25
BACKOFF_CAP_S = 5.0
STOP_TIMEOUT_S = 30.0  # after SIGTERM, a worker still alive this long later gets SIGKILL


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket with SO_REUSEPORT (Linux, BSD)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def run_worker(host: str, port: int, log_level: str, access_log: bool) -> None:
    """One uvicorn server (uvloop + httptools when installed) on its own socket."""
    config = uvicorn.Config(
        "api.app:app_from_env",
        factory=True,
        log_level=log_level,
        access_log=access_log,
    )
    uvicorn.Server(config).run(sockets=[listen(host, port)])


def backoff(early: int) -> float:
    """Seconds to wait before restarting a slot after ``early`` consecutive early exits."""
    return 0.0 if early <= 0 else min(BACKOFF_BASE_S * 2 ** (early - 1), BACKOFF_CAP_S)


def describe(exitcode: int | None) -> str:
    """``exit code 1`` or ``killed by SIGKILL``."""
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


@dataclass
class Slot:
    """One worker position: its current process (None while waiting to restart)."""

    proc: BaseProcess | None = None
    started: float = 0.0
    early: int = 0  # consecutive early exits
    restart_at: float = 0.0
    last_pid: int | None = None  # the worker that died, while its replacement is pending


class Supervisor:
    """Keep ``workers`` uvicorn processes running on ``host:port``."""

    def __init__(
        self,
        host: str,
        port: int,
        workers: int,
        log_level: str,
        access_log: bool,
        restart_limit: int = 5,
        restart_window: float = 60.0,
    ) -> None:
        self.args = (host, port, log_level, access_log)
        self.slots = [Slot() for _ in range(workers)]
        self.restart_limit, self.restart_window = restart_limit, restart_window
        self.early_exits: deque[float] = deque()
        self.stopping = False
        self.ctx = multiprocessing.get_context("spawn")
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        """SIGTERM/SIGINT: flag the stop and wake the loop (it stops the workers)."""
        self.stopping = True
        with contextlib.suppress(OSError):  # pipe full: the loop is awake already
            os.write(self.wake_w, b"x")

    def start(self, slot: Slot) -> None:
        """Start a worker in ``slot``."""
        proc = self.ctx.Process(target=run_worker, args=self.args)
        proc.start()
        slot.proc, slot.started = proc, time.monotonic()
        if slot.last_pid is None:
            log.info("started worker %s", proc.pid)
        else:
            log.info("started worker %s (replacing %s)", proc.pid, slot.last_pid)

    def reap(self, slot: Slot, now: float) -> None:
        """``slot``'s worker has exited: log it and schedule its replacement."""
        assert slot.proc is not None
        proc, lived = slot.proc, now - slot.started
        proc.join()
        if lived < STABLE_S:
            slot.early += 1
            self.early_exits.append(now)
        else:
            slot.early = 0
        delay = backoff(slot.early)
        slot.restart_at = now + delay
        log.error(
            "worker %s died (%s) after %.1f s; restarting in %.2f s",
            proc.pid,
            describe(proc.exitcode),
            lived,
            delay,
        )
        slot.proc, slot.last_pid = None, proc.pid

    def crash_looping(self, now: float) -> bool:
        """Whether ``restart_limit`` early exits happened within ``restart_window`` seconds."""
        while self.early_exits and now - self.early_exits[0] > self.restart_window:
            self.early_exits.popleft()
        return len(self.early_exits) >= self.restart_limit

    def run(self) -> int:
        """Supervise until a signal (exit status 0) or a crash loop (exit status 1)."""
        for slot in self.slots:
            self.start(slot)
        status = 0
        while not self.stopping:
            now = time.monotonic()
            for slot in self.slots:
                if slot.proc is not None and slot.proc.exitcode is not None:
                    self.reap(slot, now)
            if self.crash_looping(now):
                log.critical(
                    "giving up: %d worker exits in the last %.0f s, each within %.0f s of "
                    "its start (see the workers' errors above); stopping, exit status 1",
                    len(self.early_exits),
                    self.restart_window,
                    STABLE_S,
                )
                status = 1
                break
            for slot in self.slots:
                if slot.proc is None and now >= slot.restart_at and not self.stopping:
                    self.start(slot)
            pending = [s.restart_at - now for s in self.slots if s.proc is None]
            timeout = max(0.0, min([1.0, *pending]))
            sentinels = [s.proc.sentinel for s in self.slots if s.proc is not None]
            if self.wake_r in wait([self.wake_r, *sentinels], timeout):
                os.read(self.wake_r, 64)
        self.stop()
        return status

    def stop(self) -> None:
        """SIGTERM every worker, wait for them; SIGKILL any still alive after STOP_TIMEOUT_S."""
        procs = [s.proc for s in self.slots if s.proc is not None]
        for p in procs:
            if p.exitcode is None:
                p.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for p in procs:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.exitcode is None:
                log.error("worker %s did not stop in %.0f s: SIGKILL", p.pid, STOP_TIMEOUT_S)
                p.kill()
                p.join()


def main() -> None:
    """Start the workers and supervise them; stop them all on SIGTERM or SIGINT."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--no-access-log", action="store_true")
    ap.add_argument(
        "--restart-limit",
        type=int,
        default=5,
        help=f"give up after this many worker exits within {STABLE_S:.0f} s of their start ...",
    )
    ap.add_argument(
        "--restart-window", type=float, default=60.0, help="... within this many seconds"
    )
    args = ap.parse_args()
    level = getattr(logging, args.log_level.upper(), logging.DEBUG)  # uvicorn's "trace": debug
    logging.basicConfig(level=level, format="%(levelname)s:     [api.serve] %(message)s")
    listen(args.host, args.port).close()  # fail here, not in a worker, if the port is taken
    sup = Supervisor(
        args.host,
        args.port,
        args.workers,
        args.log_level,
        not args.no_access_log,
        args.restart_limit,
        args.restart_window,
    )
    signal.signal(signal.SIGTERM, sup.on_signal)
    signal.signal(signal.SIGINT, sup.on_signal)
    sys.exit(sup.run())


if __name__ == "__main__":
    main()

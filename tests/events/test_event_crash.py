"""An API process killed (SIGKILL) right after a change commits loses no event: the event
was written with the change, and a reader that reconnects to another process with its
last event id gets it exactly once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from registry.services import events
from tests.conftest import Key
from tests.events.test_event_stream import Received, read_stream
from tests.reservations.helpers import created, ids, reserve, spot, volume
from tests.reservations.test_serve import _free_port

ROOT = Path(__file__).resolve().parents[2]


def _server(database_url: str, port: int) -> subprocess.Popen[bytes]:
    """A one-process API on ``port``, up (``/health``)."""
    env = {**os.environ, "KUKAN_DATABASE_URL": database_url, "KUKAN_PLANNING_WORKERS": "0"}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "api.app:app_from_env", "--port",
           str(port), "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    until = time.monotonic() + 60
    while time.monotonic() < until:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not come up")


def test_a_process_killed_between_commit_and_delivery_loses_no_event(
    live_server: str, database_url: str, make_key: Callable[..., Key]
) -> None:
    me = make_key("operator")
    port = _free_port()
    proc = _server(database_url, port)
    doomed = f"http://127.0.0.1:{port}"
    try:
        before: Received = []
        opened = threading.Event()
        reader = threading.Thread(
            target=lambda: _quiet(read_stream, doomed, me, before, opened, timeout_s=30)
        )
        reader.start()
        assert opened.wait(10)
        with httpx.Client(base_url=doomed, timeout=30) as c:
            x, y = spot()
            made = [created(reserve(c, me, volume(ids(x, y + k, 2))))["id"] for k in range(3)]
        os.kill(proc.pid, signal.SIGKILL)  # committed; the stream may not have sent them yet
        proc.wait(10)
        reader.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    # reconnect elsewhere with the last id heard (or from where the stream started)
    last = before[-1][1]["_id"] if before else None
    after: Received = []
    headers = {"Last-Event-ID": last} if last else {}
    if last is None:  # nothing heard: ask from the start of this principal's log
        r = read_stream(
            live_server, me, after, threading.Event(), timeout_s=0, after=events.encode_cursor(0, 0)
        )
    else:
        r = read_stream(live_server, me, after, threading.Event(), timeout_s=0, headers=headers)
    assert r.status_code == 200
    heard = [e for _, e in before] + [e for _, e in after]
    assert [e["subject"] for e in heard] == made  # each once, in order
    assert len({e["id"] for e in heard}) == len(heard)


def _quiet(fn: Callable[..., object], *args: object, **kwargs: object) -> None:
    """Run ``fn``; a connection cut by the kill ends it quietly."""
    with contextlib.suppress(httpx.HTTPError):
        fn(*args, **kwargs)

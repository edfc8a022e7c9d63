"""``python -m api.serve``: N uvicorn processes on SO_REUSEPORT sockets, one port, supervised.

Linux only (the worker processes are found through /proc).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.serve import backoff, describe, listen

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _workers(parent: int) -> list[int]:
    """The worker processes among ``parent``'s children (not multiprocessing's resource tracker)."""
    path = Path(f"/proc/{parent}/task/{parent}/children")
    out = []
    for pid in path.read_text().split() if path.exists() else []:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmd and b"resource_tracker" not in cmd:
            out.append(int(pid))
    return out


def _listens(pid: int, port: int) -> bool:
    """Whether ``pid`` holds a TCP socket listening on 127.0.0.1:``port``."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(int(link[8:-1]))
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        f = line.split()
        if f[3] == "0A" and int(f[1].split(":")[1], 16) == port and int(f[9]) in inodes:
            return True
    return False


def _wait_healthy(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, f"api.serve exited with {proc.returncode}"
        assert time.monotonic() < deadline, "api.serve did not come up"
        time.sleep(0.1)


def test_backoff_and_describe() -> None:
    assert [backoff(k) for k in range(7)] == [0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 5.0]
    assert backoff(100) == 5.0
    assert describe(-signal.SIGKILL) == "killed by SIGKILL"
    assert describe(1) == "exit code 1"


def test_listen_shares_the_port() -> None:
    port = _free_port()
    a, b = listen("127.0.0.1", port), listen("127.0.0.1", port)
    try:
        assert a.getsockname()[1] == b.getsockname()[1] == port
    finally:
        a.close()
        b.close()


def test_two_workers_serve_and_stop(database_url: str, make_key: Any) -> None:
    key = make_key("operator")
    port = _free_port()
    env = {**os.environ, "KUKAN_DATABASE_URL": database_url}
    cmd = [sys.executable, "-m", "api.serve", "--workers", "2", "--port", str(port)]
    proc = subprocess.Popen([*cmd, "--log-level", "warning"], env=env, cwd=ROOT)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_healthy(base, proc)
        r = httpx.get(f"{base}/v1/reservations", headers=key.headers, timeout=10)
        assert r.status_code == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0  # SIGTERM stops the workers and the parent


def test_killed_worker_is_replaced(database_url: str, tmp_path: Path) -> None:
    """kill -9 of a worker: the supervisor logs it and starts a replacement that listens on
    the same port; /health keeps answering; SIGTERM then stops everything with status 0."""
    port = _free_port()
    env = {**os.environ, "KUKAN_DATABASE_URL": database_url}
    cmd = [sys.executable, "-m", "api.serve", "--workers", "2", "--port", str(port)]
    err = (tmp_path / "stderr").open("wb")
    proc = subprocess.Popen([*cmd, "--log-level", "warning"], env=env, cwd=ROOT, stderr=err)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc)
        deadline = time.monotonic() + 30
        while not (
            len(_workers(proc.pid)) == 2 and all(_listens(w, port) for w in _workers(proc.pid))
        ):
            assert time.monotonic() < deadline, "two listening workers expected"
            time.sleep(0.1)
        victim, survivor = _workers(proc.pid)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            workers = _workers(proc.pid)
            new = [w for w in workers if w not in (victim, survivor)]
            if victim not in workers and new and _listens(new[0], port):
                break
            assert proc.poll() is None, f"api.serve exited with {proc.returncode}"
            assert time.monotonic() < deadline, f"no replacement worker: {workers}"
            time.sleep(0.1)
        assert sorted(workers) == sorted([survivor, new[0]])
        for _ in range(20):  # fresh connections, spread by the kernel over both sockets
            assert httpx.get(f"{base}/health", timeout=5).status_code == 200
        log = (tmp_path / "stderr").read_text()
        assert f"worker {victim} died (killed by SIGKILL)" in log
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        err.close()
    for pid in (survivor, new[0]):
        assert not Path(f"/proc/{pid}").exists(), f"worker {pid} still running after SIGTERM"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/health", timeout=2)


def test_gives_up_when_workers_die_at_start(database_url: str, tmp_path: Path) -> None:
    """Workers that cannot start (a bad setting) are retried with back-off, then the
    supervisor gives up with a clear message and exit status 1."""
    port = _free_port()
    env = {**os.environ, "KUKAN_DATABASE_URL": database_url, "KUKAN_PAGE_SIZE_DEFAULT": "x"}
    cmd = [sys.executable, "-m", "api.serve", "--workers", "2", "--port", str(port)]
    err = tmp_path / "stderr"
    with err.open("wb") as f:
        proc = subprocess.Popen([*cmd, "--restart-limit", "3"], env=env, cwd=ROOT, stderr=f)
        try:
            assert proc.wait(timeout=90) == 1
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    log = err.read_text()
    assert log.count("died (exit code 1)") >= 3
    assert "giving up: 3 worker exits" in log
    assert "restarting in 0.50 s" in log  # the second early exit of a slot waits longer

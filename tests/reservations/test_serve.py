"""``python -m api.serve``: N uvicorn processes on SO_REUSEPORT sockets, one port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from api.serve import listen

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "api.serve did not come up"
            time.sleep(0.1)
        r = httpx.get(f"{base}/v1/reservations", headers=key.headers, timeout=10)
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)  # SIGTERM stops the workers and the parent

"""API keys never reach the logs: not the app's, not uvicorn's access log, not the CLI's.

The server runs as ``kukan serve`` in a child process whose stdout and stderr go to a file
the test reads (uvicorn's loggers do not propagate, so ``caplog`` cannot see them). A
canary request proves the access log is really captured before the tokens are looked for.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.settings import REPO_ROOT
from tests.conftest import Key
from tests.hardening.matrix_cases import reservation_body
from tests.pgtools import free_port

DEBUG_ROOT = (
    "import logging, sys; logging.basicConfig(level=logging.DEBUG);"
    " from api.cli import main; sys.exit(main(sys.argv[1:]))"
)
"""``kukan`` with every logger (the app's, SQLAlchemy's, uvicorn's) at DEBUG to stderr."""


def _start(cmd: list[str], database_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "KUKAN_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*cmd, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/health", timeout=5)
            return proc, base
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("kukan serve did not start:\n" + log.read_text()) from None
            time.sleep(0.1)


@pytest.fixture(scope="module", params=["default", "debug"])
def server(
    request: pytest.FixtureRequest, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """``kukan serve`` as shipped, and with the root logger at DEBUG: (base URL, its log)."""
    log = tmp_path_factory.mktemp("serve") / "server.log"
    cmd = (
        [sys.executable, "-m", "api.cli"]
        if request.param == "default"
        else [sys.executable, "-c", DEBUG_ROOT]
    )
    proc, base = _start(cmd, database_url, log)
    try:
        yield base, log, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_tokens_never_logged(
    server: tuple[str, Path, subprocess.Popen[bytes]], keys: dict[str, Key]
) -> None:
    base, log, proc = server
    token = keys["operator"].token
    bad = token[:-4] + "abcd"
    first, last = f"/health?canary={uuid.uuid4().hex}", f"/health?canary={uuid.uuid4().hex}"
    with httpx.Client(base_url=base, timeout=30) as c:
        assert c.get(first).status_code == 200
        for headers in ({"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {bad}"}):
            c.get("/v1/vehicles", headers=headers)
            c.post("/v1/reservations", headers=headers, json=reservation_body())
            c.post("/v1/reservations", headers=headers, content=b"{broken")
            c.get("/v1/vehicles/not-a-uuid", headers=headers)
            c.get(f"/v1/vehicles?operator_id={token}", headers={"X-Token": "x", **headers})
        assert c.get(last).status_code == 200
    proc.terminate()  # everything the server had to say is in the file once it has exited
    proc.wait(timeout=30)
    text = log.read_text()
    assert f'"GET {first} HTTP/1.1" 200' in text, text[-3000:]  # the access log is captured
    assert f'"GET {last} HTTP/1.1" 200' in text, text[-3000:]
    assert '"GET /v1/vehicles HTTP/1.1" 200' in text and '"GET /v1/vehicles HTTP/1.1" 401' in text
    assert '"POST /v1/reservations HTTP/1.1" 201' in text
    assert token not in text.replace(f"operator_id={token}", "")  # only our own query string
    assert bad not in text.replace(f"operator_id={token}", "")


def test_cli_prints_a_new_key_once(database_url: str) -> None:
    env = {**os.environ, "KUKAN_DATABASE_URL": database_url}
    cmd = [sys.executable, "-m", "api.cli", "keys", "create", "--role", "admin", "--name"]
    out = subprocess.run(
        [*cmd, f"log-check-{os.getpid()}"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token = out.stdout.strip().splitlines()[-1]
    assert token.startswith("kukan_")
    assert (out.stdout + out.stderr).count(token) == 1

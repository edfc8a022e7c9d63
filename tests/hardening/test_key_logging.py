"""API keys never reach the logs: not the app's, not uvicorn's access log, not the CLI's."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import httpx
import pytest

from api.settings import REPO_ROOT
from tests.conftest import Key
from tests.hardening.matrix_cases import reservation_body


def test_tokens_never_logged(
    live_server: str, keys: dict[str, Key], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = keys["operator"].token
    bad = token[:-4] + "abcd"
    with httpx.Client(base_url=live_server, timeout=30) as c:
        for headers in ({"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {bad}"}):
            c.get("/v1/vehicles", headers=headers)
            c.post("/v1/reservations", headers=headers, json=reservation_body())
            c.post("/v1/reservations", headers=headers, content=b"{broken")
            c.get("/v1/vehicles/not-a-uuid", headers=headers)
            c.get(f"/v1/vehicles?operator_id={token}", headers={"X-Token": "x", **headers})
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert token not in text.replace(f"operator_id={token}", "")  # only our own query string
    assert bad not in text


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

"""The ``kukan`` command line, run as a subprocess against the test database."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from registry import migrate
from tests.conftest import unique
from tests.pgtools import drop_database, recreate_database, with_database

KUKAN = Path(sys.executable).parent / "kukan"


def kukan(*args: str, url: str, **env: str) -> subprocess.CompletedProcess[str]:
    cmd = [str(KUKAN)] if KUKAN.exists() else [sys.executable, "-m", "api.cli"]
    full_env = {**os.environ, "KUKAN_DATABASE_URL": url, **env}
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, env=full_env, timeout=60, check=False
    )


def test_keys_create_prints_token_last(database_url: str, live_server: str) -> None:
    r = kukan("keys", "create", "--role", "admin", "--name", unique("cli-admin"), url=database_url)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("kukan_") and " " not in token
    assert (
        httpx.get(
            f"{live_server}/v1/operators", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 200
    )


def test_operator_key_for_a_new_operator(database_url: str, live_server: str) -> None:
    name = unique("cli-op")
    r = kukan("operators", "create", name, url=database_url)
    assert r.returncode == 0, r.stderr
    op_id = r.stdout.strip().splitlines()[-1]
    uuid.UUID(op_id)
    for ref in (op_id, name):
        r = kukan(
            "keys",
            "create",
            "--role",
            "operator",
            "--name",
            "ops",
            "--operator",
            ref,
            url=database_url,
        )
        assert r.returncode == 0, r.stderr
        token = r.stdout.strip().splitlines()[-1]
        me = httpx.get(
            f"{live_server}/v1/operators/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert me.json()["id"] == op_id


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["nonsense"],
        ["keys", "create", "--name", "x"],
        ["keys", "create", "--role", "pilot", "--name", "x"],
        ["serve", "--port", "eighty"],
        ["db", "downgrade"],
    ],
)
def test_bad_arguments_give_one_line(database_url: str, args: list[str]) -> None:
    r = kukan(*args, url=database_url)
    assert r.returncode != 0
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Traceback" not in r.stderr


def test_domain_errors_give_one_line(database_url: str) -> None:
    r = kukan("keys", "create", "--role", "operator", "--name", "x", url=database_url)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "kukan: error: a principal with role 'operator' needs an operator"
    ]
    r = kukan(
        "keys",
        "create",
        "--role",
        "fleet",
        "--name",
        "x",
        "--operator",
        "no such op",
        url=database_url,
    )
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1


def test_unreachable_database_gives_one_line() -> None:
    r = kukan("db", "upgrade", url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    assert r.returncode == 1
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "database" in r.stderr


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["serve"],
        ["db"],
        ["db", "upgrade"],
        ["db", "downgrade"],
        ["keys", "create"],
        ["operators", "create"],
        ["demo", "load"],
    ],
)
def test_help(database_url: str, args: list[str]) -> None:
    r = kukan(*args, "--help", url=database_url)
    assert r.returncode == 0
    assert "example:" in r.stdout


@pytest.fixture()
def scratch_url(base_database_url: str) -> Iterator[str]:
    url = with_database(
        base_database_url, f"{make_url(base_database_url).database}_cli_{uuid.uuid4().hex[:8]}"
    )
    recreate_database(url)
    yield url
    drop_database(url)


def test_db_upgrade_and_demo_load(scratch_url: str, tmp_path: Path) -> None:
    keys_file = tmp_path / "demo-keys.json"
    r = kukan("db", "upgrade", url=scratch_url)
    assert r.returncode == 0, r.stderr
    assert f"revision {migrate.head()}" in r.stdout
    r = kukan("demo", "load", "--if-empty", url=scratch_url, KUKAN_DEMO_KEYS_FILE=str(keys_file))
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    data = json.loads(keys_file.read_text())
    assert set(data["tokens"]) == {"operator", "municipality", "admin"}
    keys_file.unlink()
    r = kukan("demo", "load", "--if-empty", url=scratch_url, KUKAN_DEMO_KEYS_FILE=str(keys_file))
    assert r.returncode == 0
    assert not keys_file.exists()
    _demo_identifiers(scratch_url)
    r = kukan("db", "downgrade", "base", url=scratch_url)
    assert r.returncode == 0, r.stderr


def _demo_identifiers(url: str) -> None:
    """The demo drones carry registration marks and Remote IDs, the demo car a plate."""
    from sqlalchemy import create_engine, pool, text

    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT kind, registration_mark, remote_id, plate FROM vehicles ORDER BY name")
        ).all()
    engine.dispose()
    drones = [r for r in rows if r[0] == "drone"]
    assert len(drones) == 2 and all(r[1] and r[2] and r[3] is None for r in drones)
    assert [r[3] for r in rows if r[0] == "car"] == ["DEM-101"]


def test_serve_answers_health(database_url: str) -> None:
    from tests.pgtools import free_port

    port = free_port()
    cmd = [str(KUKAN)] if KUKAN.exists() else [sys.executable, "-m", "api.cli"]
    env = {**os.environ, "KUKAN_DATABASE_URL": database_url}
    proc = subprocess.Popen(
        [*cmd, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None, "kukan serve exited"
                assert time.monotonic() < deadline, "kukan serve did not answer"
                time.sleep(0.1)
        assert r.json() == {"status": "ok", "database": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=15)

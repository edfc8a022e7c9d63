"""Test helpers: scratch databases, throwaway PostgreSQL clusters and in-thread servers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _version(path: Path) -> tuple[int, ...]:
    """(15,) for /usr/lib/postgresql/15/bin; () when the folder name is not a version."""
    name = path.parent.name
    return tuple(int(p) for p in name.split(".")) if name.replace(".", "").isdigit() else ()


def pg_bin() -> Path | None:
    """PostgreSQL's bin directory with ``initdb`` and ``pg_ctl``: ``KUKAN_PG_BIN``, else
    ``pg_config --bindir``, else the newest ``/usr/lib/postgresql/*/bin``, else the folder
    of an ``initdb`` on the PATH; None when there is none."""
    if os.environ.get("KUKAN_PG_BIN"):
        candidates = [Path(os.environ["KUKAN_PG_BIN"])]
    else:
        candidates = []
        if shutil.which("pg_config"):
            out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
            if out.returncode == 0 and out.stdout.strip():
                candidates.append(Path(out.stdout.strip()))
        candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version, reverse=True)
        on_path = shutil.which("initdb")
        if on_path:
            candidates.append(Path(on_path).resolve().parent)
    for c in candidates:
        if (c / "initdb").is_file() and (c / "pg_ctl").is_file():
            return c
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name``."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def recreate_database(url: str, *, extensions: bool = True) -> None:
    """Drop and create the database of ``url`` (via the ``postgres`` maintenance db)."""
    name = make_url(url).database
    admin = create_engine(
        with_database(url, "postgres"), isolation_level="AUTOCOMMIT", poolclass=pool.NullPool
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    if extensions:
        engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
        with engine.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
        engine.dispose()


def drop_database(url: str) -> None:
    """Drop the database of ``url`` if it exists."""
    name = make_url(url).database
    admin = create_engine(
        with_database(url, "postgres"), isolation_level="AUTOCOMMIT", poolclass=pool.NullPool
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with uvicorn in a background thread; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"{base}/health", timeout=5)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start") from None
            time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def backend_pid(session: Session) -> int:
    """The PostgreSQL backend pid of ``session``'s connection (begins its transaction)."""
    return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def wait_blocked(
    sessions: sessionmaker[Session],
    pid: int | None,
    by: int,
    thread: threading.Thread,
    timeout: float = 60.0,
) -> str:
    """Wait until backend ``pid`` (None: any backend) waits on a lock that backend ``by``
    holds; return what it waits for (``pg_stat_activity.wait_event``: ``transactionid``,
    ``relation``, ...).

    Fails when ``thread`` (the one driving the waiter) ends first or the wait never comes.
    """
    deadline = time.monotonic() + timeout
    with sessions() as observer:
        while True:
            row = observer.execute(
                text(
                    """SELECT wait_event FROM pg_stat_activity
                    WHERE (pid = :pid OR CAST(:pid AS int) IS NULL) AND pid <> :by
                    AND :by = ANY(pg_blocking_pids(pid)) LIMIT 1"""
                ),
                {"pid": pid, "by": by},
            ).one_or_none()
            observer.rollback()  # a fresh pg_stat_activity snapshot on every look
            if row is not None:
                return str(row[0])
            waiter = "a backend" if pid is None else f"backend {pid}"
            assert thread.is_alive(), f"{waiter} never waited on backend {by}"
            assert time.monotonic() < deadline, f"{waiter} did not wait on backend {by}"
            time.sleep(0.02)


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class Cluster:
    """A throwaway PostgreSQL cluster (initdb in a temp dir) that tests can stop and start."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        found = bin_dir or pg_bin()
        if found is None:
            raise RuntimeError("no initdb found (set KUKAN_PG_BIN to PostgreSQL's bin directory)")
        self.bin = found
        self.dir = Path(tempfile.mkdtemp(prefix="kukan-pg-", dir="/tmp"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run(self.bin / "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust")

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` database in this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *cmd: object) -> None:
        subprocess.run(_as_postgres([str(c) for c in cmd]), check=True, capture_output=True)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.log, "-o", opts, "-w", "start")

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are cut)."""
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        """Stop if running and delete the cluster."""
        stop = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
        subprocess.run(_as_postgres(stop), capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

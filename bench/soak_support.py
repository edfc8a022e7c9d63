"""Soak helpers: setup, SQL audit, latency figures, killing the worker mid-request.

Linux only (reads /proc). A worker is found by the socket inode of the server side of a
loopback TCP connection: /proc/net/tcp maps (local port, remote port) to an inode, and
/proc/<pid>/fd maps inodes to processes.
"""

from __future__ import annotations

import os
import signal
import statistics
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, pool, text

from registry import migrate
from registry.db import make_engine, make_sessionmaker, session_scope
from registry.services import principals
from tests.pgtools import recreate_database


def serve_workers(parent: int) -> list[int]:
    """The uvicorn worker processes among ``parent``'s children (not the resource tracker)."""
    path = Path(f"/proc/{parent}/task/{parent}/children")
    pids = [int(p) for p in path.read_text().split()] if path.exists() else []
    out = []
    for pid in pids:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmd and b"resource_tracker" not in cmd:
            out.append(pid)
    return out


def established(server_port: int) -> dict[int, int]:
    """Server-side socket inode by client port, for ESTABLISHED connections to ``server_port``."""
    out: dict[int, int] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        f = line.split()
        local, remote, state, inode = f[1], f[2], f[3], int(f[9])
        if state == "01" and int(local.split(":")[1], 16) == server_port and inode:
            out[int(remote.split(":")[1], 16)] = inode
    return out


def listening(pid: int, server_port: int) -> bool:
    """Whether ``pid`` holds a socket listening on ``server_port``."""
    mine = socket_inodes(pid)
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        f = line.split()
        if f[3] == "0A" and int(f[1].split(":")[1], 16) == server_port and int(f[9]) in mine:
            return True
    return False


def socket_inodes(pid: int) -> set[int]:
    """Inodes of the sockets ``pid`` holds open."""
    out = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                out.add(int(link[8:-1]))
    except OSError:
        pass
    return out


def owners(pids: list[int], server_port: int) -> dict[int, int]:
    """Worker pid by client port, for every established client connection."""
    conns = established(server_port)
    by_inode = {inode: port for port, inode in conns.items()}
    out: dict[int, int] = {}
    for pid in pids:
        for inode in socket_inodes(pid) & by_inode.keys():
            out[by_inode[inode]] = pid
    return out


def setup(url: str, clients: int) -> list[str]:
    """Migrate; make ``clients`` operator keys (through the service layer)."""
    recreate_database(url)
    migrate.upgrade(url)
    engine = make_engine(url)
    tokens: list[str] = []
    with session_scope(make_sessionmaker(engine)) as s:
        from registry.services import operators

        for k in range(clients):
            op = operators.create_operator(session=s, actor=None, name=f"soak-{k}")
            tokens.append(
                principals.create_principal(
                    session=s, actor=None, name=f"soak-{k}", role="operator", operator_id=op.id
                )[1]
            )
    engine.dispose()
    return tokens


def audit(url: str, acked: dict[str, str], kill_retried: dict[str, str]) -> dict[str, int]:
    """The SQL checks after the run."""
    eng = create_engine(url, poolclass=pool.NullPool)
    with eng.connect() as c:
        stored = dict(
            c.execute(
                text("SELECT id::text, idempotency_key FROM reservations WHERE id::text = ANY(:i)"),
                {"i": list(acked.values())},
            ).all()
        )
        dupes = c.execute(
            text("""SELECT count(*) FROM (SELECT idempotency_key FROM reservations
            WHERE idempotency_key IS NOT NULL GROUP BY 1 HAVING count(*) > 1) d""")
        ).scalar_one()
        half = c.execute(
            text("""SELECT count(*) FROM reservations r
            WHERE NOT EXISTS (SELECT 1 FROM reservation_volumes v WHERE v.reservation_id = r.id)
            OR NOT EXISTS (SELECT 1 FROM reservation_boxes b WHERE b.reservation_id = r.id)""")
        ).scalar_one()
        total = c.execute(text("SELECT count(*) FROM reservations")).scalar_one()
    eng.dispose()
    missing = sum(1 for k, rid in acked.items() if stored.get(rid) != k)
    retried_missing = sum(1 for k in kill_retried if k in acked and stored.get(acked[k]) != k)
    return {
        "stored": total,
        "missing": missing,
        "dupes": dupes,
        "half": half,
        "retried_missing": retried_missing,
    }


def local_port(r: httpx.Response) -> int | None:
    """The client-side port of the keep-alive connection that carried ``r``."""
    stream = r.extensions.get("network_stream")
    addr = stream.get_extra_info("client_addr") if stream is not None else None
    return int(addr[1]) if addr else None


def kill_mid_reservation(
    workers: list[int],
    port: int,
    inflight: dict[int, tuple[str, int | None]],
    lock: threading.Lock,
    last_kill: list[float],
) -> int | None:
    """Wait (at most 2 s) for a reservation in flight on a connection whose worker is known;
    kill -9 that worker and return its pid."""
    until = time.monotonic() + 2
    while time.monotonic() < until:
        with lock:
            ports = [p for kind, p in inflight.values() if kind == "reserve" and p]
        if ports:
            own = owners(workers, port)
            victims = [own[p] for p in ports if p in own]
            if victims:
                last_kill[0] = time.monotonic()
                os.kill(victims[0], signal.SIGKILL)
                return victims[0]
        time.sleep(0.001)
    return None


def latencies(stats: dict[str, list[float]], wall: float) -> None:
    """Print throughput and latency percentiles by request kind."""
    total = sum(len(v) for v in stats.values())
    print(f"{total} requests in {wall:.0f} s: {total / wall:.1f} req/s")
    for kind, lat in sorted(stats.items()):
        q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [lat[0]] * 99
        print(
            f"  {kind:10s} n={len(lat):6d} p50={q[49] * 1e3:7.1f} ms "
            f"p95={q[94] * 1e3:7.1f} ms p99={q[98] * 1e3:7.1f} ms"
        )

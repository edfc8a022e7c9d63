"""The CPU time of the processes that serve a benchmark: the server with its workers, and
its PostgreSQL backends."""

from __future__ import annotations

import os

from sqlalchemy import create_engine, pool, text


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of processes (Linux /proc; gone processes count 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """``pid`` and its direct children (the server's worker processes)."""
    out = [pid]
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(p))
            except OSError:
                continue
    return out


def backends(url: str) -> list[int]:
    """PIDs of the PostgreSQL backends connected to the bench database (same host)."""
    eng = create_engine(url, poolclass=pool.NullPool)
    with eng.connect() as c:
        pids = c.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).all()
    eng.dispose()
    return list(pids)

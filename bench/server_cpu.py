"""The CPU time of the processes that serve a benchmark: the server with its workers, and
its PostgreSQL backends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

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


class Profiler:
    """py-spy over the server's processes, one recording per phase (or nothing); with
    ``gil`` only the threads holding the GIL (where the CPU goes, not the waits)."""

    def __init__(self, out: Path | None, pid: int, *, gil: bool = False) -> None:
        self.out, self.pid, self.proc, self.gil = out, pid, None, gil

    def start(self, name: str) -> None:
        if self.out is None:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        spy = Path(sys.executable).with_name("py-spy")
        cmd = [str(spy), "record", "-s", "-r", "200", "-p", str(self.pid), "-f", "raw"]
        cmd += ["--gil"] if self.gil else []
        self.proc = subprocess.Popen([*cmd, "-o", str(self.out / f"{name}.txt")])
        time.sleep(1.0)  # let py-spy attach

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(2)
            self.proc.wait(timeout=60)
            self.proc = None

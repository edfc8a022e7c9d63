"""Serve the API with N uvicorn processes, each on its own SO_REUSEPORT socket.

``uvicorn --workers N`` shares one listening socket; a worker woken by a burst of new
connections accepts all of them, so long-lived keep-alive clients can all end up on one
worker while the others idle (measured: 16 clients, one worker at 55 % of a core, the
other at 0 %). With one ``SO_REUSEPORT`` socket per process the kernel spreads the
connections over the processes by their address hash.

Run: ``python -m api.serve --workers 2 --port 8000`` (settings from ``KUKAN_*``, as
``uvicorn --factory api.app:app_from_env``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
import socket
from types import FrameType

import uvicorn


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket with SO_REUSEPORT (Linux, BSD)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def run_worker(host: str, port: int, log_level: str, access_log: bool) -> None:
    """One uvicorn server (uvloop + httptools when installed) on its own socket."""
    config = uvicorn.Config(
        "api.app:app_from_env",
        factory=True,
        log_level=log_level,
        access_log=access_log,
    )
    uvicorn.Server(config).run(sockets=[listen(host, port)])


def main() -> None:
    """Start the workers, stop them all on SIGTERM or SIGINT."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--no-access-log", action="store_true")
    args = ap.parse_args()
    listen(args.host, args.port).close()  # fail here, not in a worker, if the port is taken
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(
            target=run_worker,
            args=(args.host, args.port, args.log_level, not args.no_access_log),
        )
        for _ in range(args.workers)
    ]
    for p in procs:
        p.start()

    def stop(signum: int, frame: FrameType | None) -> None:
        for p in procs:
            if p.is_alive():
                p.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for p in procs:
        p.join()


if __name__ == "__main__":
    main()

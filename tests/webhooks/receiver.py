"""A real HTTP receiver of webhooks for the tests: it records what it gets, answers what it
is told to, and can go down and come back on the same port."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """Records each delivery (headers, body); ``status`` is what it answers."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.status = 204
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        """Listen (again)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if receiver.status < 300:
                    receiver.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening (connections are refused, as when a receiver is down)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def events(self) -> list[dict[str, Any]]:
        """The delivered events' bodies, in arrival order."""
        return [json.loads(body) for _, body in self.got]

    def wait_for(self, n: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Wait until ``n`` deliveries arrived; their bodies."""
        until = time.monotonic() + timeout
        while len(self.got) < n and time.monotonic() < until:
            time.sleep(0.05)
        return self.events()

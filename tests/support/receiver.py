"""A real HTTP receiver on 127.0.0.1 (a thread running ``http.server``) for callback and fetch tests."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """Records every request; answers with ``statuses`` in turn (then 200), after ``delay`` seconds.

    ``routes`` maps a GET path to (status, headers, body bytes) for serving files.
    """

    def __init__(self, statuses=(), delay: float = 0.0, routes: dict | None = None):
        self.statuses, self.delay, self.routes = list(statuses), delay, routes or {}
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                outer.requests.append({"method": "POST", "path": self.path, "headers": dict(self.headers.items()),
                                       "body": json.loads(raw) if raw else None})
                if outer.delay:
                    time.sleep(outer.delay)
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):
                outer.requests.append({"method": "GET", "path": self.path, "headers": dict(self.headers.items())})
                status, headers, body = outer.routes.get(self.path, (404, {}, b""))
                if outer.delay:
                    time.sleep(outer.delay)
                self.send_response(status)
                for k, v in headers.items():
                    if v is not None:  # None: leave the header out
                        self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> "Receiver":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_for(condition, timeout: float = 5.0, what: str = "condition"):
    """Await ``condition()`` becoming truthy (yielding to the event loop), or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)

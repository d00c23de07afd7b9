"""``BackgroundEmulator``: ``viduemu serve`` in a background thread, for test suites and scripts.

    with BackgroundEmulator(clock="manual") as emulator:
        client = ViduClient("vda_test", emulator.base_url)

It binds a free 127.0.0.1 port itself (no window for another process to take it) and serves the
real thing: HTTP, WebSockets and RTC, with ``viduemu serve``'s own uvicorn configuration and event
loop. ``app`` and ``loop`` are there for in-process access (e.g. running a coroutine on that loop).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from viduemu.config import Settings

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette


class BackgroundEmulator:
    def __init__(self, settings: Settings | None = None, **overrides: Any):
        settings = settings or Settings(log_level="warning")
        self.settings = replace(settings, host="127.0.0.1", **overrides)
        self._server: uvicorn.Server | None = None
        self.app: Starlette | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    def start(self, timeout: float = 30.0) -> BackgroundEmulator:
        """Start serving; returns once the server accepts connections."""
        import uvicorn

        from viduemu.app import create_app
        from viduemu.cli import server_config

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP_NODELAY follows
        sock.bind(("127.0.0.1", 0))
        self.settings = replace(self.settings, port=sock.getsockname()[1])
        self.app = create_app(self.settings)
        server = self._server = uvicorn.Server(server_config(self.app, self.settings))

        def run() -> None:
            try:  # the event loop of `viduemu serve` (uvloop where installed)
                with asyncio.Runner(loop_factory=server.config.get_loop_factory()) as runner:
                    self.loop = runner.get_loop()
                    runner.run(server.serve(sockets=[sock]))
            except BaseException as exc:  # reported by start(), never lost in the thread
                self._failure = exc

        self._thread = threading.Thread(target=run, name="viduemu", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not server.started:
            self.stop()
            raise RuntimeError(f"viduemu did not start: {self._failure!r}")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Shut down gracefully (open WebSockets are closed) and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> BackgroundEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""The suite's one real-server harness, built on ``viduemu.background.BackgroundEmulator`` (the public
harness the pytest plugin uses too): ``viduemu serve``'s own uvicorn configuration and event loop, in a
thread of its own, on a port it binds itself. Every test that needs a real socket (HTTP, the signaling
WebSocket, RTC, a browser) goes through it:

- ``running(settings, contracts)``: an async context manager yielding a ``Running`` (base URLs, a
  contract-checked httpx client, the in-process ``emu``, a few live-session shortcuts); the server
  shuts down gracefully when the block ends.
- the ``server`` fixture: ``running(live_settings)`` for one test; ``live_settings`` is a manual clock
  with a short heartbeat wall slack (override either fixture in a module to change them).
- sync code uses ``BackgroundEmulator`` itself (``with`` starts and stops it); ``asgi_transport(emulator)``
  reaches the same app in-process from a sync httpx client, without the socket.

The server runs on its own loop, so a test reads ``emu`` across threads: reading settings, the clock or
a registry is fine; anything that awaits must go through HTTP (or ``emulator.loop``).

The tests whose subject is the ``viduemu`` process itself (command-line flags, kill -9, the process's
memory) start a subprocess instead: tests/support/process.py.

This module is a pytest plugin (named in tests/conftest.py), for its fixtures.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import AUTH
from tests.contract_guard import contract_checker
from viduemu.background import BackgroundEmulator
from viduemu.config import Settings

AVATAR = "https://example.com/avatar.png"


@dataclass
class Running:
    base: str
    ws_base: str
    http: httpx.AsyncClient
    emu: Any
    emulator: BackgroundEmulator

    @property
    def port(self) -> int:
        return self.emulator.settings.port

    async def advance(self, seconds: float) -> dict:
        r = await self.http.post("/_emulator/clock/advance", json={"seconds": seconds})
        assert r.status_code == 200, r.text
        return r.json()

    async def create(self, call_mode="audio", headers=AUTH, **avatar) -> dict:
        body = {"call_mode": call_mode, "avatar": {"persona": "A friendly guide.", "image_uri": AVATAR, **avatar}}
        r = await self.http.post("/live/v1/lives", json=body, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()

    async def live(self, live_id: str, headers=AUTH) -> dict:
        r = await self.http.get(f"/live/v1/lives/{live_id}", headers=headers)
        assert r.status_code == 200, r.text
        return r.json()["live"]

    async def credits(self, key: str) -> dict:
        return (await self.http.get(f"/_emulator/accounts/{key}")).json()

    def connect(self, live_id: str, headers=AUTH, query: str = "", **kw):
        url = f"{self.ws_base}/live/ws/live/connect?live_id={live_id}{query}"
        return websockets.connect(url, additional_headers=headers, open_timeout=5, **kw)


@contextlib.asynccontextmanager
async def running(settings: Settings, contracts):
    """A real server for ``settings`` on a free port, until the block ends (a graceful shutdown)."""
    emulator = BackgroundEmulator(settings)
    await asyncio.to_thread(emulator.start)
    base = emulator.base_url
    try:
        async with httpx.AsyncClient(base_url=base, event_hooks={"response": [contract_checker(contracts)]}) as http:
            yield Running(base, base.replace("http", "ws", 1), http, emulator.app.state.emu, emulator)
    finally:
        await asyncio.to_thread(emulator.stop)


@pytest.fixture
def live_settings() -> Settings:
    # A short wall slack keeps "silent client" tests quick; the judgement is the same as in production.
    return Settings(clock="manual", seed=99, heartbeat_wall_slack=0.2, log_level="warning")


@pytest.fixture
async def server(live_settings, contracts):
    async with running(live_settings, contracts) as srv:
        yield srv


def asgi_transport(emulator: BackgroundEmulator) -> "ThreadedASGITransport":
    """A sync httpx transport to ``emulator``'s app, in-process (httpx has no sync ASGI transport)."""
    return ThreadedASGITransport(emulator.app, emulator.loop)


class ThreadedASGITransport(httpx.BaseTransport):
    """A sync httpx transport that runs each request through ``httpx.ASGITransport`` on ``loop``
    (another thread's): in-process, no socket."""

    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop):
        self.asgi, self.loop = httpx.ASGITransport(app=app), loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()

        async def forward() -> httpx.Response:
            response = await self.asgi.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content,
                                  request=request)

        return asyncio.run_coroutine_threadsafe(forward(), self.loop).result(30)

"""A real viduemu server (uvicorn, `viduemu serve`'s own config) on 127.0.0.1 in the test's event
loop, a manual clock, and real WebSocket clients (the `websockets` library)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from dataclasses import dataclass, replace

import httpx
import pytest
import uvicorn
import websockets

from tests.conftest import AUTH
from tests.contract_guard import contract_checker
from viduemu.app import create_app
from viduemu.core import asyncapi
from viduemu.cli import server_config
from viduemu.config import Settings

AVATAR = "https://example.com/avatar.png"


@dataclass
class Running:
    base: str
    ws_base: str
    http: httpx.AsyncClient
    emu: object

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


@pytest.fixture
def live_settings() -> Settings:
    # A short wall slack keeps "silent client" tests quick; the judgement is the same as in production.
    return Settings(clock="manual", seed=99, heartbeat_wall_slack=0.2, log_level="warning")


@contextlib.asynccontextmanager
async def running(settings: Settings, contracts):
    """A real server for ``settings`` on a free port, until the block ends (a graceful shutdown)."""
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say TCP; without it every
    # answer waits ~40 ms on Nagle and delayed ACKs.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))  # our own socket: no window for another process to take the port
    settings = replace(settings, port=sock.getsockname()[1])
    app = create_app(settings)
    srv = uvicorn.Server(server_config(app, settings))
    task = asyncio.get_running_loop().create_task(srv.serve(sockets=[sock]))
    while not srv.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    base = f"http://127.0.0.1:{settings.port}"
    try:
        async with httpx.AsyncClient(base_url=base,
                                     event_hooks={"response": [contract_checker(contracts)]}) as http:
            yield Running(base, f"ws://127.0.0.1:{settings.port}", http, app.state.emu)
    finally:
        srv.should_exit = True
        await asyncio.wait_for(task, 10)


@pytest.fixture
async def server(live_settings, contracts):
    async with running(live_settings, contracts) as srv:
        yield srv


async def send(ws, type_: int, payload: dict, seq_id: int = 1, live_id: str = "") -> None:
    """Send a client message, itself checked against the contract (tests send what clients send)."""
    message = {"type": type_, "live_id": live_id, "seq_id": seq_id, "payload": payload}
    asyncapi.validate("receive", message)
    await ws.send(json.dumps(message))


async def recv(ws, timeout: float = 5.0) -> dict:
    """The next server message, checked against contracts/asyncapi.yaml."""
    message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    asyncapi.validate("send", message)
    return message


async def conn_init(ws, live_id: str, seq_id: int = 1) -> dict:
    await send(ws, 1, {"conn_init": {"version": 1}}, seq_id, live_id)
    return await recv(ws)


async def until(condition, timeout: float = 5.0, what: str = "condition") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class RawClient:
    """A bare-socket WebSocket client that never answers pings (nor reads at all unless asked):
    the silent client the heartbeat rules are about."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int, live_id: str, key: str) -> "RawClient":
        import base64
        import os

        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        nonce = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET /live/ws/live/connect?live_id={live_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {nonce}\r\n"
                      f"Sec-WebSocket-Version: 13\r\nAuthorization: Token {key}\r\n\r\n").encode())
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    def send_text(self, text: str) -> None:
        import os

        data, mask = text.encode(), os.urandom(4)
        length = len(data)
        header = bytes([0x81]) + (bytes([0x80 | length]) if length < 126 else bytes([0x80 | 126]) + length.to_bytes(2, "big"))
        self.writer.write(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    async def closed_by_server(self, timeout: float = 5.0) -> bool:
        """Read everything the server sent until it closes the TCP connection."""
        try:
            while await asyncio.wait_for(self.reader.read(65536), timeout):
                pass
        except asyncio.TimeoutError:
            return False
        return True

    def close(self) -> None:
        self.writer.close()

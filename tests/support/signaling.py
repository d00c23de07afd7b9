"""Signaling helpers for tests that talk to a real server's WebSocket (``/live/ws/live/connect``):
contract-checked ``send``/``recv``, ``conn_init``, ``until``, and ``RawClient``, a bare-socket client
that never answers pings (the silent client the heartbeat rules are about)."""

from __future__ import annotations

import asyncio
import json

from viduemu.core import asyncapi


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

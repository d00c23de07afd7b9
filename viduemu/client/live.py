"""``LiveConnection``: the S1 signaling WebSocket from a client's side (imports nothing from the server).

    async with LiveConnection(base_url, api_key, live_id) as live:   # conn_init, NOT_READY backoff
        async for message in live:                                   # server messages (dicts)
            ...
        await live.send_text("Hello!")                              # the character answers (type 99)
        await live.interrupt()                                       # ... and stops (type 7)
        await live.hangup()

``connect`` sends ``conn_init`` and, on ``NOT_READY``, closes, waits 2 -> 4 -> 8 s (the vendor's
documented backoff, on an injectable ``sleep`` so tests against a manual-clock emulator need not
wait), reconnects and tries again; ``LIVE_CONN_INIT_FAILED`` raises ``LiveInitFailed`` at once.
Heartbeats are WebSocket pings, answered by the ``websockets`` library. A forced hangup (type 6)
ends the iteration and sets ``hangup_reason``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.parse
from typing import Any, AsyncIterator, Awaitable, Callable

import websockets
from websockets.asyncio.client import ClientConnection

BACKOFF = (2.0, 4.0, 8.0)
"""The vendor's NOT_READY schedule: "reconnect with exponential backoff (2s -> 4s -> 8s)"."""

CONN_INIT, CONN_INIT_ACK, HANGUP, FORCED_HANGUP, AUDIO_INTERRUPTED, TEXT_MSG = 1, 2, 5, 6, 7, 99


class LiveInitFailed(Exception):
    """The session cannot go live: ``LIVE_CONN_INIT_FAILED``, or still ``NOT_READY`` after every retry."""

    def __init__(self, error_code: str, error_msg: str = ""):
        super().__init__(f"{error_code}: {error_msg}")
        self.error_code, self.error_msg = error_code, error_msg


class LiveConnection:
    """The signaling WebSocket of one live session (see the module docstring).

    ``base_url`` is the API's (``http(s)://``; ``None`` reads ``VIDU_BASE_URL``, then
    ``https://api.vidu.com``), ``api_key`` ``vda_...`` or ``Token vda_...`` (``None`` reads
    ``VIDU_API_KEY``), ``live_id`` the create answer's ``live.id``. ``backoff`` is the NOT_READY
    schedule, ``sleep`` the coroutine function it waits with; other keywords go to
    ``websockets.connect`` (e.g. ``ssl=``, ``open_timeout=``)."""

    def __init__(self, base_url: str | None, api_key: str | None, live_id: str, *,
                 backoff: tuple[float, ...] = BACKOFF, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 **connect_options: Any):
        base_url = base_url or os.environ.get("VIDU_BASE_URL") or "https://api.vidu.com"
        key = (api_key or os.environ.get("VIDU_API_KEY", "")).strip().removeprefix("Token ").strip()
        if not key:
            raise ValueError("no API key: pass api_key or set VIDU_API_KEY")
        scheme = {"https": "wss", "http": "ws"}.get(urllib.parse.urlsplit(base_url).scheme, "wss")
        host = base_url.split("://", 1)[-1].rstrip("/")
        self.url = f"{scheme}://{host}/live/ws/live/connect?live_id={urllib.parse.quote(live_id)}"
        self.live_id, self.backoff, self.sleep = live_id, backoff, sleep
        self.headers = {"Authorization": f"Token {key}"}
        self.options = connect_options
        self.ws: ClientConnection | None = None
        self.seq_id = 0
        self.hangup_reason: str | None = None
        self.attempts = 0
        self.messages_sent = 0   # text messages sent: their msg_id is "msg-{n}"

    def _socket(self) -> ClientConnection:
        if self.ws is None:
            raise RuntimeError("not connected: call connect() (or use async with) first")
        return self.ws

    async def _send(self, type_: int, payload: dict[str, Any]) -> None:
        self.seq_id += 1
        await self._socket().send(json.dumps({"type": type_, "live_id": self.live_id, "seq_id": self.seq_id,
                                       "payload": payload}))

    async def connect(self) -> "LiveConnection":
        """Open the socket and go live, following NOT_READY with the documented backoff."""
        for wait in (*self.backoff, None):
            self.attempts += 1
            self.ws = await websockets.connect(self.url, additional_headers=self.headers, **self.options)
            await self._send(CONN_INIT, {"conn_init": {"version": 1}})
            ack = await self._ack()
            if ack.get("success"):
                return self
            await self._socket().close()
            code = ack.get("error_code", "")
            if code != "NOT_READY" or wait is None:
                raise LiveInitFailed(code, ack.get("error_msg", ""))
            await self.sleep(wait)
        raise AssertionError("unreachable")

    async def _ack(self) -> dict[str, Any]:
        while True:
            message = json.loads(await self._socket().recv())
            if message.get("type") == CONN_INIT_ACK:
                ack: dict[str, Any] = message["payload"]["conn_init_ack"]
                return ack

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        """Server messages until the socket closes; a forced hangup (type 6) sets ``hangup_reason``."""
        try:
            async for raw in self._socket():
                message = json.loads(raw)
                if message.get("type") == FORCED_HANGUP:
                    self.hangup_reason = message["payload"]["hangup"]["hangup_reason"]
                yield message
        except websockets.exceptions.ConnectionClosed:
            return

    async def send_text(self, content: str, msg_id: str | None = None) -> str:
        """Send a ``text_msg`` (type 99) the character answers aloud; answers its ``msg_id``."""
        self.messages_sent += 1
        msg_id = msg_id or f"msg-{self.messages_sent}"
        await self._send(TEXT_MSG, {"text_msg": {"msg_id": msg_id, "content": content,
                                                 "timestamp": int(time.time() * 1000)}})
        return msg_id

    async def interrupt(self) -> None:
        """Send ``audio_interrupted`` (type 7): the character stops speaking at once."""
        await self._send(AUDIO_INTERRUPTED, {})

    async def hangup(self, reason: str = "user_end") -> None:
        """Send the hangup (type 5) and close."""
        if self.ws is not None and self.hangup_reason is None:
            self.hangup_reason = reason
            try:
                await self._send(HANGUP, {"hangup": {"hangup_reason": reason}})
            except websockets.exceptions.ConnectionClosed:
                pass
        await self.close()

    async def close(self) -> None:
        """Close the socket without a hangup message (the session notices the drop)."""
        if self.ws is not None:
            await self.ws.close()

    async def __aenter__(self) -> "LiveConnection":
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

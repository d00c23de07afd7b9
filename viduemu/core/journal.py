"""The request journal: one entry per HTTP request (method, path, status, reason, key, time, latency).

The first ``PREVIEW_BYTES`` of the request and response bodies of the last ``KEEP_BODIES`` requests
are kept beside it, in memory only and by trace id (``RecentBodies``): what the inspector's request
detail shows, without making every stored journal entry (and a ``--state`` file) kilobytes larger.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from viduemu.core import logs
from viduemu.core.http import WARNING_HEADER, any_key

if TYPE_CHECKING:
    from viduemu.core.context import Core

REQUESTS = "requests"
SAMPLE = ('{"at":1795254803.792843,"method":"POST","path":"/v2/resources","query":"","status":200,"reason":null,'
          '"api_key":"key_sample","trace_id":"430f2a22af0b26c6a082a5f7e6949c84","latency_ms":7.979}')
PREVIEW_BYTES = 4096
KEEP_BODIES = 500


class RecentBodies:
    """Body previews of the latest requests by trace id; the oldest go first."""

    def __init__(self, keep: int = KEEP_BODIES) -> None:
        self.keep = keep
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def add(self, trace_id: str, bodies: dict[str, Any]) -> None:
        self._items[trace_id] = bodies
        while len(self._items) > self.keep:
            self._items.popitem(last=False)

    def get(self, trace_id: str) -> dict[str, Any] | None:
        return self._items.get(trace_id)

    def clear(self) -> None:
        self._items.clear()


class RequestJournal:
    """Pure ASGI middleware, so streaming bodies and WebSockets pass through untouched."""

    def __init__(self, app: ASGIApp, core: Core, skip: tuple[str, ...] = ()) -> None:
        """``skip``: path prefixes not journalled (the control plane does not journal itself)."""
        self.app, self.core, self.skip = app, core, skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"].startswith(self.skip):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await self._upgrade(scope, receive, send)
        started = time.perf_counter()
        status = {"code": 500}
        sent, received = _Body(), _Body()

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                received.add(message.get("body", b""))
            return message

        async def send_and_watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                if warnings := scope.get("viduemu", {}).get("warnings"):  # what was accepted but ignored
                    message = {**message, "headers": [*message.get("headers", []),
                                                      (WARNING_HEADER, "; ".join(warnings).encode())]}
            elif message["type"] == "http.response.body":
                sent.add(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive_and_keep, send_and_watch)
        finally:
            trace_id = scope.get("viduemu", {}).get("trace_id")
            if trace_id:
                self.core.bodies.add(trace_id, {"request_body": received.text(), "request_bytes": received.size,
                                                "response_body": sent.text(), "response_bytes": sent.size})
            self._note(scope, status["code"], started, log=True)

    async def _upgrade(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket upgrade is journalled as it is answered: 101 accepted, 403 closed before (ASGI's
        refusal), or the status of a refusal sent as an HTTP answer; what follows is the WS journal's."""
        started, noted = time.perf_counter(), [False]
        answers = {"websocket.accept": 101, "websocket.close": 403}

        async def send_and_note(message: Message) -> None:
            kind = message["type"]
            if not noted[0] and (kind in answers or kind == "websocket.http.response.start"):
                noted[0] = True
                self._note(scope, answers.get(kind) or message.get("status", 403), started)
            await send(message)

        await self.app(scope, receive, send_and_note)

    def _note(self, scope: Scope, status: int, started: float, *, log: bool = False) -> None:
        """Journal the request; ``log``: its info line too (a WebSocket's open and close lines are the
        signaling's own, live/signaling.py)."""
        emu = self.core
        meta = scope.get("viduemu", {})
        # Only the Authorization header is needed: no dict of every header on each request.
        auth = next((v for k, v in scope["headers"] if k.lower() == b"authorization"), b"")
        key = any_key({"authorization": auth.decode("latin-1")})
        method, trace_id = scope.get("method", "GET"), meta.get("trace_id")   # a WebSocket upgrade is a GET
        latency_ms = round((time.perf_counter() - started) * 1000, 3)
        if log:
            logs.request_line(method, scope["path"], status, meta.get("reason"), trace_id, latency_ms, key,
                              meta.get("warnings"))
        emu.journal(REQUESTS, {
            "at": emu.clock.now(),
            "method": method,
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "status": status,
            "reason": meta.get("reason"),
            "api_key": key,
            "trace_id": trace_id,
            "latency_ms": latency_ms,
            **({"warnings": meta["warnings"]} if meta.get("warnings") else {}),
        })


class _Body:
    """The first PREVIEW_BYTES of a body that streams by in chunks, and its total size."""

    __slots__ = ("head", "size")

    def __init__(self) -> None:
        self.head, self.size = b"", 0

    def add(self, chunk: bytes) -> None:
        if len(self.head) < PREVIEW_BYTES:
            self.head += chunk[:PREVIEW_BYTES - len(self.head)]
        self.size += len(chunk)

    def text(self) -> str:
        return self.head.decode("utf-8", errors="replace")

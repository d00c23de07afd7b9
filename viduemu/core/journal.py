"""The request journal: one entry per HTTP request (method, path, status, reason, key, time, latency).

The first ``PREVIEW_BYTES`` of the request and response bodies of the last ``KEEP_BODIES`` requests
are kept beside it, in memory only and by trace id (``RecentBodies``): what the inspector's request
detail shows, without making every stored journal entry (and a ``--state`` file) kilobytes larger.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from viduemu.core.auth import any_key

REQUESTS = "requests"
SKIP_PREFIXES = ("/_emulator",)  # the control plane does not journal itself
PREVIEW_BYTES = 4096
KEEP_BODIES = 500


class RecentBodies:
    """Body previews of the latest requests by trace id; the oldest go first."""

    def __init__(self, keep: int = KEEP_BODIES) -> None:
        self.keep = keep
        self._items: OrderedDict[str, dict] = OrderedDict()

    def add(self, trace_id: str, bodies: dict) -> None:
        self._items[trace_id] = bodies
        while len(self._items) > self.keep:
            self._items.popitem(last=False)

    def get(self, trace_id: str) -> dict | None:
        return self._items.get(trace_id)

    def clear(self) -> None:
        self._items.clear()


class RequestJournal:
    """Pure ASGI middleware, so streaming bodies and WebSockets pass through untouched."""

    def __init__(self, app, emu_getter):
        self.app, self.emu_getter = app, emu_getter

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith(SKIP_PREFIXES):
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = {"code": 500}
        sent, received = _Body(), _Body()

        async def receive_and_keep():
            message = await receive()
            if message["type"] == "http.request":
                received.add(message.get("body", b""))
            return message

        async def send_and_watch(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            elif message["type"] == "http.response.body":
                sent.add(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive_and_keep, send_and_watch)
        finally:
            emu = self.emu_getter()
            meta = scope.get("viduemu", {})
            # Only the Authorization header is needed: no dict of every header on each request.
            auth = next((v for k, v in scope["headers"] if k.lower() == b"authorization"), b"")
            trace_id = meta.get("trace_id")
            if trace_id:
                emu.bodies.add(trace_id, {"request_body": received.text(), "request_bytes": received.size,
                                          "response_body": sent.text(), "response_bytes": sent.size})
            emu.journal(REQUESTS, {
                "at": emu.clock.now(),
                "method": scope["method"],
                "path": scope["path"],
                "query": scope.get("query_string", b"").decode("latin-1"),
                "status": status["code"],
                "reason": meta.get("reason"),
                "api_key": any_key({"authorization": auth.decode("latin-1")}),
                "trace_id": trace_id,
                "latency_ms": round((time.perf_counter() - started) * 1000, 3),
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

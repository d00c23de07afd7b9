"""The request journal: one entry per HTTP request (method, path, status, reason, key, time, latency)."""

from __future__ import annotations

import time

from viduemu.core.auth import any_key

REQUESTS = "requests"
SKIP_PREFIXES = ("/_emulator",)  # the control plane does not journal itself


class RequestJournal:
    """Pure ASGI middleware, so streaming bodies and WebSockets pass through untouched."""

    def __init__(self, app, emu_getter):
        self.app, self.emu_getter = app, emu_getter

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith(SKIP_PREFIXES):
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_and_watch(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            emu = self.emu_getter()
            meta = scope.get("viduemu", {})
            # Only the Authorization header is needed: no dict of every header on each request.
            auth = next((v for k, v in scope["headers"] if k.lower() == b"authorization"), b"")
            emu.journal(REQUESTS, {
                "at": emu.clock.now(),
                "method": scope["method"],
                "path": scope["path"],
                "query": scope.get("query_string", b"").decode("latin-1"),
                "status": status["code"],
                "reason": meta.get("reason"),
                "api_key": any_key({"authorization": auth.decode("latin-1")}),
                "trace_id": meta.get("trace_id"),
                "latency_ms": round((time.perf_counter() - started) * 1000, 3),
            })

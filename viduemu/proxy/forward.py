"""The proxy: forwards every request and the signaling WebSocket to one upstream, checks each request,
answer and message against the contracts, and keeps the drift report and the recording as traffic flows.

Outbound traffic goes only to the upstream's scheme, host and port: the request's path and query are
appended to it, nothing of the request chooses where it goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import websockets
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from viduemu.core.asyncapi import AsyncApi, MessageViolation
from viduemu.core.contracts import Contracts, ContractViolation
from viduemu.core.errors import ViduError
from viduemu.drift import Drift, DriftReport
from viduemu.proxy.recording import FILE, encode_body, redact, redact_headers, redact_text

log = logging.getLogger("viduemu.proxy")
logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per exchange is ours; not httpx's too
# Not forwarded: hop-by-hop headers, and what httpx sets itself (Host: the upstream's own).
DROP_REQUEST = {"host", "connection", "keep-alive", "transfer-encoding", "upgrade", "content-length",
                "accept-encoding", "te", "proxy-authorization", "proxy-connection"}
DROP_RESPONSE = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}
# Forwarded on the WebSocket handshake (the rest are the handshake's own).
WS_HEADERS = {"authorization", "user-agent", "origin"}
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def unreachable(why: str) -> JSONResponse:
    """502 in the vendor's envelope: the proxy's own answer, never a 500."""
    error = ViduError("ProxyUpstreamUnreachable", f"viduemu proxy: {why}", status=502)
    return JSONResponse(error.body(uuid.uuid4().hex), status_code=502)


class Proxy:
    def __init__(self, upstream: str, record: str | Path | None = None, report: str | Path | None = None,
                 timeout: float = 120.0):
        url = httpx.URL(upstream)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"--upstream must be an http(s) URL with a host, not {upstream!r}")
        self.upstream = url.copy_with(path="/", query=None, fragment=None)
        self.contracts, self.asyncapi = Contracts(), AsyncApi()
        self.report = DriftReport(str(report) if report else None,
                                  meta={"target": "proxy", "upstream": str(self.upstream).rstrip("/")})
        self.record_dir = Path(record) if record else None
        if self.record_dir:
            self.record_dir.mkdir(parents=True, exist_ok=True)
        self.timeout, self.started, self.count = timeout, time.monotonic(), 0
        self.client: httpx.AsyncClient | None = None
        self.lock = asyncio.Lock()

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.http, methods=METHODS),
                                 WebSocketRoute("/{path:path}", self.websocket)],
                         lifespan=self.lifespan)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False, trust_env=False) as client:
            self.client = client
            await asyncio.to_thread(self.report.write)  # an empty report from the start: "no drift yet"
            yield

    def target(self, scope: MutableMapping[str, Any], scheme: str) -> httpx.URL:
        raw = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        return self.upstream.copy_with(scheme=scheme, raw_path=raw + (b"?" + query if query else b""))

    # -- HTTP -------------------------------------------------------------------------------------
    async def http(self, request: Request) -> Response:
        assert self.client is not None
        body = await request.body()
        n = self.next_number()
        # the checks run in a worker thread: a large JSON body must not hold up the other exchanges
        found = await asyncio.to_thread(self.check_request, n, request.method, request.url.path, body)
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in DROP_REQUEST]
        url = self.target(request.scope, self.upstream.scheme)
        try:
            answer = await self.client.request(request.method, url, headers=headers, content=body)
        except httpx.HTTPError as exc:
            log.warning("upstream %s unreachable: %s", self.upstream, exc)
            return unreachable(f"the upstream {self.upstream} did not answer: {exc}")
        found += await asyncio.to_thread(self.check_response, n, request.method, request.url.path, answer)
        log.info("%s %s -> %s%s", request.method, request.url.path, answer.status_code,
                 f" ({len(found)} drift)" if found else "")
        await self.finish(found, {
            "n": n, "at": self.elapsed(), "kind": "http", "method": request.method, "path": request.url.path,
            "query": redact_text(request.url.query), "request_headers": redact_headers(request.headers),
            "request_body": encode_body(body, request.headers.get("content-type", "")),
            "status": answer.status_code, "response_headers": redact_headers(answer.headers),
            "response_body": encode_body(answer.content, answer.headers.get("content-type", ""))})
        return Response(answer.content, answer.status_code,
                        headers={k: v for k, v in answer.headers.items() if k.lower() not in DROP_RESPONSE})

    def check_request(self, n: int, method: str, path: str, body: bytes) -> list[Drift]:
        template = self.contracts.match_path(path)
        if template is None or self.contracts.request_validator(method, template) is None:
            return []
        try:
            self.contracts.validate_request(method, template, json.loads(body or b"null"))
        except ValueError:
            return [Drift(f"exchange {n}", f"{method} {template}", "request", "a JSON body", body[:300].decode(
                "utf-8", "replace"))]
        except ViduError as exc:
            return [Drift(f"exchange {n}", f"{method} {template}", "request", "a request the contract accepts",
                          f"{exc.reason}: {exc.message}", "the caller's request, not the upstream's answer")]
        return []

    def check_response(self, n: int, method: str, path: str, answer: httpx.Response) -> list[Drift]:
        try:
            self.contracts.validate_response(method, path, answer.status_code, answer.headers, answer.content)
        except ContractViolation as exc:
            return [Drift(f"exchange {n}", f"{method} {self.contracts.match_path(path) or path}", "schema",
                          "an answer the contract describes",
                          f"{answer.status_code} {redact_text(answer.text[:300])}", str(exc))]
        return []

    # -- the signaling WebSocket -----------------------------------------------------------------
    async def websocket(self, ws: WebSocket) -> None:
        n = self.next_number()
        url = self.target(ws.scope, "wss" if self.upstream.scheme == "https" else "ws")
        headers = [(k, v) for k, v in ws.headers.items() if k.lower() in WS_HEADERS]
        subprotocols = ws.scope.get("subprotocols") or None
        messages: list[dict[str, Any]] = []
        found: list[Drift] = []
        entry: dict[str, Any] = {"n": n, "at": self.elapsed(), "kind": "ws", "path": ws.url.path,
                                 "query": redact_text(ws.url.query), "request_headers": redact_headers(ws.headers),
                                 "messages": messages}
        try:
            upstream = await websockets.connect(str(url), additional_headers=headers, subprotocols=subprotocols,
                                                open_timeout=30, max_size=None)
        except websockets.InvalidStatus as exc:
            status, content = exc.response.status_code, bytes(exc.response.body or b"")
            entry.update(status=status, response_body=encode_body(content))
            await self.finish(found, entry)
            await self.deny(ws, Response(content, status, media_type="application/json"))
            return
        except (OSError, websockets.WebSocketException, asyncio.TimeoutError) as exc:
            entry.update(status=502, error=str(exc))
            await self.finish(found, entry)
            await self.deny(ws, unreachable(f"the upstream {self.upstream} did not answer: {exc}"))
            return
        entry["status"] = 101
        await ws.accept(subprotocol=upstream.subprotocol)

        def seen(direction: str, data: str | bytes) -> None:
            messages.append({"direction": direction, "at": self.elapsed(),
                             **encode_body(data.encode() if isinstance(data, str) else data, "application/json")})
            found.extend(self.check_message(n, direction, data))

        async def from_client() -> None:
            while True:
                event = await ws.receive()
                if event["type"] == "websocket.disconnect":
                    await upstream.close(event.get("code", 1000))
                    return
                data: str | bytes = event["text"] if event.get("text") is not None else event.get("bytes") or b""
                seen("receive", data)
                await upstream.send(data)

        async def from_upstream() -> None:
            try:
                async for data in upstream:
                    seen("send", data)
                    await (ws.send_text(data) if isinstance(data, str) else ws.send_bytes(data))
            except websockets.ConnectionClosed:
                pass
            entry["close_code"], entry["close_reason"] = upstream.close_code, upstream.close_reason
            try:
                await ws.close(upstream.close_code or 1000, upstream.close_reason or None)
            except RuntimeError:  # the client had already gone
                pass

        tasks = [asyncio.create_task(from_client()), asyncio.create_task(from_upstream())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await upstream.close()
            log.info("WebSocket %s closed %s (%s messages%s)", ws.url.path, entry.get("close_code"), len(messages),
                     f", {len(found)} drift" if found else "")
            await self.finish(found, entry)

    async def deny(self, ws: WebSocket, response: Response) -> None:
        try:
            await ws.send_denial_response(response)
        except RuntimeError:  # the server cannot answer a handshake with HTTP: a plain close
            await ws.close(1011)

    def check_message(self, n: int, direction: str, data: str | bytes) -> list[Drift]:
        try:
            message = json.loads(data)
            self.asyncapi.validate(direction, message)
        except ValueError:
            return [Drift(f"exchange {n}", f"ws {direction}", "message", "a JSON text frame",
                          repr(data[:300]))]
        except MessageViolation as exc:
            type_ = message.get("type") if isinstance(message, dict) else "?"
            return [Drift(f"exchange {n}", f"ws {type_} ({'client' if direction == 'receive' else 'server'})",
                          "message", "a message the AsyncAPI contract describes",
                          json.dumps(redact(message))[:300], str(exc))]
        return []

    # -- the report and the recording -------------------------------------------------------------
    def next_number(self) -> int:
        self.count += 1
        return self.count

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 3)

    async def finish(self, found: list[Drift], entry: dict[str, Any]) -> None:
        """Add the exchange's drift to the report and the exchange to the recording, both on disk now."""
        async with self.lock:
            for drift in found:
                self.report.add(drift)
            line = json.dumps(entry, ensure_ascii=False) + "\n"
            await asyncio.to_thread(self.write, line if self.record_dir else None, bool(found))

    def write(self, line: str | None, changed: bool) -> None:
        if line is not None and self.record_dir is not None:
            with open(self.record_dir / FILE, "a", encoding="utf-8") as f:
                f.write(line)
        if changed:
            self.report.write()

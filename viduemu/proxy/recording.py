"""The recording: ``DIR/exchanges.jsonl``, one exchange (an HTTP request and its answer, or a WebSocket
session and its messages) per line, secrets redacted; and ``recorded_transport``, which answers them.

A line of an HTTP exchange::

    {"n": 1, "at": 0.41, "kind": "http", "method": "POST", "path": "/ent/v2/text2video", "query": "",
     "request_headers": {...}, "request_body": {"json": {...}}, "status": 200,
     "response_headers": {...}, "response_body": {"json": {...}}}

A body is ``{"json": value}``, ``{"text": str}``, ``{"base64": str}`` or, above ``MAX_BODY`` bytes,
``{"omitted": size}``. ``at`` is seconds since the proxy started (replay advances its clock by the gaps).
"""

from __future__ import annotations

import base64
import json
import re
from collections import defaultdict, deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

FILE = "exchanges.jsonl"
MAX_BODY = 256 * 1024
REDACTED = "REDACTED"
# Header names and JSON keys whose values are secrets (the caller's key, callback signatures).
SECRET_NAME = re.compile(r"(?i)^(authorization|proxy-authorization|cookie|set-cookie|token|api[_-]?key|"
                         r".*signature.*|x-.*-key|sig)$")
# A secret inside a URL: signed URLs (``sig=``, S3-style signatures), keys in a query.
SECRET_IN_URL = re.compile(r"(?i)([?&](?:sig|signature|x-amz-signature|x-amz-credential|token|api_key)=)[^&#\s\"']*")
SCHEME = re.compile(r"^(\w+)\s+\S+$")


def redact_text(text: str) -> str:
    return SECRET_IN_URL.sub(lambda m: m.group(1) + REDACTED, text)


def redact(value: Any) -> Any:
    """``value`` (a JSON value) with secret keys' values and URL signatures replaced by ``REDACTED``."""
    if isinstance(value, dict):
        return {k: (REDACTED if SECRET_NAME.match(k) and isinstance(v, str) else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return redact_text(value) if isinstance(value, str) else value


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for name, value in headers.items():
        if SECRET_NAME.match(name):  # keep the scheme ("Token", "Bearer"): it tells which form was used
            scheme = SCHEME.match(value)
            value = f"{scheme.group(1)} {REDACTED}" if scheme else REDACTED
        out[name.lower()] = redact_text(value)
    return out


def encode_body(content: bytes, content_type: str = "") -> dict[str, Any]:
    if len(content) > MAX_BODY:
        return {"omitted": len(content)}
    if not content:
        return {"text": ""}
    if "json" in content_type or content[:1] in (b"{", b"["):
        try:
            return {"json": redact(json.loads(content))}
        except ValueError:
            pass
    try:
        return {"text": redact_text(content.decode("utf-8"))}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(content).decode()}


def decode_body(body: dict[str, Any]) -> bytes:
    if "json" in body:
        return json.dumps(body["json"], ensure_ascii=False).encode()
    if "text" in body:
        return str(body["text"]).encode()
    if "base64" in body:
        return base64.b64decode(body["base64"])
    return b""


def load(directory: str | Path) -> list[dict[str, Any]]:
    """The exchanges of a recording, in order."""
    path = Path(directory) / FILE
    if not path.is_file():
        raise FileNotFoundError(f"{directory} holds no recording ({FILE}): record one with viduemu proxy --record")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class NotRecorded(httpx.TransportError):
    """A request the recording holds no answer for."""


class RecordedTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers each request with the recorded answer to the same method and path (and query, when one was
    recorded with it): repeated requests get the recorded answers in order, the last one then repeats."""

    def __init__(self, directory: str | Path):
        self.answers: dict[tuple[str, str], deque[dict[str, Any]]] = defaultdict(deque)
        for exchange in load(directory):
            if exchange["kind"] == "http":
                target = exchange["path"] + (f"?{exchange['query']}" if exchange["query"] else "")
                self.answers[(exchange["method"], target)].append(exchange)
                if exchange["query"]:
                    self.answers[(exchange["method"], exchange["path"])].append(exchange)

    def answer(self, request: httpx.Request) -> httpx.Response:
        query = request.url.query.decode()
        target = request.url.path + (f"?{query}" if query else "")
        queue = self.answers.get((request.method, target)) or self.answers.get((request.method, request.url.path))
        if not queue:
            raise NotRecorded(f"the recording holds no answer to {request.method} {target}", request=request)
        exchange = queue.popleft() if len(queue) > 1 else queue[0]
        headers = {k: v for k, v in exchange["response_headers"].items()
                   if k not in ("content-length", "content-encoding", "transfer-encoding")}
        return httpx.Response(exchange["status"], headers=headers, content=decode_body(exchange["response_body"]),
                              request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.answer(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self.answer(request)


def recorded_transport(directory: str | Path) -> RecordedTransport:
    """``httpx.Client(transport=recorded_transport("rec"), base_url="https://api.vidu.com")``: a client
    (sync or async) that sees exactly the answers recorded by ``viduemu proxy --record rec``."""
    return RecordedTransport(directory)

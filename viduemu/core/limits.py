"""Connection-level limits of ``viduemu serve``: header size and the time a request may take to arrive.

uvicorn's httptools parser (llhttp) accepts request headers of any size, and uvicorn has no
deadline for a request that arrives slowly: a client could send a gigabyte of headers, or keep
a connection (and its buffers) forever by dripping one byte at a time. This protocol adds both:

* the request line and headers together may hold ``max_header_bytes``; more is answered
  ``431 RequestHeaderFieldsTooLarge``-style (reason ``BadRequest``, the vendor envelope) and the
  connection closes;
* a request must arrive whole (headers and body) within ``request_timeout`` real seconds of its
  first byte (of the connection, for the first request); otherwise it is answered ``408`` when no
  answer has started, and the connection closes. The handler reading the body sees a disconnect.

Slow clients never hold the event loop (every read is asynchronous); these limits stop them
holding memory and sockets. The body's own size limit is enforced while streaming by
``core.http.read_json``.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from viduemu.core.errors import ViduError

STATUS_TEXT = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


def limited_http(max_header_bytes: int, request_timeout: float,
                 trace_id: Callable[[], str] = lambda: os.urandom(16).hex()) -> type:
    """The uvicorn HTTP protocol class for these limits (``uvicorn.Config(http=...)``); ``trace_id``
    makes the trace ids of its refusals (the app's ids, so that they look like every other)."""
    return type("LimitedHttpProtocol", (LimitedHttpProtocol,),
                {"max_header_bytes": max_header_bytes, "request_timeout": request_timeout,
                 "trace_id": staticmethod(trace_id)})


class LimitedHttpProtocol(HttpToolsProtocol):
    max_header_bytes = 64 * 1024
    request_timeout = 60.0
    trace_id = staticmethod(lambda: os.urandom(16).hex())

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as uvicorn's
        super().connection_made(transport)
        self._in_headers, self._header_bytes = True, 0
        self._parsed_bytes, self._oversize = 0, False
        self._deadline: asyncio.TimerHandle | None = None
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    # -- the deadline of the request being received -----------------------------------
    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        self._refuse(408, f"the request did not arrive within {self.request_timeout:g} s")

    def _refuse(self, status: int, message: str) -> None:
        """Answer ``status`` (unless an answer has begun) and close; the handler, if any, sees a disconnect."""
        if self.transport.is_closing():
            return
        cycle = self.cycle if self.cycle is not None and not self.cycle.response_complete else None
        if cycle is None or not cycle.response_started:
            body = json.dumps(ViduError("BadRequest", message, status=status).body(self.trace_id())).encode()
            self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                                 b"connection: close\r\n\r\n%s" % (status, STATUS_TEXT[status], len(body), body))
        if cycle is not None:
            cycle.disconnected = True
            cycle.message_event.set()
        self.logger.info("closed a connection from %s: %s", self.client, message)
        self.transport.close()

    # -- parser callbacks ------------------------------------------------------------
    # Headers are counted twice: as bytes received while they are incomplete (httptools gathers a
    # header value across reads before it calls on_header, so that count stops an endless header
    # early), and exactly, from the parsed line and headers, once they are complete.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._parsed_bytes, self._oversize = 0, False
        if self._deadline is None:
            self._arm()  # a later request on a kept-alive connection

    def on_url(self, url: bytes) -> None:
        self._parsed_bytes += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._parsed_bytes += len(name) + len(value) + 4  # "name: value\r\n"
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        if self._parsed_bytes > self.max_header_bytes:
            self._oversize = True
            raise ValueError("headers too large")  # httptools makes it a parser error: send_400_response
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        if self._oversize:
            self._refuse(431, f"request headers over {self.max_header_bytes} bytes")
        else:
            super().send_400_response(msg)

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_headers, self._header_bytes = True, 0
        super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return  # refused already: the rest of what the client sends is dropped unread
        if self._in_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self._in_headers and self._header_bytes > self.max_header_bytes:
            self._refuse(431, f"request headers over {self.max_header_bytes} bytes")

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # the WebSocket protocol takes over the connection and its own limits
        super().handle_websocket_upgrade()

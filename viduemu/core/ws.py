"""WebSocket pings on the virtual clock.

ASGI has no way to send a ping, and uvicorn's own keepalive runs on wall time. This uvicorn
protocol (the websockets sans-I/O one) adds the extension ``viduemu.heartbeat`` to each WebSocket
scope: the app calls ``ping(payload)`` when *its* clock says so, sets ``on_heard`` to learn of
every frame the peer sends below ASGI (pongs and pings), and calls ``drop(code, reason)`` to cut a
peer that stopped answering (a close frame, then the TCP connection closes without waiting for
the close handshake a silent peer would never complete). Under an in-process test client the
extension is absent and the app simply cannot ping.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame
from websockets.http11 import Request

EXTENSION = "viduemu.heartbeat"


class VirtualPingProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None and scope.get("type") == "websocket":
            # The ASGI task is created but has not run yet: it sees the extension from its start.
            scope["extensions"][EXTENSION] = {"ping": self._ping, "drop": self._drop, "on_heard": None}

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        # The extension's bound methods (and the app's on_heard) tie this protocol, its scope and the
        # app's connection object into a cycle that only the cyclic GC frees: with hundreds of
        # sessions an hour, each holding its compressor, that is memory held for long (bench/soak.py).
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope.get("extensions", {}).pop(EXTENSION, None)

    def _ping(self, payload: bytes) -> None:
        if self.transport.is_closing() or self.close_sent:
            return
        self.conn.send_ping(payload)
        self.transport.write(b"".join(self.conn.data_to_send()))

    def _drop(self, code: int, reason: str) -> None:
        if self.transport.is_closing():
            return
        if not self.close_sent:
            self.close_sent = True
            self.conn.send_close(code, reason)
            self.transport.write(b"".join(self.conn.data_to_send()))
        self.transport.close()

    def send_receive_event_to_app(self) -> None:
        # A client's invalid UTF-8 is the client's fault: close 1007 without logging a server error
        # (uvicorn would log it with a traceback, so any client could fill the server's log).
        if self.curr_msg_data_type == "text" and not self.close_sent:
            try:
                (self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)).decode()
            except UnicodeDecodeError:
                self.frames = []
                self.conn.fail(1007, "invalid UTF-8 in a text frame")
                self.handle_parser_exception()
                return
        super().send_receive_event_to_app()

    def _heard(self) -> None:
        ext = self.scope["extensions"].get(EXTENSION) if hasattr(self, "scope") else None
        on_heard = ext["on_heard"] if ext else None
        if callable(on_heard):  # None until the app sets it
            on_heard()

    def handle_ping(self) -> None:
        super().handle_ping()
        self._heard()

    def handle_pong(self, event: Frame) -> None:
        super().handle_pong(event)
        self._heard()

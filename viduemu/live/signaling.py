"""The signaling WebSocket ``/live/ws/live/connect?live_id=...`` (wire notes §2.6).

Envelope ``{"type", "live_id", "seq_id", "payload"}``. The client sends 1 ``conn_init``,
5 ``hangup``, 7 ``audio_interrupted`` (the character stops talking), 99 ``text_msg`` (the character
answers it aloud); the server answers 2 ``conn_init_ack``, 6 forced ``hangup``, 9 and 10 transcripts (with
``--rtc-transcripts``), and 0 ``error`` for a frame it cannot take (the connection stays up).

Heartbeats run on the virtual clock: every ``heartbeat_interval`` the server pings (through the
``viduemu.heartbeat`` extension of core/ws.py); a client that has sent nothing for
``heartbeat_timeout`` *and* has left a ping unanswered for ``heartbeat_wall_slack`` real seconds
is dropped. The second condition is what lets a healthy client survive one
``POST /_emulator/clock/advance`` of 600 s: virtual time races ahead of the network, and silence
is only judged once the client has really had time to answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from viduemu.core import asyncapi, logs
from viduemu.core.clock import Timer
from viduemu.core.errors import ViduError
from viduemu.core.http import JSON, any_key, warn
from viduemu.core.ws import EXTENSION
from viduemu.vidu.auth import token_key
from viduemu.vidu.lives import LiveInterrupted, LiveText

if TYPE_CHECKING:
    from viduemu.live.area import LiveArea

log = logging.getLogger("viduemu.signaling")

JOURNAL = "ws"
CONN_INIT, CONN_INIT_ACK, HANGUP, FORCED_HANGUP, AUDIO_INTERRUPTED, TEXT_MSG, ERROR = 1, 2, 5, 6, 7, 99, 0
USER_TRANSCRIPT, CHARACTER_TRANSCRIPT = 9, 10
CLOSE_NORMAL, CLOSE_TOO_BIG, CLOSE_INTERNAL, CLOSE_SILENT, CLOSE_REPLACED = 1000, 1009, 1011, 4000, 4001
# Accepted (browsers cannot set a WebSocket's headers) though the vendor's API reference calls it
# unsupported: said at warning and in the journal (docs/decisions.md, "Near-misses").
QUERY_AUTH = ("authorization by query parameter: the vendor's API reference calls it unsupported; "
              "send the Authorization header")


def _caller(ws: WebSocket) -> str:
    """Header auth, or the ``authorization`` query parameter browsers must use."""
    header = ws.headers.get("authorization")
    return token_key({"authorization": header if header else ws.query_params.get("authorization", "")})


async def endpoint(area: LiveArea, ws: WebSocket) -> None:
    live_id = ws.query_params.get("live_id", "")
    try:
        api_key = _caller(ws)
        if not live_id:
            raise ViduError("FieldLacking", fields="live_id")
        area.sessions.get(api_key, live_id)  # 404 unknown, 403 another key's
    except ViduError as err:
        given = ws.headers.get("authorization") or ws.query_params.get("authorization", "")
        logs.websocket_line("refused", ws.url.path, any_key({"authorization": given}),
                            live_id=live_id or None, status=err.status, reason=err.reason)
        await _refuse(ws, area, err)
        return
    if not ws.headers.get("authorization"):
        log.warning("live session %s: %s", live_id, QUERY_AUTH)
        warn(ws.scope, QUERY_AUTH)
    await Signaling(area, ws, live_id, api_key).run()


def bind(area: LiveArea):
    """The WebSocket endpoint of the live area's signaling socket."""

    async def signaling(ws: WebSocket) -> None:
        await endpoint(area, ws)

    return signaling


async def _refuse(ws: WebSocket, area: LiveArea, err: ViduError) -> None:
    body = err.body(area.core.ids.trace_id())
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(JSON(body, status_code=err.status))
    else:
        await ws.close(code=1008, reason=f"{err.status} {err.reason}")


class Signaling:
    """One client connection to one session."""

    def __init__(self, area: LiveArea, ws: WebSocket, live_id: str, api_key: str):
        self.area, self.ws, self.live_id, self.api_key = area, ws, live_id, api_key
        self.settings = area.core.settings
        self.closed = False
        self.seq = 0
        self.heard_at = area.core.clock.now()          # virtual time of the last frame from the client
        self.unanswered_since: float | None = None  # wall time of the oldest unanswered ping
        # set by the heartbeat extension of core/ws.py (absent: no heartbeats, e.g. under a test client)
        self._ping: Callable[[bytes], None] | None = None
        self._drop: Callable[[int, str], None] | None = None
        self._beat_timer: Timer | None = None
        self._tasks: set[asyncio.Task] = set()
        self.close_code: int | None = None  # how the connection ended (the close log line)
        self.close_reason = ""
        self.hangup_reason: str | None = None  # the client's (type 5) or the server's (type 6)

    # -- the connection's life ------------------------------------------------------
    async def run(self) -> None:
        await self.ws.accept()
        warnings = self.ws.scope.get("viduemu", {}).get("warnings")
        logs.websocket_line("open", self.ws.url.path, self.api_key, live_id=self.live_id,
                            warning="; ".join(warnings) if warnings else None)
        if warnings:
            self._journal("in", {"connect": self.ws.url.path}, warnings=warnings)
        ext = self.ws.scope.get("extensions", {}).get(EXTENSION)
        if ext is not None:
            ext["on_heard"] = self._heard
            self._ping, self._drop = ext["ping"], ext["drop"]
            self._beat_timer = self.area.core.clock.call_later(self.settings.heartbeat_interval, self._beat)
        try:
            while not self.closed:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    self._closed_by_client(message.get("code"), message.get("reason") or "")
                    break
                self._heard()
                await self._take(message)
        except WebSocketDisconnect as exc:
            self._closed_by_client(exc.code, exc.reason or "")
        except OSError:
            pass
        except Exception:  # a bug of ours: say so in the log, and tell the client with 1011
            log.exception("signaling handler failed on session %s", self.live_id)
            await self._close(CLOSE_INTERNAL, "internal error")
        finally:
            self._finish()

    def _closed_by_client(self, code: int | None, reason: str) -> None:
        if self.close_code is None:
            self.close_code, self.close_reason = code, f"client: {reason}" if reason else "client"

    def _finish(self) -> None:
        logs.websocket_line("close", self.ws.url.path, self.api_key, live_id=self.live_id, code=self.close_code,
                            reason=self.close_reason or None, hangup_reason=self.hangup_reason)
        self.closed = True
        if self._beat_timer is not None:
            self._beat_timer.cancel()
            self._beat_timer = None  # it points back here: a cycle holding the whole connection (bench/soak.py)
        self.area.sessions.detach(self.live_id, self)

    async def _close(self, code: int, reason: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        self.close_code, self.close_reason = code, reason
        try:
            await self.ws.close(code=code, reason=reason)
        except (RuntimeError, OSError):
            pass

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- heartbeats ------------------------------------------------------------------
    def _heard(self) -> None:
        self.heard_at = self.area.core.clock.now()
        self.unanswered_since = None

    def _beat(self) -> None:
        if self.closed or self._ping is None or self._drop is None:
            return
        silent_for = self.area.core.clock.now() - self.heard_at
        if (silent_for >= self.settings.heartbeat_timeout and self.unanswered_since is not None
                and time.monotonic() - self.unanswered_since >= self.settings.heartbeat_wall_slack):
            self._journal("out", {"close": CLOSE_SILENT, "reason": "heartbeat timeout"})
            self.closed = True
            self.close_code, self.close_reason = CLOSE_SILENT, "heartbeat timeout"
            self.area.sessions.detach(self.live_id, self)
            self._drop(CLOSE_SILENT, f"heartbeat timeout: nothing received for {silent_for:g} s")
            return
        self._ping(str(self.seq).encode())
        if self.unanswered_since is None:
            self.unanswered_since = time.monotonic()
        self._beat_timer = self.area.core.clock.call_later(self.settings.heartbeat_interval, self._beat)

    # -- messages ---------------------------------------------------------------------
    async def send(self, type_: int, payload: dict, seq_id: int | None = None) -> None:
        if self.closed:
            return
        if seq_id is None:
            self.seq += 1
            seq_id = self.seq
        message = {"type": type_, "live_id": self.live_id, "seq_id": seq_id, "payload": payload}
        self._journal("out", message)
        try:
            await self.ws.send_text(json.dumps(message, ensure_ascii=False, separators=(",", ":")))
        except (RuntimeError, OSError, WebSocketDisconnect):
            self.closed = True

    async def error(self, code: str, message: str, seq_id: int | None = None) -> None:
        await self.send(ERROR, {"error": {"code": code, "message": message}}, seq_id)

    async def _take(self, frame: Mapping[str, Any]) -> None:
        """Check a client frame against contracts/asyncapi.yaml, then hand it to its handler."""
        text = frame.get("text")
        if text is None:
            await self.error("INVALID_MESSAGE", "send JSON text frames, not binary ones")
            return
        if len(text) > self.settings.ws_max_frame:
            self._journal("in", {"oversize": len(text)})
            await self._close(CLOSE_TOO_BIG, f"frame over {self.settings.ws_max_frame} bytes")
            return
        try:
            message = json.loads(text)
        except (ValueError, RecursionError):
            self._journal("in", {"raw": text[:200]})
            await self.error("INVALID_JSON", "the frame is not JSON")
            return
        seq_id = message.get("seq_id") if isinstance(message, dict) and type(message.get("seq_id")) is int else None
        try:
            asyncapi.validate("receive", message)
        except (asyncapi.MessageViolation, RecursionError) as refused:
            # A refused frame is journaled as text: it may nest too deep for GET /_emulator/ws to render
            # it (a 500), or for the validator to describe it (RecursionError from a repr), both found by
            # tests/live/test_ws_fuzz.py; a valid message is shallow by the contract.
            self._journal("in", {"raw": text[:200]})
            if isinstance(refused, RecursionError):
                await self.error("INVALID_MESSAGE", "the frame is nested too deeply", seq_id)
            else:
                await self.error(refused.code, str(refused), seq_id)
            return
        self._journal("in", message)
        await self.HANDLERS[message["type"]](self, message["payload"], seq_id)

    async def _conn_init(self, payload: dict, seq_id: int | None) -> None:
        ok, code, why = self.area.sessions.conn_init(self.live_id, self.api_key)
        if ok:
            previous = self.area.sessions.attach(self.live_id, self)
            if previous is not None:
                previous.replaced()
            await self.send(CONN_INIT_ACK, {"conn_init_ack": {"success": True}}, seq_id)
            return
        await self.send(CONN_INIT_ACK, {"conn_init_ack": {"success": False, "error_code": code,
                                                          "error_msg": why}}, seq_id)
        if code == "LIVE_CONN_INIT_FAILED":
            await self._close(CLOSE_NORMAL, "connection initialization failed")

    async def _hangup(self, payload: dict, seq_id: int | None) -> None:
        reason = self.hangup_reason = payload["hangup"]["hangup_reason"]
        self.area.sessions.detach(self.live_id, self)  # a hangup is not a drop: no reconnect wait
        self.area.sessions.hangup(self.live_id, reason, notify=False)
        await self._close(CLOSE_NORMAL, "hung up")

    async def _interrupted(self, payload: dict, seq_id: int | None) -> None:
        """audio_interrupted: the user talks over the character. From the session's client (the
        connection a successful conn_init attached), the character stops its answer (``LiveInterrupted``,
        heard by the RTC gateway); nothing is answered on the socket."""
        if self.area.sessions.connection(self.live_id) is self:
            self.area.core.events.publish(LiveInterrupted(self.live_id))

    async def _text(self, payload: dict, seq_id: int | None) -> None:
        """text_msg: from the session's client, the character answers aloud on the RTC channel
        (``LiveText``, heard by the RTC gateway), with a type-10 transcript when transcripts are on."""
        if self.area.sessions.connection(self.live_id) is self:
            self.area.core.events.publish(LiveText(self.live_id, payload["text_msg"]["content"]))

    HANDLERS = {CONN_INIT: _conn_init, HANGUP: _hangup, AUDIO_INTERRUPTED: _interrupted, TEXT_MSG: _text}

    # -- what the session tells its connection ------------------------------------------
    def hangup(self, reason: str) -> None:
        """Forced hangup (type 6) then close: called from timers and the control plane."""
        self.hangup_reason = reason
        async def go():
            await self.send(FORCED_HANGUP, {"hangup": {"hangup_reason": reason}})
            await self._close(CLOSE_NORMAL, reason)
        self._spawn(go())

    def transcript(self, who: str, text: str) -> None:
        """Types 9 (the user's words) and 10 (the character's), when transcripts are on."""
        type_ = USER_TRANSCRIPT if who == "user" else CHARACTER_TRANSCRIPT
        self._spawn(self.send(type_, {f"{who}_transcript": {"content": text}}))

    def replaced(self) -> None:
        self._spawn(self._close(CLOSE_REPLACED, "replaced by a newer connection to this session"))

    def _journal(self, direction: str, message, **extra: Any) -> None:
        self.area.core.journal(JOURNAL, {"at": self.area.core.clock.now(), "live_id": self.live_id, "dir": direction,
                                   "message": message, **extra})


__all__ = ["endpoint", "Signaling"]

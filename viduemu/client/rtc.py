"""Join a viduemu live session's RTC channel from Python: the vendor SDK's steps on top of aiortc.

The vendor's AliRTC SDK joins the channel named in the ``rtc`` block of ``POST /live/v1/lives``
with its token, publishes the microphone (and camera in video mode) and subscribes to the
character's stream. viduemu stands in for that channel with a WebRTC gateway; this module is the
caller's side of it, so a test or a bot can be on the call in a few lines::

    call = RtcCall("http://127.0.0.1:8000", created["rtc"])
    call.publish_audio(ToneTrack(440, seconds=1.0))   # then silence
    await call.join()
    frame = await call.bot_video.recv()
    await call.leave()

Signaling is one ``POST /_emulator/rtc/sdp`` (non-trickle: aiortc gathers every candidate before
the offer leaves, and the answer carries the gateway's) and ``DELETE /_emulator/rtc/sdp/{peer_id}``
to leave. The character's tracks belong to the stream ``live-bot-{creator}-{live}``.

Every inbound track must be read (``recv()``) or drained (``drain()``): aiortc queues the frames
of a track nobody reads without bound.

This module imports nothing from the server side of viduemu: only aiortc, av and httpx.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import math
import re
import time
from array import array
from typing import Any

import av
import httpx
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import SessionDescription

SDP_PATH = "/_emulator/rtc/sdp"
RTC_FIELDS = ("app_id", "channel_id", "user_id", "token")
_USER_ID = re.compile(r"^live-user-(.+)-([^-]+)$")


class RtcError(Exception):
    """The gateway refused a join or a leave; ``status``, ``reason`` and ``message`` are its answer's
    (the vendor envelope ``{"code", "reason", "message", "metadata": {"trace_id"}}``)."""

    def __init__(self, status: int, body: Any):
        self.status = status
        self.body = body
        envelope = body if isinstance(body, dict) else {}
        self.reason: str = str(envelope.get("reason", ""))
        self.message: str = str(envelope.get("message", body))
        super().__init__(f"{status} {self.reason}: {self.message}")


def bot_stream_id(rtc: dict[str, Any]) -> str:
    """The character's stream id for an ``rtc`` block: ``bot_user_id`` when given, else derived from
    ``user_id`` (``live-user-{creator}-{live}`` -> ``live-bot-{creator}-{live}``), as the vendor's
    quickstart page does."""
    if rtc.get("bot_user_id"):
        return str(rtc["bot_user_id"])
    match = _USER_ID.match(str(rtc.get("user_id", "")))
    if match is None:
        raise ValueError(f"cannot derive the character's stream id from user_id {rtc.get('user_id')!r}")
    return f"live-bot-{match.group(1)}-{match.group(2)}"


class RtcCall:
    """One caller in one session's channel (one peer connection).

    ``base_url`` is the emulator (``http://127.0.0.1:8000``), ``rtc`` the ``rtc`` block of the create
    answer. ``verify`` is httpx's (``False`` or a CA bundle path for ``viduemu serve --tls``);
    ``headers`` are added to the signaling requests (e.g. ``Authorization: Bearer <admin token>``).
    ``video=False`` asks for no video at all (an audio-mode session sends none anyway).
    """

    def __init__(self, base_url: str, rtc: dict[str, Any], *, verify: bool | str = True,
                 headers: dict[str, str] | None = None, video: bool = True, timeout: float = 10.0):
        missing = [k for k in RTC_FIELDS if not rtc.get(k)]
        if missing:
            raise ValueError(f"the rtc block lacks {', '.join(missing)}")
        self.base_url = base_url.rstrip("/")
        self.rtc = dict(rtc)
        self.bot_stream_id = bot_stream_id(rtc)
        self.peer_id: str | None = None
        self.pc: RTCPeerConnection | None = None
        self.received: dict[str, int] = {"audio": 0, "video": 0}  # frames read by drain()
        self._verify, self._headers, self._video, self._timeout = verify, dict(headers or {}), video, timeout
        self._publish: dict[str, MediaStreamTrack] = {}
        self._bot: dict[str, MediaStreamTrack] = {}
        self._streams: dict[str, str] = {}  # kind -> stream id of the remote track, from the answer
        self._drains: list[asyncio.Task[None]] = []

    # -- before join ----------------------------------------------------------------
    def publish_audio(self, track: MediaStreamTrack) -> None:
        """Send ``track`` as the caller's microphone (call before ``join``)."""
        self._set_publish("audio", track)

    def publish_video(self, track: MediaStreamTrack) -> None:
        """Send ``track`` as the caller's camera (call before ``join``; video mode only)."""
        self._set_publish("video", track)

    def _set_publish(self, kind: str, track: MediaStreamTrack) -> None:
        if self.pc is not None:
            raise RuntimeError("publish before join(): the offer carries what the caller sends")
        if track.kind != kind:
            raise ValueError(f"a {track.kind} track cannot be published as {kind}")
        self._publish[kind] = track

    # -- the call -------------------------------------------------------------------
    async def join(self) -> None:
        """Create the peer connection, offer (with every candidate), apply the gateway's answer.

        Raises ``RtcError`` when the gateway refuses (401/403 token, 404 session, 429 channel full).
        """
        if self.pc is not None:
            raise RuntimeError("this call has already joined")
        pc = self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        try:
            kinds = ("audio", "video") if self._video or "video" in self._publish else ("audio",)
            for kind in kinds:
                track = self._publish.get(kind)
                pc.addTransceiver(track or kind, direction="sendrecv" if track else "recvonly")
            await pc.setLocalDescription(await pc.createOffer())  # aiortc gathers all candidates here
            body = {**{k: self.rtc[k] for k in RTC_FIELDS}, "sdp": pc.localDescription.sdp, "type": "offer"}
            async with self._http() as http:
                resp = await http.post(SDP_PATH, json=body)
            answer = _json(resp)
            if resp.status_code != 200:
                raise RtcError(resp.status_code, answer)
            self.peer_id = str(answer["peer_id"])
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
            self._take_remote_tracks(pc, answer["sdp"])
        except BaseException:
            with contextlib.suppress(Exception):
                await self.leave()  # also tells the gateway when it had answered: no peer left behind
            raise

    def _take_remote_tracks(self, pc: RTCPeerConnection, sdp: str) -> None:
        streams: dict[str | None, str] = {m.rtp.muxId: (m.msid or "").split(" ")[0] for m in SessionDescription.parse(sdp).media}
        for transceiver in pc.getTransceivers():
            track = transceiver.receiver.track
            if track is not None and transceiver.currentDirection in ("sendrecv", "recvonly"):
                self._bot[track.kind] = track
                self._streams[track.kind] = streams.get(transceiver.mid, "")

    @property
    def bot_video(self) -> MediaStreamTrack | None:
        """The character's video (after ``join``; None in audio mode)."""
        return self._bot.get("video")

    @property
    def bot_audio(self) -> MediaStreamTrack | None:
        """The character's audio (after ``join``)."""
        return self._bot.get("audio")

    def remote_stream_id(self, kind: str) -> str | None:
        """The stream id the answer gave the ``kind`` track (the character's: ``self.bot_stream_id``)."""
        return self._streams.get(kind)

    def drain(self, *kinds: str) -> None:
        """Read and drop the character's ``kinds`` tracks (default: both) in the background, counting
        frames in ``received``; for a caller that does not look at them itself."""
        for kind in kinds or tuple(self._bot):
            track = self._bot.get(kind)
            if track is not None:
                self._drains.append(asyncio.get_running_loop().create_task(self._drain(kind, track)))

    async def _drain(self, kind: str, track: MediaStreamTrack) -> None:
        try:
            while True:
                await track.recv()
                self.received[kind] += 1
        except MediaStreamError:
            pass

    @property
    def connection_state(self) -> str:
        """The peer connection's state: ``new`` before join, ``connected``, ``closed``..."""
        return self.pc.connectionState if self.pc is not None else "new"

    async def leave(self) -> None:
        """Leave the channel (``DELETE /_emulator/rtc/sdp/{peer_id}``) and close the peer connection.

        Safe to call twice; a peer the gateway already dropped (hangup, session end) is not an error.
        """
        peer_id, self.peer_id = self.peer_id, None
        try:
            if peer_id is not None:
                async with self._http() as http:
                    resp = await http.delete(f"{SDP_PATH}/{peer_id}")
                if resp.status_code not in (200, 204, 404):
                    raise RtcError(resp.status_code, _json(resp))
        finally:
            await self._close()

    async def _close(self) -> None:
        for task in self._drains:
            task.cancel()
        self._drains.clear()
        if self.pc is not None:
            await self.pc.close()

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, verify=self._verify, headers=self._headers,
                                 timeout=self._timeout)

    async def __aenter__(self) -> "RtcCall":
        await self.join()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.leave()


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return resp.text


# -- media to publish --------------------------------------------------------------------
class _Paced(MediaStreamTrack):
    """Frames on the wall clock: frame ``n`` is released at ``start + n * period``."""

    def __init__(self, period: float):
        super().__init__()
        self._period = period
        self._n = 0
        self._start: float | None = None

    async def _next(self) -> int:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._n += 1
            await asyncio.sleep(max(0.0, self._start + self._n * self._period - time.monotonic()))
        return self._n


class ToneTrack(_Paced):
    """A microphone stand-in: ``delay`` seconds of silence, then a sine tone of ``frequency`` Hz for
    ``seconds``, then silence (``seconds=None``: for ever; ``frequency=None``: silence throughout).
    Mono s16, 20 ms frames."""

    kind = "audio"

    def __init__(self, frequency: float | None = 440.0, *, seconds: float | None = None, delay: float = 0.0,
                 amplitude: float = 0.3, sample_rate: int = 48000, ptime: float = 0.02):
        super().__init__(ptime)
        self.frequency, self.seconds, self.delay = frequency, seconds, delay
        self._rate, self._samples = sample_rate, int(sample_rate * ptime)
        self._peak = int(max(0.0, min(1.0, amplitude)) * 32767)
        self._silence = bytes(2 * self._samples)

    def _pcm(self, start: int) -> bytes:
        start -= int(self.delay * self._rate)
        if not self.frequency or start < 0 or (self.seconds is not None and start >= self.seconds * self._rate):
            return self._silence
        step = 2 * math.pi * self.frequency / self._rate
        return array("h", (int(self._peak * math.sin(step * (start + i))) for i in range(self._samples))).tobytes()

    async def recv(self) -> av.AudioFrame:
        """The next 20 ms of audio, paced in real time (aiortc's MediaStreamTrack interface)."""
        n = await self._next()
        start = n * self._samples
        frame = av.AudioFrame(format="s16", layout="mono", samples=self._samples)
        frame.planes[0].update(self._pcm(start))
        frame.sample_rate, frame.pts, frame.time_base = self._rate, start, fractions.Fraction(1, self._rate)
        return frame


def SilenceTrack(**kw: Any) -> ToneTrack:
    """A silent microphone."""
    return ToneTrack(None, **kw)


# Eight bars (Y, U, V), the classic test card: white, yellow, cyan, green, magenta, red, blue, black.
_BARS = ((235, 128, 128), (210, 16, 146), (170, 166, 16), (145, 54, 34),
         (106, 202, 222), (81, 90, 240), (41, 240, 110), (16, 128, 128))


class TestPatternTrack(_Paced):
    """A camera stand-in: colour bars scrolling sideways (every frame differs), yuv420p."""

    kind = "video"
    __test__ = False  # not a pytest test class

    def __init__(self, width: int = 320, height: int = 240, fps: float = 15.0, *, step: int = 4):
        if width % 2 or height % 2 or width < 16 or height < 16:
            raise ValueError("width and height must be even and at least 16")
        super().__init__(1.0 / fps)
        self.width, self.height, self._step = width, height, step
        self._rows = [self._row(width, i) for i in range(3)]

    @staticmethod
    def _row(width: int, component: int) -> bytes:
        """Two widths of bars, so any window of ``width`` is a scrolled picture."""
        bar = max(1, width // len(_BARS))
        one = b"".join(bytes([levels[component]]) * bar for levels in _BARS)
        one = (one * 2)[:width]
        return one * 2

    async def recv(self) -> av.VideoFrame:
        """The next frame, paced at ``fps`` (aiortc's MediaStreamTrack interface)."""
        n = await self._next()
        w, h = self.width, self.height
        x = (n * self._step) % w
        rows = (self._rows[0][x:x + w], self._rows[1][x:x + w:2], self._rows[2][x:x + w:2])  # chroma: half size
        frame = av.VideoFrame(w, h, "yuv420p")
        for plane, row in zip(frame.planes, rows, strict=True):
            plane.update((row + bytes(plane.line_size - len(row))) * plane.height)
        frame.pts, frame.time_base = int(n * 90000 * self._period), fractions.Fraction(1, 90000)
        return frame

"""Shared helpers for RTC tests: a tone microphone, frame collectors and an in-process call.

``Call`` is a viewer (the offering side, as a browser or viduemu.client.rtc is) and a bare aiortc
"server" that answers with a character's tracks and feeds the viewer's microphone to
``character.hear``: the character's media over real WebRTC on loopback, without the gateway.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from PIL import ImageStat

from viduemu.client.rtc import ToneTrack as ClientToneTrack

RATE = 48000
CHUNK = 960  # 20 ms


@dataclass
class Session:
    """A live session as the gateway and the character read it (rtc/models.py ``Session``), no server."""
    id: str = "900000000000000001"
    call_mode: str = "video"
    avatar: dict = field(default_factory=dict)
    status: str = "waiting"
    api_key: str = "vda_test"
    picture: str | None = None
    rtc: dict = field(default_factory=dict)


def config() -> RTCConfiguration:
    return RTCConfiguration(iceServers=[])  # the default STUN server stalls 5 s offline


def ToneTrack(hz: float = 440.0, tone_seconds: float = 1.0, *, delay: float = 0.0, level: float = 0.5):
    """A microphone: ``delay`` s of silence, ``tone_seconds`` of a sine at ``hz``, then silence."""
    return ClientToneTrack(hz, seconds=tone_seconds, delay=delay, amplitude=level)


class Collector:
    """Reads a received track to its end, keeping (monotonic time, frame) of each frame."""

    def __init__(self, track: MediaStreamTrack, *, keep: bool = True):
        self.track, self.keep = track, keep
        self.frames: list[tuple[float, av.frame.Frame | None]] = []
        self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        try:
            while True:
                frame = await self.track.recv()
                self.frames.append((time.monotonic(), frame if self.keep else None))
        except MediaStreamError:
            pass

    def __len__(self) -> int:
        return len(self.frames)

    def first_at(self) -> float | None:
        return self.frames[0][0] if self.frames else None

    async def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.frames) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return len(self.frames) >= count


def mean_rgb(frame: av.VideoFrame, box: tuple[int, int, int, int]) -> tuple[float, float, float]:
    return tuple(ImageStat.Stat(frame.to_image().crop(box)).mean)


def caption_state(frame: av.VideoFrame, box: tuple[int, int, int, int]) -> str | None:
    """"speaking" (red pill) or "listening" (blue pill) as seen in a decoded frame's caption box."""
    r, _, b = mean_rgb(frame, box)
    if r > b + 40:
        return "speaking"
    if b > r + 40:
        return "listening"
    return None


def frame_bytes(frame: av.VideoFrame) -> bytes:
    return b"".join(bytes(p) for p in frame.planes)


async def wait_until(predicate, timeout: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(step)
    return True


class Call:
    """A viewer calling a character over loopback WebRTC (see the module docstring).

    ``mic``: the viewer's microphone track (None: receive only). ``packets``: the server side sends
    pre-encoded packets of the negotiated codec (``negotiated_codec``); ``prefer``: the viewer's
    video codec preference (e.g. "video/H264"), None for aiortc's default order (VP8 first)."""

    def __init__(self, character, *, mic: MediaStreamTrack | None = None, packets: bool = False,
                 prefer: str | None = None, keep_frames: bool = True):
        self.character, self.mic, self.packets, self.prefer = character, mic, packets, prefer
        self.keep_frames = keep_frames
        self.viewer = RTCPeerConnection(config())
        self.server = RTCPeerConnection(config())
        self.video: Collector | None = None
        self.audio: Collector | None = None
        self.server_tracks: list[MediaStreamTrack] = []
        self.codec: str | None = None
        self.connected_at: float | None = None

    async def connect(self) -> "Call":
        from viduemu.rtc.avatar import negotiated_codec

        viewer, server = self.viewer, self.server
        if self.character.video:
            transceiver = viewer.addTransceiver("video", direction="recvonly")
            if self.prefer:
                transceiver.setCodecPreferences([c for c in RTCRtpSender.getCapabilities("video").codecs
                                                 if c.mimeType in (self.prefer, "video/rtx")])
        if self.mic is not None:
            viewer.addTrack(self.mic)
        else:
            viewer.addTransceiver("audio", direction="recvonly")

        @viewer.on("track")
        def on_viewer_track(track):
            if track.kind == "video":
                self.video = Collector(track, keep=self.keep_frames)
            else:
                self.audio = Collector(track)

        @server.on("track")
        def on_server_track(track):
            self.character.hear(track)

        await viewer.setLocalDescription(await viewer.createOffer())
        await server.setRemoteDescription(viewer.localDescription)
        for transceiver in server.getTransceivers():
            if transceiver.kind == "video":
                self.codec = negotiated_codec(transceiver) if self.packets else None
                track = self.character.video_track(self.codec)
            else:
                track = self.character.audio_track()
            self.server_tracks.append(track)
            server.addTrack(track)
        await server.setLocalDescription(await server.createAnswer())
        await viewer.setRemoteDescription(server.localDescription)
        self.connected_at = time.monotonic()
        return self

    async def close(self) -> None:
        await self.viewer.close()
        await self.server.close()
        for collector in (self.video, self.audio):
            if collector is not None:
                collector.task.cancel()

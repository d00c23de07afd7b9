"""Shared helpers of the RTC (issue 4) benchmarks: video sessions taken on_live over their signaling
WebSocket, and a plain aiortc viewer (not viduemu.client.rtc) that joins through the gateway.

The viewer offers recvonly audio and video (aiortc's default codec order: VP8 first), POSTs the
offer to ``/_emulator/rtc/sdp`` and reads both inbound tracks to their end, counting frames (the
video frames are decoded by aiortc: a count is of pictures a player could show).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from pathlib import Path

import httpx

CREDITS = 1_000_000


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def fund(http: httpx.AsyncClient, key: str) -> None:
    r = await http.put(f"/_emulator/accounts/{key}", json={"credits": CREDITS})
    assert r.status_code == 200, r.text


async def create_session(http: httpx.AsyncClient, key: str, image_uri: str, call_mode: str = "video") -> dict:
    """A new S1 session (the create answer: ``live``, ``rtc``, ...)."""
    r = await http.post("/live/v1/lives", headers={"Authorization": f"Token {key}"},
                        json={"call_mode": call_mode, "avatar": {"persona": "A friendly guide.", "name": "Mia",
                                                                 "image_uri": image_uri}})
    assert r.status_code == 200, r.text
    return r.json()


async def go_live(ws_base: str, live_id: str, key: str, timeout: float = 30.0):
    """Connect the session's signaling WebSocket and send conn_init until it is acknowledged (a video
    session answers NOT_READY during its warm-up). Returns the open connection: keep it open (the
    `websockets` library answers the server's pings) and read it (``drain_ws``)."""
    import websockets

    ws = await websockets.connect(f"{ws_base}/live/ws/live/connect?live_id={live_id}", proxy=None,
                                  additional_headers={"Authorization": f"Token {key}"}, ping_interval=None,
                                  open_timeout=30, compression=None)
    deadline = time.monotonic() + timeout
    seq = 0
    while True:
        seq += 1
        await ws.send(json.dumps({"type": 1, "live_id": live_id, "seq_id": seq,
                                  "payload": {"conn_init": {"version": 1}}}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 30))["payload"]["conn_init_ack"]
        if ack["success"]:
            return ws
        if time.monotonic() > deadline:
            raise AssertionError(f"conn_init of {live_id} never succeeded: {ack}")
        await asyncio.sleep(0.2)


async def drain_ws(ws) -> None:
    """Read a signaling WebSocket to its close (the messages are not needed, only kept from piling up)."""
    from websockets.exceptions import ConnectionClosed

    with contextlib.suppress(ConnectionClosed):
        async for _ in ws:
            pass


class Viewer:
    """One plain aiortc peer connection joined to a session's channel (see the module docstring)."""

    def __init__(self):
        from aiortc import RTCConfiguration, RTCPeerConnection

        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.video = 0
        self.audio = 0
        self.answer_at: float | None = None      # perf_counter when the gateway's answer arrived
        self.connected_at: float | None = None
        self.first_video_at: float | None = None
        self.first_audio_at: float | None = None
        self.peer_id: str | None = None
        self.post_seconds: float | None = None
        self.tasks: list[asyncio.Task] = []

    async def join(self, http: httpx.AsyncClient, rtc: dict) -> Viewer:
        from aiortc import RTCSessionDescription

        pc = self.pc
        pc.addTransceiver("audio", direction="recvonly")
        pc.addTransceiver("video", direction="recvonly")
        pc.on("track", lambda track: self.tasks.append(asyncio.ensure_future(self._consume(track))))

        @pc.on("connectionstatechange")
        def on_state():
            if pc.connectionState == "connected" and self.connected_at is None:
                self.connected_at = time.perf_counter()

        await pc.setLocalDescription(await pc.createOffer())
        body = {**{k: rtc[k] for k in ("app_id", "channel_id", "user_id", "token")},
                "sdp": pc.localDescription.sdp, "type": "offer"}
        sent = time.perf_counter()
        r = await http.post("/_emulator/rtc/sdp", json=body)
        self.answer_at = time.perf_counter()
        self.post_seconds = self.answer_at - sent
        if r.status_code != 200:
            raise JoinRefused(r.status_code, r.text)
        answer = r.json()
        self.peer_id = answer["peer_id"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        return self

    async def _consume(self, track) -> None:
        from aiortc.mediastreams import MediaStreamError

        try:
            while True:
                await track.recv()
                now = time.perf_counter()
                if track.kind == "video":
                    self.video += 1
                    if self.first_video_at is None:
                        self.first_video_at = now
                else:
                    self.audio += 1
                    if self.first_audio_at is None:
                        self.first_audio_at = now
        except (MediaStreamError, asyncio.CancelledError):
            pass

    async def wait_video(self, frames: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.video < frames and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        return self.video >= frames

    async def close(self) -> None:
        await self.pc.close()
        for task in self.tasks:
            task.cancel()


class JoinRefused(Exception):
    def __init__(self, status: int, text: str):
        self.status, self.text = status, text
        super().__init__(f"{status}: {text[:300]}")


def quiet_aiortc() -> None:
    """aiortc/aioice log at INFO and warn about deprecated crypto: keep the tables readable."""
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.ERROR)

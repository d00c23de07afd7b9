"""viduemu.client.rtc: the caller's helper, against a real server's RTC gateway (real sockets, aiortc).

The tests that join skip while the gateway (``POST /_emulator/rtc/sdp``) is not in this build; the
helper's own checks and the media tracks need no server."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import AUTH
from tests.support.server import running
from tests.support.signaling import conn_init
from viduemu.client.rtc import RtcCall, RtcError, SilenceTrack, TestPatternTrack, ToneTrack, bot_stream_id
from viduemu.config import Settings

RTC = {"app_id": "viduemu", "channel_id": "live-user-2", "user_id": "live-user-1-2", "token": "t",
       "token_expire_at": "1"}


# -- no server needed -------------------------------------------------------------------------
def test_bot_stream_id_comes_from_the_user_id_or_bot_user_id():
    assert bot_stream_id(RTC) == "live-bot-1-2"
    assert bot_stream_id({**RTC, "bot_user_id": "live-bot-9-9"}) == "live-bot-9-9"
    with pytest.raises(ValueError, match="user_id"):
        bot_stream_id({**RTC, "user_id": "someone"})


def test_an_rtc_block_without_its_token_is_refused_at_once():
    with pytest.raises(ValueError, match="token"):
        RtcCall("http://127.0.0.1:1", {**RTC, "token": ""})


def test_publish_checks_the_kind():
    call = RtcCall("http://127.0.0.1:1", RTC)
    with pytest.raises(ValueError):
        call.publish_audio(TestPatternTrack())
    with pytest.raises(ValueError):
        call.publish_video(ToneTrack())


async def test_tone_track_sounds_for_its_seconds_then_is_silent():
    track = ToneTrack(440, seconds=0.04)  # two 20 ms frames of tone
    frames = [await track.recv() for _ in range(4)]
    assert [f.samples for f in frames] == [960] * 4 and [f.pts for f in frames] == [0, 960, 1920, 2880]
    loud = [max(abs(s) for s in memoryview(bytes(f.planes[0])).cast("h")) for f in frames]
    assert loud[0] > 9000 and loud[1] > 9000 and loud[2:] == [0, 0]
    silent = SilenceTrack()
    assert not any(bytes((await silent.recv()).planes[0]))


async def test_test_pattern_moves_at_its_frame_rate():
    track = TestPatternTrack(320, 240, fps=30)
    start = asyncio.get_running_loop().time()
    frames = [await track.recv() for _ in range(10)]
    elapsed = asyncio.get_running_loop().time() - start
    assert 0.25 < elapsed < 0.6  # 9 frame periods of 33 ms, paced on the wall clock
    assert (frames[0].width, frames[0].height, frames[0].format.name) == (320, 240, "yuv420p")
    assert bytes(frames[0].planes[0]) != bytes(frames[1].planes[0])


# -- against the gateway ----------------------------------------------------------------------
@pytest.fixture
async def gateway(contracts):
    settings = Settings(clock="manual", seed=99, live_warmup=0.0, log_level="warning")
    async with running(settings, contracts) as srv:
        async with httpx.AsyncClient(base_url=srv.base) as http:  # not contract-checked: a bare probe
            if (await http.get("/_emulator/rtc/sdp")).status_code == 404:
                pytest.skip("the RTC gateway is not in this build (/_emulator/rtc/sdp answers 404)")
        yield srv


async def on_live(srv, call_mode: str):
    """A created session made on_live by its signaling WebSocket (kept open by the caller)."""
    created = await srv.create(call_mode)
    ws = await srv.connect(created["live"]["id"])
    ack = await conn_init(ws, created["live"]["id"])
    assert ack["payload"]["conn_init_ack"]["success"] is True
    return created, ws


async def test_join_receives_the_characters_video_and_audio_then_leave(gateway):
    created, ws = await on_live(gateway, "video")
    call = RtcCall(gateway.base, created["rtc"])
    call.publish_audio(ToneTrack(440, seconds=0.5))
    call.publish_video(TestPatternTrack())
    await call.join()
    try:
        assert call.peer_id and call.bot_video is not None and call.bot_audio is not None
        creator, live = created["rtc"]["user_id"].removeprefix("live-user-").rsplit("-", 1)
        assert call.bot_stream_id == f"live-bot-{creator}-{live}"
        assert call.remote_stream_id("video") == call.remote_stream_id("audio") == call.bot_stream_id
        frame = await asyncio.wait_for(call.bot_video.recv(), 5)
        assert frame.width > 0 and frame.height > 0
        call.drain()
        await asyncio.sleep(1.5)
        assert call.received["video"] >= 10 and call.received["audio"] >= 30, call.received
        assert call.connection_state == "connected"
        with pytest.raises(RuntimeError):
            call.publish_audio(SilenceTrack())
    finally:
        await call.leave()
        await ws.close()
    assert call.connection_state == "closed" and call.peer_id is None
    await call.leave()  # twice is harmless


async def test_audio_mode_has_no_character_video(gateway):
    created, ws = await on_live(gateway, "audio")
    async with RtcCall(gateway.base, created["rtc"]) as call:
        call.drain()
        assert call.bot_video is None and call.bot_audio is not None
        await asyncio.sleep(0.5)
        assert call.received["audio"] > 0
    await ws.close()


async def test_a_forged_token_is_refused_with_the_vendor_envelope(gateway):
    created = await gateway.create("video")
    forged = created["rtc"]["token"][:-4] + "0000"
    call = RtcCall(gateway.base, {**created["rtc"], "token": forged})
    with pytest.raises(RtcError) as refused:
        await call.join()
    assert refused.value.status == 401 and refused.value.reason
    assert refused.value.body["metadata"]["trace_id"]
    assert call.connection_state == "closed" and call.peer_id is None


async def test_another_sessions_token_is_refused(gateway):
    one, other = await gateway.create("video"), await gateway.create("video")
    call = RtcCall(gateway.base, {**one["rtc"], "token": other["rtc"]["token"]})
    with pytest.raises(RtcError) as refused:
        await call.join()
    assert refused.value.status in (401, 403)
    await gateway.live(one["live"]["id"], headers=AUTH)  # the session itself is untouched

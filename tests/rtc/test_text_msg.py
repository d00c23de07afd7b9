"""A ``text_msg`` (type 99) answered by the character, and ``audio_interrupted`` (type 7) cutting the
answer (issue 15 §3; wire notes §2.6): a real server, its signaling socket, and a plain aiortc client
that measures the level of the character's decoded audio frames over time.

The reply's rules are docs/decisions.md "S1 extras (issue 15)": 10 to 20 words from a seeded grammar,
about the message's longest word, said at 150 words a minute (2.5 words a second)."""

from __future__ import annotations

import asyncio
import random
import time

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import MediaStreamError

from tests.rtc.support import Collector, caption_state, wait_until
from tests.rtc.test_gateway import join, on_live_session
from tests.support.server import running
from tests.support.signaling import recv, send
from viduemu.config import Settings
from viduemu.rtc import reply as replies
from viduemu.rtc.listen import level_dbfs

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SPEECH_DBFS = -35.0      # a speaking frame (the voice peaks near -10 dBFS)
SILENCE_DBFS = -60.0     # a silent frame (Opus keeps digital silence near -inf)
WORDS_PER_SECOND = 2.5   # 150 words a minute (docs/decisions.md)
QUESTION = "What can I see in this museum?"


def settings(transcripts: bool) -> Settings:
    return Settings(clock="manual", seed=99, heartbeat_wall_slack=0.2, log_level="warning",
                    rtc_transcripts=transcripts)


class Ear:
    """Consumes the character's audio track, keeping (wall time, dBFS) of each decoded frame."""

    def __init__(self, track):
        self.heard: list[tuple[float, float]] = []
        self.task = asyncio.ensure_future(self._run(track))

    async def _run(self, track) -> None:
        try:
            while True:
                frame = await track.recv()
                self.heard.append((time.monotonic(), level_dbfs(frame)))
        except MediaStreamError:
            pass

    def loud(self, after: float = 0.0) -> list[float]:
        return [t for t, level in self.heard if level > SPEECH_DBFS and t > after]

    def silent_since(self, since: float) -> bool:
        after = [level for t, level in self.heard if t > since]
        return bool(after) and all(level < SILENCE_DBFS for level in after)


async def call(srv, call_mode: str = "audio"):
    """An on_live session, its signaling socket, and a viewer joined to its channel with an ``Ear``."""
    created = await on_live_session(srv, call_mode)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("audio", direction="recvonly")
    if call_mode == "video":
        pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    answer = await join(srv, created["rtc"], pc)
    ear = Ear(answer["tracks"]["audio"])
    video = Collector(answer["tracks"]["video"]) if "video" in answer["tracks"] else None   # decoded frames
    assert await wait_until(lambda: len(ear.heard) >= 25, 8.0), "no audio reached the viewer"
    return created, pc, ear, video


async def hang_up(ws, pc, ear, video) -> None:
    ear.task.cancel()
    if video is not None:
        video.task.cancel()
    await pc.close()
    await ws.close()


async def text(ws, live_id: str, content: str = QUESTION, seq_id: int = 2) -> None:
    await send(ws, 99, {"text_msg": {"msg_id": f"client-msg-{seq_id}", "content": content,
                                     "timestamp": int(time.time() * 1000)}}, seq_id, live_id)


# -- over RTC ----------------------------------------------------------------------------------------
async def test_a_text_msg_turns_the_characters_silence_into_speech_and_a_type_10_transcript(contracts):
    async with running(settings(transcripts=True), contracts) as srv:
        created, pc, ear, video = await call(srv)
        live_id, ws = created["live"]["id"], created["ws"]
        try:
            await asyncio.sleep(0.5)
            sent_at = time.monotonic()
            assert ear.silent_since(sent_at - 0.5), "the character spoke before it was asked"
            await text(ws, live_id)
            said = await recv(ws, 5)
            assert said["type"] == 10, said
            content = said["payload"]["character_transcript"]["content"]
            assert "museum" in content and 10 <= len(content.split()) <= 20
            assert await wait_until(lambda: bool(ear.loud(sent_at)), 2.0), "the answer was never heard"
            assert ear.loud(sent_at)[0] - sent_at < 1.0
            with pytest.raises(asyncio.TimeoutError):   # no type 9: the user typed, nothing was transcribed
                await recv(ws, 0.5)
        finally:
            await hang_up(ws, pc, ear, video)


async def test_no_transcript_arrives_when_transcripts_are_off_but_the_character_still_speaks(contracts):
    async with running(settings(transcripts=False), contracts) as srv:
        created, pc, ear, video = await call(srv)
        live_id, ws = created["live"]["id"], created["ws"]
        try:
            sent_at = time.monotonic()
            await text(ws, live_id)
            assert await wait_until(lambda: bool(ear.loud(sent_at)), 2.0), "the answer was never heard"
            with pytest.raises(asyncio.TimeoutError):
                await recv(ws, 1.0)
        finally:
            await hang_up(ws, pc, ear, video)


async def test_audio_interrupted_returns_a_text_answer_to_silence_at_once(contracts):
    async with running(settings(transcripts=True), contracts) as srv:
        created, pc, ear, video = await call(srv)
        live_id, ws = created["live"]["id"], created["ws"]
        try:
            await text(ws, live_id)
            said = (await recv(ws, 5))["payload"]["character_transcript"]["content"]
            length = len(said.split()) / WORDS_PER_SECOND   # at least 4 s
            assert await wait_until(lambda: bool(ear.loud()), 2.0), "the answer was never heard"
            await asyncio.sleep(0.5)
            await send(ws, 7, {}, 3, live_id)
            cut_at = time.monotonic()
            character = srv.emu.rtc.gateway.characters[live_id]
            assert await wait_until(lambda: character.state == "listening", 0.5), "audio_interrupted was ignored"
            await asyncio.sleep(1.5)
            assert cut_at + 1.5 < ear.loud()[0] + length           # the answer had time left ...
            assert ear.silent_since(cut_at + 0.5), "the character still speaks after audio_interrupted"
        finally:
            await hang_up(ws, pc, ear, video)


@pytest.mark.slow  # an answer of 4..8 s heard to its end
async def test_the_answer_lasts_as_long_as_its_words_take_to_say(contracts):
    async with running(settings(transcripts=True), contracts) as srv:
        created, pc, ear, video = await call(srv)
        live_id, ws = created["live"]["id"], created["ws"]
        try:
            sent_at = time.monotonic()
            await text(ws, live_id)
            said = (await recv(ws, 5))["payload"]["character_transcript"]["content"]
            length = len(said.split()) / WORDS_PER_SECOND
            character = srv.emu.rtc.gateway.characters[live_id]
            assert await wait_until(lambda: character.state == "listening", length + 1.0)
            spoken = time.monotonic() - sent_at
            assert length - 0.3 < spoken < length + 0.5
            await asyncio.sleep(sent_at + length + 1.2 - time.monotonic())
            loud = ear.loud(sent_at)
            assert loud and loud[-1] - sent_at < length + 0.6    # silence after the last word
            assert ear.silent_since(sent_at + length + 0.6)
        finally:
            await hang_up(ws, pc, ear, video)


async def test_in_video_mode_the_character_speaks_with_its_mouth_moving(contracts):
    """The viewer's decoded video shows the speaking look (its caption turns red) once the text is sent."""
    async with running(settings(transcripts=False), contracts) as srv:
        created, pc, ear, video = await call(srv, "video")
        live_id, ws = created["live"]["id"], created["ws"]
        try:
            character = srv.emu.rtc.gateway.characters[live_id]
            assert video is not None and await video.wait_for(10, 5.0), "no video reached the viewer"
            sent_at = time.monotonic()
            await text(ws, live_id)
            assert await wait_until(lambda: bool(ear.loud(sent_at)), 2.0)
            await asyncio.sleep(1.0)
            states = [(t, caption_state(f, character.look.caption_box)) for t, f in video.frames]
            assert "listening" in [s for t, s in states if t < sent_at], states
            assert [s for t, s in states if t > sent_at + 0.6].count("speaking") >= 5, states
        finally:
            await hang_up(ws, pc, ear, video)


async def test_a_text_msg_from_a_socket_that_never_sent_conn_init_is_not_answered(contracts):
    async with running(settings(transcripts=True), contracts) as srv:
        created, pc, ear, video = await call(srv)
        live_id, ws = created["live"]["id"], created["ws"]
        try:
            character = srv.emu.rtc.gateway.characters[live_id]
            async with srv.connect(live_id) as stranger:
                await text(stranger, live_id, seq_id=1)
                await asyncio.sleep(0.5)
            assert character.state == "listening" and character.answers == 0
        finally:
            await hang_up(ws, pc, ear, video)


# -- without RTC: the reply itself ----------------------------------------------------------------------
async def test_with_nobody_in_the_channel_a_text_msg_is_taken_and_nothing_is_said(contracts):
    async with running(settings(transcripts=True), contracts) as srv:
        created = await on_live_session(srv, "audio")
        live_id, ws = created["live"]["id"], created["ws"]
        try:
            await text(ws, live_id)
            with pytest.raises(asyncio.TimeoutError):
                await recv(ws, 0.5)
            journal = (await srv.http.get(f"/_emulator/ws?live_id={live_id}")).json()["messages"]
            assert [e["message"]["type"] for e in journal if e["dir"] == "in"][-1] == 99
        finally:
            await ws.close()


def test_the_reply_is_about_the_message_s_longest_word_and_10_to_20_words():
    for n in range(50):
        said = replies.reply(random.Random(n), QUESTION)
        assert "museum" in said.lower() and 10 <= len(said.split()) <= 20


def test_the_reply_is_the_same_under_the_same_seed():
    assert replies.reply(random.Random("s"), "hi") == replies.reply(random.Random("s"), "hi")


def test_a_message_without_words_gets_a_reply_about_that():
    assert "that" in replies.reply(random.Random(1), "?! 123")


@pytest.mark.parametrize("words", [10, 15, 20])
def test_an_answer_is_said_at_150_words_a_minute(words):
    assert replies.seconds(" ".join(["word"] * words)) == pytest.approx(words / WORDS_PER_SECOND)


def test_the_reply_is_in_the_language_of_the_message_faker_s_words():
    said = replies.reply(random.Random(3), "博物馆几点开门？")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in said.split(":", 1)[1])
    assert replies.seconds(said) >= sum("\u4e00" <= ch <= "\u9fff" for ch in said) / 4   # 4 characters a second

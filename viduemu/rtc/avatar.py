"""The character of a live session: its video and audio tracks, and its ears.

One ``Character`` per session (the gateway makes it on the first join); every viewer gets new
tracks that replay the character's shared, pre-rendered media (rtc/look.py, vidu/voice.py), paced by
the wall clock whatever the emulator's clock does. Media flows only between ``start()`` (the
session went on_live) and ``stop()`` (hangup or end: every track ends).

The character listens to the viewers' microphones (``hear``; rtc/listen.py). When the user stops
talking (about 600 ms of silence) it answers: state ``speaking``, the mouth moving with a
syllable-rhythm voice, for as long as the user spoke (clamped to 1..8 s), then ``listening``
again. A ``text_msg`` on the signaling socket gets a spoken answer too (``reply``: a seeded reply,
as long as it takes to say). A user who talks over the answer (``BARGE_IN_SECONDS`` of voice)
interrupts it; so does the client's ``audio_interrupted`` message on the signaling socket (the
gateway calls ``interrupt``).

Video comes in two forms: decoded frames (aiortc encodes them, one encoder per viewer) or, with
``video_track(codec)``, pre-encoded packets of that codec shared by every viewer (aiortc only
packetizes them). The codec must be the one the peer connection negotiated:
``negotiated_codec(transceiver)`` tells it, after ``setRemoteDescription``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import threading
import time
from collections import OrderedDict
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from viduemu.rtc import look as looks
from viduemu.rtc import reply as replies
from viduemu.rtc.listen import Ears, level_dbfs
from viduemu.vidu import fake
from viduemu.vidu import voice as voices
from viduemu.vidu.inputs import thumbnail
from viduemu.vidu.lives import DEFAULT_VOICE

if TYPE_CHECKING:
    from aiortc import RTCRtpTransceiver

    from viduemu.rtc.models import Session

log = logging.getLogger("viduemu.rtc")

ANSWER_MIN, ANSWER_MAX = 1.0, 8.0    # seconds an answer lasts: as long as the user spoke, clamped
BARGE_IN_SECONDS = 0.3               # the user's voice during an answer that interrupts it
MAX_LAG = 0.5                        # a track this far behind the wall clock skips ahead
VIDEO_TIME_BASE = Fraction(1, 90000)
AUDIO_TIME_BASE = Fraction(1, voices.SAMPLE_RATE)
SILENCE = bytes(2 * voices.CHUNK_SAMPLES)
_CACHE_SIZE = 8
_Media = tuple[looks.Look | None, list[bytes], voices.Rhythm]   # (look, speech chunks, rhythm)
_cache: OrderedDict[tuple[Any, ...], _Media] = OrderedDict()   # per avatar and format
_cache_lock = threading.Lock()


def negotiated_codec(transceiver: RTCRtpTransceiver) -> str | None:
    """"VP8" or "H264" when a video transceiver's negotiated send codec can take pre-encoded packets,
    else None (use decoded frames). Call it after ``setRemoteDescription``: aiortc sends with the
    first codec it negotiated (``transceiver._codecs[0]``, as RTCRtpSender.send does)."""
    codecs = getattr(transceiver, "_codecs", None) or []
    try:
        return looks.codec_name(codecs[0].mimeType) if codecs else None
    except ValueError:
        return None


def _media(image: bytes | None, name: str, voice: str, width: int, height: int, fps: int, seed: int | str,
           video: bool) -> _Media:
    """The pre-rendered look (None in audio mode) and speech of an avatar, shared through a small cache."""
    key = (hashlib.sha256(image).hexdigest() if image else None, name, voice, width, height, fps, str(seed), video)
    with _cache_lock:  # characters are built in worker threads (the gateway keeps the loop free)
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    segment = max(1, round(fps / 3))
    loop_seconds = segment * -(-round(looks.LOOP_SECONDS * fps) // segment) / fps
    rhythm = voices.speaking(voice, seed, loop_seconds)
    look = None
    if video:
        look = looks.Look(looks.decode_image(image, width, height), name, rhythm, width=width, height=height,
                          fps=fps, seed=seed)
    media: _Media = (look, voices.chunks(rhythm.pcm()), rhythm)
    with _cache_lock:
        _cache[key] = media
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return media


class Character:
    """The character of one live session (see the module docstring)."""

    def __init__(self, live: Session, *, width: int = 320, height: int = 240, fps: int = 15,
                 seed: int | None = None,
                 transcripts: bool = False, image_bytes: bytes | None = None):
        """``live``: the session (its id, call mode and avatar: name, voice, image_uri); ``image_bytes``:
        the avatar's picture (else the image_uri's, when a data URI)."""
        avatar = live.avatar or {}
        self.live_id = str(live.id)
        self.video = live.call_mode == "video"
        self.voice = avatar.get("voice") or DEFAULT_VOICE
        self.name = avatar.get("name") or ""
        self.locale = fake.locale_of(avatar.get("persona") or "")   # the session's language, for its transcripts
        self.seed: int | str = seed if seed is not None else f"live:{self.live_id}"
        self.transcripts = transcripts
        self.on_transcript: Callable[[str, str], None] | None = None
        self.width, self.height, self.fps = width, height, fps
        image = image_bytes or thumbnail(avatar.get("image_uri"))  # a data URI the session kept
        self.look, self._speech, self.rhythm = _media(image, self.name or self.voice, self.voice, width, height,
                                                      fps, self.seed, self.video)
        self.state = "listening"
        self.started = self.stopped = False
        self.answers = 0
        self._go = asyncio.Event()              # set by start() or stop()
        self._tracks: set[_Track] = set()
        self._hearing: set[asyncio.Task[None]] = set()
        self._ears = Ears(self._voice_heard, self._utterance_over)
        self._speech_started = 0.0              # wall time the current answer began
        self._speech_timer: asyncio.TimerHandle | None = None
        self._encoded: dict[str, asyncio.Future[dict[str, list[list[bytes]]]]] = {}
        self._rng = random.Random(f"answers:{self.seed}")

    # -- tracks ----------------------------------------------------------------------------
    def video_track(self, codec: str | None = None) -> MediaStreamTrack | None:
        """A new video track for one viewer (None in audio mode): decoded frames, or pre-encoded
        packets of ``codec`` ("VP8"/"H264", e.g. from ``negotiated_codec``)."""
        if not self.video:
            return None
        codec = looks.codec_name(codec)
        if codec is not None and not self.stopped:
            self._encoding(codec)  # start now, while ICE connects
        return self._add(VideoTrack(self, codec))

    def audio_track(self) -> MediaStreamTrack:
        """A new audio track for one viewer: 48 kHz s16 mono frames of 20 ms."""
        return self._add(AudioTrack(self))

    def _add(self, track: "_Track") -> "_Track":
        if self.stopped:  # a track of a stopped character is born ended
            track.stop()
        else:
            self._tracks.add(track)
        return track

    def _encoding(self, codec: str) -> asyncio.Future[dict[str, list[list[bytes]]]]:
        """The pre-encoded segments of ``codec``, encoded once (in a thread) and shared."""
        if codec not in self._encoded:
            self._encoded[codec] = asyncio.ensure_future(asyncio.to_thread(self._look.packets, codec))
        return self._encoded[codec]

    @property
    def _look(self) -> looks.Look:
        """The pre-rendered look: video mode only, where the video tracks that ask for it exist."""
        if self.look is None:
            raise RuntimeError(f"live session {self.live_id} is in audio mode: its character has no look")
        return self.look

    # -- ears --------------------------------------------------------------------------------
    def hear(self, track: MediaStreamTrack) -> None:
        """Consume one viewer's inbound track until it ends: audio feeds the ears (while on_live),
        video is dropped (aiortc queues every decoded frame until someone reads it)."""
        task = asyncio.ensure_future(self._consume(track))
        self._hearing.add(task)
        task.add_done_callback(self._hearing.discard)

    async def _consume(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if isinstance(frame, av.AudioFrame) and self.started and not self.stopped:
                    self._ears.feed(level_dbfs(frame), frame.samples / frame.sample_rate)
        except MediaStreamError:
            pass
        except Exception:  # a bug of ours: say so, and stop hearing this track
            log.exception("hearing a track of live session %s failed", self.live_id)

    def _voice_heard(self, voiced: float) -> None:
        if self.state == "speaking" and voiced >= BARGE_IN_SECONDS:
            self.interrupt()

    def _utterance_over(self, heard: float) -> None:
        if not self.started or self.stopped:
            return
        self._transcript("user", replies.words(self._rng, self.locale, max(1, round(heard * replies.WORDS_PER_SECOND))))
        self._answer(min(ANSWER_MAX, max(ANSWER_MIN, heard)))

    def reply(self, content: str) -> None:
        """A text_msg's answer: a short seeded reply (rtc/reply.py), spoken for as long as it takes
        to say, its words as the character's transcript. Only while on_live."""
        if not self.started or self.stopped:
            return
        said = replies.reply(self._rng, content, fake.locale_of(content) if content.strip() else self.locale)
        self._answer(replies.seconds(said), said)

    def _answer(self, seconds: float, said: str | None = None) -> None:
        self.interrupt()
        self.answers += 1
        self.state = "speaking"
        self._speech_started = time.monotonic()
        self._speech_timer = asyncio.get_running_loop().call_later(seconds, self.interrupt)
        self._transcript("character", said or replies.words(self._rng, self.locale,
                                                            max(1, round(seconds * replies.WORDS_PER_SECOND))))

    def interrupt(self) -> None:
        """End the current answer now (a barge-in; also what a client's audio_interrupted means)."""
        if self._speech_timer is not None:
            self._speech_timer.cancel()
            self._speech_timer = None
        self.state = "listening"

    def _transcript(self, who: str, text: str) -> None:
        if self.transcripts and self.on_transcript is not None:
            try:
                self.on_transcript(who, text)
            except Exception:
                log.exception("on_transcript failed on live session %s", self.live_id)

    # -- life ------------------------------------------------------------------------------
    def start(self) -> None:
        """The session went on_live: media begins to flow on every track, present and future."""
        if not self.stopped:
            self.started = True
            self._go.set()

    def stop(self) -> None:
        """Hangup or end: every track ends (``recv`` raises MediaStreamError), the ears close."""
        if self.stopped:
            return
        self.stopped = True
        self._go.set()
        self.interrupt()
        self._ears.close()
        for track in list(self._tracks):
            track.stop()

    # -- what a track at wall time ``at`` shows and says --------------------------------------------
    def _speaking_offset(self, at: float) -> float | None:
        """Seconds into the current answer at ``at``, or None when not speaking then."""
        if self.state != "speaking" or at < self._speech_started:
            return None
        return at - self._speech_started

    def _audio_chunk(self, at: float) -> bytes:
        offset = self._speaking_offset(at)
        if offset is None:
            return SILENCE
        return self._speech[int(offset / voices.CHUNK_SECONDS) % len(self._speech)]


class _Track(MediaStreamTrack):
    """Wall-clock pacing: frame ``n`` is due ``n * period`` after the track's first frame; a track
    that falls more than ``MAX_LAG`` behind skips ahead instead of bursting."""

    def __init__(self, character: Character, period: float):
        super().__init__()
        self.character, self.period = character, period
        self._t0: float | None = None
        self._n = -1

    async def _next(self) -> tuple[int, float, bool]:
        """(frame number, its due wall time, whether frames were skipped before it)."""
        character = self.character
        if not character.started:
            await character._go.wait()
        self._check()
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
            n = 0
        else:
            n = self._n + 1
            due = self._t0 + n * self.period
            if due > now:
                await asyncio.sleep(due - now)
                self._check()
            elif now - due > MAX_LAG:
                n = int((now - self._t0) / self.period)
        skipped = n != self._n + 1
        self._n = n
        return n, self._t0 + n * self.period, skipped

    def _check(self) -> None:
        if self.character.stopped or self.readyState != "live":
            self.stop()
            raise MediaStreamError

    def stop(self) -> None:
        super().stop()
        self.character._tracks.discard(self)


class VideoTrack(_Track):
    kind = "video"

    def __init__(self, character: Character, codec: str | None):
        super().__init__(character, 1 / character.fps)
        self.codec = codec
        self._segment: list[bytes] = []
        self._pos = 0

    async def recv(self) -> av.Packet[Any] | av.VideoFrame:
        character = self.character
        if self.codec is not None:
            try:  # before pacing starts: the first frame waits for the (one-off) encoding
                encoded = await character._encoding(self.codec)
            except Exception:  # an encoder PyAV lacks, say: this viewer gets frames instead
                log.exception("pre-encoding %s failed on live session %s", self.codec, character.live_id)
                self.codec = None
        n, at, skipped = await self._next()
        offset = character._speaking_offset(at)
        state = "listening" if offset is None else "speaking"
        pts = round(n * 90000 / character.fps)
        if self.codec is None:
            return self._frame(n, pts, state, offset)
        segments = encoded[state]
        if skipped or self._pos >= len(self._segment):
            # a new segment (each starts with a keyframe): where the loop is now for this viewer
            segment = character._look.segment
            index = n // segment if offset is None else round(offset * character.fps / segment)
            self._segment, self._pos = segments[index % len(segments)], 0
        packet = av.Packet(self._segment[self._pos])
        self._pos += 1
        packet.pts, packet.time_base = pts, VIDEO_TIME_BASE
        return packet

    def _frame(self, n: int, pts: int, state: str, offset: float | None) -> av.VideoFrame:
        index = n if offset is None else int(offset * self.character.fps)
        frame = self.character._look.frame(state, index)
        frame.pts, frame.time_base = pts, VIDEO_TIME_BASE
        return frame


class AudioTrack(_Track):
    kind = "audio"

    def __init__(self, character: Character):
        super().__init__(character, voices.CHUNK_SECONDS)

    async def recv(self) -> av.AudioFrame:
        n, at, _ = await self._next()
        frame = av.AudioFrame(format="s16", layout="mono", samples=voices.CHUNK_SAMPLES)
        frame.planes[0].update(self.character._audio_chunk(at))
        frame.sample_rate = voices.SAMPLE_RATE
        frame.pts, frame.time_base = n * voices.CHUNK_SAMPLES, AUDIO_TIME_BASE
        return frame

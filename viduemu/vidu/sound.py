"""The audio of a rendered clip (``Sound``): 48 kHz s16 mono PCM, streamed in pieces.

"speech" is the live character's syllable voice (vidu/voice.py) at the sound's pitch; "music" a
seeded loop (vidu/music.py), repeated; "file" a kept input file (a blob) decoded by PyAV from
``offset``; "events" seeded tones and noise bursts exactly in the sound's windows, silence elsewhere
(timing2audio). Every track is exactly as long as asked: cut, or padded with silence. A blob that is
missing or unreadable is silence (and a warning): a download never fails for its sound.
"""

from __future__ import annotations

import itertools
import logging
import math
import random
import struct
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import av

from viduemu.vidu import music, voice
from viduemu.vidu.media import Sound

log = logging.getLogger(__name__)

SAMPLE_RATE = 48000
PIECE = 4800 * 2    # bytes handed on at a time (0.1 s): the muxer interleaves at this grain


def pcm(sound: Sound, seconds: float, blobs: Path) -> Iterator[bytes]:
    """Exactly ``round(seconds * SAMPLE_RATE)`` samples of s16 mono, in pieces of at most ``PIECE`` bytes."""
    wanted = 2 * round(seconds * SAMPLE_RATE)
    for data in TRACKS[sound.kind](sound, seconds, blobs):
        for at in range(0, len(data), PIECE):
            piece = data[at:at + min(PIECE, wanted)]   # never past the end of the track
            wanted -= len(piece)
            if piece:
                yield piece
            if not wanted:
                return
    while wanted:
        yield bytes(min(PIECE, wanted))
        wanted -= min(PIECE, wanted)


def _speech(sound: Sound, seconds: float, blobs: Path) -> Iterable[bytes]:
    """The voice for ``seconds``; with ``events``, only inside those windows (a text's ``<#x#>`` pauses silent)."""
    data = voice.Rhythm(sound.pitch, f"video:{sound.seed}", seconds).pcm()
    return [_only_within(data, sound.events)] if sound.events else [data]


def _only_within(data: bytes, windows) -> bytes:
    kept = bytearray(len(data))
    for start, end in windows:
        first, last = 2 * round(start * SAMPLE_RATE), 2 * round(end * SAMPLE_RATE)
        kept[first:last] = data[first:last]
    return bytes(kept[:len(data)])


def _music(sound: Sound, seconds: float, blobs: Path) -> Iterator[bytes]:
    one = music.loop(sound.seed)
    for _ in range(int(2 * seconds * SAMPLE_RATE // len(one)) + 1):
        yield one


def _file(sound: Sound, seconds: float, blobs: Path) -> Iterator[bytes]:
    skip = 2 * round(sound.offset * SAMPLE_RATE)
    try:
        for data in decoded(blobs / sound.blob):
            if skip >= len(data):
                skip -= len(data)
                continue
            yield data[skip:]
            skip = 0
    except (OSError, av.FFmpegError, IndexError, ValueError) as err:   # IndexError: no audio stream
        log.warning("sound file %s unreadable, silence instead: %s", sound.blob, err)


EVENT_LEVEL = 0.3   # peak of one event (overlapping events add up, clipped)


def _events(sound: Sound, seconds: float, blobs: Path) -> Iterable[bytes]:
    total = round(seconds * SAMPLE_RATE)
    mix = [0.0] * total
    for index, (start, end) in enumerate(sound.events):
        rng = random.Random(f"{sound.seed}:{index}")
        hz, noise, wobble = rng.uniform(220, 1200), rng.uniform(0.1, 0.5), rng.uniform(2, 9)
        first, last = round(start * SAMPLE_RATE), min(total, round(end * SAMPLE_RATE))
        for n in range(first, last):
            t = (n - first) / SAMPLE_RATE
            tone = math.sin(2 * math.pi * hz * t) * (0.6 + 0.4 * math.sin(2 * math.pi * wobble * t))
            mix[n] += EVENT_LEVEL * ((1 - noise) * tone + noise * rng.uniform(-1, 1))
    return [struct.pack(f"<{total}h", *(max(-32767, min(32767, round(v * 32767))) for v in mix))]


def decoded(path: Path) -> Iterator[bytes]:
    """The first audio stream of any file PyAV reads, as 48 kHz s16 mono, from its start."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        for frame in itertools.chain(container.decode(stream), [None]):   # None: flush the resampler
            for out in resampler.resample(frame):
                yield bytes(out.planes[0])[:2 * out.samples]


TRACKS: dict[str, Callable[[Sound, float, Path], Iterable[bytes]]] = {
    "speech": _speech, "music": _music, "file": _file, "events": _events}

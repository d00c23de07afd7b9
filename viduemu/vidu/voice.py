"""A voice: a syllable rhythm (shared with a character's mouth) and the speech-like audio it makes.

Shared by the live character (rtc/avatar.py, rtc/look.py) and the sound track of rendered videos
(vidu/sound.py, a ``Sound("speech", seed, pitch)``).

Nothing here is speech synthesis: a "syllable" is a short buzz (a fundamental and a few harmonics)
at the voice's pitch, shaped by a rise-and-fall envelope, with short gaps between syllables and
longer ones between "words". The plan of one loop (``LOOP_SECONDS``) is drawn once per voice and
seed; an answer longer than the loop repeats it. The same plan opens the mouth in the video
(``Rhythm.openness``), so lips and sound move together.
"""

from __future__ import annotations

import math
import random
import zlib
from array import array
from dataclasses import dataclass

SAMPLE_RATE = 48000
CHUNK_SECONDS = 0.02                          # aiortc's Opus encoder takes 20 ms frames
CHUNK_SAMPLES = int(SAMPLE_RATE * CHUNK_SECONDS)  # 960
PEAK = 0.3 * 32767                            # about -10 dBFS at the loudest point of a syllable
LOW_HZ, HIGH_HZ = 95.0, 255.0                 # the range voice pitches are drawn from
_TABLE_SIZE = 2048
# one cycle of the buzz: a fundamental and three harmonics, loosely vowel-like
_TABLE = [sum(w * math.sin(2 * math.pi * k * i / _TABLE_SIZE) for k, w in ((1, 1.0), (2, 0.55), (3, 0.3), (4, 0.15)))
          for i in range(_TABLE_SIZE)]
_NORM = 1.0 / max(abs(v) for v in _TABLE)


def pitch(voice: str) -> float:
    """The fundamental (Hz) of a voice: a stable function of its name, between 95 and 255 Hz."""
    h = zlib.crc32(voice.encode("utf-8")) / 0xFFFFFFFF
    return round(LOW_HZ + (HIGH_HZ - LOW_HZ) * h, 2)


@dataclass(frozen=True)
class Syllable:
    start: float
    end: float
    hz: float


def speaking(voice: str, seed: int | str | None, seconds: float) -> Rhythm:
    """The rhythm of a named voice (its ``pitch``), deterministic under ``seed``."""
    return Rhythm(pitch(voice), f"{seed}:{voice}", seconds)


class Rhythm:
    """The syllable plan of one loop of ``seconds`` at ``hz``, deterministic under ``key``."""

    def __init__(self, hz: float, key: str, seconds: float):
        self.seconds = seconds
        self.hz = hz
        rng = random.Random(f"rhythm:{key}")
        syllables, t, left_in_word = [], 0.04, rng.randint(2, 5)
        while True:
            length = rng.uniform(0.13, 0.26)
            if t + length > seconds - 0.04:
                break
            # a gentle fall over each "sentence" of the loop, and a little variation per syllable
            hz = self.hz * (1.08 - 0.12 * t / seconds) * rng.uniform(0.93, 1.07)
            syllables.append(Syllable(t, t + length, hz))
            left_in_word -= 1
            if left_in_word == 0:
                t += length + rng.uniform(0.12, 0.3)
                left_in_word = rng.randint(2, 5)
            else:
                t += length + rng.uniform(0.015, 0.05)
        self.syllables = tuple(syllables)

    def envelope(self, t: float) -> float:
        """Loudness (0..1) at ``t`` seconds into the loop."""
        t %= self.seconds
        for s in self.syllables:
            if s.start <= t < s.end:
                level: float = math.sin(math.pi * (t - s.start) / (s.end - s.start)) ** 0.6  # sin >= 0 here
                return level
            if s.start > t:
                break
        return 0.0

    def openness(self, t0: float, t1: float) -> float:
        """How far the mouth is open over [t0, t1): the mean loudness of a few points in it."""
        return sum(self.envelope(t0 + (t1 - t0) * (k + 0.5) / 4) for k in range(4)) / 4

    def pcm(self) -> bytes:
        """The loop's audio: 48 kHz s16 mono, a whole number of 20 ms chunks."""
        chunks = max(1, round(self.seconds / CHUNK_SECONDS))
        samples = array("h", bytes(2 * chunks * CHUNK_SAMPLES))
        for s in self.syllables:
            first, last = round(s.start * SAMPLE_RATE), min(len(samples), round(s.end * SAMPLE_RATE))
            n = last - first
            step = s.hz * _TABLE_SIZE / SAMPLE_RATE
            scale = PEAK * _NORM
            samples[first:last] = array("h", (
                int(scale * math.sin(math.pi * i / n) ** 0.6 * _TABLE[int(i * step) % _TABLE_SIZE])
                for i in range(n)))
        return samples.tobytes()


def chunks(pcm: bytes) -> list[bytes]:
    """Split s16 mono PCM into 20 ms chunks."""
    size = 2 * CHUNK_SAMPLES
    return [pcm[i:i + size] for i in range(0, len(pcm), size)]

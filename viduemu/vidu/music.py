"""A seeded musical loop for ``Sound("music")``: four bars of a chord progression, a bass line, a
simple melody and a soft beat. Sine and triangle tones with envelopes, no samples: the same seed
gives the same loop, another seed another key, tempo, progression and tune.
"""

from __future__ import annotations

import functools
import math
import random
from array import array

SAMPLE_RATE = 48000
PEAK = 0.3 * 32767                      # about -10 dBFS at the loudest, as the speech
MAJOR = (0, 2, 4, 5, 7, 9, 11)          # semitones of the scale's degrees
PROGRESSIONS = ((0, 4, 5, 3), (5, 3, 0, 4), (0, 5, 3, 4), (0, 3, 4, 3), (3, 4, 2, 5))  # I-V-vi-IV and kin
BARS, BEATS = 4, 4
# (part, level): how loud each part sits in the mix
LEVELS = {"pad": 0.10, "bass": 0.22, "melody": 0.26, "kick": 0.35, "hat": 0.04}


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _triangle(phase: float) -> float:
    x = phase % 1.0
    return 4 * x - 1 if x < 0.5 else 3 - 4 * x


def _add(mix: list[float], start: float, seconds: float, level: float, tone) -> None:
    """Mix ``tone(t, i_of_n)`` (a sample at t seconds into the note) into ``mix`` from ``start`` on."""
    first = round(start * SAMPLE_RATE)
    n = min(round(seconds * SAMPLE_RATE), len(mix) - first)
    for i in range(n):
        mix[first + i] += level * tone(i / SAMPLE_RATE, i / n)


def _pad(hz: float, seconds: float):
    def tone(t: float, x: float) -> float:
        envelope = min(1.0, x * 8, (1 - x) * 4)   # slow swell in and out
        return envelope * math.sin(2 * math.pi * hz * t)
    return tone


def _pluck(hz: float, decay: float, wave=_triangle):
    def tone(t: float, x: float) -> float:
        return min(1.0, t * 200) * math.exp(-t * decay) * min(1.0, (1 - x) * 20) * wave(hz * t)
    return tone


def _kick(t: float, x: float) -> float:
    return math.exp(-t * 18) * math.sin(2 * math.pi * (50 * t + 70 * (1 - math.exp(-t * 30)) / 30))


def _hat(rng: random.Random):
    noise = [rng.uniform(-1, 1) for _ in range(SAMPLE_RATE // 20)]
    return lambda t, x: math.exp(-t * 90) * noise[int(t * SAMPLE_RATE) % len(noise)]


@functools.lru_cache(maxsize=8)
def loop(seed: int) -> bytes:
    """One loop: 48 kHz s16 mono, four bars at a seeded tempo (about 8.5 to 11.5 s)."""
    rng = random.Random(f"music:{seed}")
    root = 48 + rng.randrange(0, 8)            # C3..G3
    beat = 60 / rng.uniform(84, 112)
    progression = rng.choice(PROGRESSIONS)
    mix = [0.0] * round(BARS * BEATS * beat * SAMPLE_RATE)
    hat = _hat(rng)
    previous = 4                                # the melody's last scale step (counted from the root)
    for bar, degree in enumerate(progression):
        start = bar * BEATS * beat
        chord = [degree + k for k in (0, 2, 4)]    # a triad of scale steps
        for step in chord:
            _add(mix, start, BEATS * beat, LEVELS["pad"], _pad(_hz(root + 12 + _semitones(step)), BEATS * beat))
        for b in (0, 2):
            _add(mix, start + b * beat, 1.8 * beat, LEVELS["bass"], _pluck(_hz(root - 12 + _semitones(degree)), 3.0))
        for b in range(BEATS):
            if b % 2 == 0:
                _add(mix, start + b * beat, 0.4, LEVELS["kick"], _kick)
            _add(mix, start + (b + 0.5) * beat, 0.08, LEVELS["hat"], hat)
        for half in range(2 * BEATS):   # eighth notes, some of them rests
            if rng.random() < 0.3:
                continue
            goal = previous + rng.choice((-2, -1, 1, 2))    # a step or two from the last note
            previous = min((s + 7 * o for s in chord for o in (0, 1)), key=lambda s: (abs(s - goal), s))
            _add(mix, start + half * beat / 2, beat, LEVELS["melody"],
                 _pluck(_hz(root + 24 + _semitones(previous)), 6.0, lambda p: math.sin(2 * math.pi * p)))
    loudest = max(1e-9, max(abs(v) for v in mix))
    return array("h", (int(PEAK * v / loudest) for v in mix)).tobytes()


def _semitones(step: int) -> int:
    octave, degree = divmod(step, len(MAJOR))
    return 12 * octave + MAJOR[degree]

"""Hearing the user: an energy voice-activity detector over the viewer's microphone frames.

Each 20 ms frame's RMS level (dBFS, first channel) above ``VOICE_DBFS`` is voice. An utterance
begins at the first voiced frame and ends after ``SILENCE_SECONDS`` without one (a wall-clock
timer, so a microphone that stops sending altogether still ends it); utterances with less than
``MIN_VOICED_SECONDS`` of voice (a click, a cough) are ignored. Several microphones feed one
``Ears``: the character hears the room.
"""

from __future__ import annotations

import asyncio
import math
import operator
import time
from array import array
from typing import Callable

import av

VOICE_DBFS = -45.0
SILENCE_SECONDS = 0.6
MIN_VOICED_SECONDS = 0.2


def level_dbfs(frame: av.AudioFrame) -> float:
    """RMS level of an audio frame's first channel, in dBFS (-inf for silence); read as s16."""
    if frame.format.name not in ("s16", "s16p"):  # another decoder's samples (float, say): converted
        converted = av.AudioResampler(format="s16", layout=frame.layout.name, rate=frame.sample_rate).resample(frame)
        if not converted:
            return -math.inf
        frame = converted[0]
    channels = 1 if frame.format.is_planar else len(frame.layout.channels)
    samples = array("h")
    samples.frombytes(bytes(frame.planes[0])[: 2 * frame.samples * channels])
    samples = samples[::channels]
    if not samples:
        return -math.inf
    power = sum(map(operator.mul, samples, samples)) / len(samples)
    return 10 * math.log10(power / (32768.0 ** 2)) if power else -math.inf


class Ears:
    """Turns voiced/unvoiced frames into utterances: ``on_voice(voiced)`` at each voiced frame once
    the utterance has ``MIN_VOICED_SECONDS`` of voice, ``on_end(seconds)`` when it ends (``seconds``
    from its first voiced frame to the end of its last)."""

    def __init__(self, on_voice: Callable[[float], None], on_end: Callable[[float], None]):
        self.on_voice, self.on_end = on_voice, on_end
        self.started_at: float | None = None   # wall time of the current utterance's first voice
        self.last_voice = 0.0
        self.voiced = 0.0                      # seconds of voice in the current utterance
        self._timer: asyncio.TimerHandle | None = None

    def feed(self, dbfs: float, seconds: float) -> None:
        """One frame of ``seconds`` at level ``dbfs``, heard now."""
        if dbfs < VOICE_DBFS:
            return
        now = time.monotonic()
        if self.started_at is None:
            self.started_at, self.voiced = now, 0.0
        self.last_voice = now
        self.voiced += seconds
        if self.voiced >= MIN_VOICED_SECONDS:
            self.on_voice(self.voiced)
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(SILENCE_SECONDS, self._silent, seconds)

    def _silent(self, last_frame: float) -> None:
        self._timer = None
        started, voiced = self.started_at, self.voiced
        self.started_at = None
        if started is not None and voiced >= MIN_VOICED_SECONDS:
            self.on_end(self.last_voice - started + last_frame)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.started_at = None

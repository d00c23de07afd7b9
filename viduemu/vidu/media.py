"""Real, playable media for finished tasks: an H.264 MP4 and a JPEG cover, synthetic and deterministic; for
images and audio (issue 15) a PNG still (gradient and prompt) or an MP3 of the clip's sound (``MEDIA_TYPES``).

This module holds what a clip is (sizes, frame rate, the cache key); the drawing and encoding live
in ``vidu/render.py``, imported on the first render so that start-up does not load PyAV and Pillow.
The picture shows the prompt wrapped on a seed-coloured gradient, a ball moving along a seeded
path, a frame counter and a progress bar. Everything static (gradient, text, panels) is drawn once
with Pillow and converted to YUV once; each frame is that background plus a few rows of bytes
written straight into the planes, so 1080p renders at encoder speed. The same ``Clip`` gives the
same bytes: the drawing depends on nothing but the clip, and x264 runs with pinned options.

A clip may carry a ``Sound`` (an AAC track: speech, music or a kept input file, ``vidu/sound.py``) and
a ``Source`` (its frames taken from a kept input video). Kept inputs are *blobs*: files under the
media directory's ``blobs/`` named by their content key (``ent/outputs.Outputs.keep``); ``render`` is
handed that directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

FPS = 16                 # what the vendor's outputs report as video.fps (wire notes §1.5)
AUTO_DURATION = 5        # seconds picked for "duration": 0 (automatic, viduq2-pro); docs/decisions.md
RENDER_VERSION = 2       # bump when the picture or the encoder settings change (cache keys use it)

# "<N>p" names the short side; the long side follows the aspect ratio, rounded to an even number.
SHORT_SIDE = {"360p": 360, "540p": 540, "720p": 720, "1080p": 1080, "2K": 1440, "4K": 2160, "8K": 4320}
ASPECT_RATIOS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:3": (4, 3), "3:4": (3, 4)}


def _size(short: int, ratio: tuple[int, int]) -> tuple[int, int]:
    w, h = ratio
    long_side = 2 * round(short * max(w, h) / min(w, h) / 2)
    return (long_side, short) if w >= h else (short, long_side)


SIZES: dict[tuple[str, str], tuple[int, int]] = {
    (res, ar): _size(short, ratio) for res, short in SHORT_SIDE.items() for ar, ratio in ASPECT_RATIOS.items()}


def resolution_size(resolution: str, aspect_ratio: str) -> tuple[int, int]:
    """(width, height) in pixels of an output of this resolution and aspect ratio ("W:H").

    The listed ratios answer from ``SIZES``; any other "W:H" (the models that take any ratio within
    1:4..4:1) by the same rule: the short side is the resolution's, the long side follows the ratio,
    rounded to an even number (docs/decisions.md, "Output sizes"). KeyError for an unknown resolution,
    ValueError for a ratio that is not two positive integers."""
    known = SIZES.get((resolution, aspect_ratio))
    if known is not None:
        return known
    width, colon, height = aspect_ratio.partition(":")
    if not (colon and width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0):
        raise ValueError(f"aspect ratio {aspect_ratio!r} is not W:H")
    return _size(SHORT_SIDE[resolution], (int(width), int(height)))


# x264 pinned so the bytes never depend on the machine: its output changes with the thread count,
# so the count is fixed (one: drawing the frames in Python, not encoding, is the bottleneck).
X264_OPTIONS = {"preset": "ultrafast", "crf": "23", "threads": "1", "g": str(FPS * 2)}
# FFmpeg's native AAC encoder, 48 kHz mono (docs/decisions.md, "Sound"); one thread, as x264.
AAC_OPTIONS = {"b": "96k", "threads": "1"}
# audio outputs (text2audio, timing2audio, audio-tts, audio-clone): MP3, 48 kHz mono (docs/decisions.md)
MP3_OPTIONS = {"b": "128k"}


@dataclass(frozen=True)
class Sound:
    """A clip's audio track."""

    kind: str            # "speech" | "music" | "file"
    seed: int = 0
    pitch: float = 0.0   # "speech": the voice's fundamental in Hz (vidu/voice.pitch)
    blob: str = ""       # "file": the content key of a kept input file
    offset: float = 0.0  # "file": where in that file this clip's audio starts, seconds
    events: tuple = ()   # ((from, to), ...) seconds: sound exactly in these windows, silence elsewhere
                         # ("events": timing2audio's; "speech": a text's spoken parts between its pauses)


@dataclass(frozen=True)
class Source:
    """A kept input video a clip's frames come from."""

    blob: str            # its content key
    mode: str            # "scaled": its frames resized, for the clip's duration (the last one held);
                         # "prefix": its frames (resized) for ``seconds``, then the clip's own drawn frames
    seconds: float       # its duration
    clip: dict | None = None   # instead of a kept video (blob ""): a finished task's media, drawn again


@dataclass(frozen=True)
class Clip:
    """Everything a render depends on."""

    width: int
    height: int
    duration: float   # seconds (with a "prefix" source: the source's seconds included)
    fps: int
    prompt: str
    seed: int
    sound: Sound | None = None     # None: no audio stream at all
    source: Source | None = None

    @classmethod
    def from_media(cls, media: dict) -> Clip:
        """The clip of a stored ``asdict(clip)`` (a task's ``media``)."""
        sound, source = media.get("sound"), media.get("source")
        return cls(**{**media, "sound": Sound(**sound) if sound else None,
                      "source": Source(**source) if source else None})

    @property
    def frames(self) -> int:
        return max(1, round(self.duration * self.fps))

    def key(self) -> str:
        """A content key: same clip (and renderer version) -> same key -> same bytes."""
        raw = json.dumps({"v": RENDER_VERSION, **asdict(self)}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


# what a file of each suffix is; the renderer of each is ``RENDERERS`` (vidu/render.py)
MEDIA_TYPES = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".png": "image/png", ".mp3": "audio/mpeg"}


def render(clip: Clip, suffix: str, path: Path, blobs: Path) -> None:
    """Render atomically: a reader never sees a half-written file. ``blobs`` holds the kept inputs."""
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    os.close(fd)
    from viduemu.vidu import render as renderer

    try:
        renderer.RENDERERS[suffix](clip, partial, blobs)
        os.replace(partial, path)
    except BaseException:
        os.unlink(partial)
        raise

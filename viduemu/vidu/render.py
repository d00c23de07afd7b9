"""Drawing and encoding of a ``Clip`` (see vidu/media.py): PyAV + Pillow, loaded on first use."""

from __future__ import annotations

import colorsys
import logging
import math
import os
import random
import unicodedata
from collections.abc import Generator, Iterator
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont

from viduemu.vidu.media import AAC_OPTIONS, MP3_OPTIONS, X264_OPTIONS, Clip, Sound, Source
from viduemu.vidu.sound import SAMPLE_RATE
from viduemu.vidu.sound import pcm as sound_pcm

log = logging.getLogger(__name__)

# -- drawing ---------------------------------------------------------------

def _yuv(rgb: tuple[int, ...]) -> tuple[int, int, int]:
    """BT.601 limited range, as swscale converts the background."""
    r, g, b = (c / 255 for c in rgb)
    return (round(16 + 65.481 * r + 128.553 * g + 24.966 * b),
            round(128 - 37.797 * r - 74.203 * g + 112.0 * b),
            round(128 + 112.0 * r - 93.786 * g - 18.214 * b))


def _font(size: int) -> ImageFont.FreeTypeFont:
    # bundled with Pillow: the same glyphs on every machine (a FreeType font, which getmetrics needs)
    return ImageFont.load_default(size=size)  # type: ignore[return-value]


def _clean(prompt: str) -> str:
    text = "".join(c if unicodedata.category(c)[0] != "C" or c == "\n" else " " for c in prompt)
    return text.strip() or "(no prompt)"


def _wrap(text: str, font, max_width: float, max_lines: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if font.getlength(candidate) <= max_width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for char in word:  # a word wider than the line is broken anywhere
                if font.getlength(line + char) > max_width and line:
                    lines.append(line)
                    line = ""
                    if len(lines) > max_lines:
                        break
                line += char
            if len(lines) > max_lines:
                break
        lines.append(line)
        if len(lines) > max_lines:
            break
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(0, len(lines[-1]) - 1)] + "…"
    return lines


def _gradient(w: int, h: int, top: tuple, bottom: tuple) -> Image.Image:
    return Image.composite(Image.new("RGB", (w, h), bottom), Image.new("RGB", (w, h), top),
                           Image.linear_gradient("L").resize((w, h)))


def _draw_prompt(draw: ImageDraw.ImageDraw, prompt: str, font, box: tuple[int, int, int, int], s: int) -> None:
    """The prompt wrapped, shadowed and centred in ``box`` (left, top, right, bottom); ``s`` the short side."""
    left, top_y, right, bottom_y = box
    line_h = sum(font.getmetrics())
    max_lines = max(1, (bottom_y - top_y) // line_h)
    lines = _wrap(_clean(prompt), font, right - left, max_lines)
    y = top_y + (bottom_y - top_y - len(lines) * line_h) // 2
    for line in lines:
        x = left + (right - left - font.getlength(line)) / 2
        draw.text((x + max(1, s // 300), y + max(1, s // 300)), line, font=font, fill=(0, 0, 0))
        draw.text((x, y), line, font=font, fill=(255, 255, 255))
        y += line_h


def _colours(seed: int) -> tuple[random.Random, float, tuple, tuple]:
    """The seed's generator (what else is drawn draws from it next), its hue and the gradient's colours."""
    rng = random.Random(seed)
    hue = rng.random()
    top = tuple(round(255 * c) for c in colorsys.hsv_to_rgb(hue, 0.65, 0.55))
    bottom = tuple(round(255 * c) for c in colorsys.hsv_to_rgb((hue + 0.18) % 1, 0.75, 0.25))
    return rng, hue, top, bottom


class _Layout:
    """The static picture and the places where each frame draws."""

    def __init__(self, clip: Clip):
        w, h = clip.width, clip.height
        s = min(w, h)
        rng, hue, top, bottom = _colours(clip.seed)
        ball_rgb = tuple(round(255 * c) for c in colorsys.hsv_to_rgb((hue + 0.5) % 1, 0.8, 1.0))
        self.ball_yuv = _yuv(ball_rgb)
        self.bar_yuv = _yuv((255, 255, 255))
        # the ball's path: a Lissajous figure whose frequencies and phases come from the seed
        self.freq = (0.11 + 0.1 * rng.random(), 0.17 + 0.1 * rng.random())
        self.phase = (2 * math.pi * rng.random(), 2 * math.pi * rng.random())

        self.margin = m = max(4, s // 24)
        self.radius = max(2, s // 18)
        self.bar = (m, h - m - max(2, s // 90) // 2 * 2, w - 2 * m, max(2, s // 90) // 2 * 2)  # x, y, w, h

        image = _gradient(w, h, top, bottom)
        draw = ImageDraw.Draw(image)
        small, big = _font(max(8, s // 28)), _font(max(10, s // 14))

        # frame counter: a black panel at the top right whose digits each frame pastes into the Y plane
        digits = _font(max(8, s // 20))
        self.cell_w = math.ceil(max(digits.getlength(c) for c in "0123456789/"))
        ascent, descent = digits.getmetrics()
        self.cell_h = ascent + descent
        self.width_digits = len(str(clip.frames))
        chars = 2 * self.width_digits + 1
        pad = max(2, s // 80)
        px = w - m - chars * self.cell_w - 2 * pad
        py = m
        draw.rectangle((px, py, w - m, py + self.cell_h + 2 * pad), fill=(0, 0, 0))
        self.counter_at = (px + pad, py + pad)
        self.glyphs = {c: self._glyph(c, digits) for c in "0123456789/"}

        # the header at the top left: the longest form that fits beside the counter
        headers = (f"viduemu  ·  seed {clip.seed}  ·  {w}x{h}  ·  {clip.duration:g} s  ·  {clip.fps} fps",
                   f"seed {clip.seed}  ·  {w}x{h}  ·  {clip.duration:g} s", f"seed {clip.seed}")
        room = px - 2 * m
        header = next((text for text in headers if small.getlength(text) <= room), "")
        draw.text((m, m), header, font=small, fill=(235, 235, 235))

        # the prompt, centred in the space between the header and the progress bar
        _draw_prompt(draw, clip.prompt, big, (m, py + self.cell_h + 2 * pad + m, w - m, self.bar[1] - m), s)
        bx, by, bw, bh = self.bar
        draw.rectangle((bx, by, bx + bw - 1, by + bh - 1), fill=(40, 40, 40))

        frame = av.VideoFrame.from_image(image).reformat(format="yuv420p")
        self.planes = [bytes(p) for p in frame.planes]
        self.strides = [p.line_size for p in frame.planes]

    def _glyph(self, char: str, font) -> list[bytes]:
        cell = Image.new("L", (self.cell_w, self.cell_h), 0)
        ImageDraw.Draw(cell).text((0, 0), char, font=font, fill=255)
        limited = cell.point(lambda v: 16 + v * 219 // 255).tobytes()
        return [limited[r * self.cell_w:(r + 1) * self.cell_w] for r in range(self.cell_h)]


def _fill(plane: memoryview, stride: int, x0: int, x1: int, y: int, value: int) -> None:
    if x1 > x0:
        plane[y * stride + x0:y * stride + x1] = bytes((value,)) * (x1 - x0)


def _draw_frame(frame: av.VideoFrame, layout: _Layout, clip: Clip, index: int) -> None:
    """Background, ball, progress bar and counter for frame ``index`` (0-based)."""
    w, h = clip.width, clip.height
    planes = []
    for plane, bg, stride in zip(frame.planes, layout.planes, layout.strides, strict=True):
        view = memoryview(plane)
        if plane.line_size == stride:
            view[:] = bg
        else:  # another allocation alignment: copy row by row
            for row in range(plane.height):
                view[row * plane.line_size:row * plane.line_size + plane.width] = bg[row * stride:row * stride + plane.width]
        planes.append((view, plane.line_size))
    (y_plane, y_stride), (u_plane, u_stride), (v_plane, v_stride) = planes

    # the ball
    t = index / clip.fps
    m, r = layout.margin, layout.radius
    cx = m + r + (w - 2 * (m + r)) * (0.5 + 0.5 * math.sin(2 * math.pi * layout.freq[0] * t + layout.phase[0]))
    cy = m + r + (h - 2 * (m + r)) * (0.5 + 0.5 * math.sin(2 * math.pi * layout.freq[1] * t + layout.phase[1]))
    cx, cy = round(cx), round(cy)
    by, bu, bv = layout.ball_yuv
    for dy in range(-r, r + 1):
        half = int(math.sqrt(r * r - dy * dy))
        _fill(y_plane, y_stride, max(0, cx - half), min(w, cx + half + 1), min(h - 1, max(0, cy + dy)), by)
    rc = r // 2
    for dy in range(-rc, rc + 1):
        half = int(math.sqrt(rc * rc - dy * dy))
        row = min((h + 1) // 2 - 1, max(0, cy // 2 + dy))
        lo, hi = max(0, cx // 2 - half), min((w + 1) // 2, cx // 2 + half + 1)
        _fill(u_plane, u_stride, lo, hi, row, bu)
        _fill(v_plane, v_stride, lo, hi, row, bv)

    # the progress bar
    bx, bar_y, bw, bh = layout.bar
    filled = bx + round(bw * (index + 1) / clip.frames)
    white = layout.bar_yuv
    for row in range(bar_y, bar_y + bh):
        _fill(y_plane, y_stride, bx, filled, row, white[0])
    for row in range(bar_y // 2, (bar_y + bh) // 2):
        _fill(u_plane, u_stride, bx // 2, filled // 2, row, white[1])
        _fill(v_plane, v_stride, bx // 2, filled // 2, row, white[2])

    # the frame counter "0001/0080"
    n = layout.width_digits
    text = f"{index + 1:0{n}d}/{clip.frames:0{n}d}"
    x0, y0 = layout.counter_at
    for row in range(layout.cell_h):
        line = b"".join(layout.glyphs[c][row] for c in text)
        start = (y0 + row) * y_stride + x0
        y_plane[start:start + len(line)] = line


# -- frames ----------------------------------------------------------------

def _drawn(clip: Clip, first: int = 0) -> Iterator[av.VideoFrame]:
    layout = _Layout(clip)
    for index in range(first, clip.frames):
        frame = av.VideoFrame(clip.width, clip.height, "yuv420p")
        _draw_frame(frame, layout, clip, index)
        yield frame


def _timed(path: Path) -> Generator[tuple[float, av.VideoFrame], None, None]:
    """(seconds, frame) of a video's first stream, one frame at a time."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            yield float(frame.time) if frame.time is not None else 0.0, frame


def _scaled(clip: Clip, source: Source, blobs: Path, count: int) -> Iterator[av.VideoFrame]:
    """``count`` frames at ``clip.fps``, each the source's frame showing at that time, resized; the
    last one held past the source's end. Nothing (and a warning) when the source cannot be read."""
    frames = _timed(blobs / source.blob)
    current: av.VideoFrame | None = None    # the source's frame showing now
    shown: av.VideoFrame | None = None      # ... resized, once
    index = 0
    try:
        ahead = next(frames, None)
        for index in range(count):
            while ahead is not None and (current is None or ahead[0] <= index / clip.fps + 1e-6):
                current, shown = ahead[1], None
                ahead = next(frames, None)
            if current is None:
                return
            if shown is None:
                shown = current.reformat(clip.width, clip.height, "yuv420p")
            yield shown
    except (OSError, av.FFmpegError, IndexError, ValueError) as err:   # IndexError: no video stream
        log.warning("source video %s unreadable at frame %d: %s", source.blob, index, err)
        if shown is not None:
            yield from [shown] * (count - index)
    finally:
        frames.close()


def _replayed(clip: Clip, source: Source, blobs: Path, count: int) -> Iterator[av.VideoFrame]:
    """The first ``count`` frames of the source's clip (a finished task's media), resized to ``clip``'s."""
    assert source.clip is not None
    inner = frames(Clip.from_media(source.clip), blobs)
    try:
        for _, frame in zip(range(count), inner, strict=False):
            same = (frame.width, frame.height) == (clip.width, clip.height)
            yield frame if same else frame.reformat(clip.width, clip.height, "yuv420p")
    finally:
        inner.close()


def frames(clip: Clip, blobs: Path) -> Generator[av.VideoFrame, None, None]:
    """The clip's ``clip.frames`` frames: drawn, or from its source (then drawn, for "prefix"); drawn
    wherever the source falls short of being read. A source is a kept video, or a task's clip drawn again."""
    source = clip.source
    taken = 0
    if source is not None:
        count = clip.frames if source.mode == "scaled" else min(clip.frames, round(source.seconds * clip.fps))
        for frame in (_replayed if source.clip is not None else _scaled)(clip, source, blobs, count):
            taken += 1
            yield frame
        if taken < count and source.mode == "scaled":
            log.warning("source video %s gave %d of %d frames: the rest are drawn", source.blob, taken, count)
    yield from _drawn(clip, taken)


# -- rendering -------------------------------------------------------------

class _Audio:
    """The AAC track of a clip with a sound, encoded as the video advances (so the muxer interleaves)."""

    def __init__(self, container: av.container.OutputContainer, clip: Clip, sound: Sound, blobs: Path):
        self.container = container
        self.stream = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono", options=dict(AAC_OPTIONS))
        self.pcm = sound_pcm(sound, clip.frames / clip.fps, blobs)
        self.samples = 0

    def until(self, seconds: float) -> None:
        while self.samples < seconds * SAMPLE_RATE:
            piece = next(self.pcm, None)
            if piece is None:
                return
            frame = av.AudioFrame(format="s16", layout="mono", samples=len(piece) // 2)
            frame.planes[0].update(piece)
            frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, self.samples, Fraction(1, SAMPLE_RATE)
            self.samples += frame.samples
            self.container.mux(self.stream.encode(frame))

    def close(self) -> None:
        self.until(float("inf"))
        self.container.mux(self.stream.encode(None))


def render_video(clip: Clip, path: str | os.PathLike, blobs: Path) -> None:
    """Write the MP4 (H.264, yuv420p, ``clip.fps``) of exactly ``clip.frames`` frames to ``path``,
    with an AAC track as long as the video when the clip has a sound (and none when it has not)."""
    with av.open(os.fspath(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=clip.fps, options=dict(X264_OPTIONS))
        stream.width, stream.height, stream.pix_fmt = clip.width, clip.height, "yuv420p"
        stream.codec_context.time_base = Fraction(1, clip.fps)
        audio = _Audio(container, clip, clip.sound, blobs) if clip.sound is not None else None
        for index, frame in enumerate(frames(clip, blobs)):
            frame.pts, frame.time_base = index, Fraction(1, clip.fps)
            container.mux(stream.encode(frame))
            if audio is not None:
                audio.until((index + 1) / clip.fps)
        container.mux(stream.encode(None))
        if audio is not None:
            audio.close()


def render_cover(clip: Clip, path: str | os.PathLike, blobs: Path) -> None:
    """Write the JPEG cover: the video's first frame, same size."""
    first = frames(clip, blobs)
    next(first).to_image().save(os.fspath(path), format="JPEG", quality=90)
    first.close()


def render_image(clip: Clip, path: str | os.PathLike, blobs: Path) -> None:
    """Write a PNG still of ``clip.width`` x ``clip.height``: the seed's gradient and the prompt."""
    w, h = clip.width, clip.height
    s = min(w, h)
    _, _, top, bottom = _colours(clip.seed)
    image = _gradient(w, h, top, bottom)
    m = max(4, s // 24)
    _draw_prompt(ImageDraw.Draw(image), clip.prompt, _font(max(10, s // 14)), (m, m, w - m, h - m), s)
    image.save(os.fspath(path), format="PNG", optimize=False)


def render_audio(clip: Clip, path: str | os.PathLike, blobs: Path) -> None:
    """Write an MP3 (48 kHz mono) of the clip's sound, ``clip.duration`` long."""
    with av.open(os.fspath(path), mode="w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=SAMPLE_RATE, layout="mono", options=dict(MP3_OPTIONS))
        samples = 0
        for piece in sound_pcm(clip.sound or Sound("events"), clip.duration, blobs):
            frame = av.AudioFrame(format="s16", layout="mono", samples=len(piece) // 2)
            frame.planes[0].update(piece)
            frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, samples, Fraction(1, SAMPLE_RATE)
            samples += frame.samples
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


# suffix -> what renders a file of it (vidu/media.render; the media types: media.MEDIA_TYPES)
RENDERERS = {".mp4": render_video, ".jpg": render_cover, ".png": render_image, ".mp3": render_audio}

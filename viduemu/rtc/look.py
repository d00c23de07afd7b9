"""The character's picture: two loops of frames (listening, speaking) drawn once and replayed.

A frame is the avatar image (cover-fitted; a generated placeholder face when there is none) with
eyes and a mouth drawn where a portrait's face usually is, the character's name on a strip at the
bottom and a caption pill at the top left (blue "listening", red "speaking"). The eyes blink and
glance on a seeded schedule; in the speaking loop the mouth opens with the voice's syllable rhythm
(voice.Rhythm), so a speaking frame at t seconds into an answer matches the audio at t.

The loops are a whole number of *segments* (about 1/3 s). For pre-encoded media every segment is
encoded on its own, so it starts with a keyframe and any sequence of segments (from either loop)
is a valid stream: N viewers are served from one encoding, and a viewer switches between the
loops at a segment boundary.
"""

from __future__ import annotations

import colorsys
import io
import math
import random
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

import av
from PIL import Image, ImageDraw, ImageFont, ImageOps

from viduemu.vidu.voice import Rhythm

if TYPE_CHECKING:
    from av.video.codeccontext import VideoCodecContext

LOOP_SECONDS = 4.0
STATES = ("listening", "speaking")
CAPTION_RGB = {"listening": (40, 100, 220), "speaking": (220, 50, 40)}
ENCODERS = {  # codec (RTP mime subtype, upper case) -> (PyAV encoder, options); bitrates per stream
    "VP8": ("libvpx", {"deadline": "realtime", "cpu-used": "4", "lag-in-frames": "0", "b": "400k",
                       "minrate": "400k", "maxrate": "400k", "bufsize": "400k", "threads": "1"}),
    "H264": ("libx264", {"preset": "ultrafast", "tune": "zerolatency", "profile": "baseline", "level": "31",
                         "b": "400k", "threads": "1"}),
}


def codec_name(mime: str | None) -> str | None:
    """"video/VP8", "vp8", "H264" ... -> "VP8" / "H264"; None stays None; anything else is a ValueError."""
    if mime is None:
        return None
    name = mime.rsplit("/", 1)[-1].upper()
    if name not in ENCODERS:
        raise ValueError(f"no pre-encoding for {mime!r} (have {', '.join(ENCODERS)})")
    return name


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)  # bundled with Pillow: the same glyphs everywhere


def decode_image(data: bytes | None, width: int, height: int) -> Image.Image | None:
    """The image cover-fitted to the frame (biased to the top, where a portrait's face is), or None
    when there are no bytes or they are not a picture Pillow can read."""
    if not data:
        return None
    try:
        image: Image.Image = Image.open(io.BytesIO(data))
        image.draft("RGB", (width * 2, height * 2))  # JPEG: decode at a reduced scale (cheap on huge files)
        image = ImageOps.exif_transpose(image).convert("RGB")
        return ImageOps.fit(image, (width, height), Image.Resampling.BILINEAR, centering=(0.5, 0.3))
    except Exception:  # Pillow raises many types for bad data; any of them means "no usable image"
        return None


class Look:
    """Every frame of one character, pre-rendered: ``frame(state, index)``, ``packets(codec)``."""

    def __init__(self, image: Image.Image | None, name: str, rhythm: Rhythm, *, width: int, height: int,
                 fps: int, seed: int | str | None):
        self.width, self.height, self.fps = width, height, fps
        self.segment = max(1, round(fps / 3))
        self.loop_frames = self.segment * math.ceil(LOOP_SECONDS * fps / self.segment)
        self.loop_seconds = self.loop_frames / fps
        rng = random.Random(f"look:{seed}")
        self.u = u = min(width, height) / 240
        self.cx, self.eye_y, self.mouth_y = width / 2, 0.40 * height, 0.61 * height
        self.caption_box = (round(6 * u), round(6 * u), round(6 * u) + round(88 * u), round(6 * u) + round(18 * u))

        base = image.copy() if image is not None else self._placeholder(rng)
        self._label(base, name)
        # blinks and glances, the same in both loops: a loop of 4 s blinks once or twice
        blinks = sorted(rng.uniform(0.3, self.loop_seconds - 0.3) for _ in range(rng.randint(1, 2)))
        gaze = (rng.uniform(0.15, 0.35), rng.uniform(0, 2 * math.pi))
        self._frames: dict[str, list[list[bytes]]] = {}
        for state in STATES:
            captioned = base.copy()
            self._caption(captioned, state)
            frames = []
            for i in range(self.loop_frames):
                t = i / fps
                closed = any(abs(t - b) < 0.09 for b in blinks)
                # the gaze wanders on a whole number of cycles per loop, so the loop has no seam
                angle = 2 * math.pi * round(gaze[0] * self.loop_seconds) * t / self.loop_seconds + gaze[1]
                look = (math.cos(angle) * 2.5 * u, math.sin(2 * angle) * 1.0 * u)
                opening = rhythm.openness(t, t + 1 / fps) if state == "speaking" else 0.0
                picture = captioned.copy()
                self._face(picture, closed, look, opening)
                frame = av.VideoFrame.from_image(picture).reformat(format="yuv420p")
                frames.append([bytes(p) for p in frame.planes])
            self._frames[state] = frames
        probe = av.VideoFrame(width, height, "yuv420p")
        self._line_sizes = [p.line_size for p in probe.planes]
        self._encoded: dict[str, dict[str, list[list[bytes]]]] = {}

    # -- drawing ------------------------------------------------------------------------
    def _placeholder(self, rng: random.Random) -> Image.Image:
        """A generated portrait: a seeded background, head, hair and shoulders."""
        w, h, u, cx = self.width, self.height, self.u, self.cx
        hue = rng.random()
        top = tuple(round(255 * c) for c in colorsys.hsv_to_rgb(hue, 0.35, 0.85))
        bottom = tuple(round(255 * c) for c in colorsys.hsv_to_rgb((hue + 0.1) % 1, 0.55, 0.45))
        image = Image.composite(Image.new("RGB", (w, h), bottom), Image.new("RGB", (w, h), top),
                                Image.linear_gradient("L").resize((w, h)))
        draw = ImageDraw.Draw(image)
        skin = rng.choice(((241, 194, 167), (224, 172, 135), (198, 134, 96), (141, 85, 56), (255, 219, 190)))
        hair = rng.choice(((40, 30, 25), (90, 60, 35), (170, 120, 60), (20, 20, 20), (120, 40, 30)))
        shirt = tuple(round(255 * c) for c in colorsys.hsv_to_rgb(rng.random(), 0.6, 0.6))
        cy = 0.47 * h
        draw.ellipse((cx - 110 * u, 0.86 * h, cx + 110 * u, 0.86 * h + 160 * u), fill=shirt)
        draw.rectangle((cx - 18 * u, cy + 55 * u, cx + 18 * u, 0.9 * h), fill=skin)
        draw.ellipse((cx - 64 * u, cy - 82 * u, cx + 64 * u, cy + 50 * u), fill=hair)
        draw.ellipse((cx - 56 * u, cy - 70 * u, cx + 56 * u, cy + 74 * u), fill=skin)
        draw.chord((cx - 60 * u, cy - 84 * u, cx + 60 * u, cy - 8 * u), 180, 360, fill=hair)
        return image

    def _label(self, image: Image.Image, name: str) -> None:
        """The name strip at the bottom."""
        if not name:
            return
        w, h, u = self.width, self.height, self.u
        strip = round(22 * u)
        region = image.crop((0, h - strip, w, h))
        image.paste(Image.blend(region, Image.new("RGB", region.size, (0, 0, 0)), 0.6), (0, h - strip))
        font = _font(max(8, round(13 * u)))
        text = name if font.getlength(name) <= w - 12 * u else name[: max(1, int(len(name) * (w - 12 * u)
                                                                            / font.getlength(name)) - 1)] + "…"
        ImageDraw.Draw(image).text((w / 2, h - strip / 2), text, font=font, fill=(255, 255, 255), anchor="mm")

    def _caption(self, image: Image.Image, state: str) -> None:
        x0, y0, x1, y1 = self.caption_box
        u = self.u
        draw = ImageDraw.Draw(image)
        draw.rounded_rectangle((x0, y0, x1, y1), radius=round(8 * u), fill=CAPTION_RGB[state])
        r, cy = 3 * u, (y0 + y1) / 2
        draw.ellipse((x0 + 8 * u - r, cy - r, x0 + 8 * u + r, cy + r), fill=(255, 255, 255))
        draw.text((x0 + 15 * u, cy), state, font=_font(max(7, round(11 * u))), fill=(255, 255, 255), anchor="lm")

    def _face(self, image: Image.Image, closed: bool, look: tuple[float, float], opening: float) -> None:
        draw = ImageDraw.Draw(image)
        u, cx, ey, my = self.u, self.cx, self.eye_y, self.mouth_y
        for side in (-1, 1):
            x = cx + side * 24 * u
            if closed:
                draw.line((x - 10 * u, ey, x + 10 * u, ey), fill=(40, 25, 20), width=max(1, round(2 * u)))
                continue
            draw.ellipse((x - 10 * u, ey - 7 * u, x + 10 * u, ey + 7 * u), fill=(250, 250, 250),
                         outline=(40, 25, 20), width=max(1, round(u)))
            px, py = x + look[0], ey + look[1]
            draw.ellipse((px - 4.5 * u, py - 4.5 * u, px + 4.5 * u, py + 4.5 * u), fill=(50, 35, 25))
            draw.ellipse((px - 1.5 * u, py - 2.5 * u, px + 0.5 * u, py - 0.5 * u), fill=(255, 255, 255))
        half = 17 * u
        if opening < 0.05:  # closed: a slight smile
            draw.arc((cx - half, my - 8 * u, cx + half, my + 4 * u), 20, 160, fill=(120, 30, 35),
                     width=max(1, round(3 * u)))
            return
        height = (3 + 17 * opening) * u
        draw.ellipse((cx - half * (0.8 + 0.2 * opening), my - height / 2, cx + half * (0.8 + 0.2 * opening),
                      my + height / 2), fill=(90, 15, 25), outline=(150, 40, 45), width=max(1, round(2 * u)))
        if height > 8 * u:  # teeth
            draw.rectangle((cx - 8 * u, my - height / 2 + 1.5 * u, cx + 8 * u, my - height / 2 + 4 * u),
                           fill=(245, 245, 240))

    # -- frames and packets ---------------------------------------------------------------
    def frame(self, state: str, index: int) -> av.VideoFrame:
        """A new yuv420p frame (a copy: callers may set pts, encoders may touch it) of a loop."""
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        for plane, data, size in zip(frame.planes, self._frames[state][index % self.loop_frames],
                                     self._line_sizes, strict=True):
            if plane.line_size == size:
                plane.update(data)
            else:  # another allocation alignment: copy row by row
                view, n = memoryview(plane), plane.width
                for row in range(plane.height):
                    view[row * plane.line_size:row * plane.line_size + n] = data[row * size:row * size + n]
        return frame

    def packets(self, codec: str) -> dict[str, list[list[bytes]]]:
        """Per state, the loop's segments, each a list of one encoded frame per video frame; encoded on
        first use for each codec ("VP8" or "H264"), then shared."""
        if codec not in self._encoded:
            self._encoded[codec] = {state: [self._encode_segment(codec, state, s)
                                            for s in range(0, self.loop_frames, self.segment)]
                                    for state in STATES}
        return self._encoded[codec]

    def _encode_segment(self, codec: str, state: str, first: int) -> list[bytes]:
        name, options = ENCODERS[codec]
        context = cast("VideoCodecContext", av.CodecContext.create(name, "w"))  # libvpx, libx264: video
        context.width, context.height, context.pix_fmt = self.width, self.height, "yuv420p"
        context.time_base = Fraction(1, self.fps)
        context.framerate = Fraction(self.fps, 1)
        context.options = dict(options, g=str(self.segment))
        out: dict[int, bytes] = {}  # by pts: one per frame, checked below

        def keep(packets: list[av.Packet[Any]]) -> None:
            for packet in packets:
                if packet.pts is None:
                    raise RuntimeError(f"{name} gave a packet without a timestamp")
                out[packet.pts] = bytes(packet)

        for i in range(self.segment):
            frame = self.frame(state, first + i)
            frame.pts, frame.time_base = i, context.time_base
            keep(context.encode(frame))
        keep(context.encode(None))
        if sorted(out) != list(range(self.segment)):
            raise RuntimeError(f"{name} did not give one packet per frame: {sorted(out)}")
        return [out[i] for i in range(self.segment)]

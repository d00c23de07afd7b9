"""Real media made in-test, as data URIs (PNG and other images, WAV, MP3, M4A, AAC, FLAC, H.264 MP4), for
every test that sends media to the emulator (ent, live, aggregator, client)."""

from __future__ import annotations

import base64
import functools
import io
import wave

import av
from PIL import Image


def data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


@functools.lru_cache(maxsize=None)
def png(width: int = 256, height: int = 256, color=(200, 40, 40)) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return data_uri("image/png", buf.getvalue())


@functools.lru_cache(maxsize=None)
def image_bytes(fmt: str, width: int = 256, height: int = 256) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buf, fmt)
    return buf.getvalue()


def image_uri(fmt: str, width: int = 256, height: int = 256, mime: str | None = None) -> str:
    return data_uri(mime or f"image/{fmt.lower()}", image_bytes(fmt, width, height))


@functools.lru_cache(maxsize=None)
def wav(seconds: float, rate: int = 8000) -> str:
    """A silent mono 8-bit WAV of exactly ``seconds`` (stdlib ``wave``)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        out.writeframes(b"\x80" * round(seconds * rate))
    return data_uri("audio/wav", buf.getvalue())


# container -> (codec, sample format, MIME)
_AUDIO = {"mp3": ("libmp3lame", "s16p", "audio/mpeg"), "ipod": ("aac", "fltp", "audio/mp4"),
          "adts": ("aac", "fltp", "audio/aac"), "flac": ("flac", "s16", "audio/flac")}


@functools.lru_cache(maxsize=None)
def encoded_audio(container: str, seconds: float, rate: int = 8000) -> str:
    """Silent mono audio encoded with PyAV (``mp3``, ``ipod`` = M4A, ``adts`` = AAC, ``flac``)."""
    codec, sample_format, mime = _AUDIO[container]
    buf = io.BytesIO()
    with av.open(buf, "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        frame_size = stream.codec_context.frame_size or 1024
        total, pts = round(seconds * rate), 0
        while pts < total:
            frame = av.AudioFrame(format=sample_format, layout="mono", samples=min(frame_size, total - pts))
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            frame.sample_rate, frame.pts = rate, pts
            for packet in stream.encode(frame):
                out.mux(packet)
            pts += frame.samples
        for packet in stream.encode(None):
            out.mux(packet)
    return data_uri(mime, buf.getvalue())


@functools.lru_cache(maxsize=None)
def mp4(seconds: float, width: int = 160, height: int = 160, fps: int = 4) -> str:
    """A small H.264 MP4 of ``seconds`` (PyAV)."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        image = Image.new("RGB", (width, height), (20, 120, 200))
        for i in range(round(seconds * fps)):
            frame = av.VideoFrame.from_image(image)
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return data_uri("video/mp4", buf.getvalue())

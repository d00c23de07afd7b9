"""Real media made in-test, as data URIs (PNG and other images, WAV, MP3, M4A, AAC, FLAC, H.264 MP4), for
every test that sends media to the emulator (ent, live, aggregator, client); and what a rendered file holds
(``track``: its streams and its audio)."""

from __future__ import annotations

import array
import base64
import dataclasses
import functools
import io
import itertools
import math
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


# -- sound: songs made of known tones, and what a rendered file's audio holds ------------------------------
def tone_song(hz_per_second: tuple[float, ...], container: str = "mp3", rate: int = 44100) -> bytes:
    """A song whose second k is a pure tone at ``hz_per_second[k]`` (``mp3`` at 44.1 kHz, or ``wav``)."""
    codec, sample_format = {"mp3": ("libmp3lame", "s16p"), "wav": ("pcm_s16le", "s16")}[container]
    samples = array.array("h", (int(12000 * math.sin(2 * math.pi * hz * i / rate))
                                for hz in hz_per_second for i in range(rate)))
    buf = io.BytesIO()
    with av.open(buf, "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        step = stream.codec_context.frame_size or 1024
        for pts in range(0, len(samples), step):
            piece = samples[pts:pts + step]
            frame = av.AudioFrame(format=sample_format, layout="mono", samples=len(piece))
            frame.planes[0].update(piece.tobytes())
            frame.sample_rate, frame.pts = rate, pts
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return buf.getvalue()


def source_video(seconds: float, width: int, height: int, fps: int = 10) -> bytes:
    """An H.264 MP4 whose frames are one flat colour: pure red (a source to recognise in an output)."""
    return base64.b64decode(mp4_colour(seconds, width, height, fps, (255, 0, 0)).split(",", 1)[1])


@functools.lru_cache(maxsize=None)
def mp4_colour(seconds: float, width: int, height: int, fps: int, color: tuple[int, int, int],
               codec: str = "libx264") -> str:
    """A silent MP4 of one colour, its video encoded with ``codec``."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        image = Image.new("RGB", (width, height), color)
        for i in range(round(seconds * fps)):
            frame = av.VideoFrame.from_image(image)
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return data_uri("video/mp4", buf.getvalue())


@dataclasses.dataclass
class Track:
    """What a media file holds: its streams' codecs and durations, and its audio as 48 kHz mono samples."""

    codecs: dict[str, list[str]]        # "video" / "audio" -> codec names
    durations: dict[str, float]         # the first stream of each type
    samples: array.array                # s16 mono, 48 kHz
    rate: int = 48000

    def window(self, start: float, seconds: float) -> array.array:
        return self.samples[round(start * self.rate):round((start + seconds) * self.rate)]

    def dominant_hz(self, start: float, seconds: float) -> float:
        """A pure tone's frequency: zero crossings over the window."""
        part = self.window(start, seconds)
        crossings = sum(1 for a, b in itertools.pairwise(part) if (a < 0) != (b < 0))
        return crossings / 2 / seconds

    def rms(self, start: float, seconds: float) -> float:
        part = self.window(start, seconds)
        return math.sqrt(sum(v * v for v in part) / max(1, len(part)))


def track(data: bytes) -> Track:
    codecs: dict[str, list[str]] = {}
    durations: dict[str, float] = {}
    samples = array.array("h")
    with av.open(io.BytesIO(data)) as container:
        for stream in container.streams:
            codecs.setdefault(stream.type, []).append(stream.codec_context.name)
            durations.setdefault(stream.type, float(stream.duration * stream.time_base))
        if container.streams.audio:
            resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
            for frame in [*container.decode(audio=0), None]:
                for out in resampler.resample(frame):
                    samples.frombytes(bytes(out.planes[0])[:2 * out.samples])
    return Track(codecs, durations, samples)

"""Media inputs given as a URL or a ``data:`` URI: images, audio, video.

Formats are sniffed from the bytes, never trusted from the MIME type. Remote URLs are not fetched
unless ``--fetch-urls`` is on (the emulator is offline): then only their scheme and file extension
are checked. Every failure is a vendor error naming the field.
"""

from __future__ import annotations

import base64
import binascii
import io
import urllib.parse
from dataclasses import dataclass

from viduemu.core.errors import ViduError

MB = 1024 * 1024
IMAGE_FORMATS = {"png": "png", "jpeg": "jpeg", "jpg": "jpeg", "webp": "webp"}
AUDIO_FORMATS = {"mp3": "mp3", "wav": "wav", "aac": "aac", "m4a": "m4a"}
VIDEO_FORMATS = {"mp4": "mp4", "avi": "avi", "mov": "mov"}
MIN_SIDE = 128
MAX_RATIO = 4.0


@dataclass
class Asset:
    """What we know of an input: its bytes (None for an unfetched URL) and its sniffed format."""

    source: str            # "data" | "url"
    data: bytes | None
    format: str | None


def decode_data_uri(value: str, field: str, max_decoded: int) -> tuple[str, bytes]:
    """(declared MIME type, decoded bytes) of ``data:<mime>;base64,<payload>``."""
    header, sep, payload = value.partition(",")
    if not sep or not header.endswith(";base64"):
        raise ViduError("FieldInvalid", f"invalid field: {field} (expected data:<type>;base64,<data>)", fields=field)
    mime = header[5:-7].strip().lower()
    # Refuse before decoding: base64 grows by 4/3, so the payload length bounds the decoded size.
    if (len(payload) // 4) * 3 > max_decoded + 3:
        raise _too_big(field, max_decoded)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ViduError("FieldInvalid", f"invalid field: {field} (broken base64)", fields=field) from None
    if len(data) >= max_decoded:
        raise _too_big(field, max_decoded)
    return mime, data


def _too_big(field: str, limit: int) -> ViduError:
    return ViduError("PageSizeOutOfRange", f"{field}: decoded size must be under {limit // MB} MB", fields=field)


def _url_extension(value: str, field: str) -> str | None:
    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ViduError("FieldInvalid", f"invalid field: {field} (expected an http(s) URL or a data: URI)",
                        fields=field)
    name = parsed.path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else None


def _wrong_format(field: str, allowed: dict) -> ViduError:
    names = ", ".join(sorted(set(allowed)))
    return ViduError("ImageFormatInvalid", f"invalid format: {field} (supported: {names})", fields=field)


def sniff_image(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def image_size(data: bytes, field: str) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ViduError("ImageFormatInvalid", f"invalid image: {field} (cannot be decoded)", fields=field) from None


def check_image_bytes(data: bytes, field: str) -> str:
    fmt = sniff_image(data)
    if fmt is None:
        raise _wrong_format(field, IMAGE_FORMATS)
    width, height = image_size(data, field)
    if min(width, height) < MIN_SIDE:
        raise ViduError("PageSizeOutOfRange", f"{field}: image is {width}x{height}; at least "
                        f"{MIN_SIDE}x{MIN_SIDE} pixels are required", fields=field)
    if max(width, height) / min(width, height) > MAX_RATIO:
        raise ViduError("PageSizeOutOfRange", f"{field}: aspect ratio {width}:{height} is outside 1:4..4:1",
                        fields=field)
    return fmt


async def check_image(value, field: str, *, max_decoded: int = 10 * MB, fetcher=None) -> Asset:
    """Check one image input (URL or data URI); ``fetcher`` (when --fetch-urls) returns the URL's bytes."""
    if not isinstance(value, str) or not value.strip():
        raise ViduError("FieldLacking", fields=field)
    if value.startswith("data:"):
        mime, data = decode_data_uri(value, field, max_decoded)
        if mime.split("/")[-1] not in IMAGE_FORMATS or not mime.startswith("image/"):
            raise _wrong_format(field, IMAGE_FORMATS)
        return Asset("data", data, check_image_bytes(data, field))
    ext = _url_extension(value, field)
    if ext is not None and ext not in IMAGE_FORMATS:
        raise _wrong_format(field, IMAGE_FORMATS)
    if fetcher is None:
        return Asset("url", None, IMAGE_FORMATS.get(ext or ""))
    data = await fetcher(value, field)
    return Asset("url", data, check_image_bytes(data, field))


def probe_duration(data: bytes, field: str, kind: str) -> float:
    """Duration in seconds of audio/video bytes, measured by decoding the container (PyAV)."""
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            streams = container.streams.audio if kind == "audio" else container.streams.video
            if not streams:
                raise ValueError(f"no {kind} stream")
            if container.duration:
                return container.duration / 1_000_000
            stream = streams[0]
            if stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
            # No header duration (e.g. raw AAC): decode the packets and sum them.
            last = 0.0
            for packet in container.demux(stream):
                if packet.pts is not None and packet.duration is not None:
                    last = max(last, float((packet.pts + packet.duration) * stream.time_base))
            if last <= 0:
                raise ValueError("unknown duration")
            return last
    except ViduError:
        raise
    except Exception:
        raise ViduError("FieldInvalid", f"invalid field: {field} (not a readable {kind} file)",
                        fields=field) from None


async def check_media(value, field: str, kind: str, formats: dict, *, max_decoded: int = 20 * MB,
                      fetcher=None) -> tuple[Asset, float | None]:
    """Check an audio or video input; returns the asset and its measured duration (None if unknown)."""
    if not isinstance(value, str) or not value.strip():
        raise ViduError("FieldLacking", fields=field)
    if value.startswith("data:"):
        mime, data = decode_data_uri(value, field, max_decoded)
        if not mime.startswith(f"{kind}/"):
            raise ViduError("FieldInvalid", f"invalid field: {field} (expected data:{kind}/...)", fields=field)
        return Asset("data", data, None), probe_duration(data, field, kind)
    ext = _url_extension(value, field)
    if ext is not None and ext not in formats:
        raise ViduError("FieldInvalid", f"invalid field: {field} (supported: {', '.join(sorted(formats))})",
                        fields=field)
    if fetcher is None:
        return Asset("url", None, formats.get(ext or "")), None
    data = await fetcher(value, field)
    return Asset("url", data, formats.get(ext or "")), probe_duration(data, field, kind)

"""Media inputs given as a URL or a ``data:`` URI: images, audio, video.

Formats are sniffed from the bytes, never trusted from the MIME type. Remote URLs are not fetched
unless ``--fetch-urls`` is on (the emulator is offline): then only their scheme and file extension
are checked. Every failure is a vendor error naming the field.
"""

from __future__ import annotations

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
    data: bytes | None     # audio/video bytes when read (images keep only their facts)
    format: str | None
    size: tuple[int, int] | None = None  # an image's (width, height), when its bytes were read


def stored_form(value):
    """What state keeps of an input: a URL as given, a data URI as its type only (``data:image/png``),
    so thousands of stored tasks do not each hold megabytes of base64. Other values pass through."""
    if isinstance(value, str) and value.startswith("data:"):
        return value.split(";", 1)[0].split(",", 1)[0]
    if isinstance(value, list):
        return [stored_form(v) for v in value]
    if isinstance(value, dict):
        return {k: stored_form(v) for k, v in value.items()}
    return value


_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
HEAD_CHARS = 16 * 1024  # base64 characters decoded to read an image's header (12 KB of bytes)


def decode_data_uri(value: str, field: str, max_decoded: int, *, head_only: bool = False) -> tuple[str, bytes]:
    """(declared MIME type, decoded bytes) of ``data:<mime>;base64,<payload>``.

    The whole payload is always checked as strict base64 and its decoded size computed from its
    length; with ``head_only`` only its first ``HEAD_CHARS`` characters are decoded (an image's
    header is all its checks need, and decoding megabytes per request would be the hot path)."""
    header, sep, payload = value.partition(",")
    if not sep or not header.endswith(";base64"):
        raise ViduError("FieldInvalid", f"invalid field: {field} (expected data:<type>;base64,<data>)", fields=field)
    mime = header[5:-7].strip().lower()
    # Refuse before decoding: base64 grows by 4/3, so the payload length bounds the decoded size.
    if (len(payload) // 4) * 3 > max_decoded + 3:
        raise _too_big(field, max_decoded)
    try:
        raw = payload.encode("ascii")
    except UnicodeEncodeError:
        raw = b"!"
    body = raw.rstrip(b"=")
    padding = len(raw) - len(body)
    if len(raw) % 4 or padding > 2 or body.translate(None, _B64_ALPHABET):
        raise ViduError("FieldInvalid", f"invalid field: {field} (broken base64)", fields=field)
    if len(raw) // 4 * 3 - padding >= max_decoded:
        raise _too_big(field, max_decoded)
    try:
        data = binascii.a2b_base64(raw[:HEAD_CHARS] if head_only else raw, strict_mode=True)
    except binascii.Error:
        raise ViduError("FieldInvalid", f"invalid field: {field} (broken base64)", fields=field) from None
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
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":  # IHDR is always the first chunk
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ViduError("ImageFormatInvalid", f"invalid image: {field} (cannot be decoded)", fields=field) from None


def check_image_bytes(data: bytes, field: str) -> tuple[str, tuple[int, int]]:
    """(format, (width, height)) of image bytes that pass every documented image rule."""
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
    return fmt, (width, height)


async def check_image(value, field: str, *, max_decoded: int = 10 * MB, fetcher=None) -> Asset:
    """Check one image input (URL or data URI); ``fetcher`` (when --fetch-urls) returns the URL's bytes."""
    if not isinstance(value, str) or not value.strip():
        raise ViduError("FieldLacking", fields=field)
    if value.startswith("data:"):
        mime, head = decode_data_uri(value, field, max_decoded, head_only=True)
        if mime.split("/")[-1] not in IMAGE_FORMATS or not mime.startswith("image/"):
            raise _wrong_format(field, IMAGE_FORMATS)
        try:
            return Asset("data", None, *check_image_bytes(head, field))
        except ViduError as err:
            if err.reason != "ImageFormatInvalid" or len(head) < HEAD_CHARS // 4 * 3:
                raise
        # A header longer than the head (e.g. a JPEG with large metadata): read it all.
        data = decode_data_uri(value, field, max_decoded)[1]
        return Asset("data", None, *check_image_bytes(data, field))
    ext = _url_extension(value, field)
    if ext is not None and ext not in IMAGE_FORMATS:
        raise _wrong_format(field, IMAGE_FORMATS)
    if fetcher is None:
        return Asset("url", None, IMAGE_FORMATS.get(ext or ""))
    data = await fetcher(value, field)
    return Asset("url", data, *check_image_bytes(data, field))


# FFmpeg's demuxer name (sniffed from the bytes) -> our format name; one demuxer reads MP4, MOV and M4A.
_MP4_FAMILY = "mov,mp4,m4a,3gp,3g2,mj2"
CONTAINERS = {
    "audio": {"mp3": "mp3", "wav": "wav", "aac": "aac", _MP4_FAMILY: "m4a"},
    "video": {_MP4_FAMILY: "mp4", "avi": "avi"},
}


@dataclass
class Probe:
    format: str
    duration: float
    size: tuple[int, int] | None  # first video stream's frame, if any


def thumbnail(source: str | bytes | None, max_side: int = 480) -> bytes | None:
    """A small PNG of a checked image (a data URI, or bytes fetched from its URL), to draw from later
    without keeping megabytes; None for an unfetched URL or bytes Pillow cannot read."""
    from PIL import Image

    try:
        if isinstance(source, str):
            if not source.startswith("data:"):
                return None
            source = decode_data_uri(source, "image", 1 << 40)[1]
        if not source:
            return None
        with Image.open(io.BytesIO(source)) as opened:
            img = opened.convert("RGB")
            img.thumbnail((max_side, max_side))
            out = io.BytesIO()
            img.save(out, "PNG")
            return out.getvalue()
    except (ViduError, OSError, ValueError):
        return None


def probe(data: bytes, field: str, kind: str) -> Probe:
    """Container format, duration and frame size of audio/video bytes, read by PyAV.

    A container outside ``CONTAINERS[kind]`` or unreadable bytes are ``FieldInvalid``."""
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            name = container.format.name
            streams = container.streams.audio if kind == "audio" else container.streams.video
            if not streams:
                raise ValueError(f"no {kind} stream")
            videos = container.streams.video
            size = (videos[0].codec_context.width, videos[0].codec_context.height) if videos else None
            duration = _duration(container, streams[0])
    except Exception:
        raise ViduError("FieldInvalid", f"invalid field: {field} (not a readable {kind} file)",
                        fields=field) from None
    fmt = CONTAINERS[kind].get(name)
    if fmt is None:
        allowed = ", ".join(sorted(set(CONTAINERS[kind].values())))
        raise ViduError("FieldInvalid", f"invalid field: {field} ({kind} format must be one of {allowed})",
                        fields=field)
    return Probe(fmt, duration, size)


def _duration(container, stream) -> float:
    if container.duration:
        return container.duration / 1_000_000
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    # No header duration (e.g. raw AAC): sum the packets.
    last = 0.0
    for packet in container.demux(stream):
        if packet.pts is not None and packet.duration is not None:
            last = max(last, float((packet.pts + packet.duration) * stream.time_base))
    if last <= 0:
        raise ValueError("unknown duration")
    return last


def check_frame(size: tuple[int, int] | None, field: str) -> None:
    """A video's frame follows the image rules: at least 128x128, within 1:4..4:1."""
    if not size or min(size) <= 0:
        raise ViduError("FieldInvalid", f"invalid field: {field} (no video stream)", fields=field)
    width, height = size
    if min(width, height) < MIN_SIDE or max(width, height) / min(width, height) > MAX_RATIO:
        raise ViduError("PageSizeOutOfRange", f"{field}: video is {width}x{height}; at least "
                        f"{MIN_SIDE}x{MIN_SIDE} and within 1:4..4:1 is required", fields=field)


async def check_media(value, field: str, kind: str, formats: dict, *, max_decoded: int = 20 * MB,
                      fetcher=None) -> tuple[Asset, float | None]:
    """Check an audio or video input; returns the asset and its measured duration (None if unknown).

    With bytes (a data URI, or a fetched URL) the container is sniffed and must be one of
    ``formats``; a video's frame must pass ``check_frame``. An unfetched URL is judged by its
    extension alone."""
    if not isinstance(value, str) or not value.strip():
        raise ViduError("FieldLacking", fields=field)
    if value.startswith("data:"):
        mime, data = decode_data_uri(value, field, max_decoded)
        if not mime.startswith(f"{kind}/"):
            raise ViduError("FieldInvalid", f"invalid field: {field} (expected data:{kind}/...)", fields=field)
    else:
        ext = _url_extension(value, field)
        if ext is not None and ext not in formats:
            raise ViduError("FieldInvalid", f"invalid field: {field} (supported: {', '.join(sorted(formats))})",
                            fields=field)
        if fetcher is None:
            return Asset("url", None, formats.get(ext or "")), None
        data = await fetcher(value, field)
    found = probe(data, field, kind)
    if found.format not in formats.values():
        raise ViduError("FieldInvalid", f"invalid field: {field} ({kind} format must be one of "
                        f"{', '.join(sorted(set(formats.values())))})", fields=field)
    if kind == "video":
        check_frame(found.size, field)
    return Asset("data" if value.startswith("data:") else "url", data, found.format), found.duration

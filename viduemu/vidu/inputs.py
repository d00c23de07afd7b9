"""Media inputs given as a URL or a ``data:`` URI: images, audio, video.

Formats are sniffed from the bytes, never trusted from the MIME type. An image may also be the caller's
own upload, ``ssupload:?id=<id>`` (ent/uploads.py): its bytes are read through ``Sources`` and checked
like any image's; whose upload it is comes from the request's authentication (``core.http.CALLER``). Remote URLs are not fetched
unless ``--fetch-urls`` is on (the emulator is offline): then only their scheme and file extension
are checked. Every failure is a vendor error naming the field.

Image bombs: an image's width and height are read from its header by this module's own parsers
(PNG IHDR, JPEG SOF, WebP VP8/VP8L/VP8X), never by a decoder, and more than ``MAX_PIXELS`` is refused
before anything is decoded. Every decode (Pillow's thumbnail, PyAV's probe, a large data URI's
base64) runs in a worker thread through ``off_loop``, at most ``DECODERS`` at a time per event loop,
so the loop keeps answering and the memory of decodes in flight stays bounded.
"""

from __future__ import annotations

import asyncio
import binascii
import io
import urllib.parse
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from viduemu.core.errors import ViduError, invalid
from viduemu.core.http import CALLER

MB = 1024 * 1024
IMAGE_FORMATS = {"png": "png", "jpeg": "jpeg", "jpg": "jpeg", "webp": "webp"}
WITH_BMP = {**IMAGE_FORMATS, "bmp": "bmp"}   # the few operations that also list BMP (image2dance)
AUDIO_FORMATS = {"mp3": "mp3", "wav": "wav", "aac": "aac", "m4a": "m4a"}
VIDEO_FORMATS = {"mp4": "mp4", "avi": "avi", "mov": "mov"}
MIN_SIDE = 128
MAX_RATIO = 4.0
# The vendor documents a file size (50 MB) but no pixel limit: 8192x8192 (67 MP) is ours, generous
# for any photo (docs/decisions.md). Pillow's own bomb limit is set to the same (see ``_pillow``).
MAX_PIXELS = 8192 * 8192
DECODERS = 2  # decodes in flight per event loop (2 x ~270 MB at worst, a 67 MP RGBA PNG)


@dataclass
class Asset:
    """What we know of an input: its bytes (None for an unfetched URL) and its sniffed format."""

    source: str            # "data" | "url" | "upload"
    data: bytes | None     # audio/video bytes when read (images keep only their facts)
    format: str | None
    size: tuple[int, int] | None = None  # an image's (width, height), or a video's frame, when its bytes were read
    fps: float | None = None             # a video's frame rate, when its bytes were read


UPLOAD_SCHEME = "ssupload:"
Fetch = Callable[[str, str], Awaitable[bytes]]                  # (url, field) -> bytes
UploadReader = Callable[[str, str, str], Awaitable[bytes]]     # (upload id, field, caller's key) -> bytes


class Sources:
    """Where an area's URL inputs are read from, handed to the checks as their ``fetcher``: remote URLs
    (``remote``, when --fetch-urls is on) and the uploads of the request's caller (``ssupload:``)."""

    def __init__(self, remote: Fetch | None, uploads: UploadReader) -> None:
        self.remote, self._uploads = remote, uploads

    async def __call__(self, url: str, field: str) -> bytes:
        assert self.remote is not None   # only called when remote_of() answered it
        return await self.remote(url, field)

    async def upload(self, uri: str, field: str) -> bytes:
        """The bytes of the caller's finished upload ``ssupload:?id=<id>`` (else a FieldInvalid naming ``field``)."""
        query = urllib.parse.parse_qs(uri[len(UPLOAD_SCHEME):].lstrip("?"))
        ids = query.get("id", [])
        key = CALLER.get()
        if len(ids) != 1 or key is None:
            raise invalid(field, "expected ssupload:?id=<the id of a finished upload>")
        return await self._uploads(ids[0], field, key)


def remote_of(fetcher) -> Fetch | None:
    """What fetches remote URLs: the ``fetcher`` given (a ``Sources``' remote part), None offline."""
    return fetcher.remote if isinstance(fetcher, Sources) else fetcher


async def upload_bytes(fetcher, uri: str, field: str) -> bytes:
    if not isinstance(fetcher, Sources):
        raise invalid(field, "an upload (ssupload:) is not accepted here")
    return await fetcher.upload(uri, field)


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
    if data[:2] == b"BM" and len(data) >= 26:
        return "bmp"
    return None


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[12:16] != b"IHDR":  # IHDR is always the first chunk
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# Start-of-frame markers (every SOFn but DHT 0xC4, JPG 0xC8 and DAC 0xCC) carry the frame's size.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """The first frame header's (width, height), walking the marker segments; None if none is found
    before the scan (or the end of ``data``)."""
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM, RSTn: no length
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # EOI, SOS: the scan starts without a frame header
            return None
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if length < 2:
            return None
        if marker in _SOF:
            if i + 9 > len(data) or length < 7:
                return None
            return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big")
        i += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":  # lossy: after the 3-byte frame tag
        return (int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF)
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:  # lossless: 14-bit sizes minus one
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:  # extended: 24-bit canvas sizes minus one
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def _bmp_size(data: bytes) -> tuple[int, int] | None:
    if int.from_bytes(data[14:18], "little") == 12:   # OS/2 BITMAPCOREHEADER: 16-bit sizes
        return int.from_bytes(data[18:20], "little"), int.from_bytes(data[20:22], "little")
    # BITMAPINFOHEADER and later: 32-bit signed sizes, a negative height for a top-down bitmap
    return (int.from_bytes(data[18:22], "little", signed=True),
            abs(int.from_bytes(data[22:26], "little", signed=True)))


_HEADERS = {"png": _png_size, "jpeg": _jpeg_size, "webp": _webp_size, "bmp": _bmp_size}


def header_size(data: bytes) -> tuple[int, int] | None:
    """An image's (width, height) read from its header alone (no decoder runs); None if unreadable."""
    fmt = sniff_image(data)
    size = _HEADERS[fmt](data) if fmt else None
    return size if size and min(size) > 0 else None


def image_size(data: bytes, field: str) -> tuple[int, int]:
    """(width, height) from the header, refused before any decode when over ``MAX_PIXELS``."""
    size = header_size(data)
    if size is None:
        raise ViduError("ImageFormatInvalid", f"invalid image: {field} (cannot be decoded)", fields=field)
    width, height = size
    if width * height > MAX_PIXELS:
        raise ViduError("FieldInvalid", f"invalid field: {field} (image is {width}x{height}; at most "
                        f"{MAX_PIXELS:,} pixels are allowed)", fields=field)
    return size


def check_image_bytes(data: bytes, field: str, formats: dict = IMAGE_FORMATS) -> tuple[str, tuple[int, int]]:
    """(format, (width, height)) of image bytes that pass every documented image rule."""
    fmt = sniff_image(data)
    if fmt is None or fmt not in formats.values():
        raise _wrong_format(field, formats)
    width, height = image_size(data, field)
    if min(width, height) < MIN_SIDE:
        raise ViduError("PageSizeOutOfRange", f"{field}: image is {width}x{height}; at least "
                        f"{MIN_SIDE}x{MIN_SIDE} pixels are required", fields=field)
    if max(width, height) / min(width, height) > MAX_RATIO:
        raise ViduError("PageSizeOutOfRange", f"{field}: aspect ratio {width}:{height} is outside 1:4..4:1",
                        fields=field)
    return fmt, (width, height)


async def check_image(value, field: str, *, max_decoded: int = 10 * MB, fetcher=None,
                      formats: dict = IMAGE_FORMATS) -> Asset:
    """Check one image input (URL, data URI or ``ssupload:`` upload); ``fetcher``: the area's ``Sources`` (the
    caller's uploads, and a URL's bytes when --fetch-urls) or a bare fetch callable; ``formats``: the extensions (and MIME subtypes) accepted -> the format the bytes must sniff as."""
    if not isinstance(value, str) or not value.strip():
        raise ViduError("FieldLacking", fields=field)
    if value.startswith("data:"):
        return await off_loop(_check_image_data, value, field, max_decoded, formats)
    if value.startswith(UPLOAD_SCHEME):
        data = await upload_bytes(fetcher, value, field)
        if len(data) >= max_decoded:
            raise _too_big(field, max_decoded)
        return Asset("upload", data, *check_image_bytes(data, field, formats))
    ext = _url_extension(value, field)
    if ext is not None and ext not in formats:
        raise _wrong_format(field, formats)
    remote = remote_of(fetcher)
    if remote is None:
        return Asset("url", None, formats.get(ext or ""))
    data = await remote(value, field)
    return Asset("url", data, *check_image_bytes(data, field, formats))


def _check_image_data(value: str, field: str, max_decoded: int, formats: dict) -> Asset:
    mime, head = decode_data_uri(value, field, max_decoded, head_only=True)
    if mime.split("/")[-1] not in formats or not mime.startswith("image/"):
        raise _wrong_format(field, formats)
    try:
        return Asset("data", None, *check_image_bytes(head, field, formats))
    except ViduError as err:
        if err.reason != "ImageFormatInvalid" or len(head) < HEAD_CHARS // 4 * 3:
            raise
    # A header longer than the head (e.g. a JPEG with large metadata): read it all.
    data = decode_data_uri(value, field, max_decoded)[1]
    return Asset("data", None, *check_image_bytes(data, field, formats))


_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


async def off_loop(work, *args):
    """``work(*args)`` in a worker thread, at most ``DECODERS`` at a time on this event loop."""
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(DECODERS)
    async with gate:
        return await asyncio.to_thread(work, *args)


def _pillow():
    """Pillow's Image module, its bomb limit set to ours (every image reaching it passed ``image_size``)."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    return Image


# FFmpeg's demuxer name (sniffed from the bytes) -> our format name; one demuxer reads MP4, MOV and M4A.
_MP4_FAMILY = "mov,mp4,m4a,3gp,3g2,mj2"
CONTAINERS = {
    "audio": {"mp3": "mp3", "wav": "wav", "aac": "aac", _MP4_FAMILY: "m4a", "ogg": "ogg", "asf": "wma"},
    "video": {_MP4_FAMILY: "mp4", "avi": "avi", "flv": "flv", "mpegts": "ts", "matroska,webm": "mkv", "mxf": "mxf",
              "hls": "hls"},
}


@dataclass
class Probe:
    format: str
    duration: float
    size: tuple[int, int] | None  # first video stream's frame, if any
    fps: float | None = None      # first video stream's average frame rate, if known


def thumbnail(source: str | bytes | None, max_side: int = 480) -> bytes | None:
    """A small PNG of a checked image (a data URI, or bytes fetched from its URL), to draw from later
    without keeping megabytes; None for an unfetched URL, bytes Pillow cannot read or an image whose
    header claims more than ``MAX_PIXELS``. Blocking: on the event loop, await ``picture`` instead.

    Memory stays bounded: the header is checked before any decode, a JPEG is decoded already scaled
    down (``draft``), and the colour conversion runs on the small image."""
    Image = _pillow()
    try:
        if isinstance(source, str):
            if not source.startswith("data:"):
                return None
            source = decode_data_uri(source, "image", 1 << 40)[1]
        if not source:
            return None
        size = header_size(source)
        if size is None or size[0] * size[1] > MAX_PIXELS:
            return None
        with Image.open(io.BytesIO(source)) as img:
            if img.size[0] * img.size[1] > MAX_PIXELS:  # the decoder disagrees with our header parser
                return None
            img.draft("RGB", (max_side, max_side))
            img.thumbnail((max_side, max_side))
            out = io.BytesIO()
            img.convert("RGB").save(out, "PNG")
            return out.getvalue()
    except (ViduError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


async def picture(source: str | bytes | None, max_side: int = 480) -> bytes | None:
    """``thumbnail`` off the event loop (``off_loop``)."""
    return await off_loop(thumbnail, source, max_side)


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
            rate = videos[0].average_rate if videos else None
            duration = _duration(container, streams[0])
    except Exception:
        raise ViduError("FieldInvalid", f"invalid field: {field} (not a readable {kind} file)",
                        fields=field) from None
    fmt = CONTAINERS[kind].get(name)
    if fmt is None:
        allowed = ", ".join(sorted(set(CONTAINERS[kind].values())))
        raise ViduError("FieldInvalid", f"invalid field: {field} ({kind} format must be one of {allowed})",
                        fields=field)
    return Probe(fmt, duration, size, float(rate) if rate else None)


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
                      fetcher=None, frame_rules: bool = True) -> tuple[Asset, float | None]:
    """Check an audio or video input; returns the asset and its measured duration (None if unknown).

    With bytes (a data URI, or a fetched URL) the container is sniffed and must be one of
    ``formats``; a video's frame must pass ``check_frame`` (unless ``frame_rules`` is False: an
    operation documenting no frame rule). An unfetched URL is judged by its extension alone."""
    if not isinstance(value, str) or not value.strip():
        raise ViduError("FieldLacking", fields=field)
    if value.startswith("data:"):
        mime, data = await off_loop(decode_data_uri, value, field, max_decoded)
        if not mime.startswith(f"{kind}/"):
            raise ViduError("FieldInvalid", f"invalid field: {field} (expected data:{kind}/...)", fields=field)
    else:
        ext = _url_extension(value, field)
        if ext is not None and ext not in formats:
            raise ViduError("FieldInvalid", f"invalid field: {field} (supported: {', '.join(sorted(formats))})",
                            fields=field)
        remote = remote_of(fetcher)
        if remote is None:
            return Asset("url", None, formats.get(ext or "")), None
        data = await remote(value, field)
    found = await off_loop(probe, data, field, kind)
    if found.format not in formats.values():
        raise ViduError("FieldInvalid", f"invalid field: {field} ({kind} format must be one of "
                        f"{', '.join(sorted(set(formats.values())))})", fields=field)
    if kind == "video" and frame_rules:
        check_frame(found.size, field)
    return (Asset("data" if value.startswith("data:") else "url", data, found.format, found.size, found.fps),
            found.duration)


def has_audio(data: bytes) -> bool:
    """Whether media bytes (already checked by ``check_media``) hold an audio stream. Blocking: await
    ``off_loop(has_audio, data)`` on the event loop."""
    return _streams(data)[1]


def video_codec(data: bytes) -> str | None:
    """The codec of the first video stream of media bytes (FFmpeg's name, e.g. ``h264``), None if none.
    Blocking, as ``has_audio``."""
    return _streams(data)[0]


def _streams(data: bytes) -> tuple[str | None, bool]:
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            videos = container.streams.video
            return (videos[0].codec_context.name if videos else None), bool(container.streams.audio)
    except Exception:
        return None, False

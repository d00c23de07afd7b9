"""Image bombs (issue 13 item 5): an image's pixel count is refused from its header, before any
decode, with a vendor 400 naming the field, on every route that takes images; and decoding the
largest allowed image (and audio and video inputs) never blocks the event loop."""

from __future__ import annotations

import io
import json
import struct
import threading
import time
import zlib

import httpx
import pytest
from PIL import Image

from tests.conftest import AUTH, assert_error
from tests.support.media import data_uri, mp4, wav
from tests.support.server import running
from viduemu.vidu.inputs import MAX_PIXELS, header_size, thumbnail


def real(fmt: str, size=(256, 256), **save) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 60, 60)).save(buf, fmt, **save)
    return buf.getvalue()


def jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(real("JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def png_claiming(width: int, height: int) -> bytes:
    data = bytearray(real("PNG"))
    data[16:24] = struct.pack(">II", width, height)
    return bytes(data)


def webp_lossless_claiming(width: int, height: int) -> bytes:
    data = bytearray(real("WEBP", lossless=True))
    assert data[12:16] == b"VP8L"
    bits = int.from_bytes(data[21:25], "little") & ~((1 << 28) - 1)
    data[21:25] = (bits | (width - 1) | (height - 1) << 14).to_bytes(4, "little")
    return bytes(data)


def webp_extended_claiming(width: int, height: int) -> bytes:
    inner = real("WEBP")[12:]  # the VP8 chunk of a real lossy WebP
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes(4) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + vp8x + inner
    return b"RIFF" + struct.pack("<I", len(body)) + body


BOMBS = {
    "jpeg-65000": ("image/jpeg", jpeg_claiming(65000, 65000)),
    "png-100000": ("image/png", png_claiming(100000, 100000)),
    "webp-vp8l-16384": ("image/webp", webp_lossless_claiming(16384, 16384)),
    "webp-vp8x-16384": ("image/webp", webp_extended_claiming(16384, 16384)),
}


# -- the header parsers agree with Pillow -------------------------------------------------------------
@pytest.mark.parametrize("fmt,save", [("PNG", {}), ("JPEG", {}), ("JPEG", {"progressive": True}),
                                      ("WEBP", {}), ("WEBP", {"lossless": True})])
def test_header_size_matches_pillow(fmt, save):
    data = real(fmt, (300, 170), **save)
    assert header_size(data) == (300, 170) == Image.open(io.BytesIO(data)).size


def test_header_size_of_an_extended_webp_and_of_the_bombs():
    rgba = io.BytesIO()
    Image.new("RGBA", (333, 222), (1, 2, 3, 4)).save(rgba, "WEBP")  # alpha: a VP8X header
    assert rgba.getvalue()[12:16] == b"VP8X" and header_size(rgba.getvalue()) == (333, 222)
    assert header_size(jpeg_claiming(65000, 65000)) == (65000, 65000)
    assert header_size(png_claiming(100000, 100000)) == (100000, 100000)
    assert header_size(webp_lossless_claiming(16384, 16384)) == (16384, 16384)
    assert header_size(webp_extended_claiming(16384, 16384)) == (16384, 16384)


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_thumbnail_of_a_bomb_is_none_without_decoding(name):
    assert thumbnail(BOMBS[name][1]) is None


# -- every route that takes an image: a 400 naming the field, never a 500 -----------------------------
async def assert_refused(response: httpx.Response, field: str) -> None:
    body = assert_error(response, 400, "FieldInvalid", field)
    assert "pixels" in body["message"]


@pytest.mark.parametrize("name", sorted(BOMBS))
async def test_a_bomb_on_img2video_is_a_400_naming_the_field(client, name):
    image = data_uri(*BOMBS[name])
    r = await client.post("/ent/v2/img2video", headers=AUTH, json={"model": "viduq1", "images": [image]})
    await assert_refused(r, "images.0")


@pytest.mark.parametrize("name", sorted(BOMBS))
async def test_a_bomb_on_subjects_is_a_400_naming_the_field(client, name):
    image = data_uri(*BOMBS[name])
    r = await client.post("/ent/v2/subjects", headers=AUTH, json={"name": "hero", "images": [image]})
    await assert_refused(r, "images.0")


@pytest.mark.parametrize("name", sorted(BOMBS))
async def test_a_bomb_as_a_live_avatar_is_a_400_naming_the_field(client, name):
    avatar = {"persona": "A friendly guide.", "image_uri": data_uri(*BOMBS[name])}
    r = await client.post("/live/v1/lives", headers=AUTH, json={"call_mode": "audio", "avatar": avatar})
    await assert_refused(r, "avatar.image_uri")


async def test_the_pixel_limit_is_inclusive(client):
    side = int(MAX_PIXELS ** 0.5)
    at = data_uri("image/png", png_claiming(side, side))
    over = data_uri("image/png", png_claiming(side + 1, side))
    ok = await client.post("/ent/v2/subjects", headers=AUTH, json={"name": "hero", "images": [at]})
    assert ok.status_code == 200, ok.text
    await assert_refused(await client.post("/ent/v2/subjects", headers=AUTH, json={"name": "h", "images": [over]}),
                         "images.0")


# -- decodes run off the event loop -------------------------------------------------------------------
def largest_allowed_png() -> bytes:
    """A real PNG of exactly MAX_PIXELS (8192x8192 grey, all zero): small on the wire, 64 MB decoded."""
    side = int(MAX_PIXELS ** 0.5)
    row = b"\x00" + bytes(side)
    raw = zlib.compress(row * side, 9)

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def probe_health(base: str, stop: threading.Event, latencies: list[float]) -> None:
    with httpx.Client(base_url=base, timeout=10) as http:
        while not stop.is_set():
            started = time.perf_counter()
            assert http.get("/_emulator/health").status_code == 200
            latencies.append(time.perf_counter() - started)
            time.sleep(0.02)


async def test_health_answers_within_100_ms_while_the_largest_inputs_are_checked(live_settings, contracts):
    import asyncio

    png_bytes = largest_allowed_png()
    assert thumbnail(png_bytes) is not None  # a real image, decodable
    avatar = {"persona": "A friendly guide.", "image_uri": data_uri("image/png", png_bytes)}
    requests = [  # encoded up front: the test's own loop stays idle while it measures
        ("/live/v1/lives", json.dumps({"call_mode": "video", "avatar": avatar}).encode()),
        ("/live/v1/voices/clone", json.dumps({"audio_url": wav(120), "voice": "bomb01", "language": "zh"}).encode()),
        ("/ent/v2/subjects", json.dumps({"name": "hero", "images": [data_uri("image/png", png_bytes)],
                                         "videos": [mp4(5)]}).encode()),
    ]
    headers = {**AUTH, "Content-Type": "application/json"}
    async with running(live_settings, contracts) as srv:
        stop, latencies = threading.Event(), []
        prober = asyncio.ensure_future(asyncio.to_thread(probe_health, srv.base, stop, latencies))
        await asyncio.sleep(0.1)
        before = len(latencies)
        started = time.perf_counter()
        answers = await asyncio.gather(*(srv.http.post(path, content=body, headers=headers, timeout=60)
                                         for path, body in requests))
        elapsed = time.perf_counter() - started
        during = len(latencies) - before
        stop.set()
        await prober
    assert [r.status_code for r in answers] == [200, 200, 200], [r.text for r in answers]
    assert during >= 3, (during, elapsed)  # the probes really overlapped the checks
    assert max(latencies) < 0.1, sorted(latencies)[-5:]

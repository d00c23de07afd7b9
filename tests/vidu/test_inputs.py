"""Media input checks: formats sniffed from bytes, sizes, dimensions, aspect ratios, durations."""

import base64
import io
import math
import struct
import wave

import pytest
from PIL import Image

from viduemu.core.errors import ViduError
from viduemu.vidu.inputs import AUDIO_FORMATS, check_image, check_media

MB = 1024 * 1024


def image_bytes(size=(256, 256), fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 60, 60)).save(buf, fmt)
    return buf.getvalue()


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 10))) for i in range(int(seconds * rate))))
    return buf.getvalue()


async def reason_of(coro) -> str:
    with pytest.raises(ViduError) as err:
        await coro
    return err.value.reason


@pytest.mark.parametrize("fmt,mime", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
async def test_png_jpeg_webp_are_accepted(fmt, mime):
    asset = await check_image(data_uri(image_bytes(fmt=fmt), mime), "images.0")
    assert asset.format == {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}[fmt]


async def test_format_is_sniffed_from_the_bytes_not_the_mime():
    # JPEG bytes declared as PNG: the bytes decide.
    assert (await check_image(data_uri(image_bytes(fmt="JPEG"), "image/png"), "f")).format == "jpeg"
    # GIF bytes declared as PNG are refused.
    assert await reason_of(check_image(data_uri(image_bytes(fmt="GIF"), "image/png"), "f")) == "ImageFormatInvalid"


async def test_gif_and_non_image_bytes_are_image_format_invalid():
    assert await reason_of(check_image(data_uri(image_bytes(fmt="GIF"), "image/gif"), "f")) == "ImageFormatInvalid"
    assert await reason_of(check_image(data_uri(b"hello world" * 10, "image/png"), "f")) == "ImageFormatInvalid"


async def test_images_must_be_at_least_128_pixels_each_side():
    assert (await check_image(data_uri(image_bytes((128, 128)), "image/png"), "f")).format == "png"
    assert await reason_of(check_image(data_uri(image_bytes((127, 300)), "image/png"), "f")) == "PageSizeOutOfRange"


async def test_aspect_ratio_must_be_within_1_to_4_and_4_to_1():
    assert (await check_image(data_uri(image_bytes((512, 128)), "image/png"), "f")).format == "png"
    assert await reason_of(check_image(data_uri(image_bytes((640, 128)), "image/png"), "f")) == "PageSizeOutOfRange"
    assert await reason_of(check_image(data_uri(image_bytes((128, 640)), "image/png"), "f")) == "PageSizeOutOfRange"


async def test_decoded_size_limit_is_enforced_before_decoding():
    big = "data:image/png;base64," + "A" * (11 * MB // 3 * 4)
    assert await reason_of(check_image(big, "f", max_decoded=10 * MB)) == "PageSizeOutOfRange"


async def test_broken_base64_is_field_invalid():
    err_reason = await reason_of(check_image("data:image/png;base64,@@not-base64@@", "images.0"))
    assert err_reason == "FieldInvalid"


@pytest.mark.parametrize("url,reason", [
    ("ftp://example.com/a.png", "FieldInvalid"),
    ("not a url", "FieldInvalid"),
    ("https://example.com/a.gif", "ImageFormatInvalid"),
    ("", "FieldLacking"),
])
async def test_urls_are_checked_for_scheme_and_extension(url, reason):
    assert await reason_of(check_image(url, "f")) == reason


async def test_urls_are_not_fetched_by_default():
    asset = await check_image("https://example.com/photos/cat.JPG?sig=1", "f")
    assert asset.source == "url" and asset.data is None and asset.format == "jpeg"


async def test_audio_duration_is_measured_from_the_data():
    _, seconds = await check_media(data_uri(wav_bytes(2.5), "audio/wav"), "audio_url", "audio", AUDIO_FORMATS)
    assert seconds == pytest.approx(2.5, abs=0.05)


async def test_unreadable_audio_is_field_invalid():
    assert await reason_of(check_media(data_uri(b"\x00" * 64, "audio/wav"), "audio_url", "audio",
                                       AUDIO_FORMATS)) == "FieldInvalid"


def _jpeg_with_big_comment(size=(300, 200), comment_bytes=70_000) -> bytes:
    data = image_bytes(size, "JPEG")
    segments, rest = [], comment_bytes
    while rest > 0:  # COM segments carry at most 65533 bytes each
        n = min(rest, 65533)
        segments.append(b"\xff\xfe" + (n + 2).to_bytes(2, "big") + b"c" * n)
        rest -= n
    return data[:2] + b"".join(segments) + data[2:]  # after SOI, before the frame header


async def test_a_jpeg_whose_frame_header_lies_beyond_the_decoded_head_is_still_measured():
    asset = await check_image(data_uri(_jpeg_with_big_comment(), "image/jpeg"), "images.0")
    assert asset.format == "jpeg" and asset.size == (300, 200)


async def test_base64_without_padding_or_with_inner_padding_is_broken():
    good = base64.b64encode(image_bytes()).decode()
    for broken in (good.rstrip("=") + "A", "AA=A" + good, good + "===="):
        assert await reason_of(check_image("data:image/png;base64," + broken, "f")) == "FieldInvalid"


def test_thumbnail_of_a_data_uri_or_fetched_bytes_is_a_small_png():
    from viduemu.vidu.inputs import thumbnail

    big = image_bytes((1600, 900), "JPEG")
    for source in (data_uri(big, "image/jpeg"), big):
        with Image.open(io.BytesIO(thumbnail(source))) as small:
            assert small.format == "PNG" and small.size == (480, 270)
    assert thumbnail("https://example.com/a.png") is None   # not fetched: nothing to draw from
    assert thumbnail(b"not an image") is None

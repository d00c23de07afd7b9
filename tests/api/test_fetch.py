"""--fetch-urls: remote media are fetched (http(s) only, time and size capped) from a real local server."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from tests.receiver import Receiver, free_port
from viduemu.app import create_app
from viduemu.config import Settings
from viduemu.core.errors import ViduError
from viduemu.core.inputs import check_image


def image_bytes(fmt: str, size=(256, 256)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


PNG = image_bytes("PNG")
ROUTES = {
    "/a.png": (200, {"Content-Type": "image/png"}, PNG),
    "/moved.png": (302, {"Location": "/a.png"}, b""),
    "/anim.png": (200, {}, image_bytes("GIF")),
    "/gone.png": (404, {}, b"no"),
    "/oops.png": (500, {}, b"no"),
    "/big.png": (200, {}, b"\0" * 4096),
    "/big-declared.png": (200, {"Content-Length": "999999"}, b"\0" * 16),
    # no Content-Length (read until close): the cap must hold while streaming
    "/big-unsized.png": (200, {"Content-Length": None}, b"\0" * 65536),
}


@pytest.fixture
def settings() -> Settings:
    return Settings(clock="manual", seed=1234, fetch_urls=True, fetch_timeout=0.5, fetch_max_bytes=2048 + len(PNG))


@pytest.fixture
def rx():
    with Receiver(routes=ROUTES) as receiver:
        yield receiver


async def failure(coro) -> ViduError:
    with pytest.raises(ViduError) as info:
        await coro
    return info.value


async def test_fetch_returns_the_bytes_and_follows_redirects(emu, rx):
    assert await emu.fetcher(rx.url + "/a.png", "images.0") == PNG
    assert await emu.fetcher(rx.url + "/moved.png", "images.0") == PNG


async def test_fetched_image_is_checked_from_its_bytes(emu, rx):
    asset = await check_image(rx.url + "/a.png", "images.0", fetcher=emu.fetcher)
    assert asset.data == PNG and asset.format == "png"
    err = await failure(check_image(rx.url + "/anim.png", "images.0", fetcher=emu.fetcher))
    assert err.reason == "ImageFormatInvalid" and err.fields == "images.0"  # a GIF named .png


async def test_non_2xx_and_unreachable_are_image_download_failure(emu, rx):
    for url in (rx.url + "/gone.png", rx.url + "/oops.png", f"http://127.0.0.1:{free_port()}/a.png"):
        err = await failure(emu.fetcher(url, "images.1"))
        assert (err.reason, err.fields, err.status) == ("ImageDownloadFailure", "images.1", 400), url


async def test_only_http_urls_are_fetched(emu):
    for url in ("file:///etc/passwd", "ftp://example.com/a.png"):
        err = await failure(emu.fetcher(url, "images.0"))
        assert (err.reason, err.fields) == ("FieldInvalid", "images.0")


async def test_slow_server_times_out(emu):
    with Receiver(routes=ROUTES, delay=1.5) as slow:
        started = time.perf_counter()
        err = await failure(emu.fetcher(slow.url + "/a.png", "images.0"))
        assert err.reason == "ImageDownloadFailure" and "0.5 s" in err.message
        assert time.perf_counter() - started < 1.2


async def test_size_cap_is_enforced(emu, rx):
    for path in ("/big.png", "/big-declared.png", "/big-unsized.png"):
        err = await failure(emu.fetcher(rx.url + path, "images.0"))
        assert (err.reason, err.fields) == ("PageSizeOutOfRange", "images.0"), path


async def test_no_fetcher_without_the_flag():
    other = create_app(Settings(clock="manual"))
    try:
        assert other.state.emu.fetcher is None
    finally:
        await other.state.emu.aclose()

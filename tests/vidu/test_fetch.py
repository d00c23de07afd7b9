"""--fetch-urls: remote media are fetched (http(s) only, public addresses only unless
--fetch-allow-private, each redirect checked again, time and size capped) from a real local server.

The local server is on loopback, so the happy-path tests run with ``fetch_allow_private``."""

from __future__ import annotations

import io
import time

import httpx
import pytest
from PIL import Image

from tests.support.receiver import Receiver
from viduemu.app import create_app
from viduemu.config import Settings
from viduemu.core.errors import ViduError
from viduemu.vidu.fetch import Fetcher, is_public
from viduemu.vidu.inputs import check_image


def image_bytes(fmt: str, size=(256, 256)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


PNG = image_bytes("PNG")
ROUTES = {
    "/a.png": (200, {"Content-Type": "image/png"}, PNG),
    "/moved.png": (302, {"Location": "/a.png"}, b""),
    "/to-file.png": (302, {"Location": "file:///etc/passwd"}, b""),
    "/loop.png": (302, {"Location": "/loop.png"}, b""),
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
    return Settings(clock="manual", seed=1234, fetch_urls=True, fetch_allow_private=True, fetch_timeout=0.5,
                    fetch_max_bytes=2048 + len(PNG))


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


async def test_non_2xx_and_unreachable_are_image_download_failure(emu, rx, refused_port):
    for url in (rx.url + "/gone.png", rx.url + "/oops.png", f"http://127.0.0.1:{refused_port}/a.png"):
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


async def test_redirect_hops_are_checked_again_and_counted(emu, rx):
    err = await failure(emu.fetcher(rx.url + "/to-file.png", "images.0"))
    assert (err.reason, err.fields) == ("ImageDownloadFailure", "images.0") and "file" in err.message
    err = await failure(emu.fetcher(rx.url + "/loop.png", "images.0"))
    assert err.reason == "ImageDownloadFailure" and "redirects" in err.message
    assert [r["path"] for r in rx.requests].count("/loop.png") == 6  # the first request and 5 redirects


# -- without --fetch-allow-private --------------------------------------------------------------
def public_fetcher(**kw) -> Fetcher:
    return Fetcher(timeout=2, max_bytes=1 << 20, **kw)


async def test_private_loopback_and_link_local_addresses_are_refused_without_allow_private(rx):
    fetcher = public_fetcher()
    try:
        for url in (rx.url + "/a.png", f"http://localhost:{rx.port}/a.png", f"http://[::1]:{rx.port}/a.png",
                    "http://10.0.0.7/a.png", "http://192.168.1.1/a.png", "http://169.254.169.254/latest/meta-data",
                    "http://[fe80::1]/a.png", "http://[::ffff:127.0.0.1]/a.png", "http://0.0.0.0/a.png",
                    "http://100.64.0.1/a.png", "http://224.0.0.1/a.png"):
            err = await failure(fetcher(url, "images.0"))
            assert (err.reason, err.fields) == ("ImageDownloadFailure", "images.0"), url
            assert "--fetch-allow-private" in err.message, url
        assert rx.requests == []  # refused before connecting
    finally:
        await fetcher.aclose()


async def test_every_resolved_address_of_a_host_must_be_public():
    async def resolve(host, port):  # a name with one public and one private address (e.g. DNS rebinding)
        return {"mixed.test": ["8.8.8.8", "10.0.0.1"]}[host]

    fetcher = public_fetcher(resolve=resolve)
    err = await failure(fetcher("http://mixed.test/a.png", "images.2"))
    assert err.reason == "ImageDownloadFailure" and "10.0.0.1" in err.message
    await fetcher.aclose()


async def test_the_connection_goes_to_the_address_that_was_checked_and_each_redirect_is_checked(rx):
    """public.test resolves to a public address whose server redirects to loopback: the first hop is
    fetched from the checked address (Host and SNI keep the name), the second is refused."""
    seen = []

    async def resolve(host, port):
        return {"public.test": ["8.8.4.4"]}[host]

    def network(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers["host"], request.extensions.get("sni_hostname")))
        return httpx.Response(302, headers={"Location": f"{rx.url}/a.png"})

    fetcher = public_fetcher(resolve=resolve, transport=httpx.MockTransport(network))
    try:
        err = await failure(fetcher("https://public.test/a.png", "images.0"))
        assert err.reason == "ImageDownloadFailure" and "127.0.0.1" in err.message
        assert seen == [("8.8.4.4", "public.test", "public.test")]
        assert rx.requests == []
    finally:
        await fetcher.aclose()


def test_only_global_unicast_addresses_are_public():
    assert is_public("8.8.8.8") and is_public("2001:4860:4860::8888")
    for address in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.169.254", "100.64.0.1",
                    "0.0.0.0", "224.0.0.1", "::1", "fe80::1%eth0", "fc00::1", "::ffff:10.0.0.1", "::"):
        assert not is_public(address), address


async def test_unresolvable_host_is_image_download_failure():
    fetcher = public_fetcher()
    err = await failure(fetcher("http://no-such-host.invalid/a.png", "images.0"))
    assert err.reason == "ImageDownloadFailure" and "resolve" in err.message
    await fetcher.aclose()


# An IPv6 address that embeds an IPv4 address is judged by the IPv4 address inside (issue 13).
LOOPBACK_INSIDE = ("::ffff:127.0.0.1",                     # IPv4-mapped
                   "::7f00:1",                             # IPv4-compatible ::127.0.0.1
                   "::ffff:0:7f00:1",                      # SIIT (IPv4-translated)
                   "64:ff9b::7f00:1",                      # NAT64, the well-known prefix
                   "64:ff9b:1:7f00:0:100::",               # NAT64, a local-use /48 prefix
                   "64:ff9b:1::7f00:1",                    # NAT64, a local-use /96 prefix
                   "2002:7f00:1::",                        # 6to4
                   "2001:0:7f00:1:0:0:f7f7:f7f7",          # Teredo, server 127.0.0.1 (client 8.8.8.8)
                   "2001:0:808:808:0:0:80ff:fffe")         # Teredo, client 127.0.0.1 (obfuscated)
PRIVATE_INSIDE = ("::ffff:10.0.0.1", "::a00:1", "::ffff:0:a00:1", "64:ff9b::a00:1", "2002:a00:1::",
                  "2001:0:808:808:0:0:f5ff:fffe")
METADATA_INSIDE = ("::ffff:169.254.169.254", "::a9fe:a9fe", "::ffff:0:a9fe:a9fe", "64:ff9b::a9fe:a9fe",
                   "2002:a9fe:a9fe::")
PUBLIC_INSIDE = ("::ffff:8.8.8.8", "::808:808", "::ffff:0:808:808", "64:ff9b::808:808", "2002:808:808::",
                 "2001:0:808:808:0:0:f7f7:f7f7")


def test_ipv6_addresses_embedding_ipv4_are_judged_by_the_ipv4_inside():
    from viduemu.vidu.fetch import address_classes

    for address in LOOPBACK_INSIDE:
        assert not is_public(address) and "loopback" in address_classes(address), address
    for address in PRIVATE_INSIDE:
        assert not is_public(address) and "private" in address_classes(address), address
    for address in METADATA_INSIDE:
        assert address_classes(address) == {"cloud-metadata"}, address
    for address in PUBLIC_INSIDE:
        assert is_public(address), address
    # a local-use NAT64 prefix is local whatever it embeds; :: and ::1 stay themselves
    assert not is_public("64:ff9b:1::808:808")
    assert address_classes("::1") == {"loopback"} and address_classes("::") == {"unspecified"}


async def test_embedded_loopback_addresses_are_refused_before_connecting(rx):
    fetcher = public_fetcher()
    try:
        for address in LOOPBACK_INSIDE + PRIVATE_INSIDE + METADATA_INSIDE:
            err = await failure(fetcher(f"http://[{address}]:{rx.port}/a.png", "images.0"))
            assert err.reason == "ImageDownloadFailure" and "embeds" in err.message, address
            assert "--fetch-allow-private" in err.message, address
        assert rx.requests == []
    finally:
        await fetcher.aclose()


async def test_a_name_resolving_to_an_embedded_loopback_address_is_refused():
    async def resolve(host, port):
        return {"sneaky.test": ["64:ff9b::7f00:1"]}[host]

    fetcher = public_fetcher(resolve=resolve)
    err = await failure(fetcher("http://sneaky.test/a.png", "images.0"))
    assert err.reason == "ImageDownloadFailure" and "127.0.0.1" in err.message
    await fetcher.aclose()

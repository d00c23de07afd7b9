"""Fetching remote media URLs when ``--fetch-urls`` is on (``emu.fetcher``).

An async callable ``(url, field) -> bytes``. The emulator fetches what any caller names, so it
must not become a way into the machine's network (SSRF):

* only http(s), at every hop;
* every address the host name resolves to must be public: private, loopback, link-local,
  multicast and reserved addresses are refused unless ``allow_private`` (``--fetch-allow-private``);
  the connection then goes to the address that was checked (the request carries the original
  ``Host`` and TLS server name), so a second DNS answer cannot swap in another address;
* redirects are followed by hand (at most ``MAX_REDIRECTS``), each hop checked again;
* the whole download, redirects included, is capped in time (``fetch_timeout``) and in size
  (``fetch_max_bytes``, enforced while streaming so an oversize file is never buffered).

A refused address, a non-2xx answer, a timeout or a network error is the vendor's
``ImageDownloadFailure`` naming the field; a file over the cap is ``PageSizeOutOfRange``; a URL
whose scheme is not http(s) is ``FieldInvalid``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from viduemu.core.errors import ViduError

if TYPE_CHECKING:
    import httpx

MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]  # the address of each (address, port, ...)


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class Fetcher:
    """``resolve(host, port) -> [address, ...]`` and ``transport`` (an httpx transport) are the
    network: the system's by default."""

    def __init__(self, timeout: float, max_bytes: int, *, allow_private: bool = False,
                 resolve: Callable[[str, int], Awaitable[list[str]]] = system_resolve,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.timeout, self.max_bytes, self.allow_private = timeout, max_bytes, allow_private
        self.resolve, self.transport = resolve, transport
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, url: str, field: str) -> bytes:
        import httpx

        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ViduError("FieldInvalid", f"invalid field: {field} (only http(s) URLs can be fetched)",
                            fields=field)
        if self._client is None:
            # No proxies from the environment (the address check must see the real destination) and
            # no kept connections (a pooled connection is keyed by address, not by host name).
            self._client = httpx.AsyncClient(transport=self.transport, trust_env=False,
                                             limits=httpx.Limits(max_keepalive_connections=0))
        try:
            async with asyncio.timeout(self.timeout):
                for _ in range(MAX_REDIRECTS + 1):
                    target, headers, extensions = await self._pin(url, field)
                    async with self._client.stream("GET", target, headers=headers,
                                                   extensions=extensions) as response:
                        location = response.headers.get("location")
                        if response.status_code in REDIRECTS and location:
                            url = urllib.parse.urljoin(url, location)
                            continue
                        return await self._body(response, field)
                raise _failure(field, f"more than {MAX_REDIRECTS} redirects")
        except TimeoutError:
            raise _failure(field, f"no complete answer within {self.timeout:g} s") from None
        except (httpx.HTTPError, httpx.InvalidURL, OSError, UnicodeError, ValueError) as exc:
            raise _failure(field, type(exc).__name__) from None

    async def _pin(self, url: str, field: str) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
        """(the URL with its host replaced by a checked address, headers, httpx extensions)."""
        import httpx

        parts = httpx.URL(url)
        if parts.scheme not in ("http", "https"):
            raise _failure(field, f"a redirect led to a {parts.scheme or 'relative'} URL; only http(s) is fetched")
        host = parts.host
        if not host:
            raise _failure(field, "the URL has no host")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            ipaddress.ip_address(host)
            addresses = [host]
        except ValueError:
            try:
                addresses = await self.resolve(host, port)
            except OSError:
                raise _failure(field, f"the host {host} does not resolve") from None
        if not addresses:
            raise _failure(field, f"the host {host} does not resolve")
        if not self.allow_private:
            for address in addresses:
                if not is_public(address):
                    raise _failure(field, f"{host} is the private, loopback or link-local address {address} "
                                          "(viduemu serve --fetch-allow-private allows it)")
        if addresses[0] == host:
            return parts, {}, {}
        netloc = parts.netloc.decode("ascii").rpartition("@")[2]
        return parts.copy_with(host=addresses[0]), {"Host": netloc}, {"sni_hostname": host}

    async def _body(self, response: httpx.Response, field: str) -> bytes:
        if not 200 <= response.status_code < 300:
            raise _failure(field, f"the server answered HTTP {response.status_code}")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_big(field)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise self._too_big(field)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_big(self, field: str) -> ViduError:
        return ViduError("PageSizeOutOfRange", f"{field}: the file is larger than "
                         f"{self.max_bytes // (1024 * 1024)} MB", fields=field)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _failure(field: str, why: str) -> ViduError:
    return ViduError("ImageDownloadFailure", f"image download failure: {field} ({why})", fields=field)

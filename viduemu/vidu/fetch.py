"""Fetching remote media URLs when ``--fetch-urls`` is on (``emu.fetcher``).

An async callable ``(url, field) -> bytes``. The emulator fetches what any caller names, so it
must not become a way into the machine's network (SSRF):

* only http(s), at every hop;
* every address the host name resolves to must be public: private, loopback, link-local,
  multicast and reserved addresses are refused unless ``allow_private`` (``--fetch-allow-private``),
  and an IPv6 address that embeds an IPv4 address (mapped, compatible, SIIT, NAT64, 6to4, Teredo)
  is judged by the IPv4 address inside (``address_classes``, which callbacks.py's policy shares);
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


# Address classes. A policy allows a set of them; an address is allowed only if every class it may
# belong to is allowed (an IPv6 address that embeds an IPv4 address is judged by that IPv4 address).
LOOPBACK, PRIVATE, PUBLIC = "loopback", "private", "public"
# Cloud instance-metadata services (AWS, GCP, Azure and OpenStack at 169.254.169.254, Alibaba at
# 100.100.100.200, Oracle's 192.0.0.192, AWS's IPv6 fd00:ec2::254): never a receiver.
METADATA = frozenset(ipaddress.ip_address(a) for a in
                     ("169.254.169.254", "100.100.100.200", "192.0.0.192", "fd00:ec2::254"))
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in
                         ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # RFC 1918
                          "100.64.0.0/10",                                   # shared (carrier-grade NAT)
                          "fc00::/7"))                                       # unique local IPv6
NAT64 = ipaddress.ip_network("64:ff9b::/96")           # the well-known NAT64 prefix (RFC 6052)
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")   # local-use NAT64 prefixes (RFC 8215)
# Where an IPv4 address sits in an RFC 6052 address, for each prefix length a local-use prefix may
# have: the byte offsets of its four bytes (byte 8, the "u" byte, is always skipped).
RFC6052_OFFSETS = ((6, 7, 9, 10), (7, 9, 10, 11), (9, 10, 11, 12), (12, 13, 14, 15))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for (none: it is plain IPv6)."""
    b = ip.packed
    low = ipaddress.IPv4Address(b[12:])
    if ip.ipv4_mapped:                                  # ::ffff:a.b.c.d
        return [ip.ipv4_mapped]
    if b[:12] == bytes(12) and int(ip) > 1:             # ::a.b.c.d (IPv4-compatible; not :: nor ::1)
        return [low]
    if b[:12] == bytes(8) + b"\xff\xff\0\0":           # ::ffff:0:a.b.c.d (SIIT, IPv4-translated)
        return [low]
    if ip in NAT64:                                     # 64:ff9b::a.b.c.d
        return [low]
    if ip in NAT64_LOCAL:                               # 64:ff9b:1::/48, prefix length unknown: every reading
        return [ipaddress.IPv4Address(bytes(b[i] for i in at)) for at in RFC6052_OFFSETS]
    if ip.sixtofour:                                    # 2002:aabb:ccdd::/48 (6to4)
        return [ip.sixtofour]
    if ip.teredo:                                       # 2001::/32: (server, client)
        return list(ip.teredo)
    return []


def address_classes(address: str) -> frozenset[str]:
    """The classes ``address`` may belong to: ``loopback``, ``private``, ``public``, or one that no
    policy allows (``cloud-metadata``, ``link-local``, ``multicast``, ``unspecified``, ``reserved``)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
    if isinstance(ip, ipaddress.IPv6Address):
        inside = embedded_ipv4(ip)
        if inside:
            classes = frozenset().union(*(_class(v4) for v4 in inside))
            return classes | {PRIVATE} if ip in NAT64_LOCAL else classes  # a local-use prefix is local
    return _class(ip)


def _class(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> frozenset[str]:
    if ip in METADATA:
        return frozenset({"cloud-metadata"})
    if ip.is_loopback:
        return frozenset({LOOPBACK})
    if any(ip in net for net in PRIVATE_NETWORKS):
        return frozenset({PRIVATE})
    if ip.is_global and not ip.is_multicast:
        return frozenset({PUBLIC})
    for kind in ("link_local", "multicast", "unspecified"):
        if getattr(ip, f"is_{kind}"):
            return frozenset({kind.replace("_", "-")})
    return frozenset({"reserved"})


def is_public(address: str) -> bool:
    return address_classes(address) == {PUBLIC}


def describe(address: str) -> str:
    """``127.0.0.1 (loopback)``, ``::7f00:1 (loopback: it embeds 127.0.0.1)``."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    kinds = "/".join(sorted(address_classes(address)))
    inside = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else []
    return f"{address} ({kinds}" + (f": it embeds {', '.join(map(str, inside))})" if inside else ")")


class Refused(Exception):
    """A URL that cannot be pinned: ``why`` says so in a phrase (no host, does not resolve, refused)."""

    def __init__(self, why: str, address: str | None = None):
        super().__init__(why)
        self.why, self.address = why, address


async def pin(url: str, resolve: Callable[[str, int], Awaitable[list[str]]],
              allowed: Callable[[str], bool] | None) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """(``url`` with its host replaced by a checked address, headers, httpx extensions), for a request
    that goes to the address that was checked: a second DNS answer cannot swap in another one.

    Every address the host resolves to must pass ``allowed`` (None: any address); else ``Refused``
    with the first address that failed."""
    import httpx

    parts = httpx.URL(url)
    host = parts.host
    if not host:
        raise Refused("the URL has no host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        try:
            addresses = await resolve(host, port)
        except OSError:
            raise Refused(f"the host {host} does not resolve") from None
    if not addresses:
        raise Refused(f"the host {host} does not resolve")
    if allowed is not None:
        for address in addresses:
            if not allowed(address):
                shown = describe(address)
                raise Refused(f"{host} is {shown}" if host != address else shown, address)
    if addresses[0] == host:
        return parts, {}, {}
    netloc = parts.netloc.decode("ascii").rpartition("@")[2]
    return parts.copy_with(host=addresses[0]), {"Host": netloc}, {"sni_hostname": host}


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
        try:
            return await pin(url, self.resolve, None if self.allow_private else is_public)
        except Refused as exc:
            hint = " (viduemu serve --fetch-allow-private allows it)" if exc.address else ""
            raise _failure(field, exc.why + hint) from None

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

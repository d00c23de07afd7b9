"""Who may reach the server by which name: the ``Host`` check and the control plane's same-origin rule.

**DNS rebinding.** A web page on ``attacker.example`` can make its own name resolve to 127.0.0.1;
the browser then sends the page's requests to this server with ``Host: attacker.example`` and lets
the page read the answers (same origin, as far as the browser knows). ``HostGuard`` refuses every
request (HTTP and WebSocket, the vendor's API and the control plane) whose ``Host`` is not a name
this server is known by: ``localhost``, a loopback address (127.0.0.0/8, ::1), the bound host, and
the names the user allows (``--allowed-host``). Bound to a wildcard (0.0.0.0, ::) any IP literal is
allowed too: an address cannot be rebound (a page reaching it by address is cross-origin, and the
browser keeps the answer from it). A request without ``Host`` (HTTP/1.0) comes from no browser.
``HostGuard`` wraps the app where it is served on a socket (``cli.server_config``); an app used
in-process (``httpx.ASGITransport``) has no socket to rebind and keeps any host name.

**Cross-site requests.** A page on any origin can send a "simple" request (a ``text/plain`` POST, a
form) to a loopback port without a CORS preflight. ``cross_site`` judges a control-plane request:
an ``Origin`` other than the server's own, or a state-changing call with a body that is not
``application/json`` (which no page can send cross-origin without a preflight this server never
grants), is refused. Browsers send ``Origin`` on every POST, PUT and DELETE, so a body-less call
without ``Origin`` (``curl -X POST .../reset``) comes from no page and stays allowed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from viduemu.core.errors import ViduError

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def split_host(value: str) -> tuple[str, int | None]:
    """(host name or address in lower case, without brackets or a trailing dot; port or None)."""
    value = value.strip().lower()
    port: int | None = None
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
    elif value.count(":") == 1:
        host, _, tail = value.partition(":")
        port = int(tail) if tail.isdigit() else None
    else:
        host = value  # a bare name, or a bare IPv6 address
    return host.rstrip("."), port


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class Hosts:
    """The names and addresses this server answers to (``bound``: the --host it listens on)."""

    def __init__(self, bound: str, allowed: Iterable[str] = ()):
        self.names = {"localhost"} | {split_host(h)[0] for h in (bound, *allowed) if h.strip()}
        bound_address = _address(split_host(bound)[0])
        self.any_address = bound_address is not None and bound_address.is_unspecified

    def allows(self, host_header: str | None) -> bool:
        if host_header is None:
            return True
        host, _ = split_host(host_header)
        if host in self.names:
            return True
        address = _address(host)
        return address is not None and (address.is_loopback or self.any_address)


class HostGuard:
    """ASGI middleware: a request whose ``Host`` ``hosts`` does not allow is answered 403 ``Forbidden``
    in the error envelope (a WebSocket is closed before its handshake completes: 403 too)."""

    def __init__(self, app: ASGIApp, hosts: Hosts, trace_id: Callable[[], str]):
        self.app, self.hosts, self.trace_id = app, hosts, trace_id

    def __getattr__(self, name: str) -> Any:  # app.state and friends stay reachable through the guard
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
            if not self.hosts.allows(host):
                await self.refuse(scope, send, host or "")
                return
        await self.app(scope, receive, send)

    async def refuse(self, scope: Scope, send: Send, host: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        err = ViduError("Forbidden", f"this server does not answer to the host name {host[:100]!r}; "
                                     "start it with --allowed-host NAME to allow it")
        body = orjson.dumps(err.body(self.trace_id()))
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def same_origin(origin: str, scheme: str, host_header: str) -> bool:
    """Whether the ``Origin`` header names the origin the request reached (``scheme`` and ``Host``)."""
    parts = urlsplit(origin.strip())
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.netloc:
        return False  # "null" (a sandboxed frame, a file:// page) and anything malformed
    o_host, o_port = split_host(parts.netloc)
    h_host, h_port = split_host(host_header)
    default = DEFAULT_PORTS[scheme]
    return (parts.scheme.lower() == scheme and o_host == h_host
            and (o_port or DEFAULT_PORTS[parts.scheme.lower()]) == (h_port or default))


def cross_site(method: str, scheme: str, headers: Mapping[str, str]) -> ViduError | None:
    """Why a control-plane request must be refused as one a foreign web page could have sent, or None."""
    origin = headers.get("origin")
    if origin is not None and not same_origin(origin, scheme.replace("ws", "http", 1), headers.get("host", "")):
        return ViduError("Forbidden", f"the control plane refuses requests from other origins ({origin[:100]!r})")
    has_body = headers.get("transfer-encoding") is not None or headers.get("content-length", "0") not in ("", "0")
    if method.upper() in STATE_CHANGING and has_body:
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            return ViduError("UnsupportedMediaType", "a control-plane call with a body needs "
                                                     "'Content-Type: application/json'")
    return None

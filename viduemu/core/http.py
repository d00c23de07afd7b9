"""The shared HTTP plumbing of every area: one way to make a route, bounded JSON bodies, JSON answers.

``route(path, handler, owner, methods=...)`` turns ``async handler(owner, request) -> dict | (status,
dict) | Response`` into a Starlette route whose endpoint applies HTTP fault rules, renders
``ViduError`` in the error envelope and tells the request journal the reason; ``owner`` is the area
(or its engine) the handler works on. ``control_route`` is the same for the control plane: no fault
rules, and the admin token when one is set (unless the route is ``public``). Handlers stay short:
parse, validate, call the model, render.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from viduemu.core.errors import ViduError, invalid
from viduemu.core.faults import http_error
from viduemu.core.hosts import cross_site

if TYPE_CHECKING:
    from viduemu.core.context import Core

log = logging.getLogger("viduemu.http")

# The key of the caller a vendor request is served for, set by its authentication (vidu/auth.py) and
# cleared around every request: what is read on a caller's behalf (its uploads, vidu/inputs.py) asks it
# here, so no operation has to remember to pass it along.
CALLER: ContextVar[str | None] = ContextVar("viduemu_caller", default=None)


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        # orjson is ~40x faster than json.dumps on the large echoes (data-URI images) of a create answer;
        # what it cannot encode (ints past 64 bits, lone surrogates, non-str keys) goes the slow way.
        try:
            return orjson.dumps(content)
        except TypeError:
            return json.dumps(content, separators=(",", ":")).encode("ascii")


def core_of(request: Request) -> Core:
    """The app's ``Core`` (viduemu/core/context.py)."""
    core: Core = request.app.state.core
    return core


def credentials(headers: Mapping[str, str]) -> tuple[str, str]:
    """(scheme in lower case, credentials) of the ``Authorization`` header; empty strings if absent."""
    raw = (headers.get("authorization") or "").strip()
    scheme, _, key = raw.partition(" ")
    return scheme.lower(), key.strip()


def any_key(headers: Mapping[str, str]) -> str | None:
    """The caller's key whatever the scheme (for journals and fault matching), or None."""
    return credentials(headers)[1] or None


def query_value(request: Request, name: str, *, empty_ok: bool = False) -> str | None:
    """A scalar query parameter: None if absent; given twice, or empty where a number, boolean or
    time is expected (``empty_ok=False``), is a FieldInvalid, as the vendor's gateway parses it."""
    values = request.query_params.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise invalid(name, "given more than once")
    if not values[0] and not empty_ok:
        raise invalid(name, "empty")
    return values[0]


def base_url(request: Request) -> str:
    """Where this client reached us (media URLs in answers are built on it)."""
    return str(request.base_url).rstrip("/")


def error_response(request: Request, err: ViduError) -> JSON:
    meta = request.scope.setdefault("viduemu", {})
    meta["reason"] = err.reason
    trace_id = meta.setdefault("trace_id", None) or core_of(request).ids.trace_id()
    meta["trace_id"] = trace_id  # the journal and the log line name the trace the envelope carries
    return JSON(err.body(trace_id), status_code=err.status)


Handler = Callable[[Request], Awaitable[Any]]


def route(path: str, handler: Callable[[Any, Request], Awaitable[Any]], owner: Any, *,
          methods: list[str]) -> Route:
    """A vendor operation: ``handler(owner, request)`` behind the fault rules and the error envelope."""
    return Route(path, endpoint(functools.partial(handler, owner)), methods=methods)


def control_route(path: str, handler: Callable[[Any, Request], Awaitable[Any]], owner: Any, *,
                  methods: list[str], public: bool = False) -> Route:
    """A control-plane call. ``public``: open without --admin-token (media URLs handed to vendor
    clients, and the pages' static files, which hold no secret)."""
    return Route(path, control(functools.partial(handler, owner), public=public), methods=methods)


def endpoint(handler: Handler, *, faults: bool = True) -> Handler:
    """Wrap a handler; ``faults=False`` for the control plane, which fault rules never touch."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        emu = core_of(request)
        meta = request.scope.setdefault("viduemu", {})
        meta["trace_id"] = emu.ids.trace_id()
        caller = CALLER.set(None)
        try:
            path = request.scope["path"]  # not request.url: building a URL object costs on every call
            action = faults and emu.faults.take(
                f"{request.method} {getattr(request.scope.get('route'), 'path', path)}",
                any_key(request.headers), path)
            if action:
                if action.get("delay_ms"):
                    await asyncio.sleep(action["delay_ms"] / 1000)
                err = http_error(action)
                if err:
                    raise err
            result = await handler(request)
        except ViduError as err:
            return error_response(request, err)
        finally:
            CALLER.reset(caller)
        if isinstance(result, Response):
            return result
        status, body = result if isinstance(result, tuple) else (200, result)
        return JSON(body, status_code=status)

    return wrapped


async def read_json(request: Request, *, limit: int | None = None) -> Any:
    """The request's JSON body, read with a byte limit enforced while streaming."""
    raw = await read_body(request, limit or core_of(request).settings.max_body_bytes)
    if not raw.strip():
        raise ViduError("BadRequest", "request body is empty; a JSON object is expected")
    return parse_json(raw)


async def read_body(request: Request, limit: int) -> bytes:
    """The request's raw body; over ``limit`` bytes (declared or streamed) is a 413, refused unbuffered."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        # The client left (or was cut off by --request-timeout) mid-body: nobody hears the answer,
        # but the journal records why, and it is not a server error.
        raise ViduError("Canceled", "the client disconnected before its body arrived") from None
    return b"".join(chunks)


def parse_json(raw: bytes | str) -> Any:
    """JSON text as Python values, or a ViduError: BadRequest if it is not JSON, FieldInvalid naming the
    field if a string carries a lone surrogate (docs/decisions.md, "Lone surrogates").

    Such text (``"\\ud800"``, legal JSON escape, not Unicode text) could not be written as UTF-8 by anything
    downstream (the store, media keys, callbacks), so it is refused here, once, for every body."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass  # orjson refuses lone surrogates and integers beyond 64 bits: let the standard parser judge
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise ViduError("BadRequest", "request body is not valid JSON") from None
    where = lone_surrogate(value)
    if where is not None:
        raise invalid(where, "the text holds a lone UTF-16 surrogate (a \\ud800-\\udfff escape without "
                             "its pair); send Unicode text")
    return value


def lone_surrogate(value: Any, path: str = "") -> str | None:
    """The dotted path (``items.0.name``; ``body`` for the top level) of the first string, or object
    key, in a parsed JSON value that cannot be encoded as UTF-8; None if there is none."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            if not _encodes(item):
                return at or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = key.encode("utf-8", "backslashreplace").decode("utf-8")   # the path itself must encode
                here = f"{at}.{name}" if at else name
                if name != key:
                    return here
                stack.append((child, here))
        elif isinstance(item, list):
            stack.extend((child, f"{at}.{i}" if at else str(i)) for i, child in enumerate(item))
    return None


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def read_object(request: Request, *, limit: int | None = None) -> dict[str, Any]:
    body = await read_json(request, limit=limit)
    if not isinstance(body, dict):
        raise ViduError("BadRequest", "request body must be a JSON object")
    return body


async def read_valid(request: Request, *, limit: int | None = None) -> dict[str, Any]:
    """The request's JSON object, validated against the contract entry of the route that matched.

    Fields the operation does not declare are ignored, and the answer says so (``warn``); with
    ``--strict`` they are refused as the vendor refuses them where its tables are allow-lists."""
    body = await read_object(request, limit=limit)
    core = core_of(request)
    core.contracts.validate_request(request.method, request.scope["route"].path, body)
    if ignored := core.contracts.undeclared(request.method, request.scope["route"].path, body):
        names = ", ".join(json.dumps(name)[1:-1] for name in ignored)  # escaped: it goes into a header
        if core.settings.strict:
            raise ViduError("FieldUnwanted", fields=names)
        warn(request.scope, f"ignored fields: {names}")
    return body


# The answer's header that says what the emulator accepted but ignored (docs/decisions.md, "Near-misses").
WARNING_HEADER = b"viduemu-warning"


def warn(scope: MutableMapping[str, Any], text: str) -> None:
    """Tell the caller (the ``Viduemu-Warning`` header), the request journal and the log ``text``."""
    scope.setdefault("viduemu", {}).setdefault("warnings", []).append(text)


def _too_large(limit: int) -> ViduError:
    return ViduError("BadRequest", f"request body too large: the limit is {limit // (1024 * 1024)} MB",
                     status=413)


def control(handler: Handler, *, public: bool = False) -> Handler:
    """A control-plane endpoint: no fault rules; unless ``public`` (media and the pages' static files, which
    vendor clients' pages may embed), a request a foreign web page could have sent is refused
    (core/hosts.cross_site), and with --admin-token ``Authorization: Bearer T`` is required."""

    @functools.wraps(handler)
    async def guarded(request: Request) -> Any:
        if not public and (refusal := cross_site(request.method, request.url.scheme, request.headers)):
            raise refusal
        token = core_of(request).settings.admin_token
        if token and not public:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                raise ViduError("Unauthorized", "the control plane needs 'Authorization: Bearer <admin token>'")
        return await handler(request)

    return endpoint(guarded, faults=False)

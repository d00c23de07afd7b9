"""The control plane under /_emulator/ (shapes fixed by ARCHITECTURE.md; documented in docs/control-plane.md):
health, reset, the clock, accounts, fault rules, the journals, media files, the contracts and the pages.

The views of an area's own records (tasks, live sessions, RTC peers) are that area's routes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeGuard

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute

from viduemu.control.static import static_page
from viduemu.core import asyncapi as asyncapi_contract
from viduemu.core.errors import ViduError
from viduemu.core.files import serve
from viduemu.core.http import control_route, read_json, read_object
from viduemu.vidu.accounts import Account

if TYPE_CHECKING:
    from viduemu.control.area import ControlArea

PREFIX = "/_emulator"
call_page, call_asset = static_page(Path(__file__).parent / "call")
inspector_page, inspector_asset = static_page(Path(__file__).parent / "inspector")
FAVICON_PATH = "/favicon.ico"  # browsers ask for it by themselves: served, and never journalled (app.py)
FAVICON = Path(__file__).parent / "inspector" / "favicon.svg"
MAX_SPEED = 1_000_000  # beyond it the virtual time overflows to infinity within seconds
MAX_CREDITS = 2**63 - 1  # an int64, as the vendor's balances and SQLite's integers are


async def health(ctl: ControlArea, request: Request):
    core = ctl.core
    return {"status": "ok", "version": core.version, "clock": core.clock.state(), "state": core.store.location}


async def reset(ctl: ControlArea, request: Request):
    ctl.reset_all()
    return {"status": "ok"}


async def demo(ctl: ControlArea, request: Request):
    """``{"seed": N}`` (optional; default ``--seed``, else 0): fill the demo account (control/demo.py)."""
    from viduemu.control.demo import fill

    body = await read_object(request) if request.headers.get("content-type") else {}
    seed = body.get("seed", ctl.core.settings.seed or 0)
    if isinstance(seed, float) and seed.is_integer():  # JSON Schema's integer: 5.0 is one
        seed = int(seed)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ViduError("FieldInvalid", "seed must be an integer from 0 to 2^32-1", fields="seed")
    return await fill(request.app, seed, ctl.core.contracts.document, ctl.core.settings.admin_token)


async def get_clock(ctl: ControlArea, request: Request):
    return ctl.core.clock.state()


async def set_clock(ctl: ControlArea, request: Request):
    """``{"mode": "real"|"speed"|"manual", "speed": X}``: switch the clock's mode."""
    clock = ctl.core.clock
    body = await read_object(request)
    mode, speed = body.get("mode", clock.mode), body.get("speed")
    if mode not in ("real", "speed", "manual"):
        raise ViduError("FieldInvalid", "mode must be real, speed or manual", fields="mode")
    if "speed" in body and (not _is_number(speed) or not 0 < speed <= MAX_SPEED):  # null is no speed either
        raise ViduError("FieldInvalid", f"speed must be a positive number up to {MAX_SPEED}", fields="speed")
    clock.set_mode(mode, speed)
    return clock.state()


async def advance(ctl: ControlArea, request: Request):
    body = await read_object(request)
    seconds = body.get("seconds")
    if not _is_number(seconds) or not 0 <= seconds <= 10 * 365 * 86400:
        raise ViduError("FieldInvalid", "seconds must be a number between 0 and 315360000", fields="seconds")
    state = ctl.core.clock.advance(float(seconds))
    ctl.core.save_clock()
    return state


# -- accounts ----------------------------------------------------------------------------------
async def put_account(ctl: ControlArea, request: Request):
    body = await read_object(request)
    credits = body.get("credits")
    if isinstance(credits, float) and credits.is_integer():  # JSON Schema's integer: 5.0 is one
        credits = int(credits)
    if not isinstance(credits, int) or isinstance(credits, bool) or not 0 <= credits <= MAX_CREDITS:
        raise ViduError("FieldInvalid", "credits must be an integer from 0 to 2^63-1", fields="credits")
    return _account(ctl.accounts.set_credits(request.path_params["api_key"], credits))


async def get_account(ctl: ControlArea, request: Request):
    account = ctl.accounts.get(request.path_params["api_key"])
    if account is None:
        raise ViduError("NotFound", "no such account")
    return _account(account)


def _account(account: Account) -> dict:
    return {"api_key": account.api_key, "credits": account.credits, "ledger": account.ledger}


async def accounts(ctl: ControlArea, request: Request):
    """Every account with its balance and the size of its ledger, oldest first."""
    return {"accounts": [{"api_key": a.api_key, "credits": a.credits, "entries": len(a.ledger)}
                         for a in ctl.accounts.all()]}


# -- fault rules ---------------------------------------------------------------------------------
async def add_fault(ctl: ControlArea, request: Request):
    return ctl.core.faults.add(await read_json(request)).view()


async def list_faults(ctl: ControlArea, request: Request):
    return {"faults": [f.view() for f in ctl.core.faults.list()]}


async def delete_fault(ctl: ControlArea, request: Request):
    if not ctl.core.faults.remove(request.path_params["fault_id"]):
        raise ViduError("NotFound", "no such fault rule")
    return {}


# -- journals --------------------------------------------------------------------------------------
async def requests_journal(ctl: ControlArea, request: Request):
    return {"requests": list(ctl.core.store.journal("requests"))}


async def request_detail(ctl: ControlArea, request: Request):
    """One journalled request by trace id, with the first 4 KB of both bodies while they are kept
    (the latest 500 requests; older ones answer ``null`` bodies)."""
    core = ctl.core
    trace_id = request.path_params["trace_id"]
    entry = next((e for e in reversed(list(core.store.journal("requests"))) if e.get("trace_id") == trace_id), None)
    if entry is None:
        raise ViduError("NotFound", f"no journalled request with trace id {trace_id}")
    bodies = core.bodies.get(trace_id) or {"request_body": None, "request_bytes": None,
                                           "response_body": None, "response_bytes": None}
    return {**entry, **bodies}


async def callbacks_journal(ctl: ControlArea, request: Request):
    return {"callbacks": list(ctl.core.store.journal("callbacks"))}


async def ws_journal(ctl: ControlArea, request: Request):
    """Every signaling message in and out (``?live_id=`` narrows it), oldest first."""
    live_id = request.query_params.get("live_id")
    entries = ctl.core.store.journal("ws")
    return {"messages": [e for e in entries if live_id is None or e["live_id"] == live_id]}


# -- files and contracts -----------------------------------------------------------------------------
async def files(ctl: ControlArea, request: Request):
    """A media file, for a URL this state signed (Core.linker: ``?expires=<unix>&sig=<hex>``) that has not
    expired on the virtual clock; anything else is refused before the file is looked for or rendered."""
    name, query = request.path_params["name"], request.query_params
    expires, sig = query.get("expires"), query.get("sig")
    if not ctl.core.signer.url_valid(f"{PREFIX}/files/{name}", expires, sig, ctl.core.clock.now()):
        expired = ctl.core.signer.url_valid(f"{PREFIX}/files/{name}", expires, sig, float("-inf"))
        raise ViduError("Forbidden", "the URL has expired" if expired else
                        "the URL's signature is missing or wrong: use the URL the API answered")
    found = await ctl.core.files.resolve(name)
    if found is None:
        raise ViduError("NotFound", "no such file")
    path, media_type = found
    return await serve(request, path, media_type)


async def openapi(ctl: ControlArea, request: Request):
    return ctl.core.contracts.document


async def asyncapi(ctl: ControlArea, request: Request):
    return asyncapi_contract.default().document


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


async def root(ctl: ControlArea, request: Request):
    """``GET /``: a browser is sent to the inspector, an API client to the contracts (not a bare 404)."""
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse(PREFIX + "/", status_code=302)
    return {"name": "viduemu", "version": ctl.core.version, "inspector": PREFIX + "/",
            "openapi": PREFIX + "/openapi.json", "asyncapi": PREFIX + "/asyncapi.json"}


async def favicon(ctl: ControlArea, request: Request):
    return await serve(request, FAVICON, "image/svg+xml")


def routes(ctl: ControlArea) -> list[BaseRoute]:
    def r(path: str, handler, methods: list[str], public: bool = False) -> BaseRoute:
        return control_route(PREFIX + path, handler, ctl, methods=methods, public=public)

    return [
        r("/health", health, ["GET"]),
        r("/reset", reset, ["POST"]),
        r("/demo", demo, ["POST"]),
        r("/clock", get_clock, ["GET"]),
        r("/clock", set_clock, ["PUT"]),
        r("/clock/advance", advance, ["POST"]),
        r("/accounts", accounts, ["GET"]),
        r("/accounts/{api_key}", put_account, ["PUT"]),
        r("/accounts/{api_key}", get_account, ["GET"]),
        r("/faults", add_fault, ["POST"]),
        r("/faults", list_faults, ["GET"]),
        r("/faults/{fault_id}", delete_fault, ["DELETE"]),
        r("/requests", requests_journal, ["GET"]),
        r("/requests/{trace_id}", request_detail, ["GET"]),
        r("/callbacks", callbacks_journal, ["GET"]),
        r("/ws", ws_journal, ["GET"]),
        r("/openapi.json", openapi, ["GET"]),
        r("/asyncapi.json", asyncapi, ["GET"]),
        # Public without --admin-token: media URLs handed to vendor clients (creations[].url; each signed
        # and expiring, checked by the handler), and the
        # pages' static files (they hold no secret; the pages ask for the tokens they need).
        r("/files/{name:path}", files, ["GET", "HEAD"], public=True),
        r("/", inspector_page, ["GET"], public=True),
        r("/inspector/{name}", inspector_asset, ["GET"], public=True),
        r("/call/assets/{name}", call_asset, ["GET"], public=True),
        r("/call/{live_id}", call_page, ["GET"], public=True),
        control_route("/", root, ctl, methods=["GET"], public=True),
        control_route(FAVICON_PATH, favicon, ctl, methods=["GET"], public=True),
    ]

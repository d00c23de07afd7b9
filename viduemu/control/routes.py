"""The control plane under /_emulator/ (shapes fixed by ARCHITECTURE.md; documented in docs/control-plane.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TypeGuard

from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Route

from viduemu.control import inspect
from viduemu.control.static import static_page
from viduemu.core import asyncapi as asyncapi_contract
from viduemu.core.errors import ViduError
from viduemu.core.http import control, emulator, read_json, read_object

call_page, call_asset = static_page(Path(__file__).parent / "call")


@control
async def health(request: Request):
    emu = emulator(request)
    return {"status": "ok", "version": emu.version, "clock": emu.clock.state(),
            "state": emu.store.location}


@control
async def reset(request: Request):
    emulator(request).reset()
    return {"status": "ok"}


@control
async def get_clock(request: Request):
    return emulator(request).clock.state()


MAX_SPEED = 1_000_000  # beyond it the virtual time overflows to infinity within seconds


@control
async def set_clock(request: Request):
    """``{"mode": "real"|"speed"|"manual", "speed": X}``: switch the clock's mode."""
    emu = emulator(request)
    body = await read_object(request)
    mode, speed = body.get("mode", emu.clock.mode), body.get("speed")
    if mode not in ("real", "speed", "manual"):
        raise ViduError("FieldInvalid", "mode must be real, speed or manual", fields="mode")
    if "speed" in body and (not _is_number(speed) or not 0 < speed <= MAX_SPEED):  # null is no speed either
        raise ViduError("FieldInvalid", f"speed must be a positive number up to {MAX_SPEED}", fields="speed")
    emu.clock.set_mode(mode, speed)
    return emu.clock.state()


@control
async def advance(request: Request):
    emu = emulator(request)
    body = await read_object(request)
    seconds = body.get("seconds")
    if not _is_number(seconds) or not 0 <= seconds <= 10 * 365 * 86400:
        raise ViduError("FieldInvalid", "seconds must be a number between 0 and 315360000", fields="seconds")
    state = emu.clock.advance(float(seconds))
    emu.save_clock()
    return state


MAX_CREDITS = 2**63 - 1  # an int64, as the vendor's balances and SQLite's integers are


@control
async def put_account(request: Request):
    emu = emulator(request)
    body = await read_object(request)
    credits = body.get("credits")
    if isinstance(credits, float) and credits.is_integer():  # JSON Schema's integer: 5.0 is one
        credits = int(credits)
    if not isinstance(credits, int) or isinstance(credits, bool) or not 0 <= credits <= MAX_CREDITS:
        raise ViduError("FieldInvalid", "credits must be an integer from 0 to 2^63-1", fields="credits")
    return _account(emu.accounts.set_credits(request.path_params["api_key"], credits))


@control
async def get_account(request: Request):
    account = emulator(request).accounts.get(request.path_params["api_key"])
    if account is None:
        raise ViduError("NotFound", "no such account")
    return _account(account)


def _account(account: dict) -> dict:
    return {"api_key": account["api_key"], "credits": account["credits"], "ledger": account["ledger"]}


@control
async def add_fault(request: Request):
    fault = emulator(request).faults.add(await read_json(request))
    return {"id": fault["id"], **fault}


@control
async def list_faults(request: Request):
    return {"faults": emulator(request).faults.list()}


@control
async def delete_fault(request: Request):
    if not emulator(request).faults.remove(request.path_params["fault_id"]):
        raise ViduError("NotFound", "no such fault rule")
    return {}


@control
async def hangup(request: Request):
    emu = emulator(request)
    lives = getattr(emu, "lives", None)
    if lives is None:
        raise ViduError("NotFound", "live sessions are not available in this version")
    body = await read_object(request)
    return lives.force_hangup(request.path_params["live_id"], body.get("hangup_reason"))


@control
async def live_rtc(request: Request):
    """A session's ``rtc`` block (the create answer's, plus ``bot_user_id``), for the call page."""
    lives = getattr(emulator(request), "lives", None)
    live = lives.store.get("lives", request.path_params["live_id"]) if lives is not None else None
    if live is None:
        raise ViduError("NotFound", f"live session not found: {request.path_params['live_id']}")
    rtc = live["rtc"]
    return {"live": {"id": live["id"], "status": live["status"], "call_mode": live["call_mode"]},
            "rtc": {k: rtc[k] for k in ("app_id", "channel_id", "user_id", "token", "token_expire_at",
                                        "bot_user_id")}}


@control
async def requests_journal(request: Request):
    return {"requests": list(emulator(request).store.journal("requests"))}


@control
async def callbacks_journal(request: Request):
    return {"callbacks": list(emulator(request).store.journal("callbacks"))}


@control
async def ws_journal(request: Request):
    """Every signaling message in and out (``?live_id=`` narrows it), oldest first."""
    live_id = request.query_params.get("live_id")
    entries = emulator(request).store.journal("ws")
    return {"messages": [e for e in entries if live_id is None or e["live_id"] == live_id]}


@control
async def files(request: Request):
    found = await emulator(request).files.resolve(request.path_params["name"])
    if found is None:
        raise ViduError("NotFound", "no such file")
    path, media_type = found
    return FileResponse(path, media_type=media_type)


@control
async def openapi(request: Request):
    return emulator(request).contracts.document


@control
async def asyncapi(request: Request):
    return asyncapi_contract.default().document


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


routes = [
    Route("/_emulator/health", health, methods=["GET"]),
    Route("/_emulator/reset", reset, methods=["POST"]),
    Route("/_emulator/clock", get_clock, methods=["GET"]),
    Route("/_emulator/clock", set_clock, methods=["PUT"]),
    Route("/_emulator/clock/advance", advance, methods=["POST"]),
    Route("/_emulator/accounts/{api_key}", put_account, methods=["PUT"]),
    Route("/_emulator/accounts/{api_key}", get_account, methods=["GET"]),
    Route("/_emulator/faults", add_fault, methods=["POST"]),
    Route("/_emulator/faults", list_faults, methods=["GET"]),
    Route("/_emulator/faults/{fault_id}", delete_fault, methods=["DELETE"]),
    Route("/_emulator/lives/{live_id}/hangup", hangup, methods=["POST"]),
    Route("/_emulator/lives/{live_id}/rtc", live_rtc, methods=["GET"]),
    Route("/_emulator/call/assets/{name}", call_asset, methods=["GET"]),
    Route("/_emulator/call/{live_id}", call_page, methods=["GET"]),
    Route("/_emulator/requests", requests_journal, methods=["GET"]),
    Route("/_emulator/callbacks", callbacks_journal, methods=["GET"]),
    Route("/_emulator/ws", ws_journal, methods=["GET"]),
    Route("/_emulator/files/{name:path}", files, methods=["GET", "HEAD"]),
    Route("/_emulator/openapi.json", openapi, methods=["GET"]),
    Route("/_emulator/asyncapi.json", asyncapi, methods=["GET"]),
    *inspect.routes,  # the inspector page and the read-only views it reads
]

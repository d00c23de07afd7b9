"""/live/v1 handlers and the signaling route: parse, validate (contract, then rules), call the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.routing import BaseRoute, WebSocketRoute

from viduemu.core.errors import ViduError
from viduemu.core.http import control_route, read_object, read_valid, route
from viduemu.live import billing, signaling
from viduemu.live.sessions import create_view, view
from viduemu.vidu.auth import caller
from viduemu.vidu.inputs import AUDIO_FORMATS, MB, check_image, check_media, stored_form, thumbnail

if TYPE_CHECKING:
    from viduemu.live.area import Live

LIVES, LIVE, VOICES, CLONE = "/live/v1/lives", "/live/v1/lives/{live_id}", "/live/v1/voices", "/live/v1/voices/clone"
AVATAR_IMAGE_LIMIT = 20 * MB   # "base64 < 20 MB"
# A data URI just under 20 MB decoded is ~26.7 MB of base64: the body must admit it (with the
# persona, which has "no length limit"), so /live bodies may be larger than /ent's 20 MB.
BODY_LIMIT = 32 * MB
CLONE_AUDIO = {k: AUDIO_FORMATS[k] for k in ("mp3", "wav")}  # "audio_url (mp3/wav)"


async def create(live: Live, request: Request):
    api_key = caller(live.accounts, request.headers)
    body = await read_valid(request, limit=BODY_LIMIT)
    avatar = body["avatar"]
    image = await check_image(avatar["image_uri"], "avatar.image_uri", max_decoded=AVATAR_IMAGE_LIMIT,
                              fetcher=live.fetcher)
    stored = {"persona": avatar["persona"], "image_uri": stored_form(avatar["image_uri"]),
              "name": avatar.get("name", ""), "voice": live.voices.resolve(api_key, avatar.get("voice"))}
    session = live.sessions.create(api_key, body["call_mode"], stored,
                                   picture=thumbnail(image.data or avatar["image_uri"]))
    return create_view(session)


async def get(live: Live, request: Request):
    return view(live.sessions.get(caller(live.accounts, request.headers), request.path_params["live_id"]))


async def voices(live: Live, request: Request):
    return {"voices": [{"voice": v["voice"]} for v in live.voices.clones(caller(live.accounts, request.headers))]}


async def clone(live: Live, request: Request):
    api_key = caller(live.accounts, request.headers)
    body = await read_valid(request, limit=BODY_LIMIT)
    await check_media(body["audio_url"], "audio_url", "audio", CLONE_AUDIO, fetcher=live.fetcher)
    record = live.voices.clone(api_key, body["voice"], stored_form(body["audio_url"]), body.get("language"),
                               body.get("text"))
    return {"voice": record["voice"]}


# -- the control plane's views and calls (/_emulator/lives) ---------------------------------------------
LIVE_FILTERS = ("api_key", "status", "call_mode")


def _found(live: Live, live_id: str) -> dict:
    session = live.sessions.find(live_id)
    if session is None:
        raise ViduError("NotFound", f"live session not found: {live_id}")
    return session


def live_summary(live: Live, session: dict) -> dict:
    return {"id": session["id"], "api_key": session["api_key"], "status": session["status"],
            "call_mode": session["call_mode"], "name": session["avatar"].get("name", ""),
            "live_duration": session["live_duration"], "created_at": session["created_at"],
            "start_time": session["start_time"], "end_time": session["end_time"], "ended_at": session["ended_at"],
            "on_live_seconds": round(live.sessions.on_live_seconds(session), 3),
            "billed_seconds": billing.seconds_paid(session["charged"]), "credits_cost": session["charged"],
            "close_reason": session["close_reason"], "hangup_reason": session["hangup_reason"]}


async def inspect_lives(live: Live, request: Request):
    """Live sessions across accounts, oldest first; ``?api_key=&status=&call_mode=`` narrow it."""
    found = (live_summary(live, s) for s in live.sessions.all())
    return {"lives": [s for s in found if all(request.query_params.get(n) in (None, "", s.get(n))
                                              for n in LIVE_FILTERS)]}


async def inspect_live(live: Live, request: Request):
    """One session: summary, avatar, heartbeat health, signaling messages and billing deductions."""
    live_id = request.path_params["live_id"]
    session = _found(live, live_id)
    account = live.accounts.get(session["api_key"])
    ledger, credits = (account.ledger, account.credits) if account is not None else ([], 0)
    deductions = [{"at": e["at"], "delta": e["delta"], "balance": e["balance"]}
                  for e in ledger if e["reason"] == "live" and e["ref"] == live_id]
    before = deductions[0]["balance"] - deductions[0]["delta"] if deductions else credits
    avatar = {k: v for k, v in session["avatar"].items() if k != "picture"}
    return {**live_summary(live, session), "avatar": avatar, "now": live.core.clock.now(),
            "connection": _connection(live, session),
            "billing": {"balance_before": before, "tick_seconds": billing.TICK_SECONDS,
                        "credits_per_unit": billing.CREDITS_PER_UNIT, "unit_seconds": billing.UNIT_SECONDS,
                        "deductions": deductions},
            "messages": [m for m in live.core.store.journal(signaling.JOURNAL) if m["live_id"] == live_id]}


def _connection(live: Live, session: dict) -> dict:
    """Heartbeat health of the session's signaling client (virtual seconds; the ping's wall time)."""
    conn = live.sessions.connection(session["id"])
    settings = live.core.settings
    health = {"connected": conn is not None, "disconnected_at": session.get("disconnected_at"),
              "heartbeat_interval": settings.heartbeat_interval, "heartbeat_timeout": settings.heartbeat_timeout,
              "heard_at": None, "silent_for": None, "ping_unanswered": False}
    if conn is not None and hasattr(conn, "heard_at"):
        health["heard_at"] = conn.heard_at
        health["silent_for"] = round(max(0.0, live.core.clock.now() - conn.heard_at), 3)
        health["ping_unanswered"] = conn.unanswered_since is not None
    return health


async def hangup(live: Live, request: Request):
    body = await read_object(request)
    return live.sessions.force_hangup(request.path_params["live_id"], body.get("hangup_reason"))


async def rtc_block(live: Live, request: Request):
    """A session's ``rtc`` block (the create answer's, plus ``bot_user_id``), for the call page."""
    session = _found(live, request.path_params["live_id"])
    rtc = session["rtc"]
    return {"live": {"id": session["id"], "status": session["status"], "call_mode": session["call_mode"]},
            "rtc": {k: rtc[k] for k in ("app_id", "channel_id", "user_id", "token", "token_expire_at",
                                        "bot_user_id")}}


def routes(live: Live) -> list[BaseRoute]:
    return [route(LIVES, create, live, methods=["POST"]), route(LIVE, get, live, methods=["GET"]),
            route(VOICES, voices, live, methods=["GET"]), route(CLONE, clone, live, methods=["POST"]),
            WebSocketRoute("/live/ws/live/connect", signaling.bind(live)),
            control_route("/_emulator/lives", inspect_lives, live, methods=["GET"]),
            control_route("/_emulator/lives/{live_id}", inspect_live, live, methods=["GET"]),
            control_route("/_emulator/lives/{live_id}/hangup", hangup, live, methods=["POST"]),
            control_route("/_emulator/lives/{live_id}/rtc", rtc_block, live, methods=["GET"])]

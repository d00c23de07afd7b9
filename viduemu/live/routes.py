"""/live/v1 handlers, the signaling socket and the control plane's /_emulator/lives views, and the route
table: parse, validate (contract, then rules), call the engine, render. Every handler takes the
``LiveArea`` and the request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.routing import BaseRoute, WebSocketRoute

from viduemu.core.errors import ViduError, invalid
from viduemu.core.http import control_route, query_value, read_object, read_valid, route
from viduemu.live import rules, signaling, views
from viduemu.live.models import Avatar, Live
from viduemu.vidu.auth import caller
from viduemu.vidu.inputs import check_image, check_media, picture, stored_form

if TYPE_CHECKING:
    from viduemu.live.area import LiveArea

LIVES, LIVE, VOICES, CLONE = "/live/v1/lives", "/live/v1/lives/{live_id}", "/live/v1/voices", "/live/v1/voices/clone"
SIGNALING = "/live/ws/live/connect"
LIVE_FILTERS = ("api_key", "status", "call_mode")   # GET /_emulator/lives narrows by these


# -- /live/v1 ----------------------------------------------------------------------------------------
async def create(area: LiveArea, request: Request):
    api_key = caller(area.accounts, request.headers)
    body = await read_valid(request, limit=rules.BODY_LIMIT)
    avatar = body["avatar"]
    image = await check_image(avatar["image_uri"], "avatar.image_uri", max_decoded=rules.AVATAR_IMAGE_LIMIT,
                              fetcher=area.fetcher)
    stored = Avatar(persona=avatar["persona"], image_uri=stored_form(avatar["image_uri"]),
                    name=avatar.get("name", ""), voice=area.voices.resolve(api_key, avatar.get("voice")))
    live = area.sessions.create(api_key, body["call_mode"], stored,
                                picture=await picture(image.data or avatar["image_uri"]))
    return views.create_view(live)


async def get(area: LiveArea, request: Request):
    return views.view(area.sessions.get(caller(area.accounts, request.headers), request.path_params["live_id"]))


def _query_int(request: Request, name: str) -> int | None:
    raw = query_value(request, name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise invalid(name, "an integer is expected") from None


def _page(request: Request) -> tuple[int, int]:
    """(page number, page size) of ``?pager.page=&pager.pagesz=``: pages from 0; a size of 0 is unset
    (proto3), as GET /ent/v2/tasks reads its pager."""
    size = _query_int(request, rules.PAGE_SIZE_PARAM) or rules.PAGE_SIZE_DEFAULT
    if not 0 < size <= rules.PAGE_SIZE_MAX:
        raise ViduError("PageSizeOutOfRange", f"page size out of range: {rules.PAGE_SIZE_PARAM} must be "
                        f"1..{rules.PAGE_SIZE_MAX}", fields=rules.PAGE_SIZE_PARAM)
    page = _query_int(request, rules.PAGE_PARAM) or 0
    if page < 0:
        raise invalid(rules.PAGE_PARAM, "pages are numbered from 0")
    return page, size


async def list_lives(area: LiveArea, request: Request):
    """The caller's own sessions, newest first, one page of them."""
    api_key = caller(area.accounts, request.headers)
    page, size = _page(request)
    mine = area.sessions.newest_first(api_key)
    return views.list_view(mine[page * size:(page + 1) * size], len(mine))


async def voices(area: LiveArea, request: Request):
    return views.voices_view(area.voices.clones(caller(area.accounts, request.headers)))


async def clone(area: LiveArea, request: Request):
    api_key = caller(area.accounts, request.headers)
    body = await read_valid(request, limit=rules.BODY_LIMIT)
    await check_media(body["audio_url"], "audio_url", "audio", rules.CLONE_AUDIO, fetcher=area.fetcher)
    voice = area.voices.clone(api_key, body["voice"], stored_form(body["audio_url"]), body.get("language"),
                              body.get("text"))
    return views.clone_view(voice)


# -- the control plane's views and calls (/_emulator/lives) ---------------------------------------------
def _found(area: LiveArea, live_id: str) -> Live:
    live = area.sessions.find(live_id)
    if live is None:
        raise ViduError("NotFound", f"live session not found: {live_id}")
    return live


async def inspect_lives(area: LiveArea, request: Request):
    """Live sessions across accounts, oldest first; ``?api_key=&status=&call_mode=`` narrow it."""
    found = (views.live_summary(live, area.sessions.on_live_seconds(live)) for live in area.sessions.all())
    return {"lives": [s for s in found if all(request.query_params.get(n) in (None, "", s.get(n))
                                              for n in LIVE_FILTERS)]}


async def inspect_live(area: LiveArea, request: Request):
    """One session: summary, avatar, heartbeat health, signaling messages and billing deductions."""
    live = _found(area, request.path_params["live_id"])
    account = area.accounts.get(live.api_key)
    now = area.core.clock.now()
    connection = views.connection_view(live, area.sessions.connection(live.id), area.core.settings, now)
    messages = [m for m in area.core.store.journal(signaling.JOURNAL) if m["live_id"] == live.id]
    return views.detail_view(live, area.sessions.on_live_seconds(live), now=now, connection=connection,
                             ledger=account.ledger if account is not None else [],
                             credits=account.credits if account is not None else 0, messages=messages)


async def hangup(area: LiveArea, request: Request):
    body = await read_object(request)
    return views.hangup_view(area.sessions.force_hangup(request.path_params["live_id"], body.get("hangup_reason")))


async def rtc_block(area: LiveArea, request: Request):
    """A session's ``rtc`` block (the create answer's, plus ``bot_user_id``), for the call page."""
    return views.rtc_view(_found(area, request.path_params["live_id"]))


def routes(area: LiveArea) -> list[BaseRoute]:
    return [route(LIVES, create, area, methods=["POST"]), route(LIVES, list_lives, area, methods=["GET"]),
            route(LIVE, get, area, methods=["GET"]),
            route(VOICES, voices, area, methods=["GET"]), route(CLONE, clone, area, methods=["POST"]),
            WebSocketRoute(SIGNALING, signaling.bind(area)),
            control_route("/_emulator/lives", inspect_lives, area, methods=["GET"]),
            control_route("/_emulator/lives/{live_id}", inspect_live, area, methods=["GET"]),
            control_route("/_emulator/lives/{live_id}/hangup", hangup, area, methods=["POST"]),
            control_route("/_emulator/lives/{live_id}/rtc", rtc_block, area, methods=["GET"])]

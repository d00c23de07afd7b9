"""The RTC gateway's control-plane handlers and route table: join a session's channel, leave it, list
the peers. Every handler takes the ``RtcArea`` area and the request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.routing import BaseRoute

from viduemu.core.errors import ViduError
from viduemu.core.http import control_route, read_object
from viduemu.rtc import views

if TYPE_CHECKING:
    from viduemu.rtc.area import RtcArea


async def offer(area: RtcArea, request: Request):
    peer, sdp = await area.gateway.join(await read_object(request))
    return views.answer_view(peer, sdp)


async def leave(area: RtcArea, request: Request):
    if not await area.gateway.leave(request.path_params["peer_id"]):
        raise ViduError("NotFound", "no such peer")
    return {}


async def peers(area: RtcArea, request: Request):
    return views.peers_view(list(area.gateway.peers.values()))


def routes(area: RtcArea) -> list[BaseRoute]:
    return [control_route("/_emulator/rtc/sdp", offer, area, methods=["POST"]),
            control_route("/_emulator/rtc/sdp/{peer_id}", leave, area, methods=["DELETE"]),
            control_route("/_emulator/rtc/peers", peers, area, methods=["GET"])]

"""The WebRTC gateway that stands in for the AliRTC channel of a live session (aiortc).

``POST /_emulator/rtc/sdp`` joins a session's channel with the ``rtc`` block a create answered:
one peer connection per join, non-trickle (the answer carries every candidate). The offer may
send the user's microphone (heard by the character) and camera (black-holed); the answer sends
the character's tracks under the stream id ``live-bot-{creatorID}-{liveID}``. Media flows only
while the session is on_live (the character starts and stops with it); on hangup or end every
peer of the session closes. ``DELETE /_emulator/rtc/sdp/{peer_id}`` leaves; so does a peer whose
ICE connection fails.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.routing import BaseRoute

from viduemu.core.area import Area
from viduemu.core.context import Core
from viduemu.core.errors import ViduError
from viduemu.core.http import control_route, read_object
from viduemu.live.sessions import Lives

if TYPE_CHECKING:
    from viduemu.rtc.avatar import Character

log = logging.getLogger("viduemu.rtc")

FIELDS = ("app_id", "channel_id", "user_id", "token", "sdp", "type")


class Peer:
    def __init__(self, peer_id: str, live: dict, user_id: str, pc):
        self.peer_id, self.live_id, self.user_id, self.pc = peer_id, live["id"], user_id, pc
        self.api_key = live["api_key"]
        self.sinks: list[asyncio.Task] = []


class Gateway(Area):
    def __init__(self, core: Core, lives: Lives) -> None:
        self.core, self.lives = core, lives
        self.peers: dict[str, Peer] = {}
        self._joining: dict[str, Peer] = {}  # joins past the caps, still negotiating
        self.characters: dict[str, Character] = {}
        self._making: dict[str, asyncio.Future[Character]] = {}
        lives.watch(self._session_changed)

    def routes(self) -> Sequence[BaseRoute]:
        return [control_route("/_emulator/rtc/sdp", offer, self, methods=["POST"]),
                control_route("/_emulator/rtc/sdp/{peer_id}", leave, self, methods=["DELETE"]),
                control_route("/_emulator/rtc/peers", peers, self, methods=["GET"])]

    def reset(self) -> None:
        asyncio.get_running_loop().create_task(self.aclose())

    # -- joining ---------------------------------------------------------------------
    def _authorise(self, body: dict) -> dict:
        """The live session a join is for, or the vendor-shaped error."""
        for field in FIELDS:
            if not isinstance(body.get(field), str) or not body[field]:
                raise ViduError("FieldLacking", fields=field)
        if body["type"] != "offer":
            raise ViduError("FieldInvalid", "type must be \"offer\"", fields="type")
        claims = self.lives.token_claims(body["token"])
        if claims is None:
            raise ViduError("Unauthorized", "invalid RTC token")
        if self.core.clock.now() >= claims["exp"]:
            raise ViduError("Unauthorized", "the RTC token has expired")
        for field in ("app_id", "channel_id", "user_id"):
            if claims[field] != body[field]:
                raise ViduError("Forbidden", f"the token was not issued for this {field}", fields=field)
        live_id = claims["channel_id"].rsplit("-", 1)[-1]
        live = self.lives.find(live_id)
        if live is None:
            raise ViduError("NotFound", f"live session not found: {live_id}")
        if live["status"] not in ("waiting", "on_live"):
            raise ViduError("Forbidden", f"live session {live_id} has ended")
        settings, peers = self.core.settings, [*self.peers.values(), *self._joining.values()]
        if sum(1 for p in peers if p.live_id == live_id) >= settings.rtc_max_peers:
            raise ViduError("TooManyRequests", f"at most {settings.rtc_max_peers} peers may join one channel")
        if sum(1 for p in peers if p.api_key == live["api_key"]) >= settings.rtc_max_account_peers:
            raise ViduError("TooManyRequests", f"at most {settings.rtc_max_account_peers} RTC peers may be "
                            "joined at once to the live sessions of one API key")
        return live

    async def join(self, body: dict) -> dict:
        # aiortc and the character load on the first join, not at start-up.
        from aiortc import RTCConfiguration, RTCPeerConnection
        from aiortc.sdp import SessionDescription

        live = self._authorise(body)
        if not SessionDescription.parse(body["sdp"]).media:
            raise ViduError("FieldInvalid", "invalid field: sdp (the offer has no media section)", fields="sdp")
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        peer = Peer(self.core.ids.new_id(), live, body["user_id"], pc)
        self._joining[peer.peer_id] = peer  # counts against the caps from now: joins run concurrently
        try:
            return await self._negotiate(peer, live, body["sdp"])
        finally:
            self._joining.pop(peer.peer_id, None)

    async def _negotiate(self, peer: Peer, live: dict, sdp: str) -> dict:
        from aiortc import RTCSessionDescription

        from viduemu.rtc.avatar import negotiated_codec

        pc = peer.pc
        inbound: list[Any] = []
        pc.on("track", inbound.append)

        @pc.on("connectionstatechange")
        async def on_state():
            if pc.connectionState in ("failed", "closed"):
                await self.leave(peer.peer_id)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        except Exception as exc:
            await pc.close()
            raise ViduError("FieldInvalid", f"invalid field: sdp ({exc.__class__.__name__}: {exc})"[:300],
                            fields="sdp") from None
        character = await self._character(live)
        if character is None:
            await pc.close()
            raise ViduError("Forbidden", f"live session {live['id']} has ended")
        for track in inbound:  # the microphone is heard; the camera is black-holed
            if track.kind == "audio":
                character.hear(track)
            else:
                peer.sinks.append(asyncio.ensure_future(_drain(track)))
        video = next((t for t in pc.getTransceivers() if t.kind == "video"), None)
        # Pre-encoded packets in the codec this offer negotiated: N viewers share one encoder.
        for track in (character.audio_track(), character.video_track(negotiated_codec(video) if video else None)):
            if track is not None:
                pc.addTrack(track)._stream_id = live["rtc"]["bot_user_id"]  # the bot's stream id
        await pc.setLocalDescription(await pc.createAnswer())  # non-trickle: gathers every candidate
        self.peers[peer.peer_id] = peer
        # A client that vanishes before connecting leaves no peer behind.
        loop = asyncio.get_running_loop()
        loop.call_later(self.core.settings.rtc_connect_timeout, self._reap_unconnected, peer.peer_id)
        return {"sdp": pc.localDescription.sdp, "type": "answer", "peer_id": peer.peer_id}

    async def _character(self, live: dict):
        """The session's character, drawn on first use in a worker thread (about 0.1 s of drawing
        that would otherwise stall every other stream); concurrent first joins share one drawing."""
        live_id = live["id"]
        character = self.characters.get(live_id)
        if character is not None:
            return character
        making = self._making.get(live_id)
        if making is None:
            making = self._making[live_id] = asyncio.ensure_future(asyncio.to_thread(self._draw, live))
            making.add_done_callback(lambda _: self._making.pop(live_id, None))
        character = await asyncio.shield(making)
        status = (self.lives.find(live_id) or {}).get("status")
        if status not in ("waiting", "on_live"):  # the session ended while the character was drawn
            character.stop()
            return None
        if live_id not in self.characters:
            self.characters[live_id] = character
            character.on_transcript = lambda who, text: self.lives.transcript(live_id, who, text)
            if status == "on_live":
                character.start()
        return self.characters[live_id]

    def _draw(self, live: dict):
        from viduemu.rtc.avatar import Character

        settings = self.core.settings
        picture = base64.b64decode(live["picture"]) if live.get("picture") else None
        return Character(live, width=settings.rtc_width, height=settings.rtc_height, fps=settings.rtc_fps,
                         seed=settings.seed, image_bytes=picture, transcripts=settings.rtc_transcripts)

    # -- leaving ---------------------------------------------------------------------------
    async def leave(self, peer_id: str) -> bool:
        peer = self.peers.pop(peer_id, None)
        if peer is None:
            return False
        for sink in peer.sinks:
            sink.cancel()
        await peer.pc.close()
        return True

    def _reap_unconnected(self, peer_id: str) -> None:
        peer = self.peers.get(peer_id)
        if peer is not None and peer.pc.connectionState != "connected":
            asyncio.get_running_loop().create_task(self.leave(peer_id))

    def _session_changed(self, live: dict) -> None:
        character = self.characters.get(live["id"])
        if live["status"] == "on_live":
            if character is not None:
                character.start()
            return
        if live["status"] in ("ending", "ended"):
            if character is not None:
                character.stop()
                self.characters.pop(live["id"], None)
            for peer in [p for p in self.peers.values() if p.live_id == live["id"]]:
                asyncio.get_running_loop().create_task(self.leave(peer.peer_id))

    def view(self) -> list[dict]:
        return [{"peer_id": p.peer_id, "live_id": p.live_id, "user_id": p.user_id,
                 "state": p.pc.connectionState} for p in self.peers.values()]

    async def aclose(self) -> None:
        for character in self.characters.values():
            character.stop()
        self.characters.clear()
        for peer_id in list(self.peers):
            await self.leave(peer_id)


async def _drain(track) -> None:
    from aiortc.mediastreams import MediaStreamError

    try:
        while True:
            await track.recv()
    except (MediaStreamError, asyncio.CancelledError):
        pass


# -- routes ------------------------------------------------------------------------------
async def offer(gateway: Gateway, request: Request):
    return await gateway.join(await read_object(request))


async def leave(gateway: Gateway, request: Request):
    if not await gateway.leave(request.path_params["peer_id"]):
        raise ViduError("NotFound", "no such peer")
    return {}


async def peers(gateway: Gateway, request: Request):
    return {"peers": gateway.view()}

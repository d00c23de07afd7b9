"""The WebRTC gateway that stands in for the AliRTC channel of a live session (aiortc): the engine of
the RTC area, its peers, and what it needs of the live sessions (``Sessions``, ``Session``).

A join (``POST /_emulator/rtc/sdp``, rtc/routes.py) carries the ``rtc`` block a create answered: one
peer connection per join, non-trickle (the answer carries every candidate). The offer may send the
user's microphone (heard by the character) and camera (black-holed); the answer sends the character's
tracks under the stream id ``live-bot-{creatorID}-{liveID}``. Media flows only while the session is
on_live (the character starts and stops with it, ``session_changed``); on hangup or end every peer of
the session closes. A peer leaves by ``DELETE /_emulator/rtc/sdp/{peer_id}``, or when its ICE
connection fails. A client's ``text_msg`` makes the character answer aloud (``say``); its
``audio_interrupted`` ends the answer (``interrupt``).

The gateway knows the live area only through the ``Sessions`` protocol below (the live engine,
live/models.py ``Lives``, is passed in by viduemu/emulator.py) and the events of vidu/lives.py.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard

from viduemu.core.context import Core
from viduemu.core.errors import ViduError

if TYPE_CHECKING:
    from viduemu.rtc.avatar import Character

if TYPE_CHECKING:
    from viduemu.rtc.avatar import Character

log = logging.getLogger("viduemu.rtc")

FIELDS = ("app_id", "channel_id", "user_id", "token", "sdp", "type")
OPEN = ("waiting", "on_live")       # a session's states in which its channel may be joined
ENDED = ("ending", "ended")


class Session(Protocol):
    """What the gateway reads of a live session."""
    @property
    def id(self) -> str: ...
    @property
    def api_key(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def call_mode(self) -> str: ...
    @property
    def avatar(self) -> Mapping[str, Any]: ...      # name, voice, image_uri (a data URI kept, or a URL)
    @property
    def picture(self) -> str | None: ...            # base64 of a small PNG of the avatar image
    @property
    def rtc(self) -> Mapping[str, Any]: ...         # the channel: channel_id, user_id, bot_user_id ...


class Sessions(Protocol):
    """What the gateway asks of the live sessions."""
    def token_claims(self, token: str) -> dict[str, Any] | None: ...
    def by_channel(self, channel_id: str) -> Session | None: ...
    def find(self, live_id: str) -> Session | None: ...
    def transcript(self, live_id: str, who: str, text: str) -> None: ...


def _well_formed(claims: object) -> TypeGuard[dict[str, Any]]:
    """Claims the gateway can judge: an object with a numeric ``exp`` and the three ids as strings
    (anything else, however it came to be signed, is an invalid token: 401, never a 500)."""
    if not isinstance(claims, dict):
        return False
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool) or not math.isfinite(exp):
        return False
    return all(isinstance(claims.get(field), str) for field in ("app_id", "channel_id", "user_id"))


class Peer:
    """One join: a peer connection to one session's channel."""

    def __init__(self, peer_id: str, live: Session, user_id: str, pc):
        self.peer_id, self.live_id, self.user_id, self.pc = peer_id, live.id, user_id, pc
        self.api_key = live.api_key
        self.sinks: list[asyncio.Task] = []


# The caps on joined peers: which peers count against it, its setting, what it limits. Keys are free, so
# the server-wide one is what bounds the memory the characters hold.
PEER_CAPS: tuple[tuple[Callable[[Peer, Session], bool], str, str], ...] = (
    (lambda p, live: p.live_id == live.id, "rtc_max_peers", "peers may join one channel"),
    (lambda p, live: p.api_key == live.api_key, "rtc_max_account_peers",
     "RTC peers may be joined at once to the live sessions of one API key"),
    (lambda p, live: True, "rtc_max_peers_total", "RTC peers may be joined at once to this server"),
)


class Gateway:
    def __init__(self, core: Core, sessions: Sessions) -> None:
        self.core, self.sessions = core, sessions
        self.peers: dict[str, Peer] = {}
        self._joining: dict[str, Peer] = {}  # joins past the caps, still negotiating
        self.characters: dict[str, Character] = {}
        self._making: dict[str, asyncio.Future[Character]] = {}

    # -- joining ---------------------------------------------------------------------
    def _authorise(self, body: dict[str, Any]) -> Session:
        """The live session a join is for, or the vendor-shaped error."""
        for field in FIELDS:
            if not isinstance(body.get(field), str) or not body[field]:
                raise ViduError("FieldLacking", fields=field)
        if body["type"] != "offer":
            raise ViduError("FieldInvalid", "type must be \"offer\"", fields="type")
        claims = self.sessions.token_claims(body["token"])
        if not _well_formed(claims):
            raise ViduError("Unauthorized", "invalid RTC token")
        if self.core.clock.now() >= claims["exp"]:
            raise ViduError("Unauthorized", "the RTC token has expired")
        for field in ("app_id", "channel_id", "user_id"):
            if claims[field] != body[field]:
                raise ViduError("Forbidden", f"the token was not issued for this {field}", fields=field)
        live = self.sessions.by_channel(claims["channel_id"])
        if live is None:
            raise ViduError("NotFound", f"no live session has the channel {claims['channel_id']}")
        if live.status not in OPEN:
            raise ViduError("Forbidden", f"live session {live.id} has ended")
        peers = [*self.peers.values(), *self._joining.values()]
        for counts, setting, limit in PEER_CAPS:
            cap = getattr(self.core.settings, setting)
            if sum(1 for p in peers if counts(p, live)) >= cap:
                raise ViduError("TooManyRequests", f"at most {cap} {limit}")
        return live

    async def join(self, body: dict[str, Any]) -> tuple[Peer, str]:
        """(the new peer, its answer's SDP) for an offer ``body``, or the vendor-shaped error."""
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
            return peer, await self._negotiate(peer, live, body["sdp"])
        finally:
            self._joining.pop(peer.peer_id, None)

    async def _negotiate(self, peer: Peer, live: Session, sdp: str) -> str:
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
            raise ViduError("Forbidden", f"live session {live.id} has ended")
        for track in inbound:  # the microphone is heard; the camera is black-holed
            if track.kind == "audio":
                character.hear(track)
            else:
                peer.sinks.append(asyncio.ensure_future(_drain(track)))
        video = next((t for t in pc.getTransceivers() if t.kind == "video"), None)
        # Pre-encoded packets in the codec this offer negotiated: N viewers share one encoder.
        for track in (character.audio_track(), character.video_track(negotiated_codec(video) if video else None)):
            if track is not None:
                pc.addTrack(track)._stream_id = live.rtc["bot_user_id"]  # the bot's stream id
        await pc.setLocalDescription(await pc.createAnswer())  # non-trickle: gathers every candidate
        self.peers[peer.peer_id] = peer
        # A client that vanishes before connecting leaves no peer behind.
        loop = asyncio.get_running_loop()
        loop.call_later(self.core.settings.rtc_connect_timeout, self._reap_unconnected, peer.peer_id)
        return pc.localDescription.sdp

    async def _character(self, live: Session) -> Character | None:
        """The session's character, drawn on first use in a worker thread (about 0.1 s of drawing
        that would otherwise stall every other stream); concurrent first joins share one drawing."""
        live_id = live.id
        character = self.characters.get(live_id)
        if character is not None:
            return character
        making = self._making.get(live_id)
        if making is None:
            making = self._making[live_id] = asyncio.ensure_future(asyncio.to_thread(self._draw, live))
            making.add_done_callback(lambda _: self._making.pop(live_id, None))
        drawn: Character = await asyncio.shield(making)
        now = self.sessions.find(live_id)
        status = now.status if now is not None else None
        if status not in OPEN:  # the session ended while the character was drawn
            drawn.stop()
            return None
        if live_id not in self.characters:
            self.characters[live_id] = drawn
            drawn.on_transcript = lambda who, text: self.sessions.transcript(live_id, who, text)
            if status == "on_live":
                drawn.start()
        return self.characters[live_id]

    def _draw(self, live: Session) -> Character:
        from viduemu.rtc.avatar import Character

        settings = self.core.settings
        picture = base64.b64decode(live.picture) if live.picture else None
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

    # -- what the session's side tells us ---------------------------------------------------
    def session_changed(self, live_id: str, status: str) -> None:
        """The session went on_live (media flows), or ended (the character stops, every peer leaves)."""
        character = self.characters.get(live_id)
        if status == "on_live":
            if character is not None:
                character.start()
            return
        if status in ENDED:
            if character is not None:
                character.stop()
                self.characters.pop(live_id, None)
            for peer in [p for p in self.peers.values() if p.live_id == live_id]:
                asyncio.get_running_loop().create_task(self.leave(peer.peer_id))

    def interrupt(self, live_id: str) -> None:
        """The session's client sent audio_interrupted: the character's current answer ends now."""
        character = self.characters.get(live_id)
        if character is not None:
            character.interrupt()

    def say(self, live_id: str, content: str) -> None:
        """The session's client sent a text_msg: the character answers it aloud. With nobody joined to
        the channel there is no character, and nobody to hear an answer: nothing happens."""
        character = self.characters.get(live_id)
        if character is not None:
            character.reply(content)

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

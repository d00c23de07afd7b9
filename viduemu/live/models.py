"""The records and engines of the S1 live area: sessions (``Live``, ``Lives``) and voices (``Voice``,
``Voices``).

**Sessions**: ``waiting -> on_live -> ending -> ended``. ``on_live`` begins exactly when a successful
``conn_init_ack`` is sent (``conn_init``); billing ticks every 6 s of clock time from then
(live/billing.py); the session ends by a hangup (the client's ``user_end``, a forced reason from
the control plane, or one the emulator produces itself: ``timeout`` at ``live_duration``,
``credit_insufficient``, ``client_reconnect_timeout``). A session never connected expires after
``live_idle_timeout`` with ``close_reason`` ``timeout`` and nothing billed. Every timer looks the
session up by id, so ``resume`` re-arms them from stored state after a restart. Each change of status
is published as ``LiveChanged`` (vidu/lives.py): the RTC gateway starts and ends the character's media.

Open signaling connections register here (``attach``) so that a hangup can reach the client.

**Voices**: the system voices (rules.py) and each account's cloned voices, the first ``FREE_CLONES``
free.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict

from viduemu.core.context import Core
from viduemu.core.errors import ViduError, invalid
from viduemu.core.records import Record, Table
from viduemu.live import billing, rules
from viduemu.vidu.accounts import Accounts, creator_id
from viduemu.vidu.lives import DEFAULT_VOICE, LiveChanged


# -- the records -------------------------------------------------------------------------------------
class Avatar(TypedDict):
    """A session's avatar as stored: the image in its stored form (inputs.stored_form)."""
    persona: str
    image_uri: str
    name: str
    voice: str


class Channel(TypedDict):
    """A session's RTC channel: the create answer's ``rtc`` block, plus the character's stream id."""
    app_id: str
    channel_id: str
    user_id: str
    bot_user_id: str
    token: str
    token_expire_at: str   # unix seconds, as the wire shows it


@dataclass
class Live(Record):
    KIND = "lives"
    KEY = "id"
    SAMPLE = (
        '{"id":"321378959223337127","api_key":"vda_sample","creator_id":"197569405315068380","call_mode":"aud'
        'io","live_duration":600,"avatar":{"persona":"A friendly guide.","image_uri":"https://example.com/ava'
        'tar.png","name":"","voice":"Tina"},"created_at":1795254803.792843,"trace_id":"1bf0780bcd74729edb64f8'
        'cdf2f31cc8","warm_until":1795254803.792843,"rtc":{"app_id":"viduemu","channel_id":"live-audio-321378'
        '959223337127","user_id":"live-user-197569405315068380-321378959223337127","bot_user_id":"live-bot-19'
        '7569405315068380-321378959223337127","token":"eyJhcHBfaWQiOiJ2aWR1ZW11IiwiY2hhbm5lbF9pZCI6ImxpdmUtYX'
        'VkaW8tMzIxMzc4OTU5MjIzMzM3MTI3IiwidXNlcl9pZCI6ImxpdmUtdXNlci0xOTc1Njk0MDUzMTUwNjgzODAtMzIxMzc4OTU5Mj'
        'IzMzM3MTI3IiwiZXhwIjoxNzk1MjU4NDAzfQ.1f0721b80a6088ab3112832e67dd3c06","token_expire_at":"1795258403'
        '"},"status":"ended","start_time":null,"end_time":1795254923.792843,"ended_at":1795254924.792843,"cha'
        'rged":0,"close_reason":"timeout","hangup_reason":"timeout","disconnected_at":null,"picture":null,"in'
        'it_failed":false}')

    id: str
    api_key: str
    creator_id: str
    call_mode: str                 # "video" | "audio"
    live_duration: int             # seconds of on_live time at most
    avatar: Avatar
    created_at: float
    trace_id: str
    warm_until: float              # a video session's conn_init answers NOT_READY until then
    rtc: Channel
    status: str = "waiting"
    start_time: float | None = None      # when it went on_live
    end_time: float | None = None        # when it was hung up (on_live time stops)
    ended_at: float | None = None        # when it leaves "ending"
    charged: int = 0                     # credits deducted so far
    close_reason: str = ""
    hangup_reason: str = ""
    disconnected_at: float | None = None  # an on_live session's client dropped then (a reconnect may follow)
    picture: str | None = None           # base64 of a small PNG of the avatar image (the character's face)
    init_failed: bool = False            # a LIVE_CONN_INIT_FAILED answered: every later conn_init fails too


@dataclass
class Voice(Record):
    """A voice an account cloned."""
    KIND = "voices"
    KEY = "voice"

    voice: str
    api_key: str
    audio_url: str
    language: str | None
    text: str | None
    credits: int
    created_at: float

    @property
    def key(self) -> str:
        return voice_key(self.api_key, self.voice)   # a name is unique per account, not across them


def voice_key(api_key: str, voice: str) -> str:
    return f"{api_key}\n{voice}"


# -- sessions ----------------------------------------------------------------------------------------
class Connection(Protocol):
    """A session's signaling client, as the engine talks to it (live/signaling.py)."""
    def hangup(self, reason: str) -> None: ...
    def transcript(self, who: str, text: str) -> None: ...
    def replaced(self) -> None: ...   # a newer connection to the session took its place


TOKEN_PURPOSE = "rtc-token"


class Lives:
    def __init__(self, core: Core, accounts: Accounts) -> None:
        self.core, self.accounts = core, accounts
        self.table = Table(core.store, Live)
        self._conns: dict[str, Connection] = {}
        self._open: dict[str, set[str]] = {}   # api_key -> ids of its waiting and on_live sessions

    @property
    def settings(self):
        return self.core.settings

    def reset(self) -> None:
        self._conns.clear()
        self._open.clear()

    def _changed(self, live: Live) -> None:
        self.core.events.publish(LiveChanged(live.id, live.status))

    # -- creating and reading ------------------------------------------------------------------
    def create(self, api_key: str, call_mode: str, avatar: Avatar, picture: bytes | None = None) -> Live:
        """``picture``: a small PNG of the avatar image, what the RTC character is drawn from."""
        account = self.accounts.ensure(api_key)
        if account.credits < billing.MIN_BALANCE:
            raise ViduError("CreditInsufficient", f"insufficient credits: a live session needs at least "
                            f"{billing.MIN_BALANCE} credits to start, {account.credits} remaining")
        cap, total = self.settings.live_max_open, self.settings.live_max_open_total
        if len(self._open.get(api_key, ())) >= cap:
            raise ViduError("QuotaExceeded", f"at most {cap} live sessions may be open (waiting or on_live) "
                            "at once for one API key")
        if sum(map(len, self._open.values())) >= total:   # keys are free: this bounds the server's memory
            raise ViduError("QuotaExceeded", f"at most {total} live sessions may be open (waiting or on_live) "
                            "at once on this server")
        now = self.core.clock.now()
        live_id, creator = self.core.ids.new_id(), creator_id(api_key)
        user_id, channel_id = rules.user_id(creator, live_id), rules.channel_id(live_id, call_mode)
        expire_at = int(now + rules.TOKEN_TTL)
        live = Live(id=live_id, api_key=api_key, creator_id=creator, call_mode=call_mode,
                    live_duration=self.settings.live_duration, avatar=avatar, created_at=now,
                    trace_id=self.core.ids.trace_id(),
                    warm_until=now + (self.settings.live_warmup if call_mode == "video" else 0.0),
                    picture=base64.b64encode(picture).decode() if picture else None,
                    rtc=Channel(app_id=rules.APP_ID, channel_id=channel_id, user_id=user_id,
                                bot_user_id=rules.bot_user_id(creator, live_id),
                                token=self.token(channel_id, user_id, expire_at), token_expire_at=str(expire_at)))
        self.table.put(live)
        self._open.setdefault(api_key, set()).add(live_id)
        self._arm(live)
        return live

    def token(self, channel_id: str, user_id: str, expire_at: int) -> str:
        """An RTC token valid for this channel and user only, until ``expire_at``: signed with the
        state's own secret (core/signing.py), so it cannot be forged from the seed or the code."""
        return self.core.signer.token(TOKEN_PURPOSE, {"app_id": rules.APP_ID, "channel_id": channel_id,
                                                      "user_id": user_id, "exp": expire_at})

    def token_claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this state issued, or None (expiry is the caller's to judge)."""
        claims = self.core.signer.open(TOKEN_PURPOSE, token)
        return claims if isinstance(claims, dict) else None

    def get(self, api_key: str, live_id: str) -> Live:
        live = self.table.get(live_id)
        if live is None:
            raise ViduError("NotFound", f"live session not found: {live_id}")
        if live.api_key != api_key:
            raise ViduError("Forbidden", f"live session {live_id} belongs to another API key")
        return live

    def find(self, live_id: str) -> Live | None:
        """Any account's session (the control plane's views, the RTC gateway)."""
        return self.table.get(live_id)

    def newest_first(self, api_key: str) -> list[Live]:
        """The key's own sessions, newest first (``GET /live/v1/lives``)."""
        return sorted((live for live in self.table.all() if live.api_key == api_key),
                      key=lambda live: (live.created_at, live.id), reverse=True)

    def by_channel(self, channel_id: str) -> Live | None:
        """The session whose RTC channel this is (the RTC gateway's join), or None."""
        live_id = rules.live_of_channel(channel_id)
        live = self.table.get(live_id) if live_id is not None else None
        return live if live is not None and live.rtc["channel_id"] == channel_id else None

    def all(self) -> Iterator[Live]:
        """Every session, oldest first."""
        return self.table.all()

    def on_live_seconds(self, live: Live, until: float | None = None) -> float:
        """On_live time up to ``until`` (default: the end, else now), never past ``live_duration``."""
        if live.start_time is None:
            return 0.0
        until = until if until is not None else live.end_time or self.core.clock.now()
        return min(float(live.live_duration), max(0.0, until - live.start_time))

    # -- transitions -------------------------------------------------------------------------------
    def conn_init(self, live_id: str, api_key: str) -> tuple[bool, str | None, str | None]:
        """(success, error_code, error_msg) of a conn_init on this session; success goes on_live."""
        live = self.table.get(live_id)
        now = self.core.clock.now()
        action = self.core.faults.take(rules.CONN_INIT.operation, api_key) or {}
        if live is None or live.status not in rules.LIVE_STATES or now >= int(live.rtc["token_expire_at"]):
            return False, "LIVE_CONN_INIT_FAILED", "connection initialization failed: the session has ended"
        if action.get("error_code") == "LIVE_CONN_INIT_FAILED" or live.init_failed:
            live.init_failed = True  # permanent for this session
            self.table.put(live)
            return False, "LIVE_CONN_INIT_FAILED", "connection initialization failed"
        if action.get("error_code") == "NOT_READY" or (live.status == "waiting" and now < live.warm_until):
            return False, "NOT_READY", "live sip endpoint not ready"
        live.disconnected_at = None
        if live.status == "waiting":
            live.status, live.start_time = "on_live", now
            self.table.put(live)
            self._arm_on_live(live)
            self._changed(live)
        else:
            self.table.put(live)
        return True, None, None

    def hangup(self, live_id: str, reason: str, *, notify: bool = True, at: float | None = None) -> Live | None:
        """End a waiting or on_live session with ``reason`` (as of ``at``, default now); tells its
        client (type 6) when ``notify`` (a hangup the client itself sent is not echoed back)."""
        live = self.table.get(live_id)
        if live is None or live.status not in rules.LIVE_STATES:
            return live
        now = self.core.clock.now()
        live.end_time = min(now, at) if at is not None else now
        live.status, live.hangup_reason, live.close_reason = "ending", reason, reason
        self._open.get(live.api_key, set()).discard(live_id)
        live.ended_at = now + rules.ENDING_SECONDS
        self._settle(live, final=True)  # one transaction: the last deduction and the ended record
        conn = self._conns.pop(live_id, None)
        if conn is not None and notify:
            conn.hangup(reason)
        self.core.clock.call_at(live.ended_at, self._end, live_id)
        self._changed(live)
        return live

    def force_hangup(self, live_id: str, reason: Any) -> Live:
        """The control plane's hangup: any documented reason, as the real service would."""
        if reason not in rules.HANGUP_REASONS:
            raise ViduError("FieldInvalid", f"hangup_reason must be one of {', '.join(rules.HANGUP_REASONS)}",
                            fields="hangup_reason")
        live = self.table.get(live_id)
        if live is None:
            raise ViduError("NotFound", f"live session not found: {live_id}")
        if live.status not in rules.LIVE_STATES:
            raise ViduError("BadRequest", f"live session {live_id} is {live.status}")
        ended = self.hangup(live_id, reason)
        assert ended is not None
        return ended

    def _end(self, live_id: str) -> None:
        live = self.table.get(live_id)
        if live is not None and live.status == "ending":
            live.status = "ended"
            self.table.put(live)
            self._changed(live)

    def transcript(self, live_id: str, who: str, text: str) -> None:
        """What the user ("user") or the character ("character") said, to the session's client."""
        conn = self._conns.get(live_id)
        if conn is not None:
            conn.transcript(who, text)

    # -- connections -----------------------------------------------------------------------------
    def attach(self, live_id: str, conn: Connection) -> Connection | None:
        """Register the session's signaling connection; answers the one it replaces."""
        previous = self._conns.get(live_id)
        self._conns[live_id] = conn
        return previous if previous is not conn else None

    def connection(self, live_id: str) -> Connection | None:
        """The session's open signaling connection, if any (the inspector reads its heartbeat health)."""
        return self._conns.get(live_id)

    def detach(self, live_id: str, conn: Connection) -> None:
        """The connection went away without a hangup: an on_live session waits for a reconnect."""
        if self._conns.get(live_id) is not conn:
            return
        del self._conns[live_id]
        live = self.table.get(live_id)
        if live is not None and live.status == "on_live":
            live.disconnected_at = since = self.core.clock.now()
            self.table.put(live)
            self.core.clock.call_at(since + self.settings.live_reconnect_grace, self._reconnect_deadline,
                                    live_id, since)

    def _reconnect_deadline(self, live_id: str, since: float) -> None:
        live = self.table.get(live_id)
        if live is not None and live.status == "on_live" and live.disconnected_at == since:
            self.hangup(live_id, "client_reconnect_timeout", at=since + self.settings.live_reconnect_grace)

    # -- timers and billing --------------------------------------------------------------------------
    def _arm(self, live: Live) -> None:
        if live.status == "waiting":
            self.core.clock.call_at(live.created_at + self.settings.live_idle_timeout, self._expire, live.id)
        elif live.status == "on_live":
            self._arm_on_live(live)
        elif live.status == "ending" and live.ended_at is not None:
            self.core.clock.call_at(live.ended_at, self._end, live.id)

    def _arm_on_live(self, live: Live) -> None:
        start, live_id = live.start_time, live.id
        assert start is not None
        self.core.clock.call_at(start + live.live_duration, self._timeout, live_id)
        charged_ticks = live.charged // (billing.cost(billing.TICK_SECONDS))
        tick_at = start + (charged_ticks + 1) * billing.TICK_SECONDS
        self.core.clock.call_at(tick_at, self._tick, live_id, tick_at)

    def _expire(self, live_id: str) -> None:
        live = self.table.get(live_id)
        if live is not None and live.status == "waiting":
            self.hangup(live_id, "timeout")

    def _timeout(self, live_id: str) -> None:
        live = self.table.get(live_id)
        if live is not None and live.status == "on_live" and live.start_time is not None:
            self.hangup(live_id, "timeout", at=live.start_time + live.live_duration)

    def _tick(self, live_id: str, at: float) -> None:
        """The deduction due at ``at`` (start + 6 s, + 12 s, ...): bills the time up to ``at``, so
        ticks that fall due late (a restart, a long advance) bill each slot once, never ahead."""
        live = self.table.get(live_id)
        if live is None or live.status != "on_live":
            return
        if self._settle(live, final=False, until=at):
            self.hangup(live_id, "credit_insufficient", at=at)
            return
        self.core.clock.call_at(at + billing.TICK_SECONDS, self._tick, live_id, at + billing.TICK_SECONDS)

    def _settle(self, live: Live, *, final: bool, until: float | None = None) -> bool:
        """Deduct what the on_live time up to ``until`` owes and store the session with it, in one
        transaction (a kill between the two would bill that time twice); True when the balance is
        exhausted."""
        exhausted = False
        with self.core.store.atomic():
            if live.start_time is not None:
                account = self.accounts.ensure(live.api_key)
                owed = billing.cost(self.on_live_seconds(live, until))
                amount, exhausted = billing.take(owed, live.charged, account.credits)
                if amount:
                    self.accounts.charge(live.api_key, amount, "live", live.id)
                    live.charged += amount
            self.table.put(live)
        return exhausted and not final

    def resume(self) -> None:
        """After a restart: re-arm every session's timers. The server's end dropped every client,
        so an on_live session is a dropped one since the last moment the server is known to have
        been alive: a client may reconnect within the grace, else the session ends
        ``client_reconnect_timeout`` at that moment + the grace, billed up to then (docs/decisions.md)."""
        now = self.core.clock.now()
        for live in list(self.table.all()):
            if live.status in rules.LIVE_STATES:
                self._open.setdefault(live.api_key, set()).add(live.id)
            self._arm(live)
            if live.status == "on_live" and live.start_time is not None:
                paid_until = live.start_time + billing.seconds_paid(live.charged)
                since = min(now, max(self.core.last_alive or now, paid_until))
                live.disconnected_at = since
                self.table.put(live)
                self.core.clock.call_at(since + self.settings.live_reconnect_grace, self._reconnect_deadline,
                                        live.id, since)


# -- voices ------------------------------------------------------------------------------------------
class Voices:
    def __init__(self, core: Core, accounts: Accounts) -> None:
        self.core, self.accounts = core, accounts
        self.table = Table(core.store, Voice)

    def clones(self, api_key: str) -> list[Voice]:
        return [v for v in self.table.all() if v.api_key == api_key]

    def known(self, api_key: str, voice: str) -> bool:
        """A system voice, or one of this account's clones."""
        return voice in rules.SYSTEM_VOICES or self.table.get(voice_key(api_key, voice)) is not None

    def resolve(self, api_key: str, voice: Any) -> str:
        """The voice a session speaks with: empty means Tina; else a system voice or one of the
        account's clones; anything else is a 400 naming ``avatar.voice``."""
        if voice in (None, ""):
            return DEFAULT_VOICE
        if self.known(api_key, voice):
            return voice
        raise invalid("avatar.voice", f"unknown voice {voice!r}: use a system voice (e.g. Tina) or a cloned one")

    def clone(self, api_key: str, voice: str, audio_url: str, language: str | None, text: str | None) -> Voice:
        if self.known(api_key, voice):  # a clone named like a system voice would shadow it
            raise invalid("voice", f"voice {voice!r} is taken: a system voice or one of this account's clones")
        price = 0 if len(self.clones(api_key)) < rules.FREE_CLONES else rules.CLONE_PRICE
        record = Voice(voice=voice, api_key=api_key, audio_url=audio_url, language=language, text=text,
                       credits=price, created_at=self.core.clock.now())
        with self.core.store.atomic():
            if price:
                self.accounts.charge(api_key, price, "voice_clone", voice)
            self.table.put(record)
        return record

"""S1 live sessions: the record, its state machine and its timers.

``waiting -> on_live -> ending -> ended``. ``on_live`` begins exactly when a successful
``conn_init_ack`` is sent (``go_live``); billing ticks every 6 s of clock time from then
(live/billing.py); the session ends by a hangup (the client's ``user_end``, a forced reason from
the control plane, or one the emulator produces itself: ``timeout`` at ``live_duration``,
``credit_insufficient``, ``client_reconnect_timeout``). A session never connected expires after
``live_idle_timeout`` with ``close_reason`` ``timeout`` and nothing billed. Every timer looks the
session up by id, so ``resume`` re-arms them from stored state after a restart.

Open signaling connections register here (``attach``) so that a hangup can reach the client.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from typing import Protocol

from viduemu.core.context import Core
from viduemu.core.errors import ViduError
from viduemu.core.faults import FaultPoint, one_of
from viduemu.live import billing
from viduemu.vidu.accounts import Accounts, creator_id

log = logging.getLogger("viduemu.live")

KIND = "lives"
TOKEN_TTL = 3600.0        # the vendor's example: token_expire_at = creation + 3600 s
ENDING_SECONDS = 1.0      # how long a session stays "ending" before "ended"
APP_ID = "viduemu"
HANGUP_REASONS = ("user_end", "timeout", "audit_violation", "credit_insufficient", "sip_closed",
                  "provider_closed", "sip_reconnect_timeout", "client_reconnect_timeout",
                  "prepared_sip_disconnected", "owner_taken_over", "owner_lease_lost", "ai_output_closed",
                  "external")
LIVE_STATES = ("waiting", "on_live")  # states a hangup can end
CONN_INIT = FaultPoint("ws.conn_init", {"error_code": one_of("error_code", ("NOT_READY", "LIVE_CONN_INIT_FAILED"))})


class Connection(Protocol):
    heard_at: float                      # virtual time of the last frame from the client
    unanswered_since: float | None       # wall time of the oldest unanswered ping

    def hangup(self, reason: str) -> None: ...
    def transcript(self, who: str, text: str) -> None: ...
    def replaced(self) -> None: ...


def unix(ts: float | None) -> str:
    """Timestamps are unix-second strings, "0" when unset (wire notes §2.3)."""
    return str(int(ts)) if ts else "0"


class Lives:
    def __init__(self, core: Core, accounts: Accounts) -> None:
        self.core, self.accounts = core, accounts
        self._conns: dict[str, Connection] = {}
        self._watchers: list = []
        core.faults.declare(CONN_INIT)

    @property
    def store(self):
        return self.core.store

    @property
    def settings(self):
        return self.core.settings

    def reset(self) -> None:
        self._conns.clear()

    def watch(self, callback) -> None:
        """Call ``callback(live)`` after each status change (the RTC gateway starts and ends media)."""
        self._watchers.append(callback)

    def _changed(self, live: dict) -> None:
        for callback in self._watchers:
            try:
                callback(live)
            except Exception:
                log.exception("a watcher of live session %s failed", live["id"])

    # -- the record -----------------------------------------------------------------
    def create(self, api_key: str, call_mode: str, avatar: dict, picture: bytes | None = None) -> dict:
        """``picture``: a small PNG of the avatar image, what the RTC character is drawn from."""
        account = self.accounts.ensure(api_key)
        if account.credits < billing.MIN_BALANCE:
            raise ViduError("CreditInsufficient", f"insufficient credits: a live session needs at least "
                            f"{billing.MIN_BALANCE} credits to start, {account.credits} remaining")
        cap = self.settings.live_max_open
        if sum(1 for live in self.store.all(KIND) if live["api_key"] == api_key and live["status"] in LIVE_STATES) >= cap:
            raise ViduError("QuotaExceeded", f"at most {cap} live sessions may be open (waiting or on_live) "
                            "at once for one API key")
        now = self.core.clock.now()
        live_id, creator = self.core.ids.new_id(), creator_id(api_key)
        user_id = f"live-user-{creator}-{live_id}"
        channel_id = f"live-user-{live_id}" if call_mode == "video" else f"live-audio-{live_id}"
        expire_at = int(now + TOKEN_TTL)
        live = {"id": live_id, "api_key": api_key, "creator_id": creator, "status": "waiting",
                "call_mode": call_mode, "live_duration": self.settings.live_duration, "avatar": avatar,
                "created_at": now, "start_time": None, "end_time": None, "ended_at": None,
                "charged": 0, "close_reason": "", "hangup_reason": "", "trace_id": self.core.ids.trace_id(),
                "warm_until": now + (self.settings.live_warmup if call_mode == "video" else 0.0),
                "disconnected_at": None,
                "picture": base64.b64encode(picture).decode() if picture else None,
                "rtc": {"app_id": APP_ID, "channel_id": channel_id, "user_id": user_id,
                        "bot_user_id": f"live-bot-{creator}-{live_id}",
                        "token": self.token(channel_id, user_id, expire_at), "token_expire_at": str(expire_at)}}
        self.store.put(KIND, live_id, live)
        self._arm(live)
        return live

    def token(self, channel_id: str, user_id: str, expire_at: int) -> str:
        """An RTC token valid for this channel and user only, until ``expire_at`` (HMAC-signed)."""
        claims = base64.urlsafe_b64encode(json.dumps(
            {"app_id": APP_ID, "channel_id": channel_id, "user_id": user_id, "exp": expire_at},
            separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{claims}.{self._sign(claims)}"

    def token_claims(self, token: str) -> dict | None:
        """The claims of a token this emulator issued, or None (expiry is the caller's to judge)."""
        if not isinstance(token, str) or not token.isascii():  # ours are ASCII; compare_digest wants it
            return None
        claims, _, signature = token.partition(".")
        if not claims or not hmac.compare_digest(signature, self._sign(claims)):
            return None
        try:
            return json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
        except ValueError:
            return None

    def _sign(self, claims: str) -> str:
        secret = f"viduemu-rtc:{self.settings.seed}".encode()
        return hmac.new(secret, claims.encode(), hashlib.sha256).hexdigest()[:32]

    def get(self, api_key: str, live_id: str) -> dict:
        live = self.store.get(KIND, live_id)
        if live is None:
            raise ViduError("NotFound", f"live session not found: {live_id}")
        if live["api_key"] != api_key:
            raise ViduError("Forbidden", f"live session {live_id} belongs to another API key")
        return live

    def find(self, live_id: str) -> dict | None:
        """Any account's session (the control plane's views)."""
        return self.store.get(KIND, live_id)

    def all(self):
        """Every session, oldest first."""
        return self.store.all(KIND)

    def on_live_seconds(self, live: dict, until: float | None = None) -> float:
        """On_live time up to ``until`` (default: the end, else now), never past ``live_duration``."""
        if live["start_time"] is None:
            return 0.0
        until = until if until is not None else live["end_time"] or self.core.clock.now()
        return min(float(live["live_duration"]), max(0.0, until - live["start_time"]))

    # -- transitions --------------------------------------------------------------
    def conn_init(self, live_id: str, api_key: str) -> tuple[bool, str | None, str | None]:
        """(success, error_code, error_msg) of a conn_init on this session; success goes on_live."""
        live = self.store.get(KIND, live_id)
        now = self.core.clock.now()
        action = self.core.faults.take(CONN_INIT.operation, api_key) or {}
        if live is None or live["status"] not in LIVE_STATES or now >= int(live["rtc"]["token_expire_at"]):
            return False, "LIVE_CONN_INIT_FAILED", "connection initialization failed: the session has ended"
        if action.get("error_code") == "LIVE_CONN_INIT_FAILED" or live.get("init_failed"):
            live["init_failed"] = True  # permanent for this session
            self.store.put(KIND, live_id, live)
            return False, "LIVE_CONN_INIT_FAILED", "connection initialization failed"
        if action.get("error_code") == "NOT_READY" or (live["status"] == "waiting" and now < live["warm_until"]):
            return False, "NOT_READY", "live sip endpoint not ready"
        live["disconnected_at"] = None
        if live["status"] == "waiting":
            live["status"], live["start_time"] = "on_live", now
            self.store.put(KIND, live_id, live)
            self._arm_on_live(live)
            self._changed(live)
        else:
            self.store.put(KIND, live_id, live)
        return True, None, None

    def hangup(self, live_id: str, reason: str, *, notify: bool = True, at: float | None = None) -> dict | None:
        """End a waiting or on_live session with ``reason`` (as of ``at``, default now); tells its
        client (type 6) when ``notify`` (a hangup the client itself sent is not echoed back)."""
        live = self.store.get(KIND, live_id)
        if live is None or live["status"] not in LIVE_STATES:
            return live
        now = self.core.clock.now()
        live["end_time"] = min(now, at) if at is not None else now
        live["status"], live["hangup_reason"], live["close_reason"] = "ending", reason, reason
        live["ended_at"] = now + ENDING_SECONDS
        self._settle(live, final=True)  # one transaction: the last deduction and the ended record
        conn = self._conns.pop(live_id, None)
        if conn is not None and notify:
            conn.hangup(reason)
        self.core.clock.call_at(live["ended_at"], self._end, live_id)
        self._changed(live)
        return live

    def force_hangup(self, live_id: str, reason) -> dict:
        """The control plane's hangup: any documented reason, as the real service would."""
        if reason not in HANGUP_REASONS:
            raise ViduError("FieldInvalid", f"hangup_reason must be one of {', '.join(HANGUP_REASONS)}",
                            fields="hangup_reason")
        live = self.store.get(KIND, live_id)
        if live is None:
            raise ViduError("NotFound", f"live session not found: {live_id}")
        if live["status"] not in LIVE_STATES:
            raise ViduError("BadRequest", f"live session {live_id} is {live['status']}")
        self.hangup(live_id, reason)
        return {"live_id": live_id, "status": self.store.get(KIND, live_id)["status"], "hangup_reason": reason}

    def _end(self, live_id: str) -> None:
        live = self.store.get(KIND, live_id)
        if live is not None and live["status"] == "ending":
            live["status"] = "ended"
            self.store.put(KIND, live_id, live)
            self._changed(live)

    def transcript(self, live_id: str, who: str, text: str) -> None:
        """What the user ("user") or the character ("character") said, to the session's client."""
        conn = self._conns.get(live_id)
        if conn is not None:
            conn.transcript(who, text)

    # -- connections ----------------------------------------------------------------
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
        live = self.store.get(KIND, live_id)
        if live is not None and live["status"] == "on_live":
            live["disconnected_at"] = self.core.clock.now()
            self.store.put(KIND, live_id, live)
            self.core.clock.call_at(live["disconnected_at"] + self.settings.live_reconnect_grace,
                                   self._reconnect_deadline, live_id, live["disconnected_at"])

    def _reconnect_deadline(self, live_id: str, since: float) -> None:
        live = self.store.get(KIND, live_id)
        if live is not None and live["status"] == "on_live" and live["disconnected_at"] == since:
            self.hangup(live_id, "client_reconnect_timeout", at=since + self.settings.live_reconnect_grace)

    # -- timers and billing ---------------------------------------------------------
    def _arm(self, live: dict) -> None:
        if live["status"] == "waiting":
            self.core.clock.call_at(live["created_at"] + self.settings.live_idle_timeout, self._expire, live["id"])
        elif live["status"] == "on_live":
            self._arm_on_live(live)
        elif live["status"] == "ending":
            self.core.clock.call_at(live["ended_at"], self._end, live["id"])

    def _arm_on_live(self, live: dict) -> None:
        start, live_id = live["start_time"], live["id"]
        self.core.clock.call_at(start + live["live_duration"], self._timeout, live_id)
        charged_ticks = live["charged"] // (billing.cost(billing.TICK_SECONDS))
        tick_at = start + (charged_ticks + 1) * billing.TICK_SECONDS
        self.core.clock.call_at(tick_at, self._tick, live_id, tick_at)

    def _expire(self, live_id: str) -> None:
        live = self.store.get(KIND, live_id)
        if live is not None and live["status"] == "waiting":
            self.hangup(live_id, "timeout")

    def _timeout(self, live_id: str) -> None:
        live = self.store.get(KIND, live_id)
        if live is not None and live["status"] == "on_live":
            self.hangup(live_id, "timeout", at=live["start_time"] + live["live_duration"])

    def _tick(self, live_id: str, at: float) -> None:
        """The deduction due at ``at`` (start + 6 s, + 12 s, ...): bills the time up to ``at``, so
        ticks that fall due late (a restart, a long advance) bill each slot once, never ahead."""
        live = self.store.get(KIND, live_id)
        if live is None or live["status"] != "on_live":
            return
        if self._settle(live, final=False, until=at):
            self.hangup(live_id, "credit_insufficient", at=at)
            return
        self.core.clock.call_at(at + billing.TICK_SECONDS, self._tick, live_id, at + billing.TICK_SECONDS)

    def _settle(self, live: dict, *, final: bool, until: float | None = None) -> bool:
        """Deduct what the on_live time up to ``until`` owes and store the session with it, in one
        transaction (a kill between the two would bill that time twice); True when the balance is
        exhausted."""
        exhausted = False
        with self.store.atomic():
            if live["start_time"] is not None:
                account = self.accounts.ensure(live["api_key"])
                owed = billing.cost(self.on_live_seconds(live, until))
                amount, exhausted = billing.take(owed, live["charged"], account.credits)
                if amount:
                    self.accounts.charge(live["api_key"], amount, "live", live["id"])
                    live["charged"] += amount
            self.store.put(KIND, live["id"], live)
        return exhausted and not final

    def resume(self) -> None:
        """After a restart: re-arm every session's timers. The server's end dropped every client,
        so an on_live session is a dropped one since the last moment the server is known to have
        been alive: a client may reconnect within the grace, else the session ends
        ``client_reconnect_timeout`` at that moment + the grace, billed up to then (docs/decisions.md)."""
        now = self.core.clock.now()
        for live in list(self.store.all(KIND)):
            self._arm(live)
            if live["status"] == "on_live":
                paid_until = live["start_time"] + billing.seconds_paid(live["charged"])
                since = min(now, max(self.core.last_alive or now, paid_until))
                live["disconnected_at"] = since
                self.store.put(KIND, live["id"], live)
                self.core.clock.call_at(since + self.settings.live_reconnect_grace, self._reconnect_deadline,
                                       live["id"], since)


def view(live: dict) -> dict:
    """``GET /live/v1/lives/{id}``'s answer."""
    body = {"id": live["id"], "status": live["status"], "call_mode": live["call_mode"],
            "live_duration": live["live_duration"], "billed_seconds": billing.seconds_paid(live["charged"]),
            "credits_cost": live["charged"], "avatar": live["avatar"], "created_at": unix(live["created_at"]),
            "start_time": unix(live["start_time"]), "end_time": unix(live["end_time"]),
            "trace_id": live["trace_id"]}
    if live["status"] in ("ending", "ended"):
        body["close_reason"], body["hangup_reason"] = live["close_reason"], live["hangup_reason"]
    return {"live": body}


def create_view(live: dict) -> dict:
    rtc = live["rtc"]
    return {"live": {"id": live["id"], "status": live["status"], "live_duration": live["live_duration"],
                     "call_mode": live["call_mode"]},
            "rtc": {k: rtc[k] for k in ("app_id", "channel_id", "user_id", "token", "token_expire_at")}}

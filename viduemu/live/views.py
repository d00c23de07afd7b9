"""Every S1 wire shape: a session's create answer (with its ``rtc`` block) and GET answer, the voices;
and the control plane's views of sessions (the summary, the inspector's detail, the call page's rtc
block, the forced hangup's answer)."""

from __future__ import annotations

from typing import Any

from viduemu.live import billing
from viduemu.live.models import Live, Voice

RTC_FIELDS = ("app_id", "channel_id", "user_id", "token", "token_expire_at")   # the create answer's rtc block


def unix(ts: float | None) -> str:
    """Timestamps are unix-second strings, "0" when unset (wire notes §2.3)."""
    return str(int(ts)) if ts else "0"


# -- /live/v1 --------------------------------------------------------------------------------------
def create_view(live: Live) -> dict[str, Any]:
    """``POST /live/v1/lives``'s answer."""
    return {"live": {"id": live.id, "status": live.status, "live_duration": live.live_duration,
                     "call_mode": live.call_mode},
            "rtc": {k: live.rtc[k] for k in RTC_FIELDS}}   # type: ignore[literal-required]


def view(live: Live) -> dict[str, Any]:
    """``GET /live/v1/lives/{id}``'s answer."""
    body: dict[str, Any] = {
        "id": live.id, "status": live.status, "call_mode": live.call_mode, "live_duration": live.live_duration,
        "billed_seconds": billing.seconds_paid(live.charged), "credits_cost": live.charged,
        "avatar": live.avatar, "created_at": unix(live.created_at), "start_time": unix(live.start_time),
        "end_time": unix(live.end_time), "trace_id": live.trace_id}
    if live.status in ("ending", "ended"):
        body["close_reason"], body["hangup_reason"] = live.close_reason, live.hangup_reason
    return {"live": body}


def list_view(page: list[Live], total: int) -> dict[str, Any]:
    """``GET /live/v1/lives``: one page of the query's ``live`` objects, and how many the key has."""
    return {"lives": [view(live)["live"] for live in page], "total": total}


def voices_view(clones: list[Voice]) -> dict[str, Any]:
    """``GET /live/v1/voices``: the account's cloned voices."""
    return {"voices": [{"voice": v.voice} for v in clones]}


def clone_view(voice: Voice) -> dict[str, Any]:
    return {"voice": voice.voice}


# -- the control plane (/_emulator/lives) ----------------------------------------------------------------
def live_summary(live: Live, on_live_seconds: float) -> dict[str, Any]:
    """A session's row in ``GET /_emulator/lives``."""
    return {"id": live.id, "api_key": live.api_key, "status": live.status, "call_mode": live.call_mode,
            "name": live.avatar.get("name", ""), "live_duration": live.live_duration,
            "created_at": live.created_at, "start_time": live.start_time, "end_time": live.end_time,
            "ended_at": live.ended_at, "on_live_seconds": round(on_live_seconds, 3),
            "billed_seconds": billing.seconds_paid(live.charged), "credits_cost": live.charged,
            "close_reason": live.close_reason, "hangup_reason": live.hangup_reason}


def detail_view(live: Live, on_live_seconds: float, *, now: float, connection: dict[str, Any],
                ledger: list[dict[str, Any]], credits: int, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """``GET /_emulator/lives/{id}``: the summary, the avatar (without its picture), heartbeat health,
    signaling messages and billing deductions (this session's entries of the account's ``ledger``;
    ``credits``: the balance now)."""
    deductions = [{"at": e["at"], "delta": e["delta"], "balance": e["balance"]}
                  for e in ledger if e["reason"] == "live" and e["ref"] == live.id]
    before = deductions[0]["balance"] - deductions[0]["delta"] if deductions else credits
    avatar = {k: v for k, v in live.avatar.items() if k != "picture"}
    return {**live_summary(live, on_live_seconds), "avatar": avatar, "now": now, "connection": connection,
            "billing": {"balance_before": before, "tick_seconds": billing.TICK_SECONDS,
                        "credits_per_unit": billing.CREDITS_PER_UNIT, "unit_seconds": billing.UNIT_SECONDS,
                        "deductions": deductions},
            "messages": messages}


def connection_view(live: Live, conn: Any, settings: Any, now: float) -> dict[str, Any]:
    """Heartbeat health of the session's signaling client (virtual seconds; the ping's wall time)."""
    health: dict[str, Any] = {
        "connected": conn is not None, "disconnected_at": live.disconnected_at,
        "heartbeat_interval": settings.heartbeat_interval, "heartbeat_timeout": settings.heartbeat_timeout,
        "heard_at": None, "silent_for": None, "ping_unanswered": False}
    if conn is not None and hasattr(conn, "heard_at"):
        health["heard_at"] = conn.heard_at
        health["silent_for"] = round(max(0.0, now - conn.heard_at), 3)
        health["ping_unanswered"] = conn.unanswered_since is not None
    return health


def rtc_view(live: Live) -> dict[str, Any]:
    """``GET /_emulator/lives/{id}/rtc``: the create answer's rtc block plus ``bot_user_id`` (the call page)."""
    return {"live": {"id": live.id, "status": live.status, "call_mode": live.call_mode},
            "rtc": {k: live.rtc[k] for k in (*RTC_FIELDS, "bot_user_id")}}   # type: ignore[literal-required]


def hangup_view(live: Live) -> dict[str, Any]:
    """``POST /_emulator/lives/{id}/hangup``'s answer."""
    return {"live_id": live.id, "status": live.status, "hangup_reason": live.hangup_reason}

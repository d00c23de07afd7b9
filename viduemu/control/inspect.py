"""Read-only views of the emulator's state for the inspector page (and for anyone else): every
account, every task with its request, state history and callbacks, every live session with its
signaling messages and billing; plus the page's static files (``control/inspector/``).

Nothing here changes state: the page steers the emulator through the control plane's other calls.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.routing import Route

from viduemu.control.static import static_page
from viduemu.core.errors import ViduError
from viduemu.core.http import control, emulator
from viduemu.live import billing

page, asset = static_page(Path(__file__).parent / "inspector")
TASK_FILTERS = ("api_key", "state", "type", "model")
LIVE_FILTERS = ("api_key", "status", "call_mode")


@control
async def accounts(request: Request):
    """Every account with its balance and the size of its ledger, oldest first."""
    return {"accounts": [{"api_key": a["api_key"], "credits": a["credits"], "entries": len(a["ledger"])}
                         for a in emulator(request).store.all("accounts")]}


@control
async def request_detail(request: Request):
    """One journalled request by trace id, with the first 4 KB of both bodies while they are kept
    (the latest 500 requests; older ones answer ``null`` bodies)."""
    emu = emulator(request)
    trace_id = request.path_params["trace_id"]
    entry = next((e for e in reversed(list(emu.store.journal("requests"))) if e.get("trace_id") == trace_id), None)
    if entry is None:
        raise ViduError("NotFound", f"no journalled request with trace id {trace_id}")
    bodies = emu.bodies.get(trace_id) or {"request_body": None, "request_bytes": None,
                                          "response_body": None, "response_bytes": None}
    return {**entry, **bodies}


# -- tasks -------------------------------------------------------------------------------
def task_summary(task: dict) -> dict:
    history = task["history"]
    return {"task_id": task["task_id"], "api_key": task["api_key"], "type": task["type"],
            "model": task["fields"].get("model"), "state": task["state"], "err_code": task["err_code"],
            "credits": task["credits"], "off_peak": task["off_peak"], "callback_url": task.get("callback_url"),
            "created_at": task["created_at"], "updated_at": history[-1]["at"] if history else task["created_at"],
            "history": history, "creations": task["creations"]}


def _matches(doc: dict, request: Request, names: tuple[str, ...]) -> bool:
    return all(request.query_params.get(n) in (None, "", doc.get(n)) for n in names)


@control
async def tasks(request: Request):
    """Tasks across accounts, oldest first; ``?api_key=&state=&type=&model=`` narrow it."""
    found = (task_summary(t) for t in emulator(request).store.all("tasks"))
    return {"tasks": [t for t in found if _matches(t, request, TASK_FILTERS)]}


@control
async def task(request: Request):
    """One task: its summary, the request as stored (data URIs as their type) and its callbacks."""
    emu = emulator(request)
    task_id = request.path_params["task_id"]
    found = emu.store.get("tasks", task_id)
    if found is None:
        raise ViduError("NotFound", f"task not found: {task_id}")
    outbox = emu.store.get("callback_outbox", task_id)
    return {**task_summary(found), "request": found["fields"],
            "callbacks": [c for c in emu.store.journal("callbacks") if c.get("task_id") == task_id],
            "callbacks_pending": len(outbox["pending"]) if outbox else 0}


# -- live sessions --------------------------------------------------------------------------
def live_summary(emu, live: dict) -> dict:
    return {"id": live["id"], "api_key": live["api_key"], "status": live["status"],
            "call_mode": live["call_mode"], "name": live["avatar"].get("name", ""),
            "live_duration": live["live_duration"], "created_at": live["created_at"],
            "start_time": live["start_time"], "end_time": live["end_time"], "ended_at": live["ended_at"],
            "on_live_seconds": round(emu.lives.on_live_seconds(live), 3),
            "billed_seconds": billing.seconds_paid(live["charged"]), "credits_cost": live["charged"],
            "close_reason": live["close_reason"], "hangup_reason": live["hangup_reason"]}


def _lives(request: Request):
    lives = getattr(emulator(request), "lives", None)
    if lives is None:
        raise ViduError("NotFound", "live sessions are not available in this version")
    return lives


@control
async def lives(request: Request):
    """Live sessions across accounts, oldest first; ``?api_key=&status=&call_mode=`` narrow it."""
    emu = emulator(request)
    found = (live_summary(emu, live) for live in _lives(request).store.all("lives"))
    return {"lives": [s for s in found if _matches(s, request, LIVE_FILTERS)]}


@control
async def live(request: Request):
    """One session: summary, avatar, heartbeat health, signaling messages and billing deductions."""
    emu = emulator(request)
    live_id = request.path_params["live_id"]
    found = _lives(request).store.get("lives", live_id)
    if found is None:
        raise ViduError("NotFound", f"live session not found: {live_id}")
    account = emu.accounts.get(found["api_key"]) or {"ledger": [], "credits": 0}
    deductions = [{"at": e["at"], "delta": e["delta"], "balance": e["balance"]}
                  for e in account["ledger"] if e["reason"] == "live" and e["ref"] == live_id]
    before = deductions[0]["balance"] - deductions[0]["delta"] if deductions else account["credits"]
    avatar = {k: v for k, v in found["avatar"].items() if k != "picture"}
    return {**live_summary(emu, found), "avatar": avatar, "now": emu.clock.now(),
            "connection": _connection(emu, found),
            "billing": {"balance_before": before, "tick_seconds": billing.TICK_SECONDS,
                        "credits_per_unit": billing.CREDITS_PER_UNIT, "unit_seconds": billing.UNIT_SECONDS,
                        "deductions": deductions},
            "messages": [m for m in emu.store.journal("ws") if m["live_id"] == live_id]}


def _connection(emu, live: dict) -> dict:
    """Heartbeat health of the session's signaling client (virtual seconds; the ping's wall time)."""
    conn = emu.lives.connection(live["id"])
    settings = emu.settings
    health = {"connected": conn is not None, "disconnected_at": live.get("disconnected_at"),
              "heartbeat_interval": settings.heartbeat_interval, "heartbeat_timeout": settings.heartbeat_timeout,
              "heard_at": None, "silent_for": None, "ping_unanswered": False}
    if conn is not None and hasattr(conn, "heard_at"):
        health["heard_at"] = conn.heard_at
        health["silent_for"] = round(max(0.0, emu.clock.now() - conn.heard_at), 3)
        health["ping_unanswered"] = conn.unanswered_since is not None
    return health


routes = [
    Route("/_emulator/", page, methods=["GET"]),
    Route("/_emulator/inspector/{name}", asset, methods=["GET"]),
    Route("/_emulator/accounts", accounts, methods=["GET"]),
    Route("/_emulator/requests/{trace_id}", request_detail, methods=["GET"]),
    Route("/_emulator/tasks", tasks, methods=["GET"]),
    Route("/_emulator/tasks/{task_id}", task, methods=["GET"]),
    Route("/_emulator/lives", lives, methods=["GET"]),
    Route("/_emulator/lives/{live_id}", live, methods=["GET"]),
]

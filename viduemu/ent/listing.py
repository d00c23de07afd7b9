"""Task management besides the creations query: list (`GET /ent/v2/tasks`), cancel, credits.

Wire notes §1.6, §1.8, §1.9, §1.11 and the vendor pages tasks-list, cancel-generation and
get-account-info. Judgement calls (paging, filters, `key_id`, packages) are in docs/decisions.md.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import re

from starlette.requests import Request
from starlette.routing import Route

from viduemu.core.errors import ViduError, invalid
from viduemu.core.http import caller, emulator, endpoint, query_value, read_json
from viduemu.ent.tasks import iso

STATES = ("created", "queueing", "processing", "success", "failed")
DEFAULT_WINDOW = 7 * 86400.0   # "default is 7 days"
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 10, 100
PACKAGE_VALIDITY = 365 * 86400.0
# The vendor's doc spells the pager "paper"; both spellings are read, the documented one first.
PAGE_PARAMS = (("paper.page", "pager.page"), ("paper.pagesz", "pager.pagesz"))


def key_id(api_key: str) -> str:
    """A stable numeric id for an API key (the list shows which key made a task, never the key)."""
    return str(int.from_bytes(hashlib.sha256(api_key.encode()).digest()[:8], "big") % 10**18).zfill(18)


# -- query parsing ---------------------------------------------------------------------------
def _values(request: Request, name: str) -> list[str]:
    """A repeated query parameter (``states=a&states=b``), also accepting ``states=a,b``."""
    return [v.strip() for raw in request.query_params.getlist(name) for v in raw.split(",") if v.strip()]


RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})")


def _time(request: Request, name: str) -> float | None:
    raw = query_value(request, name)
    if raw is None:
        return None
    try:  # RFC 3339 exactly, as the vendor's gateway parses a Timestamp: an empty value is no time either
        if not RFC3339.fullmatch(raw):
            raise ValueError(raw)
        return datetime.datetime.fromisoformat(raw.upper().replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError):
        raise invalid(name, "an RFC 3339 time such as 2025-01-01T00:00:00Z is expected") from None


def _int(request: Request, names: tuple[str, ...]) -> tuple[str, int] | None:
    """The first of ``names`` given, as an integer; every alias given must be one."""
    found = None
    for name in names:
        raw = query_value(request, name)
        if raw is None:
            continue
        try:
            value = int(raw)
        except ValueError:
            raise invalid(name, "an integer is expected") from None
        found = found or (name, value)
    return found


def _page_size(request: Request) -> int:
    found = _int(request, PAGE_PARAMS[1])
    if found is None or found[1] == 0:  # proto3: 0 is "not set"
        return DEFAULT_PAGE_SIZE
    name, size = found
    if not 0 < size <= MAX_PAGE_SIZE:
        raise ViduError("PageSizeOutOfRange", f"page size out of range: {name} must be 1..{MAX_PAGE_SIZE}",
                        fields=name)
    return size


def _page_start(request: Request, size: int) -> tuple[float, str] | int:
    """Where the page begins: after a (created_at, id) position from the token, or at an offset."""
    token = query_value(request, "pager.page_token", empty_ok=True)
    if token:
        try:
            created_at, task_id = json.loads(base64.urlsafe_b64decode(token.encode() + b"==="))
            return float(created_at), str(task_id)
        except (ValueError, TypeError):
            raise invalid("pager.page_token", "not a token this server issued") from None
    found = _int(request, PAGE_PARAMS[0])
    if found is not None and found[1] < 0:
        raise invalid(found[0], "pages are numbered from 0")
    return (found[1] if found else 0) * size


def _token(task: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps([task["created_at"], task["task_id"]]).encode()).decode().rstrip("=")


def _filters(request: Request, now: float) -> list:
    """Predicates over stored tasks, one per query filter given."""
    upto = _time(request, "created_at.to")
    upto = now if upto is None else upto
    since = _time(request, "created_at.from")
    since = upto - DEFAULT_WINDOW if since is None else since
    checks = [lambda t: since <= t["created_at"] <= upto]
    states = _values(request, "states")
    if any(s not in STATES for s in states) or "" in request.query_params.getlist("states"):  # states= too
        raise invalid("states", f"states are {', '.join(STATES)}")
    if states:
        checks.append(lambda t: t["state"] in states)
    if ids := set(_values(request, "task_ids")):
        checks.append(lambda t: t["task_id"] in ids)
    if versions := set(_values(request, "model_versions")):
        checks.append(lambda t: _model(t) in versions or _model(t).removeprefix("vidu") in versions)
    if resolutions := set(_values(request, "resolutions")):
        checks.append(lambda t: t["fields"].get("resolution") in resolutions)
    if templates := set(_values(request, "templates")):
        checks.append(lambda t: t["fields"].get("template") in templates)
    return checks


def _model(task: dict) -> str:
    return str(task["fields"].get("model", ""))


# -- rendering ------------------------------------------------------------------------------
def listed_view(task: dict, base_url: str) -> dict:
    fields = task["fields"]
    view = {"id": task["task_id"], "key_id": key_id(task["api_key"]), "type": task["type"],
            "state": task["state"], "err_code": task["err_code"], "model": _model(task),
            "prompt": fields.get("prompt") or "",
            "images": [i for i in fields.get("images") or [] if isinstance(i, str)],
            "duration": int(fields.get("duration") or 0), "resolution": fields.get("resolution") or "",
            "aspect_ratio": fields.get("aspect_ratio") or "", "credits": task["credits"],
            "off_peak": task["off_peak"], "created_at": iso(task["created_at"]),
            "creations": [_creation(c, base_url) for c in task["creations"]]}
    if fields.get("template"):
        view["template"] = fields["template"]
    return view


def _creation(creation: dict, base_url: str) -> dict:
    view = {"id": creation["id"], "url": base_url + creation["url"], "cover_url": base_url + creation["cover_url"]}
    if "video" in creation:
        view["video"] = creation["video"]
    return view


# -- handlers -------------------------------------------------------------------------------
@endpoint
async def list_tasks(request: Request):
    emu = emulator(request)
    api_key = caller(request)
    size = _page_size(request)
    start = _page_start(request, size)
    checks = _filters(request, emu.clock.now())
    tasks = sorted((t for t in emu.ent.all(api_key) if all(check(t) for check in checks)),
                   key=lambda t: (t["created_at"], t["task_id"]), reverse=True)
    if isinstance(start, tuple):
        tasks = [t for t in tasks if (t["created_at"], t["task_id"]) < start]
        start = 0
    page = tasks[start:start + size]
    more = len(tasks) > start + size
    base_url = str(request.base_url).rstrip("/")
    return {"next_page_token": _token(page[-1]) if more else "",
            "tasks": [listed_view(t, base_url) for t in page]}


@endpoint
async def cancel_task(request: Request):
    """Body ``{"id": ...}`` (the vendor's curl), ``{}`` or none at all; the task in the path wins."""
    emu = emulator(request)
    api_key = caller(request)
    body = await _optional_object(request)
    if "id" in body and not isinstance(body["id"], str):
        raise invalid("id", "a task id string is expected")
    emu.ent.cancel(api_key, request.path_params["task_id"])
    return {}


async def _optional_object(request: Request) -> dict:
    try:
        body = await read_json(request)
    except ViduError as err:
        if err.message.startswith("request body is empty"):
            return {}
        raise
    if not isinstance(body, dict):
        raise ViduError("BadRequest", "request body must be a JSON object")
    return body


@endpoint
async def get_credits(request: Request):
    emu = emulator(request)
    api_key = caller(request)
    raw = (query_value(request, "show_detail") or "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise invalid("show_detail", "true or false")
    account = emu.accounts.ensure(api_key)
    figures = emu.ent.figures(api_key)
    answer = {"remains": [{"type": "test", "credit_remain": account["credits"], **figures}]}
    if raw in ("true", "1"):
        answer["packages"] = [_package(account, figures["concurrency_limit"])]
    return answer


def _package(account: dict, concurrency: int) -> dict:
    """The account's one package: the trial/test grant plus what the control plane set."""
    ledger = account["ledger"]
    granted = sum(e["delta"] for e in ledger if e["reason"] in ("initial", "set"))
    since = ledger[0]["at"] if ledger else 0.0
    return {"id": key_id("package:" + account["api_key"]), "name": "viduemu test package", "type": "test",
            "concurrency": concurrency, "credit_amount": max(granted, account["credits"]),
            "credit_remain": account["credits"], "created_at": iso(since), "purchase_at": iso(since),
            "valid_from": iso(since), "valid_to": iso(since + PACKAGE_VALIDITY)}


def routes() -> list[Route]:
    return [
        Route("/ent/v2/tasks", list_tasks, methods=["GET"]),
        Route("/ent/v2/tasks/{task_id}/cancel", cancel_task, methods=["POST"]),
        Route("/ent/v2/credits", get_credits, methods=["GET"]),
    ]

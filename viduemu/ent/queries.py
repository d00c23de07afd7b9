"""The query strings of /ent/v2's listings (``GET /ent/v2/tasks``, ``GET /ent/v2/subjects``): filters,
page sizes and one scheme of opaque page tokens for both.

Wire notes §1.6, §1.11 and the vendor pages tasks-list and get-account-info; judgement calls
(paging, filters) are in docs/decisions.md.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from viduemu.core.errors import ViduError, invalid
from viduemu.core.http import query_value
from viduemu.core.signing import Signer
from viduemu.ent import rules
from viduemu.ent.views import model_of
from viduemu.vidu.tasks import Task

RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})")


# -- page tokens ---------------------------------------------------------------------------------
# Opaque, signed with the state's secret (core/signing.py) for the one query parameter that carries them,
# and bounded in length: anything this state did not issue for that parameter is a 400 naming it.
def page_token(signer: Signer, name: str, position: list[Any]) -> str:
    """The token, given back as ``name``, of the page after ``position`` (where the last page ended)."""
    return signer.token(f"page:{name}", position)


def token_position(request: Request, signer: Signer, name: str) -> list[Any] | None:
    """The position a page token given as ``name`` holds; None when there is none (or it is empty)."""
    token = query_value(request, name, empty_ok=True)
    if not token:
        return None
    position = signer.open(f"page:{name}", token)
    if not isinstance(position, list) or not position:
        raise invalid(name, "not a token this server issued")
    return position


# -- GET /ent/v2/tasks ------------------------------------------------------------------------------
def values(request: Request, name: str) -> list[str]:
    """A repeated query parameter (``states=a&states=b``), also accepting ``states=a,b``."""
    return [v.strip() for raw in request.query_params.getlist(name) for v in raw.split(",") if v.strip()]


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


def task_page_size(request: Request) -> int:
    found = _int(request, rules.LIST_PAGE_PARAMS[1])
    if found is None or found[1] == 0:  # proto3: 0 is "not set"
        return rules.LIST_PAGE_DEFAULT
    name, size = found
    if not 0 < size <= rules.LIST_PAGE_MAX:
        raise ViduError("PageSizeOutOfRange", f"page size out of range: {name} must be 1..{rules.LIST_PAGE_MAX}",
                        fields=name)
    return size


def task_page_start(request: Request, signer: Signer, size: int) -> tuple[float, str] | int:
    """Where the page begins: after a (created_at, id) position from the token, or at an offset."""
    position = token_position(request, signer, "pager.page_token")
    if position is not None:
        try:
            created_at, task_id = position
            return float(created_at), str(task_id)
        except (ValueError, TypeError):
            raise invalid("pager.page_token", "not a token this server issued") from None
    found = _int(request, rules.LIST_PAGE_PARAMS[0])
    if found is not None and found[1] < 0:
        raise invalid(found[0], "pages are numbered from 0")
    return (found[1] if found else 0) * size


def task_filters(request: Request, now: float) -> list[Callable[[Task], bool]]:
    """Predicates over tasks, one per query filter given."""
    upto = _time(request, "created_at.to")
    upto = now if upto is None else upto
    since = _time(request, "created_at.from")
    since = upto - rules.LIST_WINDOW if since is None else since
    checks: list[Callable[[Task], bool]] = [lambda t: since <= t.created_at <= upto]
    states = values(request, "states")
    if any(s not in rules.TASK_STATES for s in states) or "" in request.query_params.getlist("states"):
        raise invalid("states", f"states are {', '.join(rules.TASK_STATES)}")
    if states:
        checks.append(lambda t: t.state in states)
    if ids := set(values(request, "task_ids")):
        checks.append(lambda t: t.task_id in ids)
    if versions := set(values(request, "model_versions")):
        checks.append(lambda t: model_of(t) in versions or model_of(t).removeprefix("vidu") in versions)
    if resolutions := set(values(request, "resolutions")):
        checks.append(lambda t: t.fields.get("resolution") in resolutions)
    if templates := set(values(request, "templates")):
        checks.append(lambda t: t.fields.get("template") in templates)
    return checks


# -- GET /ent/v2/subjects -----------------------------------------------------------------------------
def subject_count(request: Request) -> int:
    raw = query_value(request, "count")
    if raw is None:
        return rules.SUBJECT_PAGE_DEFAULT
    try:
        count = int(raw)
    except ValueError:
        raise invalid("count", "an integer is expected") from None
    if not 1 <= count <= rules.SUBJECT_PAGE_MAX:
        raise ViduError("PageSizeOutOfRange", f"page size out of range: count must be 1..{rules.SUBJECT_PAGE_MAX}",
                        fields="count")
    return count

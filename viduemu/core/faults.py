"""Fault rules: ``{"match": {...}, "action": {...}, "times": N}``.

``match.operation`` is a fault point an area declared (``FaultPoint``, e.g. the moment a task
finishes) or ``"<METHOD> <path>"`` with the path as in the contract (``{param}`` placeholders match
any segment, whatever the name) or a concrete path; ``match.api_key`` narrows it to the callers of
that key as they send it, whatever the scheme (the key an account is named by). ``times`` absent =
until deleted. Every rule may delay (``delay_ms``); an HTTP rule may answer an error (``status``,
``reason``, ``message``); a fault point declares the actions of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from viduemu.core.contracts import HTTP_METHODS, PATH_PARAM
from viduemu.core.errors import REASONS, ViduError
from viduemu.core.records import Record, Table
from viduemu.core.store import MemoryStore

# action value -> None when fine, else why not
ActionCheck = Callable[[object], "str | None"]


@dataclass(frozen=True)
class FaultPoint:
    """A named moment an area consults the fault rules at, and the actions it honours there."""

    operation: str
    actions: Mapping[str, ActionCheck] = field(default_factory=dict)


def one_of(name: str, values: tuple[str, ...]) -> ActionCheck:
    return lambda v: None if v in values else f"{name} must be one of {values}"


def _integer(v: object) -> TypeGuard[int | float]:
    """A JSON integer: 413 or 413.0 (JSON Schema's ``integer`` counts an integral float as one)."""
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())


# the actions every rule may take: action key -> validator of its value
ACTION_CHECKS: dict[str, ActionCheck] = {
    "status": lambda v: None if _integer(v) and 400 <= v <= 599
    else "status must be an integer 400..599",
    "reason": lambda v: None if isinstance(v, str) and v else "reason must be a non-empty string",
    "message": lambda v: None if isinstance(v, str) else "message must be a string",
    "delay_ms": lambda v: None if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 30 * 86_400_000
    else "delay_ms must be a number of milliseconds up to 30 days",
}


def _normalise(path: str) -> str:
    return PATH_PARAM.sub("{}", path.rstrip("/") or "/")


@dataclass
class Fault(Record):
    KIND = "faults"
    KEY = "id"

    id: str
    match: dict[str, Any]
    action: dict[str, Any]
    times: int | None = None   # None: until deleted
    hits: int = 0

    def view(self) -> dict[str, Any]:
        return self.to_doc()


class Faults:
    def __init__(self, store: MemoryStore, new_id: Callable[[], str]):
        self.table, self.new_id = Table(store, Fault), new_id
        self.points: dict[str, FaultPoint] = {}
        self.actions: dict[str, ActionCheck] = dict(ACTION_CHECKS)

    def declare(self, point: FaultPoint) -> None:
        self.points[point.operation] = point
        self.actions.update(point.actions)

    def _valid_operation(self, op: object) -> bool:
        if not isinstance(op, str):
            return False
        if op in self.points:
            return True
        method, _, path = op.partition(" ")
        return method.lower() in HTTP_METHODS and method.isupper() and path.startswith("/")

    def _key(self, op: str) -> str:
        return op if op in self.points else _op_key(op)

    def add(self, rule: object) -> Fault:
        if not isinstance(rule, dict):
            raise ViduError("BadRequest", "a fault rule must be a JSON object")
        match, action, times = rule.get("match"), rule.get("action"), rule.get("times")
        if not isinstance(match, dict) or not self._valid_operation(match.get("operation")):
            named = "".join(f"'{op}', " for op in self.points)
            raise ViduError("FieldInvalid", f"match.operation must be {named}or '<METHOD> <path>'",
                            fields="match.operation")
        if "api_key" in match and not isinstance(match["api_key"], str):
            raise ViduError("FieldInvalid", fields="match.api_key")
        if not isinstance(action, dict) or not action:
            raise ViduError("FieldLacking", fields="action")
        for key, value in action.items():
            check = self.actions.get(key)
            why = f"unknown action '{key}'" if check is None else check(value)
            if why:
                raise ViduError("FieldInvalid", f"invalid field: action.{key} ({why})", fields=f"action.{key}")
        if "reason" in action and "status" not in action:
            raise ViduError("FieldLacking", "action.reason needs action.status", fields="action.status")
        if times is not None and (not _integer(times) or times < 1):
            raise ViduError("FieldInvalid", "times must be a positive integer", fields="times")
        if "status" in action:
            action = {**action, "status": int(action["status"])}
        times = None if times is None else int(times)
        return self.table.put(Fault(self.new_id(), match, action, times))

    def list(self) -> list[Fault]:
        return list(self.table.all())

    def remove(self, fault_id: str) -> bool:
        if self.table.get(fault_id) is None:
            return False
        self.table.delete(fault_id)
        return True

    def take(self, operation: str, api_key: str | None, concrete_path: str | None = None) -> dict[str, Any] | None:
        """The action of the oldest rule matching, consuming one of its ``times``; else None."""
        if not self.table.count():
            return None
        wanted = {self._key(operation)}
        if concrete_path is not None:
            wanted.add(_op_key(f"{operation.partition(' ')[0]} {concrete_path}"))
        for fault in list(self.table.all()):
            match = fault.match
            if self._key(match["operation"]) not in wanted:
                continue
            if match.get("api_key") not in (None, api_key):
                continue
            fault.hits += 1
            if fault.times is not None:
                fault.times -= 1
            if fault.times == 0:
                self.table.delete(fault.id)
            else:
                self.table.put(fault)
            return fault.action
        return None


def _op_key(op: str) -> str:
    method, _, path = op.partition(" ")
    return f"{method.upper()} {_normalise(path)}"


def http_error(action: dict[str, Any]) -> ViduError | None:
    """The HTTP error a fault action asks for, in the vendor envelope."""
    if "status" not in action:
        return None
    status = action["status"]
    reason = action.get("reason") or next((r for r, (s, _) in REASONS.items() if s == status), "BadRequest")
    return ViduError(reason, action.get("message"), status=status)

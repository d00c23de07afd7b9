"""The signaling contract (contracts/asyncapi.yaml): which message a frame is, and whether it matches.

The document describes the server, as AsyncAPI operations do: ``"receive"`` is a frame a client
sends to the server, ``"send"`` a frame the server sends to a client. The message is chosen by the
frame's ``type`` among those of that direction, then the whole frame is checked against its schema.

    validate("send", {"type": 2, "payload": {...}})  # -> the name of the server's message of type 2

A mismatch raises ``MessageViolation`` naming the message, its type and the failing path; its
``code`` is the one the emulator's error frame (type 0) carries, so a server can answer with it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from viduemu.core.contracts import contract_path, field_name, short

DIRECTIONS = {"receive": "client -> server", "send": "server -> client"}


class MessageViolation(ValueError):
    """A frame the contract does not describe.

    ``code``: ``INVALID_JSON`` (not an object), ``UNKNOWN_TYPE`` (no such message in that direction)
    or ``INVALID_MESSAGE`` (a known message with a wrong field); ``path``: the failing field, dotted.
    """

    def __init__(self, code: str, text: str, *, name: str | None = None, type: int | None = None,
                 path: str = ""):
        super().__init__(text)
        self.code, self.name, self.type, self.path = code, name, type, path


class _Message:
    def __init__(self, name: str, type_: int, schema: dict[str, Any]):
        self.name, self.type = name, type_
        self.validator = Draft7Validator(schema)
        self.fast = jsonschema_rs.Draft7Validator(schema)


class AsyncApi:
    def __init__(self, path: Path | None = None):
        self.path = path or contract_path("asyncapi.yaml")
        self.document = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        self._messages: dict[tuple[str, int], _Message] = {}
        for op in self.document["operations"].values():
            for ref in op["messages"]:
                message = self._inline(ref)
                schema = message["payload"]
                type_ = schema["properties"]["type"]["const"]
                self._messages[(op["action"], type_)] = _Message(message["name"], type_, schema)

    def types(self, direction: str) -> dict[int, str]:
        """``{type: message name}`` of one direction."""
        _check_direction(direction)
        return {t: m.name for (d, t), m in sorted(self._messages.items()) if d == direction}

    def validate(self, direction: str, message: Any) -> str:
        """The message's name if ``message`` (a decoded frame) matches the contract; else raise."""
        _check_direction(direction)
        where = DIRECTIONS[direction]
        if not isinstance(message, dict):
            raise MessageViolation("INVALID_JSON", f"{where}: the frame is not a JSON object")
        type_ = message.get("type")
        if isinstance(type_, bool) or not isinstance(type_, int):
            raise MessageViolation("UNKNOWN_TYPE", f"{where}: type must be an integer, got {type_!r}", path="type")
        found = self._messages.get((direction, type_))
        if found is None:
            known = ", ".join(f"{t} {n}" for t, n in self.types(direction).items())
            raise MessageViolation("UNKNOWN_TYPE", f"{where}: no message has type {type_} (known: {known})",
                                   type=type_, path="type")
        try:
            if found.fast.is_valid(message):
                return found.name
        except ValueError:  # a value the compiled validator cannot represent (huge ints): ask the other
            pass
        error = min(found.validator.iter_errors(message), key=_rank, default=None)
        if error is None:
            return found.name
        path = field_name(error)
        path = "(frame)" if path == "body" else path
        raise MessageViolation("INVALID_MESSAGE", f"{where} {found.name} (type {type_}) at {path}: {short(error)}",
                               name=found.name, type=type_, path=path)

    def _inline(self, node: Any) -> Any:
        """``node`` with every local ``$ref`` replaced by what it points to (the document has no cycles)."""
        if isinstance(node, dict):
            if "$ref" in node:
                target = self.document
                for part in node["$ref"].removeprefix("#/").split("/"):
                    target = target[part.replace("~1", "/").replace("~0", "~")]
                return self._inline(target)
            return {k: self._inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self._inline(v) for v in node]
        return node


@functools.cache
def default() -> AsyncApi:
    """The packaged contract, loaded once."""
    return AsyncApi()


def validate(direction: str, message: Any) -> str:
    """``default().validate(direction, message)``."""
    return default().validate(direction, message)


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'send' (server -> client) or 'receive' (client -> server), "
                         f"not {direction!r}")


def _rank(error: ValidationError) -> tuple[bool, bool, int, list[str]]:
    # Plain rules before conditional ones (a non-boolean ``success`` before what it implies), missing
    # fields before wrong ones, shallow before deep, then in document order.
    conditional = any(part in ("then", "else") for part in error.relative_schema_path)
    return (conditional, error.validator != "required", len(error.path), [str(p) for p in error.path])


"""The contracts (contracts/openapi.yaml) as the emulator's first line of request validation.

Request bodies are validated against the operation's schema; the first failure becomes a vendor
error that names the field. What a schema cannot say (model x duration x resolution tables,
conditional defaults) lives in each area's rule tables.
"""

from __future__ import annotations

from functools import cached_property
from importlib import resources
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from viduemu.core.errors import ViduError

# jsonschema keyword -> vendor reason
REASON_BY_KEYWORD = {
    "required": "FieldLacking",
    "minLength": "FieldLacking",  # only ever used as "must not be empty"
    "additionalProperties": "FieldUnwanted",
    "unevaluatedProperties": "FieldUnwanted",
    "minItems": "FieldItemCountOutOfRange",
    "maxItems": "FieldItemCountOutOfRange",
}


def contract_path(name: str) -> Path:
    packaged = resources.files("viduemu") / "_contracts" / name
    return Path(str(packaged))


class Contracts:
    def __init__(self, path: Path | None = None):
        self.path = path or contract_path("openapi.yaml")
        self.document = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        self._validators: dict[tuple[str, str], Draft202012Validator | None] = {}

    @cached_property
    def _components(self) -> dict:
        return {"components": self.document.get("components", {})}

    def request_validator(self, method: str, path: str) -> Draft202012Validator | None:
        key = (method.lower(), path)
        if key not in self._validators:
            op = self.document.get("paths", {}).get(path, {}).get(method.lower())
            schema = None
            if op and "requestBody" in op:
                schema = op["requestBody"]["content"]["application/json"]["schema"]
            self._validators[key] = None if schema is None else Draft202012Validator(
                {**schema, **self._components})
        return self._validators[key]

    def validate_request(self, method: str, path: str, body) -> None:
        validator = self.request_validator(method, path)
        if validator is None:
            return
        error = next(iter(sorted(validator.iter_errors(body), key=_error_rank)), None)
        if error is not None:
            raise to_vendor_error(error)


def _error_rank(error: ValidationError):
    # Report missing fields before invalid ones, shallow before deep, then in document order.
    return (error.validator != "required", len(error.path), [str(p) for p in error.path])


def field_name(error: ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = next((m for m in error.validator_value if m not in (error.instance or {})), None)
        if missing:
            parts.append(missing)
    if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        extra = next((k for k in error.instance if k not in allowed), None)
        if extra:
            parts.append(extra)
    return ".".join(parts) or "body"


def to_vendor_error(error: ValidationError) -> ViduError:
    reason = REASON_BY_KEYWORD.get(error.validator, "FieldInvalid")
    field = field_name(error)
    if reason == "FieldInvalid":
        return ViduError(reason, f"invalid field: {field} ({_short(error)})", fields=field)
    return ViduError(reason, fields=field)


def _short(error: ValidationError) -> str:
    text = error.message
    return text if len(text) <= 160 else text[:157] + "..."

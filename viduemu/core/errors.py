"""The error envelope and the reasons every HTTP API needs.

Every error the emulator answers is a ``ViduError`` rendered as
``{"code": <status>, "reason": ..., "message": ..., "metadata": {"trace_id": ..., "fields": ...}}``.
Core names only the generic reasons (a bad request, a missing or invalid field, not found, ...);
the vendor's own reasons are added by ``define_reasons`` (viduemu/vidu/errors.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# reason -> (HTTP status, message template); {fields} is filled with the offending field(s).
REASONS: dict[str, tuple[int, str]] = {
    "BadRequest": (400, "bad request"),
    "FieldLacking": (400, "field is missing or empty: {fields}"),
    "FieldUnwanted": (400, "unwanted field: {fields}"),
    "FieldItemCountOutOfRange": (400, "field item count out of range: {fields}"),
    "FieldInvalid": (400, "invalid field: {fields}"),
    "Unauthorized": (401, "unauthorized"),
    "Forbidden": (403, "forbidden"),
    "NotFound": (404, "not found"),
    "MethodNotAllowed": (405, "method not allowed"),
    "RangeNotSatisfiable": (416, "range not satisfiable"),
    "UnsupportedMediaType": (415, "unsupported media type"),
    "TooManyRequests": (429, "too many requests"),
    "Canceled": (499, "request canceled by client"),
    "InternalServiceFailure": (500, "internal service failure"),
}


def define_reasons(table: Mapping[str, tuple[int, str]]) -> None:
    """Add an API's own reasons (status and message template) to the table."""
    REASONS.update(table)


class ViduError(Exception):
    """An error answered in the vendor envelope.

    ``message`` overrides the table's template; ``fields`` names the offending field(s).
    ``status`` overrides the table's status (used by fault rules that ask for a given code).
    """

    def __init__(self, reason: str, message: str | None = None, *, fields: str | None = None,
                 status: int | None = None):
        table_status, template = REASONS.get(reason, (400, reason))
        self.reason = reason
        self.status = status or table_status
        self.fields = fields
        self.message = message or template.format(fields=fields or "").rstrip(": ")
        super().__init__(f"{self.status} {reason}: {self.message}")

    def body(self, trace_id: str) -> dict[str, Any]:
        metadata = {"trace_id": trace_id}
        if self.fields:
            metadata["fields"] = self.fields
        return {"code": self.status, "reason": self.reason, "message": self.message, "metadata": metadata}


def lacking(field: str) -> ViduError:
    return ViduError("FieldLacking", fields=field)


def invalid(field: str, why: str | None = None) -> ViduError:
    message = f"invalid field: {field}" + (f" ({why})" if why else "")
    return ViduError("FieldInvalid", message, fields=field)


def unwanted(field: str, why: str | None = None) -> ViduError:
    message = f"unwanted field: {field}" + (f" ({why})" if why else "")
    return ViduError("FieldUnwanted", message, fields=field)


def count_out_of_range(field: str, why: str | None = None) -> ViduError:
    message = f"field item count out of range: {field}" + (f" ({why})" if why else "")
    return ViduError("FieldItemCountOutOfRange", message, fields=field)

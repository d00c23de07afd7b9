"""The vendor's error envelope and its table of reasons.

Every error the emulator answers is a ``ViduError`` rendered as
``{"code": <status>, "reason": ..., "message": ..., "metadata": {"trace_id": ...}}``.
Status and message template come from the vendor's error-code page (wire notes §1.7).
"""

from __future__ import annotations

from typing import Any

# reason -> (HTTP status, message template); {fields} is filled with the offending field(s).
REASONS: dict[str, tuple[int, str]] = {
    "BadRequest": (400, "bad request"),
    "FieldLacking": (400, "field is missing or empty: {fields}"),
    "FieldUnwanted": (400, "unwanted field: {fields}"),
    "FieldItemCountOutOfRange": (400, "field item count out of range: {fields}"),
    "FieldInvalid": (400, "invalid field: {fields}"),
    "PageSizeOutOfRange": (400, "page size out of range: {fields}"),
    "ImageDownloadFailure": (400, "image download failure: {fields}"),
    "ImageFormatInvalid": (400, "invalid image format: {fields}"),
    "OperationInProcess": (400, "operation in process, please retry later"),
    "TaskPromptPolicyViolation": (400, "prompt policy violation"),
    "AuditSubmitIllegal": (400, "submit is illegal"),
    "CreditInsufficient": (400, "insufficient credits"),
    "CreationPolicyViolation": (400, "creation policy violation"),
    "ModelUnavailable": (400, "model unavailable"),
    "UserCancelled": (400, "user cancelled"),
    "Unauthorized": (401, "unauthorized"),
    "Forbidden": (403, "forbidden"),
    "TaskNotFound": (404, "task not found"),
    "CreationNotFound": (404, "creation not found"),
    "NotFound": (404, "not found"),
    "MethodNotAllowed": (405, "method not allowed"),
    "Conflict": (409, "resource conflict"),
    "QuotaExceeded": (429, "quota exceeded"),
    "TooManyRequests": (429, "too many requests"),
    "SystemThrottling": (429, "system is throttling"),
    "Canceled": (499, "request canceled by client"),
    "InternalServiceFailure": (500, "internal service failure"),
}


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

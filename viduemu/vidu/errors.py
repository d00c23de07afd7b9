"""The vendor's own error reasons (wire notes §1.7, the error-code page), beside core's generic ones."""

from __future__ import annotations

from viduemu.core.errors import define_reasons

VIDU_REASONS: dict[str, tuple[int, str]] = {
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
    "TaskNotFound": (404, "task not found"),
    "CreationNotFound": (404, "creation not found"),
    "Conflict": (409, "resource conflict"),
    "QuotaExceeded": (429, "quota exceeded"),
    "SystemThrottling": (429, "system is throttling"),
}
define_reasons(VIDU_REASONS)

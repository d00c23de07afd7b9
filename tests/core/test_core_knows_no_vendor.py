"""viduemu/core is infrastructure: it names no vendor path, reason, message or field (issue 12).

The vendor's vocabulary below is taken from the vendor's documents (../shared/vendor-docs, the wire
notes' error-code table), not from the modules under test.
"""

from __future__ import annotations

import re
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "viduemu" / "core"

VENDOR_PATHS = ("/ent/", "/live/", "/model/", "/tools/", "api.vidu.com", "vda_")
# The vendor's own reasons (wire notes §1.7); core keeps only the generic request ones (BadRequest,
# FieldInvalid, Unauthorized, NotFound, ...) that any HTTP API answers.
VENDOR_REASONS = ("CreditInsufficient", "TaskNotFound", "CreationNotFound", "ImageDownloadFailure",
                  "ImageFormatInvalid", "PageSizeOutOfRange", "OperationInProcess", "TaskPromptPolicyViolation",
                  "AuditSubmitIllegal", "CreationPolicyViolation", "ModelUnavailable", "UserCancelled",
                  "QuotaExceeded", "SystemThrottling", "NOT_READY", "LIVE_CONN_INIT_FAILED")
# Fields, operations and message names of the vendor's API (vidu-reference2video.txt, vidu-s1-live-api.txt,
# aggregator-img2video.txt).
VENDOR_NAMES = ("task_id", "live_id", "callback_url", "creations", "cover_url", "call_mode", "hangup_reason",
                "conn_init", "img2video", "text2video", "reference2video", "off_peak", "credits", "bearer:",
                "Token ", "task.finish", "one-click", "subjects", "Bearer key")


def core_sources() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(CORE.glob("*.py"))}


def test_core_sources_are_found():
    assert {"context.py", "store.py", "http.py", "faults.py", "errors.py", "journal.py"} <= set(core_sources())


def test_core_names_no_vendor_path_reason_or_field():
    found = [f"{name}: {term!r}" for name, text in core_sources().items()
             for term in (*VENDOR_PATHS, *VENDOR_REASONS, *VENDOR_NAMES)
             if re.search(re.escape(term), text)]
    assert not found, "vendor names in viduemu/core: " + ", ".join(found)

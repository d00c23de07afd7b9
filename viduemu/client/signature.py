"""The vendor's callback signature (wire notes §1.10, P/callback-signature).

``signature = base64(HMAC-SHA256(secret, signing_string))`` where the signing string is
``METHOD\\npath\\nraw_query\\nvidu\\nDate\\n`` followed by ``Name:value\\n`` for each header named,
in order, in ``X-HMAC-SIGNED-HEADERS`` (``;``-separated). The body is not signed. The secret is
the API key that created the task.

Part of the client package (imports nothing from the server): webhook receivers use
``verify_callback_signature``; the emulator signs its callbacks with ``sign``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from typing import Mapping

ACCESS_KEY = "vidu"
ALGORITHM = "hmac-sha256"
SIGNED_HEADERS = "Date;x-request-nonce"


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header's value, looked up without regard to case ("" if absent)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def signing_string(method: str, url: str, headers: Mapping[str, str]) -> str:
    """The string the vendor signs for a request to ``url`` with ``headers`` (see the module docstring)."""
    parts = urllib.parse.urlsplit(url)
    lines = [method.upper(), parts.path or "/", parts.query, ACCESS_KEY, _header(headers, "Date")]
    names = [n.strip() for n in _header(headers, "X-HMAC-SIGNED-HEADERS").split(";") if n.strip()]
    return "\n".join(lines) + "\n" + "".join(f"{n}:{_header(headers, n)}\n" for n in names)


def sign(method: str, url: str, headers: Mapping[str, str], secret: str) -> str:
    """``X-HMAC-SIGNATURE`` for this request: base64 HMAC-SHA256 of ``signing_string`` under ``secret``."""
    digest = hmac.new(secret.encode("utf-8"), signing_string(method, url, headers).encode("utf-8"),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(method: str, url: str, headers: Mapping[str, str], secret: str) -> bool:
    """True when ``X-HMAC-SIGNATURE`` of ``headers`` is the signature of this request under ``secret``."""
    given = _header(headers, "X-HMAC-SIGNATURE")
    # bytes: compare_digest refuses str with non-ASCII characters, and a header may carry any
    return bool(given) and hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                                               sign(method, url, headers, secret).encode())


def verify_callback_signature(method: str, url: str, headers: Mapping[str, str], api_key: str) -> bool:
    """For a webhook receiver: did Vidu (or viduemu) sign this callback with ``api_key``?

    ``url`` is the full URL the callback was sent to (path and query are signed), ``headers`` its
    headers. ``api_key`` may be given as ``vda_...`` or ``Token vda_...``."""
    return verify(method, url, headers, api_key.removeprefix("Token ").strip())


"""One secret per state, and everything signed with it: opaque tokens and expiring URLs.

The secret is 32 random bytes (``os.urandom``) made on a state's first start and kept in the store's
meta, so it survives a restart with ``--state`` and a snapshot's export and import; a reset clears the
store and with it the secret, so a new one is made (nothing issued before a reset is honoured after it).
``--seed`` does not reach it: ids may be predictable, what is signed is not.

- ``Signer.sign(purpose, data)``: HMAC-SHA256 of ``purpose`` and ``data`` (hex); each purpose is a
  separate key space, so a signature made for one use is worth nothing for another.
- ``Signer.token(purpose, payload)`` / ``Signer.open(purpose, token)``: an opaque token,
  ``base64url(JSON payload) + "." + signature``; ``open`` answers the payload, or None for anything
  that is not a token this state issued for that purpose (too long, malformed, wrongly signed). The
  signature is checked, in constant time, before the payload is parsed.
- ``Signer.url(path, expires)`` / ``Signer.url_valid(path, expires, sig, now)``: a path's
  ``?expires=<unix seconds>&sig=<hex>`` and its check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

from viduemu.core.store import MemoryStore

META_KEY = "secret"
MAX_TOKEN = 2048      # characters: nothing this emulator issues comes near it
SIGNATURE_CHARS = 64  # hex of SHA-256


class Signer:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    @classmethod
    def of(cls, store: MemoryStore) -> Signer:
        """The signer of the state ``store`` holds: its secret, made (and kept) on first use."""
        secret = store.get_meta(META_KEY)
        if not isinstance(secret, str) or len(secret) != 64:
            secret = os.urandom(32).hex()
            store.set_meta(META_KEY, secret)
        return cls(bytes.fromhex(secret))

    def sign(self, purpose: str, data: str) -> str:
        message = purpose.encode() + b"\x00" + data.encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def check(self, purpose: str, data: str, signature: object) -> bool:
        if not isinstance(signature, str) or len(signature) != SIGNATURE_CHARS or not signature.isascii():
            return False
        return hmac.compare_digest(signature, self.sign(purpose, data))

    # -- opaque tokens ---------------------------------------------------------------------------
    def token(self, purpose: str, payload: Any) -> str:
        body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{body}.{self.sign(purpose, body)}"

    def open(self, purpose: str, token: object) -> Any | None:
        """The payload of a token this state issued for ``purpose``, or None."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN or not token.isascii():
            return None
        body, _, signature = token.rpartition(".")
        if not body or not self.check(purpose, body, signature):
            return None
        try:
            return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (ValueError, RecursionError):  # cannot happen for what we signed; kept for safety
            return None

    # -- expiring URLs ---------------------------------------------------------------------------
    def url(self, path: str, expires: int) -> str:
        """``path`` with its ``expires`` (unix seconds) and signature as a query string."""
        return f"{path}?expires={expires}&sig={self.sign('url', _url_data(path, expires))}"

    def url_valid(self, path: str, expires: object, signature: object, now: float) -> bool:
        """Whether ``path`` was signed with this ``expires`` and it has not passed."""
        if not isinstance(expires, str) or not expires.isdigit() or len(expires) > 12:
            return False
        return self.check("url", _url_data(path, expires), signature) and now < int(expires)


def _url_data(path: str, expires: int | str) -> str:
    return f"{path}|{expires}"

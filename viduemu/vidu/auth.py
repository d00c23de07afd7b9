"""Who is calling: ``Authorization: Token vda_...`` (vendor) or ``Bearer ...`` (aggregator).

An account is the key string as the caller sends it, whatever the scheme: ``Token K`` on /ent/v2 and
/live/v1 and ``Bearer K`` on /model/v1 spend from one account, the one ``/_emulator/accounts/K``
governs (docs/decisions.md, "Re-read of the first documents").
"""

from __future__ import annotations

from collections.abc import Mapping

from viduemu.core.errors import ViduError
from viduemu.core.http import CALLER, credentials
from viduemu.vidu.accounts import Accounts

VENDOR_KEY_PREFIX = "vda_"


def token_key(headers: Mapping[str, str]) -> str:
    """The API key of a ``Token vda_...`` header, or 401 ``Unauthorized``."""
    scheme, key = credentials(headers)
    if not scheme:
        raise ViduError("Unauthorized", "missing Authorization header; expected 'Token vda_...'")
    if scheme != "token":
        raise ViduError("Unauthorized", "unsupported Authorization scheme; expected 'Token vda_...'")
    if not key.startswith(VENDOR_KEY_PREFIX) or len(key) <= len(VENDOR_KEY_PREFIX) or " " in key:
        raise ViduError("Unauthorized", "invalid API key; expected 'Token vda_...'")
    return key


def bearer_key(headers: Mapping[str, str]) -> str:
    """The key of a ``Bearer <key>`` header (any non-empty key), or 401."""
    scheme, key = credentials(headers)
    if scheme != "bearer" or not key or " " in key:
        raise ViduError("Unauthorized", "missing or malformed Authorization header; expected 'Bearer <key>'")
    return key


def caller(accounts: Accounts, headers: Mapping[str, str]) -> str:
    """The API key of a vendor (``Token vda_...``) request; its account exists from first use."""
    return _opened(accounts, token_key(headers))


def bearer_caller(accounts: Accounts, headers: Mapping[str, str]) -> str:
    """The API key of an aggregator (``Bearer <key>``) request; its account exists from first use."""
    return _opened(accounts, bearer_key(headers))


def _opened(accounts: Accounts, key: str) -> str:
    accounts.open(key)
    CALLER.set(key)
    return key

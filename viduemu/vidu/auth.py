"""Who is calling: ``Authorization: Token vda_...`` (vendor) or ``Bearer ...`` (aggregator)."""

from __future__ import annotations

from collections.abc import Mapping

from viduemu.core.errors import ViduError
from viduemu.core.http import credentials
from viduemu.vidu.accounts import Accounts

VENDOR_KEY_PREFIX = "vda_"
BEARER_ACCOUNT = "bearer:"  # Bearer keys' accounts live apart from Token keys' ("bearer:<key>")


def secret_of(account: str) -> str:
    """The key an account's caller holds (what signs its callbacks)."""
    return account.removeprefix(BEARER_ACCOUNT)


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
    key = token_key(headers)
    accounts.open(key)
    return key


def bearer_caller(accounts: Accounts, headers: Mapping[str, str]) -> str:
    """The account of an aggregator (``Bearer``) request, in the Bearer namespace; exists from first use."""
    key = BEARER_ACCOUNT + bearer_key(headers)
    accounts.open(key)
    return key

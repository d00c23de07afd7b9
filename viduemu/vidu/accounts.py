"""Accounts, their credit balance and ledger. A balance never goes negative.

A ledger keeps its newest ``LEDGER_KEEP`` entries; older ones are folded into one ``carried`` entry
(their deltas summed, the balance after them), so the deltas still sum to the balance and an account
billed for days (a live session is charged every 6 s) stays small.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from viduemu.core.clock import Clock
from viduemu.core.errors import ViduError
from viduemu.core.records import Record, Table
from viduemu.core.store import MemoryStore

LEDGER_KEEP = 1000
LEDGER_SLACK = 100   # fold in batches, not on every entry
LEGACY_BEARER = "bearer:"   # how states written before issue 14 named a Bearer key's account
# store meta: set once a state names every account by the key as sent (so a Bearer key that is
# literally "bearer:x" is never taken for a legacy account)
KEYED_AS_SENT = "accounts_keyed_as_sent"


def _digest(api_key: str) -> int:
    return int.from_bytes(hashlib.sha256(api_key.encode()).digest()[:8], "big")


def creator_id(api_key: str) -> str:
    """A stable 18-digit creator (user) id per key, as the vendor shows the account's user id."""
    return str(10**17 + _digest(api_key) % (9 * 10**17))


def key_id(api_key: str) -> str:
    """A stable numeric id for an API key (the task list shows which key made a task, never the key)."""
    return str(_digest(api_key) % 10**18).zfill(18)


@dataclass
class Account(Record):
    KIND = "accounts"
    KEY = "api_key"
    PACKED = False

    api_key: str
    credits: int = 0
    # entries {"at", "delta", "reason", "ref", "balance"}, oldest first; never changed once written
    ledger: list[dict[str, Any]] = field(default_factory=list)

    # The store holds accounts as objects, not packed JSON (they are read and written whole on every
    # charge). A ledger list is never changed in place (Accounts._post makes a new one), so a record and
    # the stored document may share it and, as for every kind, only put() writes.
    def to_doc(self) -> dict[str, Any]:
        return {"api_key": self.api_key, "credits": self.credits, "ledger": self.ledger}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Account:
        return cls(doc["api_key"], doc["credits"], doc["ledger"])


class Accounts:
    def __init__(self, store: MemoryStore, clock: Clock, initial_credits: int):
        self.table, self.clock, self.initial_credits = Table(store, Account), clock, initial_credits

    def get(self, api_key: str) -> Account | None:
        return self.table.get(api_key)

    def all(self):
        return self.table.all()

    def open(self, api_key: str) -> None:
        """Make sure the caller's account exists (created with the initial credits on first use)."""
        if not self.table.has(api_key):
            self.ensure(api_key)

    def ensure(self, api_key: str) -> Account:
        """The caller's account, created with the initial credits on first use."""
        account = self.table.get(api_key)
        if account is None:
            account = self._post(Account(api_key), self.initial_credits, "initial", None)
        return account

    def set_credits(self, api_key: str, credits: int) -> Account:
        account = self.table.get(api_key) or Account(api_key)
        return self._post(account, credits - account.credits, "set", None)

    def charge(self, api_key: str, amount: int, reason: str, ref: str | None) -> Account:
        account = self.ensure(api_key)
        if amount > account.credits:
            raise ViduError("CreditInsufficient",
                            f"insufficient credits: {amount} needed, {account.credits} remaining")
        return self._post(account, -amount, reason, ref)

    def refund(self, api_key: str, amount: int, reason: str, ref: str | None) -> Account:
        return self._post(self.ensure(api_key), amount, reason, ref)

    def adopt_legacy(self, owned: Sequence[Table[Any]]) -> None:
        """Once per state: fold the ``bearer:<key>`` accounts of an older state into the accounts of
        their keys, and hand their records (``owned``: tables of records with an ``api_key``) to the
        key. Where the key has an account already, the legacy balance joins it as one ``merged``
        ledger entry."""
        store = self.table.store
        if store.get_meta(KEYED_AS_SENT):
            return
        renamed = {a.api_key: a.api_key.removeprefix(LEGACY_BEARER) for a in self.all()
                   if a.api_key.startswith(LEGACY_BEARER)}
        with store.atomic():
            store.set_meta(KEYED_AS_SENT, True)
            for old, new in renamed.items():
                legacy = self.table.get(old)
                assert legacy is not None
                if self.table.has(new):
                    self._post(self.ensure(new), legacy.credits, "merged", old)
                else:
                    self.table.put(Account(new, legacy.credits, legacy.ledger))
                self.table.delete(old)
            for table in owned if renamed else ():
                for record in table.all():
                    if record.api_key in renamed:
                        record.api_key = renamed[record.api_key]
                        table.put(record)

    def _post(self, account: Account, delta: int, reason: str, ref: str | None) -> Account:
        account.credits += delta
        ledger = [*account.ledger, {"at": self.clock.now(), "delta": delta, "reason": reason, "ref": ref,
                                    "balance": account.credits}]   # a new list: see Account
        if len(ledger) > LEDGER_KEEP + LEDGER_SLACK:
            old = ledger[:len(ledger) - LEDGER_KEEP + 1]
            ledger[:len(old)] = [{"at": old[-1]["at"], "delta": sum(e["delta"] for e in old), "reason": "carried",
                                  "ref": None, "balance": old[-1]["balance"]}]
        account.ledger = ledger
        return self.table.put(account)

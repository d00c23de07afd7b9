"""Accounts, their credit balance and ledger. A balance never goes negative.

A ledger keeps its newest ``LEDGER_KEEP`` entries; older ones are folded into one ``carried`` entry
(their deltas summed, the balance after them), so the deltas still sum to the balance and an account
billed for days (a live session is charged every 6 s) stays small.
"""

from __future__ import annotations

import hashlib

from viduemu.core.clock import Clock
from viduemu.core.errors import ViduError
from viduemu.core.store import MemoryStore

KIND = "accounts"
LEDGER_KEEP = 1000
LEDGER_SLACK = 100   # fold in batches, not on every entry


def creator_id(api_key: str) -> str:
    """A stable 18-digit creator (user) id per key, as the vendor shows the account's user id."""
    digest = int.from_bytes(hashlib.sha256(api_key.encode()).digest()[:8], "big")
    return str(10**17 + digest % (9 * 10**17))


class Accounts:
    def __init__(self, store: MemoryStore, clock: Clock, initial_credits: int):
        self.store, self.clock, self.initial_credits = store, clock, initial_credits

    def get(self, api_key: str) -> dict | None:
        return self.store.get(KIND, api_key)

    def ensure(self, api_key: str) -> dict:
        """The caller's account, created with the initial credits on first use."""
        account = self.store.get(KIND, api_key)
        if account is None:
            account = {"api_key": api_key, "credits": 0, "ledger": []}
            self._post(account, self.initial_credits, "initial", None)
        return account

    def set_credits(self, api_key: str, credits: int) -> dict:
        account = self.store.get(KIND, api_key) or {"api_key": api_key, "credits": 0, "ledger": []}
        return self._post(account, credits - account["credits"], "set", None)

    def charge(self, api_key: str, amount: int, reason: str, ref: str | None) -> dict:
        account = self.ensure(api_key)
        if amount > account["credits"]:
            raise ViduError("CreditInsufficient",
                            f"insufficient credits: {amount} needed, {account['credits']} remaining")
        return self._post(account, -amount, reason, ref)

    def refund(self, api_key: str, amount: int, reason: str, ref: str | None) -> dict:
        return self._post(self.ensure(api_key), amount, reason, ref)

    def _post(self, account: dict, delta: int, reason: str, ref: str | None) -> dict:
        account["credits"] += delta
        ledger = account["ledger"]
        ledger.append({"at": self.clock.now(), "delta": delta, "reason": reason, "ref": ref,
                       "balance": account["credits"]})
        if len(ledger) > LEDGER_KEEP + LEDGER_SLACK:
            old = ledger[:len(ledger) - LEDGER_KEEP + 1]
            ledger[:len(old)] = [{"at": old[-1]["at"], "delta": sum(e["delta"] for e in old), "reason": "carried",
                                  "ref": None, "balance": old[-1]["balance"]}]
        return self.store.put(KIND, account["api_key"], account)

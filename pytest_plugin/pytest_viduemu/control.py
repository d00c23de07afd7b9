"""``EmulatorControl``: the ``vidu_emulator`` fixture, one test's handle on the shared emulator.

Every call goes over HTTP to the control plane (``/_emulator/``, see docs/control-plane.md), so the
handle works the same whether the emulator runs in this process or elsewhere. What is per account
(credits, fault rules, journals) is narrowed to the test's own account.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import httpx

JSON = dict[str, Any]


class EmulatorControl:
    def __init__(self, base_url: str, api_key: str, *, admin_token: str | None = None):
        self.base_url, self.api_key = base_url, api_key
        headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        self._http = httpx.Client(base_url=f"{base_url}/_emulator", headers=headers, timeout=30.0,
                                  trust_env=False)
        self._faults: list[str] = []

    def _call(self, method: str, path: str, body: Any = None) -> JSON:
        response = self._http.request(method, path, json=body)
        if response.status_code >= 400:
            raise RuntimeError(f"viduemu control {method} {path}: {response.status_code} {response.text}")
        return cast(JSON, response.json())  # the control plane answers JSON objects

    # -- the clock -----------------------------------------------------------------------------------
    def clock(self) -> JSON:
        """``{"now", "mode", "speed"}``: the emulator's virtual clock."""
        return self._call("GET", "/clock")

    def advance(self, seconds: float) -> JSON:
        """Move the virtual clock on, running every timer that falls due (tasks, callbacks, billing)."""
        return self._call("POST", "/clock/advance", {"seconds": seconds})

    def sleep(self, seconds: float) -> None:
        """A ``sleep`` that advances the virtual clock instead of waiting (the clients' default here)."""
        self.advance(seconds)

    async def async_sleep(self, seconds: float) -> None:
        """``sleep`` for async code (``AsyncViduClient``, ``LiveConnection``)."""
        await asyncio.to_thread(self.advance, seconds)

    # -- the test's account ------------------------------------------------------------------------
    def account(self) -> JSON:
        """``{"api_key", "credits", "ledger"}`` of the test's account."""
        return self._call("GET", f"/accounts/{self.api_key}")

    def set_credits(self, credits: int) -> JSON:
        return self._call("PUT", f"/accounts/{self.api_key}", {"credits": credits})

    def fault(self, rule: JSON) -> JSON:
        """Add a fault rule for the test's account (``match.api_key`` defaults to it); removed after the test."""
        match = {"api_key": self.api_key, **rule.get("match", {})}
        added = self._call("POST", "/faults", {**rule, "match": match})
        self._faults.append(added["id"])
        return added

    def hangup(self, live_id: str, reason: str) -> JSON:
        """Force a live session's hangup with a documented reason (the client receives type 6)."""
        return self._call("POST", f"/lives/{live_id}/hangup", {"hangup_reason": reason})

    def requests(self) -> list[JSON]:
        """The request journal entries of the test's account, oldest first."""
        return [e for e in self._call("GET", "/requests")["requests"] if e.get("api_key") == self.api_key]

    def callbacks(self) -> list[JSON]:
        """Callback delivery attempts for the test's tasks, oldest first."""
        return [e for e in self._call("GET", "/callbacks")["callbacks"] if e.get("api_key") == self.api_key]

    def ws_messages(self, live_id: str) -> list[JSON]:
        """Every signaling message of a live session, both directions."""
        messages: list[JSON] = self._call("GET", f"/ws?live_id={live_id}")["messages"]
        return messages

    def close(self) -> None:
        for fault_id in self._faults:
            self._http.delete(f"/faults/{fault_id}")  # a rule that fired out is already gone: fine
        self._http.close()

"""The live-budget guard: against the real Vidu, a request that spends credits is refused before it
is sent unless the test declared the spend (``@pytest.mark.vidu_spends(credits)``) and the run's
``--vidu-live-budget`` covers it.

It is an httpx transport wrapper, so it guards any client built on httpx (``ViduClient``, raw
``httpx.Client``) without their knowing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

# Operations that cost credits (or start something that does: a live session is billed once on_live).
SPENDING = tuple(re.compile(p) for p in (
    r"^/ent/v2/(reference2video|img2video|text2video|start-end2video)$",
    r"^/ent/v2/one-click/mv(/[^/]+/(edit|compose))?$",
    r"^/live/v1/lives$",
    r"^/live/v1/voices/clone$",
    r"^/model/v1/generation$",
))


def spends(request: httpx.Request) -> bool:
    return request.method == "POST" and any(p.match(request.url.path) for p in SPENDING)


class BudgetRefused(Exception):
    """A spending request the live budget does not allow; it was not sent."""


@dataclass
class Budget:
    """The credits this pytest process may spend on the live target (xdist: per worker)."""

    total: int
    granted: int = 0

    @property
    def left(self) -> int:
        return self.total - self.granted

    def grant(self, credits: int) -> str | None:
        """Set aside ``credits`` for a test; None, or why not (with how to allow it)."""
        if credits > self.left:
            return (f"needs {credits} credits of live budget and {self.left} are left; "
                    f"run with --vidu-live-budget {self.granted + credits} (or more) to allow it")
        self.granted += credits
        return None


@dataclass
class Allowance:
    """What one test may do: spend (it declared and was granted a spend) or not."""

    nodeid: str
    may_spend: bool

    def check(self, request: httpx.Request) -> None:
        if spends(request) and not self.may_spend:
            raise BudgetRefused(
                f"{request.method} {request.url.path} spends credits on the live Vidu and {self.nodeid} "
                "did not declare it: mark the test @pytest.mark.vidu_spends(CREDITS) and run with "
                "--vidu-live-budget CREDITS")


class GuardedTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, allowance: Allowance):
        self.inner, self.allowance = inner, allowance

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.allowance.check(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class AsyncGuardedTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, allowance: Allowance):
        self.inner, self.allowance = inner, allowance

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.allowance.check(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

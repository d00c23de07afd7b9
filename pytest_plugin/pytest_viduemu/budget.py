"""The live-budget guard: against the real Vidu, a request that spends credits is priced with the
emulator's own rules and price tables before it is sent, and sent only if the test's reservation
(``@pytest.mark.vidu_spends(credits)``) or, for an unmarked test, what is left of the run's
``--vidu-live-budget`` covers it. A request the rules refuse costs nothing and passes (the real service
refuses it before charging).

The price is the emulator's, not a copy of it: the ``Pricer`` sends the same request to a private
in-process emulator (manual clock: nothing runs, no callback is sent) under a scratch account and reads
what its ledger took. What cannot be priced before sending is a spend of unknown size: a live session
(billed by its on_live time) and an operation on something only the target has (an MV to edit: the
pricer answers 404); those need the test's ``vidu_spends``.

It is an httpx transport wrapper, so it guards any client built on httpx (``ViduClient``, raw
``httpx.Client``) without their knowing.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from viduemu.background import BackgroundEmulator

# Operations that cost credits (or start something that does: a live session is billed once on_live):
# every POST of /ent/v2 but subjects and cancels, and the live and aggregator ones below.
SPENDING = tuple(re.compile(p) for p in (
    r"^/ent/v2/(?!subjects$|tasks/)[^?]+$",
    r"^/live/v1/lives$",
    r"^/live/v1/voices/clone$",
    r"^/model/v1/generation$",
))
BILLED_BY_TIME = re.compile(r"^/live/v1/lives$")
SCRATCH_CREDITS = 10 ** 9   # the pricer's accounts never refuse for want of credits
# The caller's uploads exist only on the target: the pricer sees an image of its own in their place
# (a price depends on how many images, never on what they show).
UPLOAD_REF, STAND_IN_IMAGE = "ssupload:", "https://example.com/priced-in-place-of-an-upload.png"


def spends(request: httpx.Request) -> bool:
    return request.method == "POST" and any(p.match(request.url.path) for p in SPENDING)


def operation(request: httpx.Request) -> str:
    return f"{request.method} {request.url.path}"


class BudgetRefused(Exception):
    """A spending request the live budget does not allow; it was not sent."""


@dataclass
class Quote:
    credits: int | None   # None: not known before sending
    why: str


def _without_uploads(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(UPLOAD_REF):
        return STAND_IN_IMAGE
    if isinstance(value, list):
        return [_without_uploads(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_uploads(v) for k, v in value.items()}
    return value


def _priced_body(request: httpx.Request) -> bytes:
    if UPLOAD_REF.encode() not in request.content:
        return request.content
    try:
        return json.dumps(_without_uploads(json.loads(request.content))).encode()
    except ValueError:
        return request.content


def _reason(answer: httpx.Response) -> str:
    try:
        return str(answer.json()["reason"])
    except (ValueError, KeyError, TypeError):
        return answer.reason_phrase


class Pricer:
    """Prices requests on a private emulator of its own (started on first use)."""

    def __init__(self) -> None:
        self._emulator: BackgroundEmulator | None = None
        self._lock = threading.Lock()

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._emulator is None:
                from viduemu.background import BackgroundEmulator

                self._emulator = BackgroundEmulator(clock="manual", log_level="warning",
                                                    initial_credits=SCRATCH_CREDITS).start()
                self._client = httpx.Client(base_url=self._emulator.base_url, timeout=30.0, trust_env=False)
            return self._client

    def quote(self, request: httpx.Request) -> Quote:
        if BILLED_BY_TIME.match(request.url.path):
            return Quote(None, "a live session is billed by its on_live time")
        http, key = self._http(), f"vda_quote_{secrets.token_hex(8)}"
        headers = {"Authorization": f"Token {key}", "Content-Type": request.headers.get("Content-Type", "")}
        answer = http.request(request.method, request.url.raw_path.decode("ascii"), content=_priced_body(request),
                              headers=headers)
        if answer.status_code == 404:
            return Quote(None, "it acts on something only the target has (the emulator answers 404)")
        if answer.status_code >= 400:
            reason = _reason(answer)
            return Quote(0, f"the rules refuse it ({answer.status_code} {reason}): it costs nothing")
        ledger = http.get(f"/_emulator/accounts/{key}").json()["ledger"]
        credits = -sum(e["delta"] for e in ledger if e["delta"] < 0)
        return Quote(credits, f"{credits} credits by the emulator's price tables")

    def close(self) -> None:
        if self._emulator is not None:
            self._client.close()
            self._emulator.stop()


@dataclass
class Budget:
    """The credits this pytest process may spend on the live target (xdist: per worker)."""

    total: int
    granted: int = 0   # reserved by vidu_spends, or spent by unmarked tests

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
class Spend:
    """What one test spent on the live target: the guard's estimate and the real balance around it."""

    nodeid: str
    reserved: int | None          # vidu_spends(N), or None (spends from the session budget)
    estimate: int = 0
    unpriced: int = 0             # requests sent whose price was not known before sending
    before: int | None = None     # GET /ent/v2/credits before its first spending request
    after: int | None = None      # ... when the test ended

    @property
    def real(self) -> int | None:
        return None if self.before is None or self.after is None else self.before - self.after

    @property
    def drift(self) -> int | None:
        return None if self.real is None else self.real - self.estimate


class Allowance:
    """The guard of one test: ``check`` runs before each request is sent. ``budget`` None: guard off
    (the emulator target)."""

    def __init__(self, spend: Spend, budget: Budget | None = None, pricer: Pricer | None = None,
                 balance: Callable[[], int] | None = None):
        self.spend, self.budget, self.pricer, self.balance = spend, budget, pricer, balance
        self._lock = threading.Lock()

    def check(self, request: httpx.Request) -> None:
        if self.budget is None or self.pricer is None or not spends(request):
            return
        quote = self.pricer.quote(request)
        spend, op = self.spend, operation(request)
        with self._lock:
            if quote.credits is None:
                if spend.reserved is None:
                    raise BudgetRefused(
                        f"{op} spends credits on the live Vidu, {quote.why}, and {spend.nodeid} did not declare "
                        "it: mark the test @pytest.mark.vidu_spends(CREDITS) and run with --vidu-live-budget CREDITS")
                spend.unpriced += 1
            elif quote.credits:
                self._take(op, quote.credits)
            else:
                return
            if spend.before is None and self.balance is not None:
                spend.before = self.balance()

    def _take(self, op: str, credits: int) -> None:
        spend = self.spend
        assert self.budget is not None
        if spend.reserved is not None:
            if spend.estimate + credits > spend.reserved:
                raise BudgetRefused(
                    f"{op} costs {credits} credits (the emulator's price tables) and {spend.nodeid} has "
                    f"{spend.reserved - spend.estimate} of its vidu_spends({spend.reserved}) left: raise the mark")
        elif credits > self.budget.left:
            raise BudgetRefused(
                f"{op} costs {credits} credits (the emulator's price tables) and {self.budget.left} of "
                "--vidu-live-budget are left: mark the test @pytest.mark.vidu_spends(CREDITS) and run with "
                "--vidu-live-budget CREDITS")
        else:
            self.budget.granted += credits
        spend.estimate += credits

    def finish(self) -> None:
        if self.spend.before is not None and self.balance is not None:
            self.spend.after = self.balance()


class GuardedTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, allowance: Allowance):
        self.inner, self.allowance = inner, allowance

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.allowance.check(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class AsyncGuardedTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, allowance: Allowance):
        self.inner, self.allowance = inner, allowance

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        await asyncio.to_thread(self.allowance.check, request)   # the pricer and the balance are sync HTTP
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

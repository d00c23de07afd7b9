"""The pytest plugin: a Vidu for every test, the emulator by default or the real service on demand.

    --vidu-target=emulator   one viduemu per test session (a background thread, a free 127.0.0.1 port,
                             a manual clock that the clients advance instead of sleeping) and a fresh
                             account per test
    --vidu-target=live       the service at --vidu-base-url with $VIDU_API_KEY; each spending request is
                             priced by the emulator's rules first and sent only if the test's vidu_spends
                             or what is left of --vidu-live-budget covers it (budget.py)
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, cast

import httpx
import pytest

from pytest_viduemu.budget import Allowance, AsyncGuardedTransport, Budget, GuardedTransport, Pricer, Spend
from pytest_viduemu.control import EmulatorControl
from pytest_viduemu.drift import DriftReport
from pytest_viduemu.receiver import CallbackReceiver
from viduemu.client import AsyncViduClient, ViduClient

if TYPE_CHECKING:
    from viduemu.background import BackgroundEmulator

TARGETS = ("emulator", "live")
DEFAULT_LIVE_URL = "https://api.vidu.com"
MARKERS = (
    "vidu_emulator_only: runs only with --vidu-target=emulator (it steers the emulator)",
    "vidu_live_only: runs only with --vidu-target=live",
    "vidu_spends(credits): the test spends up to this many credits on the live target "
    "(refused unless --vidu-live-budget covers it)",
)
SKIPS = {  # marker -> (target it skips on, why)
    "vidu_emulator_only": ("live", "emulator-only test: --vidu-target=live"),
    "vidu_live_only": ("emulator", "live-only test: run with --vidu-target=live"),
}
STATE = pytest.StashKey["Vidu"]()
SPEND_PROPERTY = "vidu_spend"   # a test's Spend, as a user property of its report
__all__ = ["pytest_addoption", "pytest_configure", "pytest_unconfigure", "pytest_collection_modifyitems",
           "pytest_sessionfinish", "pytest_terminal_summary", "_vidu", "_vidu_allowance", "vidu_clock",
           "vidu_base_url", "vidu_api_key", "vidu_emulator", "vidu_transport", "vidu_async_transport",
           "vidu_client", "vidu_async_client", "vidu_drift", "vidu_callback_receiver"]
# pytest-asyncio warns when a project leaves this unset; "function" is its announced default.
ASYNCIO_LOOP_SCOPE = "asyncio_default_fixture_loop_scope"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("viduemu", "Vidu API target (viduemu)")
    group.addoption("--vidu-target", choices=TARGETS, default="emulator",
                    help="emulator (default): a viduemu per session; live: the real Vidu at --vidu-base-url")
    group.addoption("--vidu-base-url", default=None, metavar="URL",
                    help=f"the live target's base URL (default {DEFAULT_LIVE_URL}; $VIDU_BASE_URL)")
    group.addoption("--vidu-live-budget", type=int, default=0, metavar="CREDITS",
                    help="credits the live run may spend (default 0: spending tests are refused)")
    group.addoption("--vidu-drift-report", default=None, metavar="FILE",
                    help="write the contract drift found as FILE (JSON) and FILE.txt (text)")


class Vidu:
    """The session's target: where it is, and (emulator) the server that runs it."""

    def __init__(self, config: pytest.Config):
        self.target: str = config.getoption("vidu_target")
        self.budget = Budget(config.getoption("vidu_live_budget"))
        self.drift = DriftReport(config.getoption("vidu_drift_report"))
        self.live_url = (config.getoption("vidu_base_url") or os.environ.get("VIDU_BASE_URL")
                         or DEFAULT_LIVE_URL).rstrip("/")
        self._emulator: BackgroundEmulator | None = None
        self.pricer = Pricer()
        self.spends: list[Spend] = []

    @property
    def live(self) -> bool:
        return self.target == "live"

    def live_key(self) -> str:
        return os.environ["VIDU_API_KEY"].removeprefix("Token ").strip()

    def balance(self) -> int:
        """The live account's real balance: every ``credit_remain`` of GET /ent/v2/credits."""
        answer = httpx.get(f"{self.live_url}/ent/v2/credits", headers={"Authorization": f"Token {self.live_key()}"},
                           timeout=30.0)
        answer.raise_for_status()
        return sum(int(r["credit_remain"]) for r in answer.json()["remains"])

    def base_url(self) -> str:
        if self.live:
            return self.live_url
        if self._emulator is None:  # started on first use: runs that never touch Vidu pay nothing
            from viduemu.background import BackgroundEmulator

            self._emulator = BackgroundEmulator(clock="manual").start()
        return self._emulator.base_url

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """(A hook: the session's Vidu is registered as a plugin.) Each test's spend, from its report."""
        if report.when == "teardown":
            self.spends.extend(Spend(**cast(dict[str, Any], value)) for name, value in report.user_properties
                               if name == SPEND_PROPERTY)

    def close(self) -> None:
        self.pricer.close()
        if self._emulator is not None:
            self._emulator.stop()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.has_plugin("asyncio") and not config.getini(ASYNCIO_LOOP_SCOPE):
        # No public setter for another plugin's ini value: getini's cache is what it reads next.
        config._inicache[ASYNCIO_LOOP_SCOPE] = "function"
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    vidu = Vidu(config)
    if vidu.live and not os.environ.get("VIDU_API_KEY"):
        raise pytest.UsageError("--vidu-target=live needs the API key in $VIDU_API_KEY")
    config.stash[STATE] = vidu
    config.pluginmanager.register(vidu, "viduemu-session")


def pytest_unconfigure(config: pytest.Config) -> None:
    vidu = config.stash.get(STATE, None)
    if vidu is not None:
        vidu.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    vidu = config.stash[STATE]
    for item in items:
        for marker, (target, why) in SKIPS.items():
            if item.get_closest_marker(marker) and vidu.target == target:
                item.add_marker(pytest.mark.skip(reason=why))


def _spend(item: pytest.Item) -> int | None:
    marker = item.get_closest_marker("vidu_spends")
    if marker is None:
        return None
    credits = marker.args[0] if marker.args else marker.kwargs.get("credits")
    if not isinstance(credits, int) or credits < 0:
        raise pytest.UsageError(f"{item.nodeid}: vidu_spends takes a non-negative number of credits")
    return credits


def pytest_sessionfinish(session: pytest.Session) -> None:
    vidu = session.config.stash.get(STATE, None)
    if vidu is not None:
        vidu.drift.meta = {"target": vidu.target, "base_url": vidu.live_url if vidu.live else "emulator"}
        vidu.drift.write()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    vidu = config.stash.get(STATE, None)
    if vidu is not None and vidu.drift.entries:
        terminalreporter.section("Vidu contract drift")
        terminalreporter.write_line(vidu.drift.text())
    if vidu is not None and vidu.spends:
        terminalreporter.section("Vidu live spend")
        for line in spend_table(vidu.spends, vidu.budget):
            terminalreporter.write_line(line)


def _figure(value: int | None) -> str:
    return "?" if value is None else str(value)


def spend_table(spends: list[Spend], budget: Budget) -> list[str]:
    """What each test spent: the guard's estimate, the real balance before and after, the drift."""
    width = max(len(s.nodeid) for s in spends)
    lines = [f"{'test':<{width}}  {'reserved':>8}  {'estimate':>8}  {'balance before -> after':>23}  "
             f"{'real':>5}  {'drift':>5}"]
    for s in spends:
        balance = f"{_figure(s.before)} -> {_figure(s.after)}"
        estimate = f"{s.estimate}{'+?' if s.unpriced else ''}"
        reserved = "-" if s.reserved is None else str(s.reserved)   # -: from the session budget
        lines.append(f"{s.nodeid:<{width}}  {reserved:>8}  {estimate:>8}  {balance:>23}  "
                     f"{_figure(s.real):>5}  {_figure(s.drift):>5}")
    estimated = sum(s.estimate for s in spends)
    real = sum(s.real or 0 for s in spends)
    unused = f", {budget.left} not reserved nor spent" if budget.granted else ""   # xdist: the workers' budgets
    lines.append(f"estimated {estimated}, really spent {real} (drift {real - estimated:+d}); "
                 f"--vidu-live-budget {budget.total}{unused}")
    return lines


# -- fixtures ----------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _vidu(request: pytest.FixtureRequest) -> Vidu:
    return request.config.stash[STATE]


@pytest.fixture(autouse=True)
def _vidu_allowance(request: pytest.FixtureRequest, _vidu: Vidu) -> Iterator[Allowance]:
    # A fixture, not a setup hook: it runs after skip markers are judged, so a skipped test takes no budget.
    credits = _spend(request.node)
    spend = Spend(request.node.nodeid, credits)
    if not _vidu.live:
        yield Allowance(spend)   # the guard is off: credits on the emulator are free
        return
    if credits is not None:
        refusal = _vidu.budget.grant(credits)
        if refusal:
            pytest.skip(f"live budget: {refusal}")
    allowance = Allowance(spend, _vidu.budget, _vidu.pricer, _vidu.balance)
    yield allowance
    allowance.finish()
    if spend.before is not None:   # on the report: it reaches the xdist controller (and junit XML)
        request.node.user_properties.append((SPEND_PROPERTY, asdict(spend)))


@pytest.fixture
def vidu_drift(_vidu: Vidu) -> DriftReport:
    """The session's drift report: ``vidu_drift.add(Drift(...))`` records a difference from the contracts."""
    return _vidu.drift


@pytest.fixture
def vidu_base_url(_vidu: Vidu) -> str:
    """The target's base URL: the session's emulator, or --vidu-base-url."""
    return _vidu.base_url()


@pytest.fixture
def vidu_api_key(_vidu: Vidu) -> str:
    """The key to call with: a fresh account of the test's own (emulator), or $VIDU_API_KEY (live)."""
    if _vidu.live:
        return _vidu.live_key()
    return f"vda_test_{secrets.token_hex(12)}"


@pytest.fixture
def vidu_emulator(_vidu: Vidu, vidu_clock: EmulatorControl | WallClock) -> EmulatorControl:
    """Steer the emulator for this test's account (the same handle as ``vidu_clock``, which removes
    the test's fault rules afterwards); skips the test on the live target."""
    if _vidu.live:
        pytest.skip("vidu_emulator steers the emulator; --vidu-target=live has none")
    return cast(EmulatorControl, vidu_clock)  # the emulator's clock is its control handle


class WallClock:
    """The live target's clock: waiting is waiting."""

    sleep = staticmethod(time.sleep)
    async_sleep = staticmethod(asyncio.sleep)


@pytest.fixture
def vidu_clock(_vidu: Vidu, vidu_base_url: str, vidu_api_key: str) -> Iterator[EmulatorControl | WallClock]:
    """Wait on the target's clock: ``vidu_clock.sleep(s)`` / ``await vidu_clock.async_sleep(s)``.
    On the emulator they advance its manual clock (instant); on the live target they sleep."""
    if _vidu.live:
        yield WallClock()
        return
    control = EmulatorControl(vidu_base_url, vidu_api_key)
    yield control
    control.close()


@pytest.fixture
def vidu_transport(_vidu_allowance: Allowance) -> httpx.BaseTransport:
    """The httpx transport under ``vidu_client`` (the budget guard over a real connection); override
    it to wrap more around the client's traffic."""
    return GuardedTransport(httpx.HTTPTransport(), _vidu_allowance)


@pytest.fixture
def vidu_async_transport(_vidu_allowance: Allowance) -> httpx.AsyncBaseTransport:
    """The async twin of ``vidu_transport``."""
    return AsyncGuardedTransport(httpx.AsyncHTTPTransport(), _vidu_allowance)


@pytest.fixture
def vidu_client(vidu_base_url: str, vidu_api_key: str, vidu_transport: httpx.BaseTransport,
                vidu_clock: EmulatorControl | WallClock) -> Iterator[ViduClient]:
    """A ``ViduClient`` for the target, waiting on ``vidu_clock``: on the emulator ``wait_for_task``
    returns at once."""
    with ViduClient(vidu_api_key, vidu_base_url, transport=vidu_transport, sleep=vidu_clock.sleep) as client:
        yield client


@pytest.fixture
def vidu_callback_receiver(_vidu: Vidu, vidu_api_key: str,
                           vidu_clock: EmulatorControl | WallClock) -> Iterator[CallbackReceiver]:
    """A callback receiver on 127.0.0.1: give ``receiver.url`` as ``callback_url``; ``receiver.wait(task_id,
    state="success", timeout=...)`` returns that callback's body (on the emulator by advancing its clock).
    Every callback's signature is verified under the test's key; one that fails fails the test."""
    advance = None if isinstance(vidu_clock, WallClock) else vidu_clock.advance
    receiver = CallbackReceiver(vidu_api_key, advance)
    yield receiver
    receiver.close()
    unsigned = receiver.unsigned()
    if unsigned:
        pytest.fail(f"{len(unsigned)} callback(s) without a valid signature under the test's key: "
                    f"{[c.path for c in unsigned]}")


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the fixture then explains what is missing
    @pytest.fixture
    def vidu_async_client() -> None:
        pytest.fail("vidu_async_client needs pytest-asyncio (pip install pytest-asyncio)")
else:
    # (mypy sees two definitions: this one, or the failure above where pytest-asyncio is missing)
    @pytest_asyncio.fixture
    async def vidu_async_client(vidu_base_url: str, vidu_api_key: str,  # type: ignore[misc]
                                vidu_async_transport: httpx.AsyncBaseTransport,
                                vidu_clock: EmulatorControl | WallClock) -> AsyncIterator[AsyncViduClient]:
        """An ``AsyncViduClient`` for the target, waiting on ``vidu_clock``."""
        async with AsyncViduClient(vidu_api_key, vidu_base_url, transport=vidu_async_transport,
                                   sleep=vidu_clock.async_sleep) as client:
            yield client

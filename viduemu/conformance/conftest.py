"""The suite's fixtures: every answer the target gives is checked against the contracts, and each
difference is recorded in the drift report (``--vidu-drift-report``) and fails the test."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from typing import Any

import httpx
import pytest

from pytest_viduemu.drift import Drift, DriftReport
from viduemu.client import ViduError
from viduemu.core.asyncapi import AsyncApi, MessageViolation
from viduemu.core.contracts import Contracts, ContractViolation


@pytest.fixture(scope="session")
def contracts() -> Contracts:
    return Contracts()


@pytest.fixture(scope="session")
def asyncapi() -> AsyncApi:
    return AsyncApi()


class Observer:
    """One test's view of the target: checks answers and messages, keeps the differences."""

    def __init__(self, test: str, contracts: Contracts, asyncapi: AsyncApi, report: DriftReport):
        self.test, self.contracts, self.asyncapi, self.report = test, contracts, asyncapi, report
        self.found: list[Drift] = []

    def record(self, operation: str, kind: str, expected: str, observed: str, detail: str = "") -> None:
        drift = Drift(self.test, operation, kind, expected, observed, detail)
        self.found.append(drift)
        self.report.add(drift)

    def operation(self, request: httpx.Request) -> str:
        return f"{request.method} {self.contracts.match_path(request.url.path) or request.url.path}"

    def response(self, request: httpx.Request, response: httpx.Response) -> None:
        try:
            self.contracts.validate_response(request.method, request.url.path, response.status_code,
                                             response.headers, response.content)
        except ContractViolation as exc:
            self.record(self.operation(request), "schema", "an answer the contract describes",
                        f"{response.status_code} {response.text[:300]}", str(exc))

    def message(self, direction: str, raw: str | bytes | dict[str, Any]) -> Any:
        """Check one signaling message (``receive``: client -> server, ``send``: server -> client)."""
        message = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
        try:
            self.asyncapi.validate(direction, message)
        except MessageViolation as exc:
            self.record(f"ws {message.get('type') if isinstance(message, dict) else '?'}", "message",
                        "a message the AsyncAPI contract describes", json.dumps(message)[:300], str(exc))
        return message

    def refused(self, call: Callable[[], Any], operation: str, status: int, reason: str) -> ViduError | None:
        """Make a call the target must refuse with ``status``/``reason``; record any other outcome."""
        expected = f"{status} {reason}"
        try:
            answer = call()
        except ViduError as exc:
            if (exc.status, exc.reason) != (status, reason):
                self.record(operation, "status" if exc.status != status else "reason", expected,
                            f"{exc.status} {exc.reason}", exc.message)
            return exc
        self.record(operation, "status", expected, f"success: {json.dumps(answer)[:300]}")
        return None


@pytest.fixture
def observer(request: pytest.FixtureRequest, contracts: Contracts, asyncapi: AsyncApi,
             vidu_drift: DriftReport) -> Observer:
    return Observer(request.node.nodeid, contracts, asyncapi, vidu_drift)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    result = yield
    seen = getattr(item, "funcargs", {}).get("observer")
    if seen is not None and seen.found:  # the test itself passed, but an answer on the way did not
        pytest.fail("the target differs from the contracts:\n" + DriftReport(None, seen.found).text(),
                    pytrace=False)
    return result


class CheckedTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, observer: Observer):
        self.inner, self.observer = inner, observer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        self.observer.response(request, response)
        return response

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def vidu_transport(vidu_transport: httpx.BaseTransport, observer: Observer) -> httpx.BaseTransport:
    """The plugin's transport (with its budget guard), every answer checked on the way back."""
    return CheckedTransport(vidu_transport, observer)

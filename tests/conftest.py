"""Shared fixtures: the real app behind an in-process ASGI transport, on a manual clock.

Plugins this suite loads for every test (``pytest_plugins`` below), each a module with its own docstring:

- ``tests.contract_guard``: patches httpx and websockets for the whole session so that every answer
  the emulator gives any client of the suite, and every signaling message, is checked against
  contracts/openapi.yaml and contracts/asyncapi.yaml; an undescribed one fails the test at the call.
- ``tests.contracts_once``: contracts/openapi.yaml is parsed once per test process, not once per app
  (each app still gets its own copy): the suite's largest saving of time.
- ``tests.support.server``: the real-socket server harness (``server``, ``live_settings``).
- ``pytester``: tests/plugin runs pytest inside pytest.
"""

from __future__ import annotations

import socket

import httpx
import pytest

pytest.register_assert_rewrite("tests.contract_guard", "tests.support")  # plugins imported here first

from tests.contract_guard import contract_checker  # noqa: E402
from viduemu.app import create_app  # noqa: E402
from viduemu.config import Settings  # noqa: E402
from viduemu.core.contracts import Contracts  # noqa: E402

pytest_plugins = [
    "tests.contract_guard",  # every answer and signaling message checked against the contracts
    "tests.contracts_once",  # contracts/openapi.yaml parsed once per process, a copy for each app
    "tests.support.server",  # the real-server fixtures: live_settings, server
    "pytester",              # tests/plugin runs pytest inside pytest
]
KEY = "vda_test_key"
AUTH = {"Authorization": f"Token {KEY}"}


def pytest_collection_modifyitems(config, items):
    """Slow tests first, the order otherwise kept: under xdist the long ones start at once and the many short
    ones fill in around them, so that the workers finish together (not one worker alone on a 20 s test at
    the end). Every worker sorts the same collection the same way, as xdist requires."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture
def settings() -> Settings:
    return Settings(clock="manual", seed=1234)


@pytest.fixture
async def app(settings):
    app = create_app(settings)
    yield app
    await app.state.emu.aclose()


@pytest.fixture(scope="session")
def contracts() -> Contracts:
    return Contracts()


@pytest.fixture
async def client(app, contracts):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                 event_hooks={"response": [contract_checker(contracts)]}) as c:
        yield c


@pytest.fixture
def emu(app):
    return app.state.emu


@pytest.fixture
def refused_port():
    """A 127.0.0.1 port bound but not listening, for the test's duration: every connection to it is refused,
    and no other process (another xdist worker included) can take it meanwhile."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


async def advance(client: httpx.AsyncClient, seconds: float) -> dict:
    r = await client.post("/_emulator/clock/advance", json={"seconds": seconds})
    assert r.status_code == 200, r.text
    return r.json()


def assert_error(response: httpx.Response, status: int, reason: str, field: str | None = None) -> dict:
    """The vendor envelope, with the expected status, reason and (optionally) the named field."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == status and body["reason"] == reason, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["metadata"]["trace_id"], str) and len(body["metadata"]["trace_id"]) == 32
    if field is not None:
        assert body["metadata"].get("fields") == field, body
    return body

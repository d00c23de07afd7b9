"""Shared fixtures: the real app behind an in-process ASGI transport, on a manual clock.

Every response the ``client`` fixture receives is checked against contracts/openapi.yaml (a shape,
status or content type the contract does not describe fails the test where the request was made).
"""

from __future__ import annotations

import httpx
import pytest

from viduemu.app import create_app
from viduemu.config import Settings
from viduemu.core.contracts import Contracts

pytest_plugins = ["pytester"]   # tests/plugin runs pytest inside pytest
KEY = "vda_test_key"
AUTH = {"Authorization": f"Token {KEY}"}


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


def contract_checker(contracts: Contracts):
    """An httpx response hook that fails on any answer the contract does not describe."""

    async def check(response: httpx.Response) -> None:
        await response.aread()
        request = response.request
        contracts.validate_response(request.method, request.url.path, response.status_code,
                                    response.headers, response.content)

    return check


@pytest.fixture
async def client(app, contracts):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                 event_hooks={"response": [contract_checker(contracts)]}) as c:
        yield c


@pytest.fixture
def emu(app):
    return app.state.emu


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

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

pytest_plugins = [
    "pytester",              # tests/plugin runs pytest inside pytest
    "tests.support.server",  # the real-server fixtures: live_settings, server
]
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
        _validate(contracts, response)

    return check


def _validate(contracts: Contracts, response: httpx.Response) -> None:
    request = response.request
    response.contract_checked = True
    contracts.validate_response(request.method, request.url.path, response.status_code,
                                response.headers, response.content)


# The emulator's areas on the hosts it answers at: such an answer, to any httpx client of the suite, is
# the emulator's (a stand-in server of a test, e.g. httpx.MockTransport at vidu.test, is not).
EMULATOR_PATHS = ("/ent/", "/live/", "/model/", "/_emulator/")
EMULATOR_HOSTS = ("127.0.0.1", "localhost", "::1", "testserver")
SIGNALING_PATH = "/live/ws/"


def _unchecked(response: httpx.Response) -> bool:
    url = response.request.url
    return (not getattr(response, "contract_checked", False)
            and url.host in EMULATOR_HOSTS and url.path.startswith(EMULATOR_PATHS))


@pytest.fixture(scope="session", autouse=True)
def every_answer_is_checked():
    """The whole suite sees no answer, and no signaling message, the contracts do not describe.

    Clients that carry ``contract_checker`` check as they go; this covers every other one: a test's own
    httpx client (sync or async, ASGI or a real socket), the thin client's, and every message a
    ``websockets`` client receives on the signaling socket (validated against contracts/asyncapi.yaml).
    Requests the emulator itself makes (callbacks, fetched media) go to other paths and are left alone.
    """
    import json

    from websockets.asyncio.client import ClientConnection

    from viduemu.core import asyncapi

    contracts = Contracts()  # its own: a test module may define a ``contracts`` fixture of its own
    send, asend, recv = httpx.Client.send, httpx.AsyncClient.send, ClientConnection.recv

    def checked_send(self, request, **kw):
        response = send(self, request, **kw)
        if _unchecked(response):
            response.read()
            _validate(contracts, response)
        return response

    async def checked_asend(self, request, **kw):
        response = await asend(self, request, **kw)
        if _unchecked(response):
            await response.aread()
            _validate(contracts, response)
        return response

    async def checked_recv(self, *args, **kw):
        message = await recv(self, *args, **kw)
        handshake = getattr(self, "request", None)
        if handshake is not None and handshake.path.startswith(SIGNALING_PATH):
            asyncapi.validate("send", json.loads(message))  # the server sends JSON text frames only
        return message

    patch = pytest.MonkeyPatch()
    patch.setattr(httpx.Client, "send", checked_send)
    patch.setattr(httpx.AsyncClient, "send", checked_asend)
    patch.setattr(ClientConnection, "recv", checked_recv)
    yield
    patch.undo()


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

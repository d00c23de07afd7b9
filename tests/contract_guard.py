"""Plugin ``tests.contract_guard`` (named in tests/conftest.py's ``pytest_plugins``): every answer the
emulator gives to the test suite is checked against the contracts, whoever made the request.

What it patches, for the whole session (the ``every_answer_is_checked`` fixture, autouse):

- ``httpx.Client.send`` and ``httpx.AsyncClient.send``: an answer from one of the emulator's hosts
  (``EMULATOR_HOSTS``) on one of its areas (``EMULATOR_PATHS``) is read and validated against
  contracts/openapi.yaml (``Contracts.validate_response``); a shape, status or content type the
  contract does not describe fails the test at the request. This covers a test's own httpx client
  (sync or async, ASGI or a real socket), the thin client's (``viduemu.client``), the pytest plugin's.
- ``websockets.asyncio.client.ClientConnection.recv``: every message received on the signaling socket
  (``/live/ws/...``) is validated against contracts/asyncapi.yaml.

Requests the emulator itself makes (callbacks, fetched media) go to other hosts or paths and are left
alone, as are stand-in servers of a test (e.g. ``httpx.MockTransport`` at vidu.test). Clients that
carry ``contract_checker`` as a response hook (the ``client`` fixture, the real-server harness) are
checked as they go and not twice.

So a test needs no assertion of its own for "the answer fits the contract": it fails if not. To see
the guard at work, see tests/contract/test_response_validation.py.
"""

from __future__ import annotations

import json

import httpx
import pytest

from viduemu.core.contracts import Contracts

# The emulator's areas on the hosts it answers at: such an answer, to any httpx client of the suite, is
# the emulator's (a stand-in server of a test, e.g. httpx.MockTransport at vidu.test, is not).
EMULATOR_PATHS = ("/ent/", "/live/", "/model/", "/_emulator/", "/tools/")
EMULATOR_HOSTS = ("127.0.0.1", "localhost", "::1", "testserver")
SIGNALING_PATH = "/live/ws/"


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

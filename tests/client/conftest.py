"""Client fixtures: ``target`` runs a test once per way of reaching the emulator (async or sync
client; in-process ASGI transport or a real uvicorn socket), all on a manual clock."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from tests.client.harness import Target
from tests.support.server import asgi_transport
from viduemu.app import create_app
from viduemu.background import BackgroundEmulator
from viduemu.client import AsyncViduClient, ViduClient

CLIENT_KEY = "vda_client_test"
KINDS = ["async-asgi", "async-socket", "sync-asgi", "sync-socket"]


@pytest.fixture(params=KINDS)
async def target(request, settings):
    kind = request.param
    if kind == "async-asgi":
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with AsyncViduClient(CLIENT_KEY, "http://testserver", transport, backoff=0) as client, \
                httpx.AsyncClient(transport=transport, base_url="http://testserver") as control:
            yield Target(kind, client, control.request)
        await app.state.emu.aclose()
        return
    with BackgroundEmulator(replace(settings, log_level="warning")) as emulator:
        # The socket kinds give the key as "Token vda_...", the ASGI kinds as "vda_...": both are accepted.
        if kind == "async-socket":
            async with AsyncViduClient(f"Token {CLIENT_KEY}", emulator.base_url, backoff=0) as client, \
                    httpx.AsyncClient(base_url=emulator.base_url) as control:
                yield Target(kind, client, control.request)
        else:
            transport = asgi_transport(emulator) if kind == "sync-asgi" else None
            base = "http://testserver" if transport else emulator.base_url
            key = CLIENT_KEY if transport else f"Token {CLIENT_KEY}"
            with ViduClient(key, base, transport, backoff=0) as client, \
                    httpx.Client(transport=transport, base_url=base) as control:
                yield Target(kind, client, control.request)

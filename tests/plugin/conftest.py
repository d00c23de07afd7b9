"""Running pytest inside pytest: the plugin as a user meets it (``pytester``)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from viduemu.background import BackgroundEmulator
from viduemu.config import Settings

ROOT = Path(__file__).resolve().parents[2]
# Installed, the plugin loads through its pytest11 entry point (named pytest_viduemu, so `-p` is then a
# no-op); from a checkout it is put on the path and named.
PLUGIN_ARGS = ("-p", "pytest_viduemu", "-p", "no:cacheprovider")


def plugin_env(**extra: str) -> dict:
    paths = [str(ROOT), str(ROOT / "pytest_plugin"), os.environ.get("PYTHONPATH", "")]
    return {"PYTHONPATH": os.pathsep.join(p for p in paths if p), **extra}


@pytest.fixture(scope="session")
def _warm_modules():
    # In-process runs drop every module first imported inside them, so a later run (or test) would get
    # a second copy of, say, the server's WebSocket protocol next to references to the first. A
    # server that has answered HTTP and a WebSocket beforehand has imported all of it once, out here.
    import asyncio

    import websockets

    with BackgroundEmulator(Settings(clock="manual", log_level="warning")) as emulator:
        async def hello():
            url = emulator.base_url.replace("http", "ws") + "/live/ws/live/connect?live_id=1"
            try:
                async with websockets.connect(url, additional_headers={"Authorization": "Token vda_warm"}) as ws:
                    await ws.recv()
            except websockets.WebSocketException:
                pass  # refused or closed: either way both sides' WebSocket code has run

        httpx.get(emulator.base_url + "/_emulator/health")
        asyncio.run(hello())


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch, _warm_modules):
    """``run(*args, env=...)``: pytest with the plugin, in pytester's directory."""

    def run(*args: str, env: dict | None = None) -> pytest.RunResult:
        monkeypatch.delenv("VIDU_API_KEY", raising=False)
        for name, value in plugin_env(**(env or {})).items():
            monkeypatch.setenv(name, value)
        pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
        return pytester.runpytest_inprocess(*PLUGIN_ARGS, "-rs", *args)

    return run


@pytest.fixture(scope="module")
def stand_in():
    """A viduemu standing in for the real Vidu (the live target of the inner runs)."""
    with BackgroundEmulator(Settings(clock="manual", log_level="warning")) as emulator:
        yield emulator

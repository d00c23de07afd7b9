"""--state FILE: everything acknowledged survives closing the app and opening a new one on the file."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
import pytest

from tests.conftest import AUTH, KEY
from viduemu.app import create_app
from viduemu.config import Settings

IMG = {"model": "viduq1", "images": ["https://example.com/a.png"], "prompt": "x"}
OTHER = {"Authorization": "Token vda_other"}


@pytest.fixture
def state_settings(tmp_path) -> Settings:
    return Settings(clock="manual", seed=1234, state=str(tmp_path / "state.sqlite"), task_seconds=30)


@contextlib.asynccontextmanager
async def running(settings: Settings):
    """A fresh app on ``settings`` (and so on its state file), closed on exit like a server shutdown."""
    app = create_app(settings)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
            yield c
    finally:
        await app.state.emu.aclose()


async def tasks_states(client, ids) -> dict:
    out = {}
    for task_id in ids:
        r = await client.get(f"/ent/v2/tasks/{task_id}/creations", headers=AUTH)
        assert r.status_code == 200, r.text
        out[task_id] = r.json()["state"]
    return out


async def test_tasks_accounts_faults_and_journals_survive_a_restart(state_settings):
    async with running(state_settings) as c:
        ids = [(await c.post("/ent/v2/img2video", json=IMG, headers=AUTH)).json()["task_id"] for _ in range(7)]
        await c.post("/_emulator/clock/advance", json={"seconds": 1})
        await c.put("/_emulator/accounts/vda_other", json={"credits": 77})
        fault = {"match": {"operation": "GET /ent/v2/credits", "api_key": "vda_other"},
                 "action": {"status": 429, "reason": "TooManyRequests"}, "times": 2}
        fault_id = (await c.post("/_emulator/faults", json=fault)).json()["id"]
        assert (await c.get("/ent/v2/credits", headers=OTHER)).status_code == 429  # uses 1 of 2
        before_states = await tasks_states(c, ids)
        before_account = (await c.get(f"/_emulator/accounts/{KEY}")).json()
        before_requests = (await c.get("/_emulator/requests")).json()["requests"]
        before_now = (await c.get("/_emulator/clock")).json()["now"]
    assert list(before_states.values()).count("processing") == 5
    assert list(before_states.values()).count("queueing") == 2

    async with running(state_settings) as c:
        assert await tasks_states(c, ids) == before_states
        assert (await c.get(f"/_emulator/accounts/{KEY}")).json() == before_account
        assert (await c.get("/_emulator/accounts/vda_other")).json()["credits"] == 77
        faults = (await c.get("/_emulator/faults")).json()["faults"]
        assert [(f["id"], f["times"]) for f in faults] == [(fault_id, 1)]
        requests = (await c.get("/_emulator/requests")).json()["requests"]
        assert requests[:len(before_requests)] == before_requests
        assert (await c.get("/_emulator/clock")).json()["now"] >= before_now
        figures = (await c.get("/ent/v2/credits", headers=AUTH)).json()["remains"][0]
        assert (figures["current_concurrency"], figures["queue_count"]) == (5, 2)  # timers and queue re-armed
        # the processing tasks finish after advancing; the queued ones start and finish after them
        await c.post("/_emulator/clock/advance", json={"seconds": 30})
        states = await tasks_states(c, ids)
        assert list(states.values()).count("success") == 5 and list(states.values()).count("processing") == 2
        await c.post("/_emulator/clock/advance", json={"seconds": 30})
        assert set((await tasks_states(c, ids)).values()) == {"success"}
        # the fault rule still has its last use
        assert (await c.get("/ent/v2/credits", headers=OTHER)).status_code == 429
        assert (await c.get("/ent/v2/credits", headers=OTHER)).status_code == 200
        # new ids (same --seed) never collide with the ones already stored
        new_id = (await c.post("/ent/v2/img2video", json=IMG, headers=AUTH)).json()["task_id"]
        assert new_id not in ids


async def test_a_pending_callback_retry_survives_a_restart(state_settings, refused_port):
    url = f"http://127.0.0.1:{refused_port}/cb"  # nothing listens: every attempt fails
    async with running(state_settings) as c:
        await c.post("/ent/v2/img2video", json={**IMG, "callback_url": url}, headers=AUTH)
        await c.post("/_emulator/clock/advance", json={"seconds": 1})
        await _wait_journal(c, 1)
        first = (await c.get("/_emulator/callbacks")).json()["callbacks"]
    assert [e["attempt"] for e in first] == [1]

    async with running(state_settings) as c:
        assert (await c.get("/_emulator/callbacks")).json()["callbacks"] == first  # the journal persists
        await c.post("/_emulator/clock/advance", json={"seconds": 5})
        await _wait_journal(c, 2)
        entries = (await c.get("/_emulator/callbacks")).json()["callbacks"]
        assert [(e["attempt"], e["body"]["state"]) for e in entries] == [(1, "processing"), (2, "processing")]


async def _wait_journal(c, n: int):
    deadline = time.monotonic() + 5
    while len((await c.get("/_emulator/callbacks")).json()["callbacks"]) < n:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)


async def test_speed_clock_position_is_saved_without_a_clean_shutdown(tmp_path):
    settings = Settings(clock="speed", speed=100, state=str(tmp_path / "s.sqlite"))
    first = create_app(settings).state.emu
    first.core.clock.advance(3600)  # an hour of virtual time passes (the saver runs every virtual minute)
    reached = first.core.clock.now()
    # no aclose(): as if the process were killed; a new app opens the same file
    first.core.store.unlock()  # the kernel's part of a kill: the state file's lock goes with the process
    second = create_app(settings).state.emu
    try:
        assert second.core.clock.now() >= reached - 60
    finally:
        await second.aclose()
        first.core.store.close()

"""Issue 13 #2: a full disk leaves memory and disk together. The state lives on a real 300 KB tmpfs;
text2video creates run until the file refuses a write. Every answer is a 200 or the vendor's 500
``InternalServiceFailure``; what memory holds (tasks, charges) is what the file holds after a restart;
the server stays healthy and creates again once there is room.

Mounting needs root (CI runs as root); elsewhere the test is skipped with the reason."""

from __future__ import annotations

import os
import subprocess

import httpx
import pytest

from tests.conftest import AUTH, KEY
from tests.contract_guard import contract_checker
from viduemu.app import create_app
from viduemu.config import Settings
from viduemu.core.errors import ViduError
from viduemu.core.store import JOURNAL_WINDOW, MemoryStore, SQLiteStore

BODY = {"model": "viduq1", "prompt": "a cat " + "x" * 1900}   # a big prompt: the disk fills in few creates


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True, timeout=30)


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    where = tmp_path / "disk"
    where.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=300k", "tmpfs", str(where))
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {getattr(exc, 'stderr', '') or exc}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=30)


def _client(app, contracts) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                             event_hooks={"response": [contract_checker(contracts)]})


def _settings(state) -> Settings:
    return Settings(clock="manual", seed=1234, state=str(state), initial_credits=10_000_000)


def _charged(app) -> list[str]:
    account = app.state.emu.accounts.get(KEY)
    return [] if account is None else [e["ref"] for e in account.ledger if e["reason"] == "task:text2video"]


async def test_a_full_disk_changes_nothing_anywhere_and_the_server_recovers(small_disk, contracts):
    state = small_disk / "s.sqlite"
    app = create_app(_settings(state))
    created: list[str] = []
    refused = 0
    try:
        async with _client(app, contracts) as client:
            for _ in range(400):
                answer = await client.post("/ent/v2/text2video", json=BODY, headers=AUTH)
                if answer.status_code == 200:
                    created.append(answer.json()["task_id"])
                    continue
                assert answer.status_code == 500, answer.text
                assert answer.json()["reason"] == "InternalServiceFailure", answer.text
                refused += 1
                if refused >= 5:
                    break
            assert created and refused >= 5, (len(created), refused)

            # memory holds exactly the acknowledged tasks, each charged once, nothing else
            in_memory = [t.task_id for t in app.state.emu.tasks.all(KEY)]
            assert in_memory == created
            assert _charged(app) == created
            listed = (await client.get("/ent/v2/tasks", params={"page_size": 100}, headers=AUTH)).json()
            assert sorted(t["id"] for t in listed["tasks"]) == sorted(created)
            assert (await client.get("/_emulator/health")).status_code == 200

            # room again: the same server creates again, without a restart
            _mount("-o", "remount,size=10m", str(small_disk))
            again = await client.post("/ent/v2/text2video", json=BODY, headers=AUTH)
            assert again.status_code == 200, again.text
            created.append(again.json()["task_id"])
            assert _charged(app) == created
    finally:
        await app.state.emu.aclose()   # closes the store: frees the state file's lock

    restarted = create_app(_settings(state))   # what the file holds is what memory held
    try:
        assert [t.task_id for t in restarted.state.emu.tasks.all(KEY)] == created
        assert _charged(restarted) == created
    finally:
        await restarted.state.emu.aclose()


class Refused(Exception):
    pass


def _snapshot(store: MemoryStore) -> tuple:
    return ({k: list(d.items()) for k, d in store._docs.items()},
            {j: list(w) for j, w in store._journals.items()})


@pytest.mark.parametrize("make", [MemoryStore, "sqlite"])
def test_a_failed_atomic_block_leaves_memory_exactly_as_it_was(make, tmp_path):
    """The undo log, without a disk: puts (new and re-put keys), deletes, journal appends past the window
    (the oldest entry dropped comes back) and a clear, all undone when the block raises."""
    store = SQLiteStore(tmp_path / "s.sqlite") if make == "sqlite" else MemoryStore()
    try:
        store.hold_as_objects("held")
        for i in range(3):
            store.put("task", f"t{i}", {"n": i})
            store.put("held", f"h{i}", {"n": i})
        for i in range(JOURNAL_WINDOW):
            store.append("requests", {"i": i})
        before, dumped = _snapshot(store), store.dump()
        with pytest.raises(Refused), store.atomic():
            store.put("task", "t1", {"n": 10})
            store.put("task", "t9", {"n": 9})
            store.put("held", "h0", {"n": 10})
            store.put("fresh", "f", {"n": 1})
            store.append("requests", {"i": "new"})
            store.append("other", {"i": 0})
            store.clear()
            store.put("task", "t0", {"n": 20})
            raise Refused
        assert _snapshot(store) == before
        if make == "sqlite":   # and the file: what a restart would find
            store.close()
            store = SQLiteStore(tmp_path / "s.sqlite")
            assert store.dump() == dumped
    finally:
        store.close()


async def test_task_steps_the_state_file_refuses_wait_and_then_run_on(client, emu, monkeypatch):
    """The lifecycle's timers on a full disk: a refused step changes nothing (the task keeps its state and
    its place, no slot is lost) and is tried again, so the tasks finish once there is room."""
    ids = []
    for _ in range(7):   # more than the 5 processing slots: some queue
        answer = await client.post("/ent/v2/text2video", json={"model": "viduq1", "prompt": "a cat"}, headers=AUTH)
        assert answer.status_code == 200
        ids.append(answer.json()["task_id"])
    store, tasks = emu.core.store, emu.tasks

    def refuse(*args):
        raise ViduError("InternalServiceFailure", "the state could not be written: database or disk is full")

    monkeypatch.setattr(store, "_write", refuse)
    emu.core.clock.advance(3)                        # enqueue and start: refused
    assert {tasks.find(i).state for i in ids} == {"created"}
    assert tasks.figures(KEY) == {"concurrency_limit": 5, "current_concurrency": 0, "queue_count": 0}
    monkeypatch.undo()                               # room again
    emu.core.clock.advance(10)
    assert {tasks.find(i).state for i in ids} == {"processing", "queueing"}
    monkeypatch.setattr(store, "_write", refuse)
    emu.core.clock.advance(3600)                     # finishing: refused, the slots stay held
    assert tasks.figures(KEY)["current_concurrency"] == 5
    assert {tasks.find(i).state for i in ids} == {"processing", "queueing"}
    monkeypatch.undo()
    for _ in range(10):
        emu.core.clock.advance(3600)
    assert {tasks.find(i).state for i in ids} == {"success"}
    assert tasks.figures(KEY) == {"concurrency_limit": 5, "current_concurrency": 0, "queue_count": 0}

"""``viduemu export FILE`` / ``viduemu import FILE`` through the real command line: a state prepared on
one server (and left by kill -9) comes back whole on another; nothing is ever overwritten silently."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import httpx
import pytest

from tests.support.process import ROOT, ServeProcess

pytestmark = pytest.mark.slow

KEY = "vda_team"
AUTH = {"Authorization": f"Token {KEY}"}
BODY = {"model": "viduq1", "images": ["https://example.com/a.png"], "prompt": "x"}
LIVE = {"call_mode": "audio", "avatar": {"persona": "A guide.", "image_uri": "https://example.com/a.png"}}


def viduemu(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "viduemu", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def rows(state: str) -> int:
    with sqlite3.connect(state) as db:
        return db.execute("SELECT count(*) FROM docs").fetchone()[0]


@pytest.fixture
def prepared(tmp_path):
    """A state file left by a killed server: 7 tasks (5 processing, 2 queueing), one cancelled, a live
    session, an account set to 5000, and what each answered."""
    state = str(tmp_path / "team.sqlite")
    server = ServeProcess("--state", state, "--clock", "manual", "--seed", "7", "--log-level", "warning").start()
    with httpx.Client(base_url=server.url, timeout=5) as c:
        c.put(f"/_emulator/accounts/{KEY}", json={"credits": 5000})
        ids = [c.post("/ent/v2/img2video", json=BODY, headers=AUTH).json()["task_id"] for _ in range(8)]
        c.post("/_emulator/clock/advance", json={"seconds": 2})
        assert c.post(f"/ent/v2/tasks/{ids[-1]}/cancel", json={}, headers=AUTH).status_code == 200
        live_id = c.post("/live/v1/lives", json=LIVE, headers=AUTH).json()["live"]["id"]
        before = {"tasks": {i: c.get(f"/ent/v2/tasks/{i}/creations", headers=AUTH).json() for i in ids},
                  "account": c.get(f"/_emulator/accounts/{KEY}").json(),
                  "live": c.get(f"/live/v1/lives/{live_id}", headers=AUTH).json(),
                  "clock": c.get("/_emulator/clock").json()["now"], "live_id": live_id}
    server.kill()
    return state, before


def test_export_then_import_gives_another_server_the_same_state(prepared, tmp_path):
    state, before = prepared
    snap, other = str(tmp_path / "team.json"), str(tmp_path / "other.sqlite")
    done = viduemu("export", snap, "--state", state)
    assert done.returncode == 0, done.stderr
    assert "8 tasks" in done.stdout and "1 lives" in done.stdout
    snapshot = json.loads(open(snap).read())
    assert (snapshot["format"], snapshot["version"]) == ("viduemu-state", 1)
    done = viduemu("import", snap, "--state", other)
    assert done.returncode == 0, done.stderr
    with ServeProcess("--state", other, "--clock", "manual", "--seed", "7", "--log-level", "warning") as server, \
            httpx.Client(base_url=server.url, timeout=5) as c:
        for task_id, answer in before["tasks"].items():
            assert c.get(f"/ent/v2/tasks/{task_id}/creations", headers=AUTH).json() == answer
        assert c.get(f"/_emulator/accounts/{KEY}").json() == before["account"]
        assert c.get(f"/live/v1/lives/{before['live_id']}", headers=AUTH).json() == before["live"]
        assert c.get("/_emulator/clock").json()["now"] >= before["clock"]
        figures = c.get("/ent/v2/credits", headers=AUTH).json()["remains"][0]
        assert (figures["current_concurrency"], figures["queue_count"]) == (5, 2)  # its timers are armed
        c.post("/_emulator/clock/advance", json={"seconds": 70})
        states = [c.get(f"/ent/v2/tasks/{i}/creations", headers=AUTH).json()["state"] for i in before["tasks"]]
        assert states == ["success"] * 7 + ["failed"]
        # a new id never repeats one of the imported state (the boot count travels with it)
        new = c.post("/ent/v2/img2video", json=BODY, headers=AUTH).json()["task_id"]
        assert new not in before["tasks"]


def test_import_refuses_a_state_file_that_holds_a_state_unless_told_to_overwrite(prepared, tmp_path):
    state, before = prepared
    snap = str(tmp_path / "team.json")
    assert viduemu("export", snap, "--state", state).returncode == 0
    target = str(tmp_path / "busy.sqlite")
    with ServeProcess("--state", target, "--clock", "manual", "--log-level", "warning") as server:
        httpx.put(f"{server.url}/_emulator/accounts/vda_mine", json={"credits": 3})
    held = rows(target)
    done = viduemu("import", snap, "--state", target)
    assert done.returncode == 1
    assert "already holds a state (1 accounts)" in done.stderr and "--overwrite" in done.stderr
    assert rows(target) == held  # untouched
    done = viduemu("import", snap, "--state", target, "--overwrite")
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(target) as db:
        keys = {k for (k,) in db.execute("SELECT key FROM docs WHERE kind='accounts'")}
    assert keys == {KEY}  # replaced, not merged


def test_export_refuses_to_overwrite_a_file_unless_told_to(prepared, tmp_path):
    state, _ = prepared
    snap = tmp_path / "team.json"
    snap.write_text("my notes")
    done = viduemu("export", str(snap), "--state", state)
    assert done.returncode == 1 and "exists" in done.stderr and "--overwrite" in done.stderr
    assert snap.read_text() == "my notes"
    assert viduemu("export", str(snap), "--state", state, "--overwrite").returncode == 0
    assert json.loads(snap.read_text())["format"] == "viduemu-state"


@pytest.mark.parametrize("content, says", [
    ("not json", "not a viduemu state snapshot"),
    ('{"format": "other"}', "not a viduemu state snapshot"),
    ('{"format": "viduemu-state", "version": 99}', "version 99"),
    ('{"format": "viduemu-state", "version": 1, "docs": [], "journals": {}}', "damaged"),
])
def test_import_of_something_else_fails_with_a_sentence_and_creates_nothing(tmp_path, content, says):
    snap, target = tmp_path / "x.json", tmp_path / "new.sqlite"
    snap.write_text(content)
    done = viduemu("import", str(snap), "--state", str(target))
    assert done.returncode == 1 and says in done.stderr and "Traceback" not in done.stderr
    assert not target.exists()


def test_both_commands_need_to_know_the_state_file(tmp_path):
    for command in ("export", "import"):
        done = viduemu(command, str(tmp_path / "x.json"))
        assert done.returncode == 1 and "--state" in done.stderr
    done = viduemu("export", str(tmp_path / "x.json"), "--state", str(tmp_path / "missing.sqlite"))
    assert done.returncode == 1 and "no state file" in done.stderr
    assert not (tmp_path / "missing.sqlite").exists()

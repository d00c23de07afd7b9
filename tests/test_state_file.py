"""Issue 13 #1 and its note: a ``--state`` file serves one server, and a file that cannot serve refuses
to start with one sentence and a non-zero exit (no traceback). Real ``viduemu serve`` processes."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys

import httpx
import pytest

from tests.conftest import AUTH
from tests.support.process import ROOT, ServeProcess


def serve_refused(*args: str, prefix: list[str] | None = None) -> tuple[int, str]:
    """``viduemu serve ARGS`` that must not start: (exit code, what it printed)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([*(prefix or []), sys.executable, "-m", "viduemu", "serve", "--port", "0", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    return done.returncode, (done.stdout + done.stderr).strip()


def assert_one_sentence(output: str, *needles: str) -> None:
    lines = [line for line in output.splitlines() if not line.startswith("INFO ")]
    assert len(lines) == 1 and "Traceback" not in output, output
    for needle in needles:
        assert needle in lines[0], output


def test_a_second_server_on_the_same_state_file_refuses_to_start(tmp_path):
    state = tmp_path / "shared.sqlite"
    with ServeProcess("--state", str(state)) as first:
        code, output = serve_refused("--state", str(state))
        assert code != 0
        assert_one_sentence(output, str(state), f"pid {first.proc.pid}", "in use")
        with httpx.Client(base_url=first.url, timeout=5) as http:  # the first one serves on, untouched
            assert http.get("/ent/v2/credits", headers=AUTH).status_code == 200


def test_the_state_file_is_free_again_when_its_server_dies(tmp_path):
    """The lock is the kernel's (flock): a server killed with SIGKILL leaves no stale lock behind."""
    state = tmp_path / "state.sqlite"
    first = ServeProcess("--state", str(state)).start()
    first.kill()
    with ServeProcess("--state", str(state)) as again:
        with httpx.Client(base_url=again.url, timeout=5) as http:
            assert http.get("/_emulator/health").json()["state"] == str(state)
    with ServeProcess("--state", str(state)):  # and after a graceful stop too
        pass


def test_export_reads_a_state_its_server_holds_and_import_is_refused(tmp_path):
    state = tmp_path / "state.sqlite"
    with ServeProcess("--state", str(state)):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        run = [sys.executable, "-m", "viduemu"]
        exported = subprocess.run([*run, "export", str(tmp_path / "snap.json"), "--state", str(state)],
                                  cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert exported.returncode == 0, exported.stderr
        imported = subprocess.run([*run, "import", str(tmp_path / "snap.json"), "--state", str(state),
                                   "--overwrite"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert imported.returncode != 0 and "in use" in imported.stderr and "Traceback" not in imported.stderr


def _corrupt(path):
    path.write_bytes(os.urandom(8192))


def _not_sqlite(path):
    path.write_text("hello")


def _truncated(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE docs (kind TEXT, key TEXT, doc TEXT, PRIMARY KEY (kind, key))")
    db.executemany("INSERT INTO docs VALUES ('tasks', ?, ?)", [(str(i), '{"p": "' + "x" * 300 + '"}')
                                                                 for i in range(2000)])
    db.commit()
    db.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _not_json(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE docs (kind TEXT, key TEXT, doc TEXT, PRIMARY KEY (kind, key))")
    db.execute("INSERT INTO docs VALUES ('tasks', 't1', '{not json')")
    db.commit()
    db.close()


def _directory(path):
    path.mkdir()


@pytest.mark.parametrize("make", [_corrupt, _not_sqlite, _truncated, _not_json, _directory])
def test_an_unusable_state_file_refuses_to_start_with_one_sentence(tmp_path, make):
    state = tmp_path / "state.sqlite"
    make(state)
    code, output = serve_refused("--state", str(state))
    assert code != 0
    assert_one_sentence(output, str(state))


def test_a_state_file_in_a_missing_directory_refuses_to_start(tmp_path):
    state = tmp_path / "nowhere" / "state.sqlite"
    code, output = serve_refused("--state", str(state))
    assert code != 0
    assert_one_sentence(output, str(state))


def test_a_read_only_state_file_refuses_to_start(tmp_path):
    state = tmp_path / "state.sqlite"
    ServeProcess("--state", str(state)).start().stop()  # a real, good state
    if os.geteuid() != 0:
        state.chmod(0o444)
        prefix: list[str] = []
    else:  # root writes any file whatever its mode: make it read-only with a read-only bind mount
        if not shutil.which("unshare") or subprocess.run(["unshare", "-m", "true"]).returncode != 0:
            pytest.skip("running as root without mount namespaces: no way to make a file read-only for root")
        # the bind is visible only inside the namespace, where `sh` then execs the server
        prefix = ["unshare", "-m", "sh", "-c", f'mount --bind "{state}" "{state}" && '
                  f'mount -o remount,bind,ro "{state}" && exec "$0" "$@"']
    code, output = serve_refused("--state", str(state), prefix=prefix)
    assert code != 0
    assert_one_sentence(output, str(state), "readonly")

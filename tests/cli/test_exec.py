"""``viduemu exec [serve flags] -- CMD``: CMD runs against a fresh emulator and its exit code is ours."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.process import ROOT

NODE_SMOKE = Path(__file__).with_name("node_smoke.mjs")


def viduemu_exec(*args: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "viduemu", "exec", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def finished(*args: str) -> tuple[int, str, str]:
    proc = viduemu_exec(*args)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err


@pytest.mark.slow  # a few seconds: node, or a wait for the command to be ready
def test_a_node_script_creates_and_finishes_an_img2video_task_and_exits_zero():
    code, out, err = finished("--clock", "manual", "--", "node", str(NODE_SMOKE))
    assert code == 0, out + err
    assert " success, video http://127.0.0.1:" in out
    assert "viduemu exec: emulator on http://127.0.0.1:" in err


def test_the_commands_environment_names_the_emulator_and_a_funded_key():
    script = 'echo "$VIDU_BASE_URL $VIDU_API_HOST $VIDUEMU_URL"; curl -s "$VIDUEMU_URL/_emulator/accounts/$VIDU_API_KEY"'
    code, out, err = finished("--initial-credits", "77", "--", "sh", "-c", script)
    assert code == 0, err
    urls, account = out.split("\n", 1)
    base, host, emulator = urls.split()
    assert base == host == emulator and base.startswith("http://127.0.0.1:")
    assert '"api_key":"vda_' in account and '"credits":77' in account


def test_a_failing_command_s_exit_code_is_passed_through():
    code, _, _ = finished("--", "sh", "-c", "exit 7")
    assert code == 7


def test_a_command_that_does_not_exist_is_one_line_and_exit_127():
    code, out, err = finished("--", "no-such-command-viduemu")
    assert code == 127
    assert "viduemu exec: no-such-command-viduemu: command not found" in err
    assert "Traceback" not in err


@pytest.mark.slow  # a few seconds: node, or a wait for the command to be ready
def test_sigterm_reaches_the_command_which_decides_the_exit_code(tmp_path):
    ready = tmp_path / "ready"
    script = f'trap "exit 42" TERM; touch {ready}; while :; do sleep 0.05; done'
    proc = viduemu_exec("--", "sh", "-c", script)
    deadline = time.monotonic() + 15
    while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ready.exists(), proc.communicate(timeout=5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 42, err


def test_an_unusable_state_file_is_one_sentence_and_the_command_never_runs(tmp_path):
    marker = tmp_path / "ran"
    code, _, err = finished("--state", str(tmp_path / "no-such-dir" / "s.sqlite"), "--", "touch", str(marker))
    assert code == 1 and not marker.exists()
    assert err.startswith("viduemu exec: cannot lock the state file ") and "Traceback" not in err

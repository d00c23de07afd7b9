"""The done-when runs of issue 6: the downstream example project and the conformance suite, each on the
emulator and against a separately started server standing in for the live service."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.plugin.conftest import PLUGIN_ARGS, ROOT, plugin_env
from viduemu.background import BackgroundEmulator

DOWNSTREAM = ROOT / "examples" / "downstream"


@pytest.fixture(scope="module")
def live_stand_in():
    """A real server standing in for the "real" Vidu: a real clock, tasks that take 2 s."""
    with BackgroundEmulator(task_seconds=2) as server:
        yield server


def downstream(*args: str, key: str | None = None) -> subprocess.CompletedProcess:
    """``pytest`` run in the example project, as its developers would (plus our checkout on the path)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDU_", "PYTEST_"))}
    env.update(plugin_env(), **({"VIDU_API_KEY": key} if key else {}))
    env["PYTHONPATH"] += f"{os.pathsep}{DOWNSTREAM}"
    return subprocess.run([sys.executable, "-m", "pytest", *PLUGIN_ARGS, "-rs", *args], cwd=DOWNSTREAM,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow  # ~5 s: pytest in a subprocess
def test_downstream_project_passes_on_the_emulator():
    result = downstream()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout, result.stdout


@pytest.mark.slow
def test_downstream_project_on_the_live_target_skips_emulator_only_tests(live_stand_in):
    result = downstream("--vidu-target=live", f"--vidu-base-url={live_stand_in.base_url}", "--vidu-live-budget=100",
                        key="vda_downstream_ci")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed, 4 skipped" in result.stdout, result.stdout
    assert result.stdout.count("emulator-only test: --vidu-target=live") == 4


def test_conformance_suite_passes_on_the_emulator(run, tmp_path):
    report = tmp_path / "drift.json"
    result = run("--pyargs", "viduemu.conformance", f"--vidu-drift-report={report}")
    result.assert_outcomes(passed=20)
    assert json.loads(report.read_text())["drift"] == []


@pytest.mark.slow
def test_conformance_suite_passes_against_a_live_stand_in(run, tmp_path, live_stand_in):
    report = tmp_path / "drift.json"
    result = run("--pyargs", "viduemu.conformance", "--vidu-target=live", f"--vidu-base-url={live_stand_in.base_url}",
                 "--vidu-live-budget=500", f"--vidu-drift-report={report}", env={"VIDU_API_KEY": "vda_conformance_ci"})
    result.assert_outcomes(passed=20)   # the live audio session included: the budget allows it
    drift = json.loads(report.read_text())
    assert drift["target"] == "live" and drift["drift"] == []
    assert (tmp_path / "drift.json.txt").read_text().startswith("no drift")

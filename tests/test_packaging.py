"""The wheel and sdist a user installs today (viduemu is not on a registry yet): built from this repository,
checked by twine, installed into a fresh virtualenv with nothing of the repository on the path, and used
the three ways the README shows: ``viduemu serve``, the pytest plugin, the conformance suite.

Slow (about a minute: most of it pip installing the dependencies into the fresh virtualenv)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.support.process import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packaging")]  # one build, on one worker

TINY_SUITE = '''
import pytest


@pytest.mark.vidu_spends(40)
def test_a_text2video_task_finishes(vidu_client):
    task = vidu_client.text2video(model="viduq1", prompt="a paper boat on a pond")
    assert vidu_client.wait_for_task(task["task_id"])["state"] == "success"
'''


def run(*cmd: str | Path, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """``cmd`` with nothing of the repository importable: no PYTHONPATH, run from outside it."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{cmd}: {done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, ROOT, cwd=out)
    run(sys.executable, "-m", "twine", "check", "--strict", *sorted(out.iterdir()), cwd=out)
    return out


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> Path:
    """A fresh virtualenv with the wheel, its dependencies as pip resolves them, pytest and pytest-asyncio."""
    home = tmp_path_factory.mktemp("user")
    venv.create(home / "venv", with_pip=True)
    wheel = next(dist.glob("viduemu-*.whl"))
    started = time.perf_counter()
    run(home / "venv/bin/python", "-m", "pip", "install", "-q", wheel, "pytest", "pytest-asyncio", cwd=home)
    print(f"pip install of the wheel with its dependencies: {time.perf_counter() - started:.1f} s")
    return home


def test_the_wheel_carries_the_contracts_and_the_inspector(dist):
    names = zipfile.ZipFile(next(dist.glob("viduemu-*.whl"))).namelist()
    for packaged in ("viduemu/_contracts/openapi.yaml", "viduemu/_contracts/asyncapi.yaml",
                     "viduemu/control/inspector/index.html", "viduemu/control/call/index.html",
                     "pytest_viduemu/__init__.py", "viduemu/conformance/conftest.py"):
        assert packaged in names, packaged
    assert next(dist.glob("viduemu-*.tar.gz"))


def test_the_installed_wheel_serves_answers_health_and_shows_the_inspector(installed):
    ready = installed / "ready"
    proc = subprocess.Popen([installed / "venv/bin/viduemu", "serve", "--port", "0", "--ready-file", ready],
                            cwd=installed, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        url = ready.read_text().strip()
        assert httpx.get(url + "/_emulator/health").json()["status"] == "ok"
        assert httpx.get(url + "/_emulator/openapi.json").json()["openapi"]  # the packaged contract
        page = httpx.get(url + "/_emulator/")
        assert page.status_code == 200 and "<html" in page.text.lower()
        assert httpx.get(url + "/_emulator/inspector/app.js").status_code == 200
    finally:
        proc.terminate()
        proc.wait(15)


def test_the_installed_plugin_runs_a_users_tests_green(installed):
    project = installed / "project"
    project.mkdir()
    (project / "test_app.py").write_text(TINY_SUITE)
    done = run(installed / "venv/bin/python", "-m", "pytest", "-p", "no:cacheprovider", cwd=project)
    assert "1 passed" in done.stdout


def test_the_installed_conformance_suite_passes_on_the_emulator(installed):
    done = run(installed / "venv/bin/python", "-m", "pytest", "-p", "no:cacheprovider", "--pyargs",
               "viduemu.conformance", cwd=installed)
    assert " passed" in done.stdout and "failed" not in done.stdout

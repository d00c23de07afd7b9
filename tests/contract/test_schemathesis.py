"""The documented schemathesis run (scripts/schemathesis_full.sh) with fewer examples, in CI.

The script starts ``viduemu serve --clock manual --seed 1`` on a free port and runs the schemathesis
CLI over every operation of contracts/openapi.yaml, all phases (examples, coverage, fuzzing,
stateful), all checks, a fixed seed; it fails on any schemathesis failure, on an error or traceback in
the server's log, and if the server stops answering health. The full run is
``scripts/schemathesis_full.sh`` (100 examples per operation).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from viduemu.core.contracts import Contracts

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "schemathesis_full.sh"
CLI = Path(sys.executable).with_name("schemathesis")
EXAMPLES, SEED = 25, 42


@pytest.mark.slow
@pytest.mark.skipif(not CLI.exists(), reason="the schemathesis CLI is not installed next to this Python")
def test_schemathesis_finds_nothing_against_a_real_server():
    run = subprocess.run(["bash", str(SCRIPT), str(EXAMPLES), str(SEED)], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env={**os.environ, "PYTHON": sys.executable, "SCHEMATHESIS": str(CLI)})
    assert run.returncode == 0, f"{run.stdout[-20000:]}\n{run.stderr[-3000:]}"
    operations = len(Contracts().operations())
    assert f"Selected: {operations}/{operations}" in run.stdout and f"Tested: {operations}" in run.stdout, run.stdout

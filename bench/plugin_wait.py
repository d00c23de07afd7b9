"""How long a dual-target test takes on the emulator with the pytest plugin: create a task and wait
for success (the clients advance the manual clock instead of sleeping), median of 20 such tests.

    python bench/plugin_wait.py
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = '''
import pytest

@pytest.mark.parametrize("n", range(20))
def test_create_and_wait(vidu_client, n):
    task = vidu_client.text2video(model="viduq1", prompt=f"clip {n}")
    assert vidu_client.wait_for_task(task["task_id"])["state"] == "success"

@pytest.mark.parametrize("n", range(20))
def test_create_and_wait_off_peak(vidu_client, n):
    task = vidu_client.text2video(model="viduq1", prompt=f"night clip {n}", off_peak=True)
    assert vidu_client.wait_for_task(task["task_id"], timeout=48 * 3600, interval=60)["state"] == "success"
'''
LINE = re.compile(r"^([\d.]+)s (setup|call|teardown)\s+\S+::(\w+)\[")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "test_wait.py").write_text(TESTS)
        env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'pytest_plugin'}"}
        out = subprocess.run([sys.executable, "-m", "pytest", "-p", "pytest_viduemu", "-p", "no:cacheprovider",
                              "--durations=0", "--durations-min=0", "-q", "test_wait.py"], cwd=tmp, env=env,
                             capture_output=True, text=True, timeout=600).stdout
    if " passed" not in out or "failed" in out:
        sys.exit(out)
    per_test: dict[tuple[str, str], float] = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            key = (m.group(3), line.split("[", 1)[1])
            per_test[key] = per_test.get(key, 0.0) + float(m.group(1))
    print(f"{'test (setup+call+teardown, excluding the first)':<52} {'median s':>9} {'max s':>7}")
    for name in ("test_create_and_wait", "test_create_and_wait_off_peak"):
        times = [t for (n, _), t in sorted(per_test.items()) if n == name][1:]  # the first starts the emulator
        print(f"{name:<52} {statistics.median(times):>9.3f} {max(times):>7.3f}")


if __name__ == "__main__":
    main()

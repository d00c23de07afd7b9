"""`viduemu serve` readiness: spawn to the first 200 on /_emulator/health, median of N runs.

    /work/venv/bin/python bench/startup.py [--runs 5]

Each run spawns `python -m viduemu serve --port <free> --log-level warning` (default flags
otherwise: real clock, state in memory) and polls the health endpoint every 5 ms. Target: < 1.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import free_port, machine, start_viduemu, stop, table, wait_ready  # noqa: E402

TARGET_S = 1.5


def one_run() -> float:
    port = free_port()
    started = time.perf_counter()
    proc = start_viduemu(port)
    try:
        wait_ready(f"http://127.0.0.1:{port}/_emulator/health", proc)
        return time.perf_counter() - started
    finally:
        stop(proc)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times = [one_run() for _ in range(args.runs)]
    median = statistics.median(times)
    print(f"machine: {machine()}")
    print(table(["measure", "runs (s)", "median", "target", "met"],
                [["spawn -> first 200 on /_emulator/health", " ".join(f"{t:.3f}" for t in times),
                  f"{median:.3f} s", f"< {TARGET_S} s", "yes" if median < TARGET_S else "NO"]]))
    return 0 if median < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())

"""`GET /ent/v2/tasks` costs what the caller's own tasks cost, whatever other tenants hold (issue 13).

`viduemu serve --clock manual`; one key creates N tasks (20,000 by default), then a key with no task
lists its tasks, once alone and 20 times concurrently while a probe reads `/_emulator/health` every
10 ms. Targets: the idle key's list stays in milliseconds, and under the 20 concurrent lists the health
probe answers in under 50 ms.

    python bench/list_isolation.py [--tasks 20000] [--lists 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import free_port, machine, start_viduemu, stop, table, wait_ready

BUSY = {"Authorization": "Token vda_busy_tenant"}
IDLE = {"Authorization": "Token vda_idle_tenant"}
BODY = {"model": "viduq1", "images": ["https://example.com/cat.png"], "prompt": "a cat waves"}


async def run(base: str, tasks: int, lists: int) -> list[list]:
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        await http.put("/_emulator/accounts/vda_busy_tenant", json={"credits": 10**12})
        made = time.perf_counter()
        for start in range(0, tasks, 64):
            answers = await asyncio.gather(*(http.post("/ent/v2/img2video", json=BODY, headers=BUSY)
                                             for _ in range(min(64, tasks - start))))
            assert all(a.status_code == 200 for a in answers), answers[0].text
        made = time.perf_counter() - made

        alone = []
        for _ in range(5):
            t = time.perf_counter()
            r = await http.get("/ent/v2/tasks", headers=IDLE)
            alone.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200 and r.json()["tasks"] == [], r.text

        probes: list[float] = []
        done = asyncio.Event()

        async def probe() -> None:
            while not done.is_set():
                t = time.perf_counter()
                assert (await http.get("/_emulator/health")).status_code == 200
                probes.append((time.perf_counter() - t) * 1000)
                await asyncio.sleep(0.01)

        prober = asyncio.create_task(probe())
        t = time.perf_counter()
        answers = await asyncio.gather(*(http.get("/ent/v2/tasks", headers=IDLE) for _ in range(lists)))
        concurrent = (time.perf_counter() - t) * 1000
        done.set()
        await prober
        assert all(a.status_code == 200 for a in answers)
    worst = max(probes) if probes else 0.0
    return [
        [f"create {tasks} tasks for one key (64 at a time)", f"{made:.1f} s", "", ""],
        ["list of a key with no task, alone (median of 5)", f"{statistics.median(alone):.1f} ms", "", ""],
        [f"{lists} concurrent lists of that key, all answered", f"{concurrent:.0f} ms", "", ""],
        ["health probe during them, worst of " + str(len(probes)), f"{worst:.1f} ms", "< 50 ms",
         "yes" if worst < 50 else "NO"],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--lists", type=int, default=20)
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_viduemu(port, "--clock", "manual")
    try:
        wait_ready(f"{base}/_emulator/health", proc)
        rows = asyncio.run(run(base, args.tasks, args.lists))
    finally:
        stop(proc)
    print(f"machine: {machine()}")
    print(table(["measure", "value", "target", "met"], rows))


if __name__ == "__main__":
    main()

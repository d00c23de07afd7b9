"""Memory of finished tasks and the cost of advancing the virtual clock, through HTTP only.

    /work/venv/bin/python bench/memory_and_clock.py [--tasks 10000] [--clock-tasks 1000]

1. clock: a fresh `viduemu serve --clock manual`; create --clock-tasks tasks on one key (5 process at
   a time, the rest queue), then time `POST /_emulator/clock/advance {"seconds": 172800}` (48 h):
   every task runs created -> queueing -> processing -> success on timers. Target: well under 1 s.
2. memory: a fresh server; VmRSS (/proc/<pid>/status) at rest, after creating --tasks tasks, and
   after advancing 48 h so that all are finished (the advance is timed too). Target: < 100 MB.
   Tasks are the vendor MCP server's img2video body with the image given by URL; a data-URI image
   is kept with its task (the create answer echoes `images`), so that costs its size per task:
   the last row measures 1,000 tasks with the 256x256 PNG data URI of http_vs_prism.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import AUTH, free_port, machine, png_data_uri, start_viduemu, stop, table, vm_rss_mb, wait_ready  # noqa: E402

HOURS_48 = 48 * 3600
IMAGE_URL = "https://example.com/images/fox.png"


def body(image: str) -> dict:
    return {"model": "viduq1", "images": [image], "prompt": "a red fox runs through snow", "duration": 5,
            "seed": 0, "resolution": "1080p", "movement_amplitude": "auto", "bgm": False}


class Server:
    def __enter__(self):
        port = free_port()
        self.proc = start_viduemu(port, "--clock", "manual", "--initial-credits", "1000000000")
        self.base = f"http://127.0.0.1:{port}"
        wait_ready(self.base + "/_emulator/health", self.proc)
        self.http = httpx.Client(base_url=self.base, headers=AUTH, timeout=60)
        return self

    def __exit__(self, *exc):
        self.http.close()
        stop(self.proc)

    def rss(self) -> float:
        return vm_rss_mb(self.proc.pid)

    def create(self, n: int, image: str) -> list[str]:
        payload, ids = body(image), []
        for _ in range(n):
            r = self.http.post("/ent/v2/img2video", json=payload)
            r.raise_for_status()
            ids.append(r.json()["task_id"])
        return ids

    def advance(self, seconds: float) -> float:
        started = time.perf_counter()
        self.http.post("/_emulator/clock/advance", json={"seconds": seconds}).raise_for_status()
        return time.perf_counter() - started

    def states(self, ids: list[str]) -> dict:
        counts: dict[str, int] = {}
        for task_id in ids:
            state = self.http.get(f"/ent/v2/tasks/{task_id}/creations").json()["state"]
            counts[state] = counts.get(state, 0) + 1
        return counts


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--clock-tasks", type=int, default=1_000)
    args = parser.parse_args()
    rows, ok = [], True

    with Server() as s:
        ids = s.create(args.clock_tasks, IMAGE_URL)
        took = s.advance(HOURS_48)
        states = s.states(ids)
        done = states.get("success", 0) == len(ids)
        ok &= took < 1.0 and done
        rows.append([f"advance 48 h over {len(ids)} tasks (one key)", f"{took * 1000:.0f} ms", "< 1 s",
                     f"states after: {states}"])

    with Server() as s:
        at_rest = s.rss()
        ids = s.create(args.tasks, IMAGE_URL)
        created = s.rss()
        took = s.advance(HOURS_48)
        finished = s.rss()
        states = s.states(ids[:: max(1, len(ids) // 500)])
        ok &= finished < 100 and took < 1.0
        rows.append(["VmRSS at rest", f"{at_rest:.1f} MB", "", ""])
        rows.append([f"VmRSS after creating {len(ids)} tasks", f"{created:.1f} MB", "", ""])
        rows.append([f"advance 48 h over {len(ids)} tasks (one key)", f"{took * 1000:.0f} ms", "< 1 s",
                     f"sampled states: {states}"])
        rows.append([f"VmRSS with {len(ids)} finished tasks", f"{finished:.1f} MB", "< 100 MB",
                     f"{(finished - at_rest) * 1024 / len(ids):.1f} KB per task"])

    with Server() as s:
        image = png_data_uri(256)
        at_rest = s.rss()
        ids = s.create(1000, image)
        s.advance(HOURS_48)
        finished = s.rss()
        rows.append([f"VmRSS with 1000 finished tasks, {len(image) // 1024} KB data-URI image each",
                     f"{finished:.1f} MB", "", f"{(finished - at_rest) * 1024 / len(ids):.1f} KB per task"])

    print(f"machine: {machine()}")
    print(table(["measure", "value", "target", "notes"], rows))
    print("targets:", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

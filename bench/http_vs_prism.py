"""viduemu vs Stoplight Prism 5.14.2 mocking the same contracts/openapi.yaml, side by side, one run.

    /work/venv/bin/python bench/http_vs_prism.py [--prism /work/prism/node_modules/.bin/prism]

Starts `python -m viduemu serve` (manual clock, --log-level warning) and `prism mock` (-v warn) on
free ports, prepares a finished task, warms each server up, then runs the same wrk load
(`wrk -t1 -c16 -d6s --latency`) against both for:
  GET  /ent/v2/tasks/{id}/creations             (same path, same Authorization header)
  POST /ent/v2/reference2video, 256x256 PNG data URI, the vendor MCP server's default body
       (falls back to /ent/v2/img2video with the same PNG when reference2video is not served yet)
and prints a table (server, endpoint, req/s, p50, p99, ratio). The servers alternate over 3 rounds
(--rounds) and the median round is shown. Targets: ratio >= 2 on both, our GET p99 < 10 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import AUTH, REPO, free_port, machine, png_data_uri, run_wrk, start_viduemu, stop, table, wait_ready  # noqa: E402

DEFAULT_PRISM = os.environ.get("PRISM", "/work/prism/node_modules/.bin/prism")
LOAD = {"threads": 1, "connections": 16, "duration": "6s"}
WARMUP = {"threads": 1, "connections": 16, "duration": "2s"}


def mcp_body(kind: str, image: str) -> dict:
    """What shengshu-ai/vidu-mcp sends with its default arguments (see tests/ent/test_mcp_compat.py)."""
    if kind == "reference2video":
        return {"model": "vidu2.0", "images": [image], "prompt": "a red fox runs through snow", "duration": 4,
                "seed": 0, "aspect_ratio": "16:9", "resolution": "720p", "movement_amplitude": "auto",
                "bgm": False}
    return {"model": "viduq1", "images": [image], "prompt": "a red fox runs through snow", "duration": 5,
            "seed": 0, "resolution": "1080p", "movement_amplitude": "auto", "bgm": False}


def start_prism(prism: str, port: int) -> subprocess.Popen:
    return subprocess.Popen([prism, "mock", str(REPO / "contracts" / "openapi.yaml"), "-p", str(port),
                             "-h", "127.0.0.1", "-v", "warn"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_prism(base: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    started = time.time()
    while time.time() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"prism exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            httpx.get(base + "/ent/v2/tasks/1/creations", headers=AUTH, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError("prism did not start")


def lua_post(body_file: Path, dir_: Path) -> str:
    script = dir_ / "post.lua"
    script.write_text(f'local f = io.open("{body_file}", "rb")\nwrk.method = "POST"\n'
                      'wrk.body = f:read("*a")\nf:close()\nwrk.headers["Content-Type"] = "application/json"\n')
    return str(script)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prism", default=DEFAULT_PRISM)
    parser.add_argument("--rounds", type=int, default=3, help="alternating wrk runs per server (median shown)")
    args = parser.parse_args()

    ours_port, prism_port = free_port(), free_port()
    ours = start_viduemu(ours_port, "--clock", "manual", "--seed", "1", "--initial-credits", "1000000000")
    prism = start_prism(args.prism, prism_port)
    ours_base, prism_base = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{prism_port}"
    rows, notes = [], []
    try:
        wait_ready(ours_base + "/_emulator/health", ours)
        wait_prism(prism_base, prism)
        image = png_data_uri(256)
        with httpx.Client(base_url=ours_base, headers=AUTH, timeout=10) as c:
            # A finished task to read.
            created = c.post("/ent/v2/img2video", json=mcp_body("img2video", image))
            created.raise_for_status()
            task_id = created.json()["task_id"]
            c.post("/_emulator/clock/advance", json={"seconds": 120}).raise_for_status()
            state = c.get(f"/ent/v2/tasks/{task_id}/creations").json()["state"]
            assert state == "success", state
            kind = "reference2video"
            if c.post(f"/ent/v2/{kind}", json=mcp_body(kind, image)).status_code == 404:
                kind = "img2video"
                notes.append("POST row uses /ent/v2/img2video with the same PNG: /ent/v2/reference2video "
                             "is not served on this branch yet.")
        probe = httpx.post(f"{prism_base}/ent/v2/{kind}", json=mcp_body(kind, image), headers=AUTH)
        if probe.status_code != 200:
            notes.append(f"Prism answers POST /ent/v2/{kind} with {probe.status_code} "
                         "(the contract lacks this operation?)")

        tmp = Path(tempfile.mkdtemp(prefix="viduemu-bench-"))
        body_file = tmp / "body.json"
        body_file.write_text(json.dumps(mcp_body(kind, image)))
        post_script = lua_post(body_file, tmp)
        get_path = f"/ent/v2/tasks/{task_id}/creations"
        cases = [(f"GET {get_path.replace(task_id, '{id}')}", get_path, None),
                 (f"POST /ent/v2/{kind} ({body_file.stat().st_size // 1024} KB body)", f"/ent/v2/{kind}",
                  post_script)]
        servers = (("viduemu", ours_base), ("prism 5.14.2", prism_base))
        for label, path, script in cases:
            runs: dict[str, list[dict]] = {name: [] for name, _ in servers}
            for _, base in servers:
                run_wrk(base + path, headers=AUTH, script=script, **WARMUP)
            # Alternate the servers round by round so both meet the same background noise.
            for _ in range(args.rounds):
                for name, base in servers:
                    runs[name].append(run_wrk(base + path, headers=AUTH, script=script, **LOAD))
            median = {name: sorted(rs, key=lambda r: r["rps"])[len(rs) // 2] for name, rs in runs.items()}
            ratio = median["viduemu"]["rps"] / median["prism 5.14.2"]["rps"]
            for name, r in median.items():
                rows.append([name, label, f"{r['rps']:.0f}", f"{r['p50']:.2f} ms", f"{r['p99']:.2f} ms",
                             f"{ratio:.2f}x" if name == "viduemu" else "1.00x",
                             " ".join(f"{x['rps']:.0f}" for x in runs[name]),
                             f"{sum(x['requests'] for x in runs[name])} / {sum(x['non2xx'] for x in runs[name])}"])
            print(f"# {label}: {median['viduemu']['command']}", file=sys.stderr)
    finally:
        stop(ours)
        stop(prism)

    print(f"machine: {machine()}")
    print(f"load: wrk -t{LOAD['threads']} -c{LOAD['connections']} -d{LOAD['duration']} --latency, "
          f"{args.rounds} alternating rounds per server after a {WARMUP['duration']} warm-up; "
          "the median round is shown")
    print(table(["server", "endpoint", "req/s", "p50", "p99", "ratio", "req/s per round",
                 "requests / non-2xx"], rows))
    for note in notes:
        print("note:", note)
    ours_rows = [r for r in rows if r[0] == "viduemu"]
    ok = (all(float(r[5][:-1]) >= 2 for r in ours_rows)
          and all(float(r[4].split()[0]) < 10 for r in ours_rows if r[1].startswith("GET")))
    print("targets (issue 2: ratio >= 2x on both; GET creations p99 < 10 ms):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

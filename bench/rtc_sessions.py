"""N concurrent video sessions at 320x240@15 fps, one viewer each, for 10 s on one server.

One `viduemu serve --clock real` process per N. N video sessions (256x256 PNG data-URI avatar,
unseeded: each renders and pre-encodes its own look) are taken on_live over their signaling
WebSockets (conn_init after the warm-up; this process keeps them open and answering pings). The
viewers are plain aiortc clients (recvonly audio + video, VP8; every frame decoded) in
``--client-procs`` (2) separate processes, so their decoding is not the server's CPU. Once every
viewer has its first video frame (and 2 s more), all clients count the frames they receive over
the same ``--seconds`` (10) window while the server's utime+stime is read from /proc/<pid>/stat.
Checks: video frames per viewer >= 95 % of 15 fps x the window (audio: 50 frames/s expected), every
peer connected. Reports server CPU per stream. Target (issue 4): N = 8, stretch N = 20.

    /work/venv/bin/python bench/rtc_sessions.py [--sessions 8,20] [--seconds 10] [--client-procs 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    REPO,
    free_port,
    machine,
    png_data_uri,
    start_viduemu,
    stop,
    table,
    vm_rss_mb,
    wait_ready,
)
from rtc_common import (
    Viewer,
    cpu_seconds,
    create_session,
    drain_ws,
    fund,
    go_live,
    quiet_aiortc,
)

KEY = "vda_rtc_sessions"
FPS = 15
SHARE = 0.95


# -- a client process: viewers, counting -------------------------------------------------------------
async def client_main(base: str, seconds: float) -> None:
    quiet_aiortc()
    rtcs = json.loads(sys.stdin.readline())
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        viewers = [await Viewer().join(http, rtc) for rtc in rtcs]
        for viewer in viewers:
            assert await viewer.wait_video(1, 30), "a viewer got no video in 30 s"
        await asyncio.sleep(2.0)   # settle: connections up, first keyframes in
        print("READY", flush=True)
        line = await loop.run_in_executor(None, sys.stdin.readline)
        assert line.strip() == "GO", line
        before, t0 = [(v.video, v.audio) for v in viewers], time.perf_counter()
        await asyncio.sleep(seconds)
        after, elapsed = [(v.video, v.audio) for v in viewers], time.perf_counter() - t0
        print(json.dumps({"elapsed": elapsed, "video": [a[0] - b[0] for a, b in zip(after, before, strict=True)],
                          "audio": [a[1] - b[1] for a, b in zip(after, before, strict=True)],
                          "first_ms": [1000 * (v.first_video_at - v.answer_at) for v in viewers]}), flush=True)
        for viewer in viewers:
            await viewer.close()


# -- the benchmark ---------------------------------------------------------------------------------------
async def run(base: str, n: int, seconds: float, procs: int, server_pid: int) -> dict:
    ws_base = base.replace("http://", "ws://")
    image = png_data_uri(256)
    out: dict = {}
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        await fund(http, KEY)
        # Warm-up: one session joined in this process (aiortc imports, first encoders), then ended.
        warm = await create_session(http, KEY, image)
        ws = await go_live(ws_base, warm["live"]["id"], KEY)
        viewer = await Viewer().join(http, warm["rtc"])
        assert await viewer.wait_video(5, 10)
        await viewer.close()
        await http.post(f"/_emulator/lives/{warm['live']['id']}/hangup", json={"hangup_reason": "user_end"})
        await ws.close()
        await asyncio.sleep(1.0)
        out["rss_rest"] = vm_rss_mb(server_pid)

        created = [await create_session(http, KEY, image) for _ in range(n)]
        conns = await asyncio.gather(*(go_live(ws_base, c["live"]["id"], KEY) for c in created))
        readers = [asyncio.ensure_future(drain_ws(ws)) for ws in conns]
        cpu0, t0 = cpu_seconds(server_pid), time.perf_counter()
        await asyncio.sleep(3.0)
        out["cpu_no_viewers"] = (cpu_seconds(server_pid) - cpu0) / (time.perf_counter() - t0)

        shares = [created[i::procs] for i in range(procs)]
        clients = []
        for share in shares:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--client", base, "--seconds", str(seconds), cwd=REPO,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
            proc.stdin.write((json.dumps([c["rtc"] for c in share]) + "\n").encode())
            await proc.stdin.drain()
            clients.append(proc)
        t = time.perf_counter()
        for proc in clients:
            line = (await asyncio.wait_for(proc.stdout.readline(), 120)).decode()
            assert line.strip() == "READY", f"a client process failed: {line!r}"
        out["join_all"] = time.perf_counter() - t
        peers = (await http.get("/_emulator/rtc/peers")).json()["peers"]
        out["peers"] = {s: sum(1 for p in peers if p["state"] == s) for s in {p["state"] for p in peers}}

        client_cpu0 = [cpu_seconds(p.pid) for p in clients]
        cpu0, t0 = cpu_seconds(server_pid), time.perf_counter()
        for proc in clients:
            proc.stdin.write(b"GO\n")
        await asyncio.gather(*(p.stdin.drain() for p in clients))
        await asyncio.sleep(seconds)
        cpu1, t1 = cpu_seconds(server_pid), time.perf_counter()
        client_cpu1 = [cpu_seconds(p.pid) for p in clients]
        out["rss_live"] = vm_rss_mb(server_pid)
        reports = [json.loads(await asyncio.wait_for(p.stdout.readline(), 60)) for p in clients]
        for proc in clients:
            await asyncio.wait_for(proc.wait(), 30)
        out["cpu"] = (cpu1 - cpu0) / (t1 - t0)
        out["client_cpu"] = [(b - a) / (t1 - t0) for a, b in zip(client_cpu0, client_cpu1, strict=True)]
        out["elapsed"] = statistics.mean(r["elapsed"] for r in reports)
        out["video"] = [v for r in reports for v in r["video"]]
        out["audio"] = [a for r in reports for a in r["audio"]]
        out["expected"] = [FPS * r["elapsed"] for r in reports for _ in r["video"]]
        out["first_ms"] = [f for r in reports for f in r["first_ms"]]
        statuses = [(await http.get(f"/live/v1/lives/{c['live']['id']}",
                                    headers={"Authorization": f"Token {KEY}"})).json()["live"]["status"]
                    for c in created]
        out["on_live"] = sum(s == "on_live" for s in statuses)
        for ws in conns:
            await ws.close()
        for reader in readers:
            reader.cancel()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", default="8,20", help="comma-separated N values, one server each")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--client", help=argparse.SUPPRESS)   # base URL: run as a client process
    args = parser.parse_args()
    if args.client:
        asyncio.run(client_main(args.client, args.seconds))
        return
    quiet_aiortc()
    results = {}
    for n in [int(x) for x in args.sessions.split(",")]:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_viduemu(port, "--clock", "real")
        try:
            wait_ready(f"{base}/_emulator/health", server)
            results[n] = asyncio.run(run(base, n, args.seconds, args.client_procs, server.pid))
        finally:
            stop(server)

    print(f"machine: {machine()}")
    print(f"server: python -m viduemu serve --clock real --log-level warning (a fresh one per N); video sessions "
          f"320x240@{FPS} fps, 256x256 PNG data-URI avatar; one plain aiortc viewer per session (VP8, decoded) in "
          f"{args.client_procs} client processes; window {args.seconds:g} s")
    rows, met = [], {}
    for n, r in results.items():
        shares = [v / e for v, e in zip(r["video"], r["expected"], strict=True)]
        audio_share = min(a / (r["elapsed"] / 0.02) for a in r["audio"])
        ok = min(shares) >= SHARE and r["peers"] == {"connected": n} and r["on_live"] == n
        met[n] = ok
        rows.append([n, f"{min(r['video'])} / {statistics.median(r['video']):.0f} / {max(r['video'])}",
                     f"{FPS * r['elapsed']:.0f}", f"{100 * min(shares):.1f} %", f"{100 * audio_share:.1f} %",
                     r["peers"], f"{100 * r['cpu']:.0f} %", f"{100 * r['cpu'] / n:.1f} %",
                     f"{100 * r['cpu_no_viewers']:.0f} %",
                     " + ".join(f"{100 * c:.0f} %" for c in r["client_cpu"]),
                     f"{r['rss_rest']:.0f} / {r['rss_live']:.0f} MB",
                     f"{statistics.median(r['first_ms']):.0f} / {max(r['first_ms']):.0f}", "yes" if ok else "NO"])
    print(table(["N", "video frames/viewer min/med/max", "expected", "min share", "audio min share", "peers",
                 "server CPU", "per stream", "server CPU, N on_live, before any join", "client procs CPU",
                 "server VmRSS rest / N live", "first frame med/max ms", "met"], rows))
    print(f"targets: >= {SHARE:.0%} of expected video frames per viewer, every peer connected: "
          + ", ".join(f"N={n} {'met' if ok else 'MISSED'}" for n, ok in met.items()))


if __name__ == "__main__":
    main()

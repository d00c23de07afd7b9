"""200 join/leave cycles against one on_live video session: no leaked peers, RSS levels off.

One `viduemu serve --clock real` process, one video session (256x256 PNG data-URI avatar) taken
on_live over its signaling WebSocket. Each cycle a plain aiortc viewer (recvonly audio + video, VP8)
joins through /_emulator/rtc/sdp, receives ``--frames`` (3) decoded video frames, then leaves: even
cycles DELETE /_emulator/rtc/sdp/{peer_id} and close, odd cycles just close (the gateway must
notice the vanished peer by itself). A join answered 429 (the channel's cap of 10, reached only if
vanished peers pile up) is retried after 100 ms and counted. Every 25 cycles the server's VmRSS,
open file descriptors and threads are read from /proc, with the gateway's open peers. After the
last cycle: seconds until GET /_emulator/rtc/peers is empty, then the same readings after 5 s.
Target (issue 4): no growth in open peers; RSS levels off.

    /work/venv/bin/python bench/rtc_churn.py [--cycles 200] [--frames 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
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
    JoinRefused,
    Viewer,
    create_session,
    drain_ws,
    fund,
    go_live,
    quiet_aiortc,
)

KEY = "vda_rtc_churn"
EVERY = 25


def proc_counts(pid: int) -> tuple[int, int]:
    """(open file descriptors, threads) of a process."""
    return len(os.listdir(f"/proc/{pid}/fd")), len(os.listdir(f"/proc/{pid}/task"))


async def run(base: str, cycles: int, frames: int, pid: int) -> dict:
    ws_base = base.replace("http://", "ws://")
    out: dict = {"series": [], "refused": 0, "cycle_ms": []}
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        await fund(http, KEY)
        created = await create_session(http, KEY, png_data_uri(256))
        live_id = created["live"]["id"]
        ws = await go_live(ws_base, live_id, KEY)
        reader = asyncio.ensure_future(drain_ws(ws))

        async def peers() -> list:
            return (await http.get("/_emulator/rtc/peers")).json()["peers"]

        async def sample(cycle: int) -> None:
            fds, threads = proc_counts(pid)
            out["series"].append((cycle, vm_rss_mb(pid), fds, threads, len(await peers())))

        await sample(0)
        for cycle in range(1, cycles + 1):
            started = time.perf_counter()
            while True:
                viewer = Viewer()
                try:
                    await viewer.join(http, created["rtc"])
                    break
                except JoinRefused as refused:
                    await viewer.close()
                    assert refused.status == 429, refused
                    out["refused"] += 1
                    await asyncio.sleep(0.1)
            assert await viewer.wait_video(frames, 10), f"cycle {cycle}: {viewer.video} frames in 10 s"
            if cycle % 2 == 0:
                r = await http.delete(f"/_emulator/rtc/sdp/{viewer.peer_id}")
                assert r.status_code == 200, r.text
            await viewer.close()
            out["cycle_ms"].append(1000 * (time.perf_counter() - started))
            if cycle % EVERY == 0:
                await sample(cycle)
        t = time.perf_counter()
        while await peers() and time.perf_counter() - t < 30:
            await asyncio.sleep(0.05)
        out["drain_s"] = time.perf_counter() - t
        out["left"] = await peers()
        await asyncio.sleep(5.0)
        fds, threads = proc_counts(pid)
        out["after"] = (vm_rss_mb(pid), fds, threads, len(await peers()))
        out["status"] = (await http.get(f"/live/v1/lives/{live_id}",
                                        headers={"Authorization": f"Token {KEY}"})).json()["live"]["status"]
        await ws.close()
        reader.cancel()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--frames", type=int, default=3)
    args = parser.parse_args()
    quiet_aiortc()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_viduemu(port, "--clock", "real")
    try:
        wait_ready(f"{base}/_emulator/health", server)
        r = asyncio.run(run(base, args.cycles, args.frames, server.pid))
    finally:
        stop(server)

    series = r["series"]
    cycle_ms = sorted(r["cycle_ms"])
    print(f"machine: {machine()}")
    print(f"server: python -m viduemu serve --clock real --log-level warning; one on_live video session; "
          f"{args.cycles} cycles of join (plain aiortc viewer, VP8) / {args.frames} decoded video frames / leave "
          f"(even: DELETE + close, odd: close only); cycle time median {cycle_ms[len(cycle_ms) // 2]:.0f} ms, "
          f"max {cycle_ms[-1]:.0f} ms; joins answered 429 and retried: {r['refused']}")
    rows = [[c, f"{rss:.1f}", fds, threads, open_] for c, rss, fds, threads, open_ in series]
    rss, fds, threads, open_ = r["after"]
    rows.append([f"{args.cycles} + 5 s", f"{rss:.1f}", fds, threads, open_])
    print(table(["cycles", "server VmRSS (MB)", "open fds", "threads", "open peers"], rows))
    # "levels off": the second half of the run grows far less than the first (after the first join's
    # one-off costs: aiortc, the character's look and encodings)
    after_first = [s for s in series if s[0] >= EVERY]
    mid = next(s for s in after_first if s[0] >= args.cycles // 2)
    first_half, second_half = mid[1] - after_first[0][1], series[-1][1] - mid[1]
    no_leak = not r["left"] and open_ == 0 and r["status"] == "on_live"
    levels = second_half <= max(2.0, 0.5 * first_half)
    print(table(["measure", "value", "target", "met"], [
        ["open peers after the last cycle: empty within", f"{r['drain_s']:.2f} s", "a few seconds",
         "yes" if not r["left"] else f"NO ({len(r['left'])} left)"],
        ["open peers 5 s later", open_, "0", "yes" if open_ == 0 else "NO"],
        ["session still on_live", r["status"], "on_live", "yes" if r["status"] == "on_live" else "NO"],
        [f"VmRSS growth, cycles {after_first[0][0]}->{mid[0]} / {mid[0]}->{series[-1][0]}",
         f"{first_half:+.1f} / {second_half:+.1f} MB", "second half flat", "yes" if levels else "NO"],
    ]))
    met = no_leak and levels
    print("targets:", "met" if met else "MISSED")
    if not met:
        sys.exit(1)


if __name__ == "__main__":
    main()

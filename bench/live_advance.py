"""One `POST /_emulator/clock/advance {"seconds": 600}` over one healthy on_live S1 session.

`viduemu serve --clock manual`; a real `websockets` client (answering pings by itself) goes on_live,
then one advance of 600 s runs the whole session: 120 pings, 100 billing ticks and the
live_duration timeout. Wall time of the advance call (target < 0.5 s, median of 5 sessions); each
session must end with the client's forced hangup `timeout`, `credits_cost` 900, and no heartbeat drop.

    /work/venv/bin/python bench/live_advance.py [--runs 5]
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
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import KEY, free_port, machine, start_viduemu, stop, table, wait_ready

AUTH = {"Authorization": f"Token {KEY}"}
BODY = {"call_mode": "audio", "avatar": {"persona": "A friendly guide.", "image_uri": "https://example.com/a.png"}}


async def one_run(base: str, http: httpx.AsyncClient) -> dict:
    live_id = (await http.post("/live/v1/lives", json=BODY, headers=AUTH)).json()["live"]["id"]
    url = f"{base.replace('http://', 'ws://')}/live/ws/live/connect?live_id={live_id}"
    async with websockets.connect(url, additional_headers=AUTH, ping_interval=None, proxy=None) as ws:
        await ws.send(json.dumps({"type": 1, "live_id": live_id, "seq_id": 1, "payload": {"conn_init": {"version": 1}}}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["payload"]["conn_init_ack"]["success"] is True, ack
        t = time.perf_counter()
        r = await http.post("/_emulator/clock/advance", json={"seconds": 600})
        wall = time.perf_counter() - t
        assert r.status_code == 200, r.text
        hangup = json.loads(await asyncio.wait_for(ws.recv(), 5))
        try:
            await asyncio.wait_for(ws.recv(), 5)
        except websockets.exceptions.ConnectionClosed:
            pass
        close_code = ws.close_code
    live = (await http.get(f"/live/v1/lives/{live_id}", headers=AUTH)).json()["live"]
    journal = (await http.get(f"/_emulator/ws?live_id={live_id}")).json()["messages"]
    drops = [e for e in journal if e["dir"] == "out" and e["message"].get("close") == 4000]
    return {"wall": wall, "hangup": hangup["payload"], "close": close_code, "reason": live.get("hangup_reason"),
            "credits": live["credits_cost"], "billed": live["billed_seconds"], "drops": len(drops)}


async def run(base: str, runs: int) -> list[dict]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        await http.put(f"/_emulator/accounts/{KEY}", json={"credits": 100_000})
        await one_run(base, http)   # warm-up (first-use imports)
        return [await one_run(base, http) for _ in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_viduemu(port, "--clock", "manual")
    try:
        wait_ready(f"{base}/_emulator/health", server)
        results = asyncio.run(run(base, args.runs))
    finally:
        stop(server)

    walls = [r["wall"] for r in results]
    median = statistics.median(walls)
    ended_right = all(r["hangup"] == {"hangup": {"hangup_reason": "timeout"}} and r["reason"] == "timeout"
                      and r["credits"] == 900 and r["billed"] == 600 and r["drops"] == 0 and r["close"] == 1000
                      for r in results)
    print(f"machine: {machine()}")
    print("server: python -m viduemu serve --clock manual --log-level warning; one `websockets` client on_live")
    print(table(["measure", "runs", "median", "target", "met"], [
        ["wall time of one advance of 600 s", " ".join(f"{w * 1000:.0f}" for w in walls) + " ms",
         f"{median * 1000:.0f} ms", "< 500 ms", "yes" if median < 0.5 else "NO"],
        ["session end: forced hangup / hangup_reason / close",
         " ".join(sorted({f"{r['hangup']['hangup']['hangup_reason']}/{r['reason']}/{r['close']}" for r in results})),
         "", "timeout/timeout/1000", "yes" if ended_right else "NO"],
        ["credits_cost / billed_seconds", " ".join(sorted({f"{r['credits']}/{r['billed']}" for r in results})), "",
         "900/600", "yes" if ended_right else "NO"],
        ["heartbeat drops (close 4000)", sum(r["drops"] for r in results), "", "0", "yes" if ended_right else "NO"],
    ]))
    met = median < 0.5 and ended_right
    print("targets:", "met" if met else "MISSED")
    if not met:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""500 concurrent on_live S1 sessions on one `viduemu serve --clock real` process for 60 s.

Each session (audio mode) has its own real WebSocket client (the `websockets` library, which
answers pings by itself; the clients never ping the server, so only the server's heartbeats keep
them alive). The clients run in separate processes (``--client``), 250 connections each, so they
keep up without sharing the server's CPU budget in one loop. Over the hold the server pings every
5 s and deducts credits every 6 s. Checks: no session dropped for a missed heartbeat (every session
still on_live, no close 4000 in the `/_emulator/ws` journal, no client saw a close) and every client
saw its pings. Reports server CPU (utime+stime from /proc/<pid>/stat over the hold) and VmRSS per
idle on_live session (with all of them on_live, minus at rest, / N; target < 100 KB).

    /work/venv/bin/python bench/live_sessions.py [--sessions 500] [--hold 60] [--client-procs 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    REPO,
    free_port,
    machine,
    start_viduemu,
    stop,
    table,
    vm_rss_mb,
    wait_ready,
)

AVATAR = {"persona": "A friendly guide.", "image_uri": "https://example.com/avatar.png"}
PER_KEY = 50                 # sessions per API key
CREDITS = 1_000_000          # per key: 50 sessions x 1.5 credits/s x (hold + set-up) fits many times over


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")   # utime + stime


# -- the client process --------------------------------------------------------------------------
async def client_main(base: str, sessions: list[tuple[str, str]], hold: float) -> None:
    import websockets
    from websockets.asyncio.client import ClientConnection
    from websockets.frames import Opcode

    class Counting(ClientConnection):
        pings = 0

        def process_event(self, event) -> None:
            if getattr(event, "opcode", None) is Opcode.PING:
                self.pings += 1
            super().process_event(event)

    async def one(live_id: str, key: str):
        ws = await websockets.connect(f"{base}/live/ws/live/connect?live_id={live_id}", proxy=None,
                                      additional_headers={"Authorization": f"Token {key}"}, ping_interval=None,
                                      open_timeout=60, create_connection=Counting, compression=None)
        await ws.send(json.dumps({"type": 1, "live_id": live_id, "seq_id": 1, "payload": {"conn_init": {"version": 1}}}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 60))
        assert ack["payload"]["conn_init_ack"]["success"] is True, ack
        return ws

    sem = asyncio.Semaphore(50)

    async def limited(live_id, key):
        async with sem:
            return await one(live_id, key)

    conns = await asyncio.gather(*(limited(i, k) for i, k in sessions))
    print("READY", flush=True)

    async def watch(ws):   # read (nothing is expected) so that a close is seen at once
        try:
            async for _ in ws:
                pass
        except websockets.exceptions.ConnectionClosed:
            pass
        return ws.close_code

    watchers = [asyncio.create_task(watch(ws)) for ws in conns]
    await asyncio.sleep(hold)
    closed = {i: t.result() for (i, _), t in zip(sessions, watchers, strict=True) if t.done()}
    print(json.dumps({"pings": [ws.pings for ws in conns], "closed": closed}), flush=True)
    for ws in conns:
        await ws.close()


# -- the benchmark -------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--hold", type=float, default=60.0)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--client", help=argparse.SUPPRESS)   # base URL: run as a client process
    args = parser.parse_args()
    if args.client:
        sessions = [tuple(line.split()) for line in sys.stdin.read().splitlines() if line.strip()]
        asyncio.run(client_main(args.client, sessions, args.hold))
        return

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_viduemu(port, "--clock", "real")
    clients: list[subprocess.Popen] = []
    try:
        wait_ready(f"{base}/_emulator/health", server)
        http = httpx.Client(base_url=base, timeout=30)
        keys = [f"vda_live_bench_{i}" for i in range((args.sessions + PER_KEY - 1) // PER_KEY)]
        for key in keys + ["vda_live_warmup"]:
            assert http.put(f"/_emulator/accounts/{key}", json={"credits": CREDITS}).status_code == 200

        # Warm-up: one session through create, connect, conn_init, hangup (first-use imports and caches).
        warm = _create(http, "vda_live_warmup")
        _run_clients(base, [(warm, "vda_live_warmup")], hold=0.5)
        assert http.post(f"/_emulator/lives/{warm}/hangup", json={"hangup_reason": "user_end"}).status_code == 200
        time.sleep(1.0)
        rss_rest = vm_rss_mb(server.pid)

        t = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            sessions = list(pool.map(lambda i: (_create(http, keys[i // PER_KEY]), keys[i // PER_KEY]),
                                     range(args.sessions)))
        create_s = time.perf_counter() - t

        t = time.perf_counter()
        shares = [sessions[i::args.client_procs] for i in range(args.client_procs)]
        clients = [_spawn_client(base, share, args.hold + 5) for share in shares]
        for c in clients:
            line = c.stdout.readline()
            assert line.strip() == "READY", (line, c.stderr.read() if c.poll() is not None else "")
        connect_s = time.perf_counter() - t

        statuses = _statuses(http, sessions)
        assert statuses == {"on_live": args.sessions}, statuses
        rss_live_start = vm_rss_mb(server.pid)
        cpu0, t0 = cpu_seconds(server.pid), time.perf_counter()
        time.sleep(args.hold)
        cpu1, t1 = cpu_seconds(server.pid), time.perf_counter()
        rss_live_end = vm_rss_mb(server.pid)
        statuses = _statuses(http, sessions)
        journal = http.get("/_emulator/ws").json()["messages"]
        drops = [e for e in journal if e["dir"] == "out" and e["message"].get("close") == 4000]

        reports = [json.loads(c.stdout.readline()) for c in clients]
        for c in clients:
            c.wait(30)
        pings = [p for r in reports for p in r["pings"]]
        client_closes = {k: v for r in reports for k, v in r["closed"].items()}
        ledger_total = sum(-e["delta"] for key in keys for e in http.get(f"/_emulator/accounts/{key}").json()["ledger"]
                           if e["delta"] < 0)
    finally:
        for c in clients:
            if c.poll() is None:
                c.kill()
        stop(server)

    n, hold = args.sessions, t1 - t0
    per_session_kb = (rss_live_end - rss_rest) * 1024 / n
    ok_drop = statuses == {"on_live": n} and not drops and not client_closes
    ok_pings = min(pings) >= int(hold // 5)
    print(f"machine: {machine()}")
    print(f"server: python -m viduemu serve --clock real --log-level warning (pid {server.pid}); "
          f"clients: {args.client_procs} processes of asyncio `websockets` clients answering pings, never pinging")
    print(table(["measure", "value", "target", "met"], [
        ["sessions (audio, on_live, one WebSocket each)", n, "", ""],
        [f"create {n} sessions over HTTP (8 threads)", f"{create_s:.2f} s", "", ""],
        ["connect + conn_init all (client processes up to all acks)", f"{connect_s:.2f} s", "", ""],
        ["hold (real time, server pings every 5 s)", f"{hold:.1f} s", "60 s", ""],
        ["sessions still on_live after the hold", statuses, f"{{'on_live': {n}}}", "yes" if statuses == {"on_live": n} else "NO"],
        ["heartbeat drops (close 4000 in /_emulator/ws)", len(drops), "0", "yes" if not drops else "NO"],
        ["connections closed under a client", len(client_closes), "0", "yes" if not client_closes else "NO"],
        ["pings received per client (min / max)", f"{min(pings)} / {max(pings)}", f">= {int(hold // 5)}",
         "yes" if ok_pings else "NO"],
        ["credits deducted (all keys, incl. the hold)", ledger_total, "", ""],
        ["server CPU over the hold (utime+stime)", f"{cpu1 - cpu0:.2f} s = {100 * (cpu1 - cpu0) / hold:.1f} % of a core",
         "", ""],
        ["server VmRSS at rest (after one warm-up session)", f"{rss_rest:.1f} MB", "", ""],
        [f"server VmRSS, {n} on_live: start / end of the hold", f"{rss_live_start:.1f} / {rss_live_end:.1f} MB", "", ""],
        ["VmRSS per idle on_live session ((end - rest) / N)", f"{per_session_kb:.1f} KB", "< 100 KB",
         "yes" if per_session_kb < 100 else "NO"],
    ]))
    met = ok_drop and ok_pings and per_session_kb < 100
    print("targets:", "met" if met else "MISSED")
    if not met:
        sys.exit(1)


def _create(http: httpx.Client, key: str) -> str:
    r = http.post("/live/v1/lives", json={"call_mode": "audio", "avatar": AVATAR},
                  headers={"Authorization": f"Token {key}"})
    assert r.status_code == 200, r.text
    return r.json()["live"]["id"]


def _spawn_client(base: str, sessions: list, hold: float) -> subprocess.Popen:
    ws_base = base.replace("http://", "ws://")
    proc = subprocess.Popen([sys.executable, __file__, "--client", ws_base, "--hold", str(hold)],
                            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write("".join(f"{i} {k}\n" for i, k in sessions))
    proc.stdin.close()
    return proc


def _run_clients(base: str, sessions: list, hold: float) -> None:
    proc = _spawn_client(base, sessions, hold)
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.wait(60)
    assert proc.returncode == 0 and "READY" in out, err


def _statuses(http: httpx.Client, sessions: list) -> dict:
    counts: dict[str, int] = {}
    for live_id, key in sessions:
        status = http.get(f"/live/v1/lives/{live_id}", headers={"Authorization": f"Token {key}"}).json()["live"]["status"]
        counts[status] = counts.get(status, 0) + 1
    return counts


if __name__ == "__main__":
    main()

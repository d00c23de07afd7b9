"""Soak: N minutes of mixed load on one `viduemu serve --clock speed --speed 10` process (issue 7 §5).

The load, all in this process's event loop, each part paced on the wall clock:
- HTTP tasks: `POST /ent/v2/img2video` with a `callback_url` (``--create-rate`` per second over 10
  keys), each task polled with `GET /ent/v2/tasks/{id}/creations` every second until it ends; every
  task must end `success`, and its receiver must get its `processing` and `success` callbacks.
- Live sessions: ``--lives`` (50) sessions cycling: `POST /live/v1/lives` (audio), WebSocket connect,
  `conn_init`, held 20..50 s (``--hold``) while the server's heartbeat pings are answered, then the client's
  `hangup` (user_end); the session must then read `user_end` with credits for the time it ran; repeat.
- Callbacks: a small HTTP receiver here (asyncio streams) answers 200 and records each body.

An error is any non-2xx answer, transport error, failed conn_init, unexpected close, task not
`success`, missing callback, or `Traceback` / `ERROR` in the server's output. Every ``--sample``
seconds (60 by default: every minute) the server's VmRSS is read. Bounds: 0 errors; after the
warm-up (``--warmup``, 5 of 30 minutes by default) VmRSS never exceeds its value at the end of the
warm-up by 10 % or more. Prints a table per sample, p50/p99/max latency per operation, the bounds;
exits 1 when a bound fails.

    /work/venv/bin/python bench/soak.py                       # 30 minutes
    /work/venv/bin/python bench/soak.py --minutes 3           # warm-up and sampling scale with it
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import free_port, machine, start_viduemu, stop, table, vm_rss_mb, wait_ready  # noqa: E402

KEYS = [f"vda_soak{i}" for i in range(10)]
TASK = {"model": "viduq1", "images": ["https://example.com/a.png"], "prompt": "soak", "duration": 5}
AVATAR = {"persona": "A friendly guide.", "image_uri": "https://example.com/avatar.png"}
CREDITS = 1_000_000_000
RSS_BOUND = 0.10
# Real seconds a session is held: at x10, calls of 3.3 to 8.3 minutes (the S1 maximum is 10).
HOLD = (20.0, 50.0)


def auth(key: str) -> dict:
    return {"Authorization": f"Token {key}"}


class Soak:
    def __init__(self, base: str, receiver_url: str, end_at: float, create_rate: float, lives: int,
                 hold: tuple[float, float]):
        self.base, self.receiver_url, self.end_at = base, receiver_url, end_at
        self.create_rate, self.lives, self.hold = create_rate, lives, hold
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.counts: dict[str, int] = defaultdict(int)
        self.callbacks: dict[str, set[str]] = defaultdict(set)   # task id -> states called back
        self.finished: dict[str, float] = {}                     # task id -> when its poll saw success
        self.pending: set[asyncio.Task] = set()
        self.http = httpx.AsyncClient(base_url=base, timeout=10, limits=httpx.Limits(max_connections=100))

    def error(self, what: str) -> None:
        self.errors.append(f"{time.strftime('%H:%M:%S')} {what}")

    async def call(self, op: str, method: str, path: str, **kw) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            r = await self.http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            self.error(f"{op}: {type(exc).__name__} {exc}")
            return None
        self.latency[op].append(time.perf_counter() - started)
        self.counts[op] += 1
        if r.status_code // 100 != 2:
            self.error(f"{op}: {r.status_code} {r.text[:200]}")
            return None
        return r

    # -- tasks ------------------------------------------------------------------------------------
    async def creator(self) -> None:
        i = 0
        while time.monotonic() < self.end_at:
            key = KEYS[i % len(KEYS)]
            i += 1
            body = {**TASK, "callback_url": f"{self.receiver_url}/cb/{key}"}
            r = await self.call("POST img2video", "POST", "/ent/v2/img2video", json=body, headers=auth(key))
            if r is not None:
                task = asyncio.get_running_loop().create_task(self.follow(key, r.json()["task_id"]))
                self.pending.add(task)
                task.add_done_callback(self.pending.discard)
            await asyncio.sleep(1 / self.create_rate)

    async def follow(self, key: str, task_id: str) -> None:
        """Poll every second until the task ends (31 virtual s = 3.1 s at speed 10); it must succeed."""
        for _ in range(60):
            await asyncio.sleep(1)
            r = await self.call("GET creations", "GET", f"/ent/v2/tasks/{task_id}/creations", headers=auth(key))
            if r is None:
                return
            state = r.json()["state"]
            if state == "success":
                self.finished[task_id] = time.monotonic()
                return
            if state == "failed":
                self.error(f"task {task_id} failed: {r.json()['err_code']}")
                return
        self.error(f"task {task_id} not finished after 60 s")

    # -- live sessions ------------------------------------------------------------------------------
    async def cycler(self, n: int) -> None:
        rng = random.Random(n)
        key = KEYS[n % len(KEYS)]
        ws_base = self.base.replace("http", "ws", 1)
        while time.monotonic() < self.end_at:
            r = await self.call("POST lives", "POST", "/live/v1/lives", headers=auth(key),
                                json={"call_mode": "audio", "avatar": AVATAR})
            if r is None:
                await asyncio.sleep(1)
                continue
            live_id = r.json()["live"]["id"]
            try:
                await self.session(key, live_id, ws_base, rng.uniform(*self.hold))
            except (OSError, asyncio.TimeoutError, websockets.WebSocketException) as exc:
                self.error(f"live {live_id}: {type(exc).__name__} {exc}")
                continue
            r = await self.call("GET live", "GET", f"/live/v1/lives/{live_id}", headers=auth(key))
            if r is not None:
                live = r.json()["live"]
                if live["hangup_reason"] != "user_end" or live["credits_cost"] <= 0:
                    self.error(f"live {live_id} after hangup: {live['status']} {live.get('hangup_reason')} "
                               f"{live['credits_cost']} credits")

    async def session(self, key: str, live_id: str, ws_base: str, hold: float) -> None:
        started = time.perf_counter()
        async with websockets.connect(f"{ws_base}/live/ws/live/connect?live_id={live_id}",
                                      additional_headers=auth(key), ping_interval=None, open_timeout=10,
                                      close_timeout=5) as ws:
            await ws.send(json.dumps({"type": 1, "live_id": live_id, "seq_id": 1,
                                      "payload": {"conn_init": {"version": 1}}}))
            ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
            self.latency["WS connect + conn_init"].append(time.perf_counter() - started)
            self.counts["WS connect + conn_init"] += 1
            if not ack["payload"]["conn_init_ack"]["success"]:
                self.error(f"live {live_id}: conn_init {ack['payload']}")
                return
            try:  # on_live: nothing to read, the library answers the server's heartbeat pings
                message = await asyncio.wait_for(ws.recv(), hold)
                self.error(f"live {live_id}: unexpected message while on_live: {message[:200]}")
                return
            except asyncio.TimeoutError:
                pass
            started = time.perf_counter()
            await ws.send(json.dumps({"type": 5, "live_id": live_id, "seq_id": 2,
                                      "payload": {"hangup": {"hangup_reason": "user_end"}}}))
            try:
                await asyncio.wait_for(ws.recv(), 10)
                self.error(f"live {live_id}: a message after hangup")
            except websockets.ConnectionClosed as closed:
                if closed.rcvd is None or closed.rcvd.code != 1000:
                    self.error(f"live {live_id}: closed {closed.rcvd} after hangup")
            self.latency["WS hangup -> close"].append(time.perf_counter() - started)
            self.counts["WS hangup -> close"] += 1

    # -- callbacks ----------------------------------------------------------------------------------
    async def receive(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                body = json.loads(await reader.readexactly(length)) if length else {}
                self.callbacks[str(body.get("id"))].add(body.get("state"))
                self.counts["callback received"] += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    def check_callbacks(self, settled_before: float) -> None:
        """Every task that ended before ``settled_before`` got its processing and success callbacks."""
        for task_id, at in self.finished.items():
            if at < settled_before and not {"processing", "success"} <= self.callbacks.get(task_id, set()):
                self.error(f"task {task_id}: callbacks {sorted(self.callbacks.get(task_id, ()))}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def server_errors(proc) -> list[str]:
    return [line for line in proc.output if "Traceback" in line or line.startswith(("ERROR", "CRITICAL"))]


async def soak(minutes: float, warmup: float, sample: float, create_rate: float, lives: int, speed: float,
               hold: tuple[float, float] = HOLD, out=print) -> dict:
    port = free_port()
    proc = start_viduemu(port, "--clock", "speed", "--speed", str(speed), "--initial-credits", str(CREDITS))
    proc.output = []
    loop = asyncio.get_running_loop()
    reader = loop.run_in_executor(None, lambda: proc.output.extend(
        line.decode(errors="replace") for line in proc.stderr))
    base = f"http://127.0.0.1:{port}"
    try:
        await loop.run_in_executor(None, wait_ready, base + "/_emulator/health", proc)
        started = time.monotonic()
        run = Soak(base, "", started + minutes * 60, create_rate, lives, hold)
        receiver = await asyncio.start_server(run.receive, "127.0.0.1", 0)
        run.receiver_url = f"http://127.0.0.1:{receiver.sockets[0].getsockname()[1]}"
        workers = [loop.create_task(run.creator())] + [loop.create_task(run.cycler(n)) for n in range(lives)]
        samples = []
        out(f"machine: {machine()}")
        out(f"server: python -m viduemu serve --clock speed --speed {speed:g} (pid {proc.pid}); load: "
            f"{create_rate:g} img2video/s with callbacks, each polled every 1 s; {lives} live sessions cycling "
            f"(create, WebSocket, conn_init, hold {hold[0]:g}-{hold[1]:g} s answering pings, user_end); {minutes:g} min, "
            f"warm-up {warmup:g} min, VmRSS every {sample:g} s")
        next_sample = started
        while True:
            now = time.monotonic()
            if now >= next_sample:
                samples.append({"t": now - started, "rss": vm_rss_mb(proc.pid), "errors": len(run.errors),
                                **{op: n for op, n in run.counts.items()}})
                print(f"  {samples[-1]['t'] / 60:5.2f} min: VmRSS {samples[-1]['rss']:.1f} MB, "
                      f"{len(run.errors)} errors", file=sys.stderr, flush=True)   # progress, not the report
                next_sample += sample
            if now >= run.end_at or proc.poll() is not None:
                break
            await asyncio.sleep(min(1.0, max(0.0, next_sample - time.monotonic())))
        await asyncio.gather(*workers)
        if run.pending:
            await asyncio.wait(run.pending, timeout=70)
        await asyncio.sleep(3)  # the last callbacks (3.1 s of processing at speed 10, then delivery)
        run.check_callbacks(time.monotonic() - 2)
        samples.append({"t": time.monotonic() - started, "rss": vm_rss_mb(proc.pid), "errors": len(run.errors),
                        **run.counts})
        receiver.close()
        await run.http.aclose()
    finally:
        stop(proc)
        await asyncio.wait_for(reader, 10)
    for line in server_errors(proc):
        run.error(f"server: {line.strip()}")
    return report(run, samples, minutes, warmup, out)


def report(run: Soak, samples: list[dict], minutes: float, warmup: float, out) -> dict:
    ops = list(run.latency)
    rows, previous = [], {}
    for s in samples:
        rows.append([f"{s['t'] / 60:5.2f}", f"{s['rss']:.1f}", s["errors"],
                     *[s.get(op, 0) - previous.get(op, 0) for op in ops + ["callback received"]]])
        previous = s
    out(table(["minute", "server VmRSS (MB)", "errors so far", *[f"{op} (n)" for op in ops], "callbacks (n)"], rows))
    out(table(["operation", "count", "p50 (ms)", "p99 (ms)", "max (ms)"],
              [[op, len(v), f"{percentile(v, .5) * 1000:.1f}", f"{percentile(v, .99) * 1000:.1f}",
                f"{max(v) * 1000:.1f}"] for op, v in run.latency.items()]))
    base = next((s for s in samples if s["t"] >= warmup * 60 - 1), samples[-1])
    later = [s["rss"] for s in samples if s["t"] > base["t"]] or [base["rss"]]
    growth = max(later) / base["rss"] - 1
    rss_ok, errors_ok = growth < RSS_BOUND, not run.errors
    for line in run.errors[:20]:
        out(f"error: {line}")
    out(table(["bound", "value", "target", "met"], [
        ["errors", len(run.errors), 0, "yes" if errors_ok else "NO"],
        [f"VmRSS growth after the warm-up (max after / at {base['t'] / 60:.2f} min)",
         f"{growth * 100:+.1f} % ({max(later):.1f} / {base['rss']:.1f} MB)", f"< {RSS_BOUND * 100:.0f} %",
         "yes" if rss_ok else "NO"]]))
    return {"errors": run.errors, "growth": growth, "samples": samples, "ok": rss_ok and errors_ok,
            "latency": {op: (percentile(v, .5), percentile(v, .99)) for op, v in run.latency.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--warmup", type=float, help="minutes before the RSS baseline (default minutes / 6)")
    parser.add_argument("--sample", type=float, help="seconds between VmRSS samples (default minutes x 2)")
    parser.add_argument("--create-rate", type=float, default=2.0, help="img2video creates per second")
    parser.add_argument("--lives", type=int, default=50)
    parser.add_argument("--speed", type=float, default=10)
    parser.add_argument("--hold", type=float, nargs=2, default=HOLD, metavar=("MIN", "MAX"),
                        help=f"real seconds a session is held on_live (default {HOLD[0]:g} {HOLD[1]:g})")
    args = parser.parse_args()
    warmup = args.warmup if args.warmup is not None else args.minutes / 6
    sample = args.sample if args.sample is not None else args.minutes * 2
    result = asyncio.run(soak(args.minutes, warmup, sample, args.create_rate, args.lives, args.speed,
                              tuple(args.hold)))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()

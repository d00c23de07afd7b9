"""Shared helpers of the benchmarks: start `viduemu serve`, wait for it, run wrk, read RSS, print tables.

Only the standard library and httpx (a dependency of viduemu); run with the project's Python.
"""

from __future__ import annotations

import base64
import io
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
KEY = "vda_bench"
AUTH = {"Authorization": f"Token {KEY}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_viduemu(port: int, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "viduemu", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", *extra],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 60.0, interval: float = 0.005) -> float:
    """Seconds from now until ``url`` first answers 200 (the caller starts timing at spawn)."""
    started = time.perf_counter()
    with httpx.Client(timeout=1.0) as client:
        while time.perf_counter() - started < timeout:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise RuntimeError(f"server exited with {proc.returncode}: {err[-2000:]}")
            try:
                if client.get(url).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            time.sleep(interval)
    raise TimeoutError(f"{url} not ready after {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def vm_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def png_data_uri(size: int = 256) -> str:
    """A deterministic size x size PNG (gradient and shapes, not a flat colour) as a data URI."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (size, size))
    img.putdata([(x, y, (x * y) % 256) for y in range(size) for x in range(size)])
    draw = ImageDraw.Draw(img)
    draw.ellipse((size // 4, size // 4, 3 * size // 4, 3 * size // 4), outline=(255, 255, 255), width=6)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


# -- wrk ---------------------------------------------------------------------
_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    num, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(num) * _UNIT[unit]


def run_wrk(url: str, *, headers: dict, script: str | None = None, threads: int = 1, connections: int = 16,
            duration: str = "6s") -> dict:
    """Run wrk with --latency; returns req/s, p50/p99 in ms, request and non-2xx counts."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", "--latency"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    dist = dict(re.findall(r"^\s+(\d+)%\s+(\S+)$", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)$", out, re.M)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": _ms(dist["50"]), "p99": _ms(dist["99"]),
            "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(1) if errors else "", "command": " ".join(cmd + [url])}


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal:")))
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return (f"nproc {os.cpu_count()}, {cpu}, {mem_kb / 1024 / 1024:.1f} GiB RAM, "
            f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}, load average {load}")


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
    return "\n".join([line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
                     + [line(r) for r in cells[1:]])

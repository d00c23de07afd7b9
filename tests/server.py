"""Start ``python -m viduemu serve ...`` as a real subprocess on a free port, for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.receiver import free_port

ROOT = Path(__file__).resolve().parent.parent


class Server:
    def __init__(self, *args: str, port: int | None = None, env: dict | None = None, scheme: str = "http",
                 verify=True):
        self.port = port or free_port()
        self.args = ["--port", str(self.port), *args] if "--port" not in args else list(args)
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **(env or {})}
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.verify = verify
        self.proc: subprocess.Popen | None = None
        self.ready_after: float | None = None

    def start(self, timeout: float = 15.0) -> "Server":
        started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "viduemu", "serve", *self.args], cwd=ROOT,
                                     env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}: {self.proc.stdout.read()}")
            try:
                if httpx.get(self.url + "/_emulator/health", timeout=1, verify=self.verify,
                             headers=self.health_headers).status_code == 200:
                    self.ready_after = time.perf_counter() - started
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.01)
        self.stop()
        raise AssertionError("server did not become ready")

    health_headers: dict = {}

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing."""
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> str:
        """Terminate gracefully; the server's output."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.stdout.read()

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.stop()

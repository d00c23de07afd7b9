"""``ServeProcess``: ``python -m viduemu serve ...`` as a real subprocess on a free port.

Only for the tests whose subject is the process itself: command-line flags and the startup banner
(tests/test_cli.py), kill -9 (tests/test_crash_safety.py, tests/test_snapshot_cli.py), the process's
resident memory (tests/core/test_upload_memory.py). Every other test that needs a real server uses
the in-process harness of tests/support/server.py (``BackgroundEmulator``)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.support.receiver import free_port

ROOT = Path(__file__).resolve().parents[2]


class ServeProcess:
    """``verify`` is what httpx should trust for https (None: not known yet, keep waiting)."""

    def __init__(self, *args: str, port: int | None = None, env: dict | None = None, scheme: str = "http",
                 verify=True, headers: dict | None = None):
        self.port = port or free_port()
        self.args = ["--port", str(self.port), *args]
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **(env or {})}
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.verify, self.headers = verify, headers or {}
        self.proc: subprocess.Popen | None = None
        self.output: list[str] = []
        self.ready_after: float | None = None

    def spawn(self) -> "ServeProcess":
        self._started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "viduemu", "serve", *self.args], cwd=ROOT,
                                     env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=lambda: self.output.extend(self.proc.stdout), daemon=True)
        self._reader.start()
        return self

    def wait_ready(self, timeout: float = 15.0) -> "ServeProcess":
        """Poll /_emulator/health until it answers 200; ``ready_after`` = seconds since spawn."""
        deadline = self._started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                self._reader.join(2)
                raise AssertionError(f"server exited {self.proc.returncode}: {''.join(self.output)}")
            if self.verify is not None:
                try:
                    r = httpx.get(self.url + "/_emulator/health", timeout=1, verify=self.verify, headers=self.headers)
                    if r.status_code == 200:
                        self.ready_after = time.perf_counter() - self._started
                        return self
                except httpx.HTTPError:
                    pass
            time.sleep(0.01)
        self.stop()
        raise AssertionError(f"server did not become ready: {''.join(self.output)}")

    def start(self, timeout: float = 15.0) -> "ServeProcess":
        return self.spawn().wait_ready(timeout)

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
        self._reader.join(5)
        return "".join(self.output)

    def __enter__(self) -> "ServeProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.stop()

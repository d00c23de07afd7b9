"""``viduemu exec [serve flags] -- CMD ARGS...``: CMD against a fresh emulator, the way ``firebase emulators:exec`` runs.

The emulator serves in this process (``BackgroundEmulator``: a free 127.0.0.1 port, no window for another
process to take it); CMD is a child process with the emulator's address and a fresh funded key in its
environment. CMD's exit code is ours; a signal that ends us is handed to CMD first.
"""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import subprocess
import sys
from collections.abc import Sequence
from types import FrameType

import httpx

from viduemu.background import BackgroundEmulator
from viduemu.config import Settings
from viduemu.core import logs
from viduemu.core.store import StateFileError

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def run(settings: Settings, cmd: Sequence[str]) -> int:
    """Run ``cmd`` against a fresh emulator; its exit code (127: not found, 126: not runnable, 128+N: signal N)."""
    logs.configure(settings.log_level, settings.log_format)
    if settings.tls and not settings.tls_cert:
        from viduemu.core.tls import ensure_certificate

        settings.tls_cert, settings.tls_key = ensure_certificate(settings.state)
    try:
        emulator = BackgroundEmulator(settings).start()
    except StateFileError as exc:
        raise SystemExit(f"viduemu exec: {exc}") from None
    try:
        environ = {**os.environ, **command_environment(emulator)}
        print(f"viduemu exec: emulator on {emulator.base_url}, running {shlex.join(cmd)}", file=sys.stderr, flush=True)
        try:
            child = subprocess.Popen(list(cmd), env=environ)
        except FileNotFoundError:
            print(f"viduemu exec: {cmd[0]}: command not found", file=sys.stderr)
            return 127
        except PermissionError:
            print(f"viduemu exec: {cmd[0]}: permission denied (not executable)", file=sys.stderr)
            return 126
        return wait_forwarding_signals(child)
    finally:
        emulator.stop()


def command_environment(emulator: BackgroundEmulator) -> dict[str, str]:
    """The variables CMD sees: the vendor's clients and MCP server read VIDU_*, our tools VIDUEMU_URL."""
    key = f"vda_exec{secrets.token_hex(12)}"
    settings = emulator.settings
    headers = {"Authorization": f"Bearer {settings.admin_token}"} if settings.admin_token else {}
    httpx.put(f"{emulator.base_url}/_emulator/accounts/{key}", json={"credits": settings.initial_credits},
              headers=headers, verify=False, timeout=10).raise_for_status()  # our own self-signed certificate
    return {"VIDU_BASE_URL": emulator.base_url, "VIDU_API_HOST": emulator.base_url, "VIDU_API_KEY": key,
            "VIDUEMU_URL": emulator.base_url}


def wait_forwarding_signals(child: subprocess.Popen) -> int:
    """Wait for ``child``; SIGINT/SIGTERM/SIGHUP sent to us go to it, and it decides when to end."""
    def forward(signum: int, frame: FrameType | None) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code  # killed by signal N: 128+N, as a shell reports it

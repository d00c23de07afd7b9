"""``CallbackReceiver``: the ``vidu_callback_receiver`` fixture, a real HTTP receiver on 127.0.0.1 that
verifies the signature of every callback it is sent and lets a test wait for a task's callbacks.

On the emulator, ``wait`` advances the manual clock until the callback arrives (instant); on the live
target it waits, up to ``timeout`` real seconds.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from viduemu.client.signature import verify_callback_signature

STEP = 5.0          # virtual seconds the emulator's clock moves per look (a task's callbacks come in tens of them)
SETTLE = 0.05       # real seconds the emulator has to deliver what an advance made due


@dataclass
class Callback:
    path: str
    headers: dict[str, str]
    body: Any
    signed: bool     # the signature verified under the test's key

    @property
    def task_id(self) -> str | None:
        body = self.body if isinstance(self.body, dict) else {}
        return body.get("id") or body.get("task_id")

    @property
    def state(self) -> str | None:
        return self.body.get("state") if isinstance(self.body, dict) else None


class CallbackReceiver:
    """Records every POST; ``url`` is what to give as ``callback_url``."""

    def __init__(self, api_key: str, advance: Callable[[float], Any] | None = None):
        self.api_key, self._advance = api_key, advance
        self.callbacks: list[Callback] = []
        self._arrived = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = dict(self.headers.items())
                signed = verify_callback_signature("POST", f"{outer.origin}{self.path}", headers, outer.api_key)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with outer._arrived:
                    outer.callbacks.append(Callback(self.path, headers, body, signed))
                    outer._arrived.notify_all()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.url = f"{self.origin}/callbacks"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def of(self, task_id: str) -> list[Callback]:
        """The callbacks received for ``task_id``, in order of arrival."""
        with self._arrived:
            return [c for c in self.callbacks if c.task_id == task_id]

    def wait(self, task_id: str, state: str = "success", timeout: float = 600.0) -> dict[str, Any]:
        """The body of ``task_id``'s callback carrying ``state``, once it has arrived (its signature
        verified). ``timeout``: virtual seconds on the emulator, real ones on the live target."""
        deadline = time.monotonic() + timeout
        waited = 0.0
        while True:
            found = self._find(task_id, state)
            if found is not None:
                return found
            if self._advance is not None:
                if waited >= timeout:
                    break
                self._advance(STEP)
                waited += STEP
                with self._arrived:
                    self._arrived.wait(SETTLE)
            else:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                with self._arrived:
                    self._arrived.wait(min(left, 1.0))
        seen = [c.state for c in self.of(task_id)]
        raise AssertionError(f"no {state!r} callback for task {task_id} within {timeout:g} s "
                             f"(received for it: {seen or 'none'})")

    def _find(self, task_id: str, state: str) -> dict[str, Any] | None:
        for callback in self.of(task_id):
            if not callback.signed:
                raise AssertionError(f"a callback for task {task_id} ({callback.state}) does not carry a valid "
                                     "signature under the test's key")
            if callback.state == state:
                return dict(callback.body)
        return None

    def unsigned(self) -> list[Callback]:
        with self._arrived:
            return [c for c in self.callbacks if not c.signed]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

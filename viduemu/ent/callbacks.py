"""Callbacks: on ``processing``, ``success`` and ``failed``, POST the task's creations-shaped
body (an MV's GET shape for one-click MV) to its ``callback_url``, signed as the vendor documents
(client/signature.py).

Each task (or MV, or MV job with its own ``callback_url``) has an outbox (a stored document, so pending deliveries survive a restart); only its head
is in flight, so a task's callbacks arrive in order. An attempt runs as an asyncio task, so delivery
never blocks a request or the clock. A transport error or a non-2xx answer is a failure, retried
after 5, 30 and 120 virtual seconds (4 attempts in all), then the callback is dropped. Every
attempt is journalled in ``callbacks`` (GET /_emulator/callbacks).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
from typing import Callable

from viduemu.client import signature
from viduemu.core.auth import secret_of
from viduemu.ent.mv import mv_view
from viduemu.ent.views import creations_view

log = logging.getLogger("viduemu.callbacks")

KIND = "callback_outbox"
JOURNAL = "callbacks"
NOTIFY_STATES = ("processing", "success", "failed")  # the vendor's documented callback states
BACKOFF = (5.0, 30.0, 120.0)                          # virtual seconds before retries 1, 2, 3
TIMEOUT = 5.0                                         # real seconds one attempt may take


class Callbacks:
    def __init__(self, emu):
        self.emu = emu
        self._client = None
        self._inflight: dict[str, asyncio.Task] = {}
        self.bodies: dict[str, Callable[[dict, str], dict]] = {}
        emu.on_resume(self.resume)
        emu.on_reset(self._forget)
        emu.on_close(self.aclose)

    @property
    def store(self):
        return self.emu.store

    # -- the engines' hooks -------------------------------------------------------
    def on_change(self, task: dict) -> None:
        """The TaskEngine hook. The body is the creations query's, or that of the dialect the task
        was created through (``bodies``: task type -> builder, e.g. the aggregator's task object)."""
        if task["state"] in NOTIFY_STATES:
            build = self.bodies.get(task["type"], creations_view)
            self.notify(task["task_id"], task["api_key"], task.get("callback_url"),
                        build(task, self.emu.settings.base_url))

    def on_mv_change(self, mv: dict, job: dict | None) -> None:
        """The MvEngine hook: the MV's own changes go to its callback_url; an edit or compose job
        that was given a callback_url of its own reports there. The body is the MV's GET shape."""
        owner = job if job is not None and job.get("callback_url") else (mv if job is None else None)
        if owner is not None and owner["state"] in NOTIFY_STATES:
            self.notify(owner["id"], mv["api_key"], owner.get("callback_url"),
                        mv_view(mv, self.emu.settings.base_url))

    def notify(self, ref: str, api_key: str, url: str | None, body: dict) -> None:
        """Queue ``body`` for ``url`` in the outbox of ``ref`` (deliveries of one ref stay in order)."""
        if not url:
            return
        box = self.store.get(KIND, ref) or {"task_id": ref, "api_key": api_key, "url": url,
                                            "pending": [], "attempt": 0, "next_at": None}
        box["pending"].append(body)
        self.store.put(KIND, ref, box)
        if len(box["pending"]) == 1:
            self._start(ref)

    # -- delivery ------------------------------------------------------------------
    def _start(self, task_id: str) -> None:
        """Send the head of a task's outbox (a sync callable: runs from requests and clock timers)."""
        if task_id in self._inflight:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on the event loop (e.g. resuming before it runs): let the clock do it
            self.emu.clock.call_later(0, self._start, task_id)
            return
        self._inflight[task_id] = loop.create_task(self._deliver(task_id))

    def headers(self, url: str, secret: str) -> dict[str, str]:
        headers = {"Content-Type": "application/json",
                   "Date": email.utils.formatdate(self.emu.clock.now(), usegmt=True),
                   "x-request-nonce": self.emu.ids.nonce(),
                   "X-HMAC-SIGNED-HEADERS": signature.SIGNED_HEADERS,
                   "X-HMAC-ALGORITHM": signature.ALGORITHM,
                   "X-HMAC-ACCESS-KEY": signature.ACCESS_KEY}
        headers["X-HMAC-SIGNATURE"] = signature.sign("POST", url, headers, secret)
        return headers

    async def _deliver(self, task_id: str) -> None:
        try:
            box = self.store.get(KIND, task_id)
            if box is None or not box["pending"]:
                return
            body, url = box["pending"][0], box["url"]
            box["attempt"] += 1
            box["next_at"] = None
            self.store.put(KIND, task_id, box)  # counted before sending: a crash mid-send uses up an attempt
            entry = {"at": self.emu.clock.now(), "task_id": task_id, "api_key": box["api_key"], "url": url,
                     "headers": self.headers(url, secret_of(box["api_key"])), "body": body, "status": None,
                     "error": None, "attempt": box["attempt"]}
            entry["status"], entry["error"] = await self._post(url, entry["headers"], body)
        finally:
            self._inflight.pop(task_id, None)
        self.emu.journal(JOURNAL, entry)
        self._settle(task_id, ok=entry["error"] is None)

    async def _post(self, url: str, headers: dict, body: dict) -> tuple[int | None, str | None]:
        if self._client is None:
            import httpx

            # Deliveries go straight to the receiver, whatever proxy the environment names.
            self._client = httpx.AsyncClient(trust_env=False, follow_redirects=False)
        try:
            response = await self._client.post(url, content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                               headers=headers, timeout=TIMEOUT)
        except Exception as exc:  # any failure to deliver is the receiver's problem, never the server's
            return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if not 200 <= response.status_code < 300:
            return response.status_code, f"receiver answered HTTP {response.status_code}"
        return response.status_code, None

    def _settle(self, task_id: str, ok: bool) -> None:
        # Read again: while the attempt was in flight the task may have queued another callback.
        box = self.store.get(KIND, task_id)
        if box is None:  # reset while the attempt was in flight
            return
        if ok or box["attempt"] > len(BACKOFF):
            if not ok:
                log.info("callback of task %s to %s dropped after %d attempts", task_id, box["url"], box["attempt"])
            box["pending"].pop(0)
            box["attempt"] = 0
            if not box["pending"]:
                self.store.delete(KIND, task_id)
                return
            self.store.put(KIND, task_id, box)
            self._start(task_id)
            return
        box["next_at"] = self.emu.clock.now() + BACKOFF[box["attempt"] - 1]
        self.store.put(KIND, task_id, box)
        self.emu.clock.call_at(box["next_at"], self._start, task_id)

    # -- lifecycle -------------------------------------------------------------------
    def resume(self) -> None:
        """Re-arm every pending delivery from the stored outboxes (after a restart)."""
        now = self.emu.clock.now()
        for box in list(self.store.all(KIND)):
            self.emu.clock.call_at(box.get("next_at") or now, self._start, box["task_id"])

    def _forget(self) -> None:
        for job in self._inflight.values():
            job.cancel()
        self._inflight.clear()

    async def aclose(self) -> None:
        jobs = list(self._inflight.values())
        self._forget()
        if jobs:
            await asyncio.gather(*jobs, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

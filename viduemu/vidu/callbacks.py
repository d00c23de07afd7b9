"""Callbacks: signed deliveries of a body to a ``callback_url``, as the vendor documents
(client/signature.py). An area decides when and what to send (``notify``: a task's creations-shaped
body on ``processing``, ``success`` and ``failed``; an MV's GET shape; the aggregator's task object).

Each task (or MV, or MV job with its own ``callback_url``) has an outbox (a stored record, so pending
deliveries survive a restart); only its head is in flight, so a task's callbacks arrive in order. An attempt runs as an asyncio task, so delivery
never blocks a request or the clock. A transport error or a non-2xx answer is a failure, retried
after 5, 30 and 120 virtual seconds (4 attempts in all), then the callback is dropped. Every
attempt is journalled in ``callbacks`` (GET /_emulator/callbacks).

Receivers follow an address policy (``--callback-allow``, ``ALLOW``): the host is resolved, every
address it resolves to is judged (fetch.py's ``address_classes``: an IPv6 address that embeds an IPv4
address is judged by that) and the request goes to the checked address, its ``Host`` and TLS server
name kept. Link-local, cloud-metadata, multicast, unspecified and reserved addresses are never
receivers; a refused callback is journalled with an error naming the policy, no request sent, and
not retried (the answer would not change). Without the policy a callback_url would be a blind port
scanner of the emulator's network, its outcomes readable in the journal.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from viduemu.client import signature
from viduemu.core.area import Area
from viduemu.core.context import Core
from viduemu.core.records import Record, Table
from viduemu.vidu.fetch import LOOPBACK, PRIVATE, PUBLIC, Refused, address_classes, pin, system_resolve

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("viduemu.callbacks")

JOURNAL = "callbacks"
NOTIFY_STATES = ("processing", "success", "failed")  # the vendor's documented callback states
BACKOFF = (5.0, 30.0, 120.0)                          # virtual seconds before retries 1, 2, 3
TIMEOUT = 5.0                                         # real seconds one attempt may take
# --callback-allow: the widest class of receiver address allowed; each level includes the narrower ones.
ALLOW = {"loopback": frozenset({LOOPBACK}), "private": frozenset({LOOPBACK, PRIVATE}),
         "public": frozenset({LOOPBACK, PRIVATE, PUBLIC})}


@dataclass
class Outbox(Record):
    KIND = "callback_outbox"
    KEY = "task_id"

    task_id: str          # the task, MV or MV job the deliveries are about
    api_key: str
    url: str
    pending: list[dict[str, Any]] = field(default_factory=list)   # bodies, oldest first
    attempt: int = 0
    next_at: float | None = None


class Callbacks(Area):
    """The delivery service (an area without routes: it resumes, resets and closes like one)."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.table = Table(core.store, Outbox)
        self._client: httpx.AsyncClient | None = None
        self._inflight: dict[str, asyncio.Task] = {}
        self.resolve = system_resolve                          # the network (tests put their own)
        self.transport: httpx.AsyncBaseTransport | None = None

    def allowed(self, address: str) -> bool:
        """Whether --callback-allow lets a callback go to ``address``."""
        return address_classes(address) <= ALLOW[self.core.settings.callback_allow]

    def pending(self, ref: str) -> int:
        """How many bodies wait to be delivered for ``ref``."""
        box = self.table.get(ref)
        return len(box.pending) if box else 0

    def attempts(self, ref: str) -> list[dict]:
        """Every journalled delivery attempt about ``ref``, oldest first."""
        return [c for c in self.core.store.journal(JOURNAL) if c.get("task_id") == ref]

    def notify(self, ref: str, api_key: str, url: str | None, body: dict) -> None:
        """Queue ``body`` for ``url`` in the outbox of ``ref`` (deliveries of one ref stay in order)."""
        if not url:
            return
        box = self.table.get(ref) or Outbox(task_id=ref, api_key=api_key, url=url)
        box.pending.append(body)
        self.table.put(box)
        if len(box.pending) == 1:
            self._start(ref)

    # -- delivery ------------------------------------------------------------------
    def _start(self, task_id: str) -> None:
        """Send the head of a task's outbox (a sync callable: runs from requests and clock timers)."""
        if task_id in self._inflight:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on the event loop (e.g. resuming before it runs): let the clock do it
            self.core.clock.call_later(0, self._start, task_id)
            return
        self._inflight[task_id] = loop.create_task(self._deliver(task_id))

    def headers(self, url: str, secret: str) -> dict[str, str]:
        headers = {"Content-Type": "application/json",
                   "Date": email.utils.formatdate(self.core.clock.now(), usegmt=True),
                   "x-request-nonce": self.core.ids.nonce(),
                   "X-HMAC-SIGNED-HEADERS": signature.SIGNED_HEADERS,
                   "X-HMAC-ALGORITHM": signature.ALGORITHM,
                   "X-HMAC-ACCESS-KEY": signature.ACCESS_KEY}
        headers["X-HMAC-SIGNATURE"] = signature.sign("POST", url, headers, secret)
        return headers

    async def _deliver(self, task_id: str) -> None:
        try:
            box = self.table.get(task_id)
            if box is None or not box.pending:
                return
            body, url = box.pending[0], box.url
            box.attempt += 1
            box.next_at = None
            self.table.put(box)  # counted before sending: a crash mid-send uses up an attempt
            headers = self.headers(url, box.api_key)
            entry: dict[str, Any] = {"at": self.core.clock.now(), "task_id": task_id, "api_key": box.api_key,
                                     "url": url, "headers": headers, "body": body, "status": None, "error": None,
                                     "attempt": box.attempt}
            entry["status"], entry["error"], final = await self._post(url, headers, body)
            if entry["error"] is not None:
                log.warning("callback of task %s to %s failed (attempt %d): %s", task_id, url, box.attempt,
                            entry["error"], extra={"fields": {"task_id": task_id, "url": url, "attempt": box.attempt,
                                                              "error": entry["error"], "status": entry["status"]}})
        finally:
            self._inflight.pop(task_id, None)
        self.core.journal(JOURNAL, entry)
        self._settle(task_id, ok=entry["error"] is None, final=final)

    async def _post(self, url: str, headers: dict, body: dict) -> tuple[int | None, str | None, bool]:
        """(status, error, final): a final failure is not retried."""
        if self._client is None:
            import httpx  # on the first delivery, not at start-up

            # Deliveries go straight to the receiver, whatever proxy the environment names; no kept
            # connections (a pooled connection is keyed by address, not by host name).
            self._client = httpx.AsyncClient(transport=self.transport, trust_env=False, follow_redirects=False,
                                             limits=httpx.Limits(max_keepalive_connections=0))
        policy = self.core.settings.callback_allow
        try:
            target, pinned, extensions = await pin(url, self.resolve, self.allowed)
        except Refused as exc:
            if exc.address is None:  # no host, or it does not resolve (now): an ordinary failure
                return None, exc.why, False
            return None, (f"refused by --callback-allow {policy}: {exc.why} is not a receiver it allows; "
                          "no request sent"), True
        except Exception as exc:  # an unparsable URL
            return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, False
        try:
            response = await self._client.post(target, content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                               headers={**headers, **pinned}, extensions=extensions, timeout=TIMEOUT)
        except Exception as exc:  # any failure to deliver is the receiver's problem, never the server's
            return None, (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__), False
        if not 200 <= response.status_code < 300:
            return response.status_code, f"receiver answered HTTP {response.status_code}", False
        return response.status_code, None, False

    def _settle(self, task_id: str, ok: bool, final: bool = False) -> None:
        # Read again: while the attempt was in flight the task may have queued another callback.
        box = self.table.get(task_id)
        if box is None:  # reset while the attempt was in flight
            return
        if ok or final or box.attempt > len(BACKOFF):
            if not ok:
                log.info("callback of task %s to %s dropped after %d attempts", task_id, box.url, box.attempt)
            box.pending.pop(0)
            box.attempt = 0
            if not box.pending:
                self.table.delete(task_id)
                return
            self.table.put(box)
            self._start(task_id)
            return
        box.next_at = self.core.clock.now() + BACKOFF[box.attempt - 1]
        self.table.put(box)
        self.core.clock.call_at(box.next_at, self._start, task_id)

    # -- lifecycle -------------------------------------------------------------------
    def resume(self) -> None:
        """Re-arm every pending delivery from the stored outboxes (after a restart)."""
        now = self.core.clock.now()
        for box in list(self.table.all()):
            self.core.clock.call_at(box.next_at or now, self._start, box.task_id)

    def reset(self) -> None:
        for job in self._inflight.values():
            job.cancel()
        self._inflight.clear()

    async def aclose(self) -> None:
        jobs = list(self._inflight.values())
        self.reset()
        if jobs:
            await asyncio.gather(*jobs, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

"""The generation-task engine: lifecycle, per-account queue, off-peak, cancel, refunds.

``created -> queueing -> processing -> success | failed``. At most ``CONCURRENCY`` tasks of an
account process at once; the rest wait in ``queueing`` in FIFO order. Off-peak tasks may not
start before ``offpeak_delay`` and must finish within 48 h, else they are cancelled and refunded.
Every transition is a timer on the virtual clock that looks the task up by id, so the same code
re-arms itself from stored state after a restart (``resume``).
"""

from __future__ import annotations

import datetime
import logging
from typing import Callable

from viduemu.core.errors import ViduError

log = logging.getLogger("viduemu.tasks")

KIND = "tasks"
CONCURRENCY = 5            # "Each organization can use up to 5 concurrent tasks" (P/usage-and-limits)
ENQUEUE_AFTER = 1.0        # virtual seconds a task stays in "created"
OFFPEAK_WINDOW = 48 * 3600.0
TERMINAL = ("success", "failed")
CANCEL_MESSAGE = "task state is scheduled, can not cancel"  # the vendor's documented message
OFFPEAK_EXPIRED = "Canceled"  # see docs/decisions.md


def iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class TaskEngine:
    def __init__(self, emu, on_change: Callable[[dict], None] | None = None,
                 on_success: Callable[[dict], None] | None = None):
        self.emu = emu
        self.on_change = on_change or (lambda task: None)      # after every state change
        self.on_success = on_success or (lambda task: None)    # fills creations before "success"
        self.finishers: dict[str, Callable[[dict], None]] = {}  # task type -> its own on_success
        self._queues: dict[str, list[str]] = {}   # api_key -> queueing task ids, FIFO
        self._running: dict[str, set[str]] = {}   # api_key -> processing task ids
        emu.on_resume(self.resume)
        emu.on_reset(self._forget)

    # -- reading -----------------------------------------------------------
    @property
    def store(self):
        return self.emu.store

    @property
    def clock(self):
        return self.emu.clock

    def get(self, api_key: str, task_id: str) -> dict:
        task = self.store.get(KIND, task_id)
        if task is None or task["api_key"] != api_key:
            raise ViduError("TaskNotFound", f"task not found: {task_id}")
        return task

    def all(self, api_key: str):
        return (t for t in self.store.all(KIND) if t["api_key"] == api_key)

    def figures(self, api_key: str) -> dict:
        return {"concurrency_limit": CONCURRENCY, "current_concurrency": len(self._running.get(api_key, ())),
                "queue_count": len(self._queues.get(api_key, ()))}

    # -- creating ----------------------------------------------------------
    def create(self, api_key: str, kind: str, fields: dict, credits: int, *,
               off_peak: bool = False, callback_url: str | None = None, extra: dict | None = None) -> dict:
        """Charge the credits and create the task; ``CreditInsufficient`` creates nothing."""
        now = self.clock.now()
        task_id = self.emu.ids.new_id()
        task = {"task_id": task_id, "api_key": api_key, "type": kind, "state": "created", "err_code": "",
                "credits": credits, "off_peak": off_peak, "callback_url": callback_url,
                "fields": fields, "created_at": now, "history": [{"state": "created", "at": now}],
                "creations": [], "started_at": None, "finish_at": None, **(extra or {})}
        with self.store.atomic():
            self.emu.accounts.charge(api_key, credits, f"task:{kind}", task_id)
            self.store.put(KIND, task_id, task)
        self._arm(task)
        return task

    # -- lifecycle -----------------------------------------------------------
    def _arm(self, task: dict) -> None:
        """Schedule the timers a task in its current state is waiting on."""
        state, task_id = task["state"], task["task_id"]
        if state in TERMINAL:
            return
        if task["off_peak"]:
            self.clock.call_at(task["created_at"] + OFFPEAK_WINDOW, self._expire, task_id)
        if state == "created":
            self.clock.call_at(task["created_at"] + ENQUEUE_AFTER, self._enqueue, task_id)
        elif state == "queueing":
            self._queues.setdefault(task["api_key"], []).append(task_id)
            self._schedule(task["api_key"])
        elif state == "processing":
            self._running.setdefault(task["api_key"], set()).add(task_id)
            self.clock.call_at(task["finish_at"], self._finish, task_id)

    def _live(self, task_id: str, state: str) -> dict | None:
        task = self.store.get(KIND, task_id)
        return task if task is not None and task["state"] == state else None

    def _enqueue(self, task_id: str) -> None:
        task = self._live(task_id, "created")
        if task is None:
            return
        self._transition(task, "queueing")
        self._queues.setdefault(task["api_key"], []).append(task_id)
        self._schedule(task["api_key"])

    def _schedule(self, api_key: str) -> None:
        """Start queued tasks, oldest first, while the account has free processing slots."""
        queue, running = self._queues.get(api_key, []), self._running.setdefault(api_key, set())
        now, wake_at = self.clock.now(), None
        for task_id in list(queue):
            if len(running) >= CONCURRENCY:
                break
            task = self.store.get(KIND, task_id)
            if task is None or task["state"] != "queueing":
                queue.remove(task_id)
                continue
            eligible_at = task["created_at"] + (self.emu.settings.offpeak_delay if task["off_peak"] else 0)
            if eligible_at > now:
                wake_at = eligible_at if wake_at is None else min(wake_at, eligible_at)
                continue
            queue.remove(task_id)
            running.add(task_id)
            task["started_at"] = now
            task["finish_at"] = now + self._processing_seconds(task)
            self._transition(task, "processing")
            self.clock.call_at(task["finish_at"], self._finish, task_id)
        if wake_at is not None:
            self.clock.call_at(wake_at, self._schedule, api_key)

    def _processing_seconds(self, task: dict) -> float:
        return self.emu.settings.task_seconds

    def _finish(self, task_id: str) -> None:
        task = self._live(task_id, "processing")
        if task is None:
            return
        action = self.emu.faults.take("task.finish", task["api_key"]) or {}
        if action.get("delay_ms"):
            task["finish_at"] = self.clock.now() + action["delay_ms"] / 1000
            self.store.put(KIND, task_id, task)
            self.clock.call_at(task["finish_at"], self._finish, task_id)
            return
        self._running.get(task["api_key"], set()).discard(task_id)
        if action.get("err_code"):
            self._fail(task, action["err_code"])
        else:
            try:
                self.finishers.get(task["type"], self.on_success)(task)
            except Exception:
                log.exception("could not prepare the outputs of task %s", task_id)
                self._fail(task, "InternalServiceFailure")
            else:
                self._transition(task, "success")
        self._schedule(task["api_key"])

    def _expire(self, task_id: str) -> None:
        task = self.store.get(KIND, task_id)
        if task is None or task["state"] in TERMINAL:
            return
        self._drop(task)
        self._fail(task, OFFPEAK_EXPIRED)
        self._schedule(task["api_key"])

    def cancel(self, api_key: str, task_id: str) -> None:
        task = self.get(api_key, task_id)
        state = task["state"]
        if state in TERMINAL:
            raise ViduError("BadRequest", f"task state is {state}, can not cancel")
        if state == "processing" and not task["off_peak"]:
            raise ViduError("BadRequest", CANCEL_MESSAGE)
        self._drop(task)
        self._fail(task, "UserCancelled")
        self._schedule(api_key)

    # -- helpers -----------------------------------------------------------
    def _drop(self, task: dict) -> None:
        api_key, task_id = task["api_key"], task["task_id"]
        self._running.get(api_key, set()).discard(task_id)
        if task_id in self._queues.get(api_key, ()):
            self._queues[api_key].remove(task_id)

    def _fail(self, task: dict, err_code: str) -> None:
        task["err_code"] = err_code
        with self.store.atomic():
            if task["credits"]:
                self.emu.accounts.refund(task["api_key"], task["credits"], f"refund:{err_code}", task["task_id"])
            self._transition(task, "failed")

    def _transition(self, task: dict, state: str) -> None:
        task["state"] = state
        task["history"].append({"state": state, "at": self.clock.now()})
        self.store.put(KIND, task["task_id"], task)
        self.on_change(task)

    def resume(self) -> None:
        """Re-arm every task from stored state: a task interrupted in ``processing`` continues to its
        ``finish_at``. Processing tasks first, so that the queued ones see the slots they hold."""
        for task in sorted(self.store.all(KIND), key=lambda t: (t["state"] != "processing", t["created_at"])):
            self._arm(task)

    def _forget(self) -> None:
        self._queues.clear()
        self._running.clear()

"""Generation tasks: the record, and the one lifecycle every kind of task runs (ent's operations,
the aggregator's, and the jobs of a one-click MV through ``finish_outcome`` and ``refund``).

``created -> queueing -> processing -> success | failed``. At most ``CONCURRENCY`` tasks of an
account process at once; the rest wait in ``queueing`` in FIFO order. A task made ``after`` others (a
composition after its parts) waits in ``queueing`` without holding a slot until they have ended, and
fails with the reason of the first of them that failed. Off-peak tasks may not
start before ``offpeak_delay`` and must finish within 48 h, else they are cancelled and refunded.
Every transition is a timer on the virtual clock that looks the task up by id, so the same code
re-arms itself from stored state after a restart (``resume``).

Areas hear of tasks through events: ``TaskSucceeding`` just before a task becomes ``success`` (a
subscriber gives it its outputs; one that raises fails the task ``InternalServiceFailure``), and
``TaskChanged`` after every change of state (callbacks are sent from there).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from viduemu.core.area import Area
from viduemu.core.context import Core
from viduemu.core.errors import ViduError
from viduemu.core.faults import FaultPoint
from viduemu.core.records import Record, Table
from viduemu.vidu.accounts import Accounts

log = logging.getLogger("viduemu.tasks")

CONCURRENCY = 5            # "Each organization can use up to 5 concurrent tasks" (P/usage-and-limits)
ENQUEUE_AFTER = 1.0        # virtual seconds a task stays in "created"
UNWRITTEN_RETRY = 5.0      # virtual seconds before a step the state file refused (a full disk) is tried again
OFFPEAK_WINDOW = 48 * 3600.0
TERMINAL = ("success", "failed")
CANCEL_MESSAGE = "task state is scheduled, can not cancel"  # the vendor's documented message
OFFPEAK_EXPIRED = "Canceled"  # see docs/decisions.md
FINISH = FaultPoint("task.finish", {
    "err_code": lambda v: None if isinstance(v, str) and v else "err_code must be a non-empty string"})


def iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Task(Record):
    KIND = "tasks"
    KEY = "task_id"
    SAMPLE = (
        '{"task_id":"595032158605595759","api_key":"vda_sample","type":"img2video","credits":80,"fields":{"model":'
        '"viduq1","prompt":"a cat","images":["https://example.com/a.png"],"duration":5,"seed":1426654449,'
        '"aspect_ratio":"16:9","resolution":"1080p","bgm":false,"audio":false,"audio_type":"","movement_amplitude":'
        '"auto","payload":""},"created_at":1795254803.792843,"state":"success","err_code":"","off_peak":false,'
        '"callback_url":null,"history":[{"state":"created","at":1795254803.792843},{"state":"queueing","at":'
        '1795254804.792843},{"state":"processing","at":1795254804.792843},{"state":"success","at":1795254834.792843}],'
        '"creations":[{"id":"892465229970106883","url":"/_emulator/files/tasks/595032158605595759/'
        '892465229970106883.mp4","cover_url":"/_emulator/files/tasks/595032158605595759/892465229970106883.jpg"}],'
        '"started_at":1795254804.792843,"finish_at":1795254834.792843,"media":{"width":1920,"height":1080,'
        '"duration":5,"fps":16,"prompt":"a cat","seed":1426654449},"result":null,"plan":null}')

    task_id: str
    api_key: str
    type: str
    credits: int
    fields: dict[str, Any]
    created_at: float
    state: str = "created"
    err_code: str = ""
    off_peak: bool = False
    callback_url: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    creations: list[dict[str, Any]] = field(default_factory=list)
    started_at: float | None = None
    finish_at: float | None = None
    media: dict[str, Any] | None = None    # what the outputs are rendered from (set on success)
    result: dict[str, Any] | None = None   # what the task made besides media (the aggregator's subject)
    plan: dict[str, Any] | None = None     # what its outputs will be, when the creating request decided it
    after: list[str] = field(default_factory=list)   # tasks (of its account) that must end before it starts


@dataclass(frozen=True)
class TaskChanged:
    task: Task


@dataclass(frozen=True)
class TaskSucceeding:
    """The task is about to succeed: give it its outputs (raise to fail it instead)."""
    task: Task


class TaskFailed(Exception):
    """Raised by a ``TaskSucceeding`` subscriber: the task fails with this documented reason instead."""

    def __init__(self, err_code: str) -> None:
        super().__init__(err_code)
        self.err_code = err_code


@dataclass(frozen=True)
class Outcome:
    """What a ``task.finish`` fault rule makes of a finishing piece of work."""
    delay: float = 0.0               # virtual seconds to wait, then finish again
    err_code: str = ""               # fail with this reason
    message: str | None = None


def finish_outcome(core: Core, api_key: str) -> Outcome:
    action = core.faults.take(FINISH.operation, api_key) or {}
    if action.get("delay_ms"):
        return Outcome(delay=action["delay_ms"] / 1000)
    return Outcome(err_code=action.get("err_code") or "", message=action.get("message"))


def refund(accounts: Accounts, api_key: str, credits: int, err_code: str, ref: str) -> None:
    """Give back what a failed piece of work was charged."""
    if credits:
        accounts.refund(api_key, credits, f"refund:{err_code}", ref)


class TaskEngine(Area):
    def __init__(self, core: Core, accounts: Accounts) -> None:
        self.core, self.accounts = core, accounts
        self.table = Table(core.store, Task)
        self._owned: dict[str, list[str]] = {}    # api_key -> its task ids, oldest first (a listing reads no other)
        self._queues: dict[str, list[str]] = {}   # api_key -> queueing task ids, FIFO
        self._running: dict[str, set[str]] = {}   # api_key -> processing task ids

    @property
    def clock(self):
        return self.core.clock

    # -- reading -----------------------------------------------------------
    def get(self, api_key: str, task_id: str, types: Collection[str]) -> Task:
        """The caller's task of one of ``types``: an account is shared by the dialects (Token and
        Bearer callers of one key), each of which sees only its own kinds of task."""
        task = self.table.get(task_id)
        if task is None or task.api_key != api_key or task.type not in types:
            raise ViduError("TaskNotFound", f"task not found: {task_id}")
        return task

    def find(self, task_id: str) -> Task | None:
        """Any account's task (the control plane's views)."""
        return self.table.get(task_id)

    def all(self, api_key: str | None = None) -> Iterator[Task]:
        """The tasks of ``api_key`` (every account's when None), oldest first: an account's are read
        through its own index, so their cost grows with its own tasks, not with every tenant's."""
        if api_key is None:
            return self.table.all()
        found = (self.table.get(task_id) for task_id in list(self._owned.get(api_key, ())))
        return (task for task in found if task is not None)

    def figures(self, api_key: str) -> dict:
        return {"concurrency_limit": CONCURRENCY, "current_concurrency": len(self._running.get(api_key, ())),
                "queue_count": len(self._queues.get(api_key, ()))}

    # -- creating ----------------------------------------------------------
    def create(self, api_key: str, kind: str, fields: dict, credits: int, *,
               off_peak: bool = False, callback_url: str | None = None, plan: dict | None = None,
               after: Sequence[str] = (), task_id: str | None = None) -> Task:
        """Charge the credits and create the task; ``CreditInsufficient`` creates nothing. ``after``: the
        tasks it waits for; ``task_id``: an id drawn beforehand (``ids.new_id``) that others wait for."""
        now = self.clock.now()
        task = Task(task_id=task_id or self.core.ids.new_id(), api_key=api_key, type=kind, credits=credits,
                    fields=fields, created_at=now, off_peak=off_peak, callback_url=callback_url,
                    history=[{"state": "created", "at": now}], plan=plan, after=list(after))
        with self.core.store.atomic():
            if credits:   # a part paid for by the whole leaves no entry in the ledger
                self.accounts.charge(api_key, credits, f"task:{kind}", task.task_id)
            self.table.put(task)
        self._owned.setdefault(api_key, []).append(task.task_id)
        self._arm(task)
        return task

    # -- lifecycle -----------------------------------------------------------
    def _arm(self, task: Task) -> None:
        """Schedule the timers a task in its current state is waiting on."""
        state, task_id = task.state, task.task_id
        if state in TERMINAL:
            return
        if task.off_peak:
            self.clock.call_at(task.created_at + OFFPEAK_WINDOW, self._expire, task_id)
        if state == "created":
            self.clock.call_at(task.created_at + ENQUEUE_AFTER, self._enqueue, task_id)
        elif state == "queueing":
            self._queues.setdefault(task.api_key, []).append(task_id)
            self._schedule(task.api_key)
        elif state == "processing":
            self._running.setdefault(task.api_key, set()).add(task_id)
            self.clock.call_at(task.finish_at, self._finish, task_id)

    def _live(self, task_id: str, state: str) -> Task | None:
        task = self.table.get(task_id)
        return task if task is not None and task.state == state else None

    def _unwritten(self, exc: ViduError, fn: Any, *args: Any) -> None:
        """A step the state file refused (a full disk) changed nothing (core/store.py): try it again later."""
        log.warning("%s %s postponed %ss: %s", fn.__name__.strip("_"), args[0], UNWRITTEN_RETRY, exc.message)
        self.clock.call_later(UNWRITTEN_RETRY, fn, *args)

    def _enqueue(self, task_id: str) -> None:
        task = self._live(task_id, "created")
        if task is None:
            return
        try:
            self._transition(task, "queueing")
        except ViduError as exc:
            self._unwritten(exc, self._enqueue, task_id)
            return
        self._queues.setdefault(task.api_key, []).append(task_id)
        self._schedule(task.api_key)

    def _schedule(self, api_key: str) -> None:
        """Start queued tasks, oldest first, while the account has free processing slots."""
        queue, running = self._queues.get(api_key, []), self._running.setdefault(api_key, set())
        now, wake_at = self.clock.now(), None
        i = 0   # walked in place: a queue of thousands is not copied on every start
        while i < len(queue) and len(running) < CONCURRENCY:
            task_id = queue[i]
            task = self.table.get(task_id)
            if task is None or task.state != "queueing":
                del queue[i]
                continue
            waiting, failed = self._prerequisites(task)
            if failed:
                try:
                    self._fail(task, failed)
                except ViduError as exc:
                    self._unwritten(exc, self._schedule, api_key)
                    break
                del queue[i]
                i = 0   # a task before it may have been waiting for it
                continue
            if waiting:
                i += 1
                continue
            eligible_at = task.created_at + (self.core.settings.offpeak_delay if task.off_peak else 0)
            if eligible_at > now:
                wake_at = eligible_at if wake_at is None else min(wake_at, eligible_at)
                i += 1
                continue
            task.started_at = now
            task.finish_at = now + self.core.settings.task_seconds
            try:
                self._transition(task, "processing")
            except ViduError as exc:   # still queueing, in its place
                self._unwritten(exc, self._schedule, api_key)
                break
            del queue[i]
            running.add(task_id)
            self.clock.call_at(task.finish_at, self._finish, task_id)
        if wake_at is not None:
            self.clock.call_at(wake_at, self._schedule, api_key)

    def _prerequisites(self, task: Task) -> tuple[bool, str]:
        """(some task it waits for has not ended, the reason of the first that failed or "")."""
        waiting = False
        for other in filter(None, map(self.table.get, task.after)):
            if other.state == "failed":
                return False, other.err_code
            waiting = waiting or other.state not in TERMINAL
        return waiting, ""

    def _finish(self, task_id: str) -> None:
        task = self._live(task_id, "processing")
        if task is None:
            return
        outcome = finish_outcome(self.core, task.api_key)
        try:
            if outcome.delay:
                task.finish_at = self.clock.now() + outcome.delay
                self.table.put(task)
                self.clock.call_at(task.finish_at, self._finish, task_id)
                return
            if outcome.err_code:
                self._fail(task, outcome.err_code)
            else:
                try:
                    self.core.events.publish(TaskSucceeding(task), isolated=False)
                except TaskFailed as failure:
                    self._fail(task, failure.err_code)
                except Exception:
                    log.exception("could not prepare the outputs of task %s", task_id)
                    self._fail(task, "InternalServiceFailure")
                else:
                    self._transition(task, "success")
        except ViduError as exc:   # still processing, its slot held
            self._unwritten(exc, self._finish, task_id)
            return
        self._running.get(task.api_key, set()).discard(task_id)
        self._schedule(task.api_key)

    def _expire(self, task_id: str) -> None:
        task = self.table.get(task_id)
        if task is None or task.state in TERMINAL:
            return
        try:
            self._fail(task, OFFPEAK_EXPIRED)
        except ViduError as exc:
            self._unwritten(exc, self._expire, task_id)
            return
        self._drop(task)
        self._schedule(task.api_key)

    def cancel(self, api_key: str, task_id: str, types: Collection[str]) -> None:
        task = self.get(api_key, task_id, types)
        state = task.state
        if state in TERMINAL:
            raise ViduError("BadRequest", f"task state is {state}, can not cancel")
        if state == "processing" and not task.off_peak:
            raise ViduError("BadRequest", CANCEL_MESSAGE)
        self._fail(task, "UserCancelled")   # first: if the state file refuses it, the task is as it was
        self._drop(task)
        self._schedule(api_key)

    # -- helpers -----------------------------------------------------------
    def _drop(self, task: Task) -> None:
        api_key, task_id = task.api_key, task.task_id
        self._running.get(api_key, set()).discard(task_id)
        if task_id in self._queues.get(api_key, ()):
            self._queues[api_key].remove(task_id)

    def _fail(self, task: Task, err_code: str) -> None:
        task.err_code = err_code
        with self.core.store.atomic():
            refund(self.accounts, task.api_key, task.credits, err_code, task.task_id)
            self._transition(task, "failed")

    def _transition(self, task: Task, state: str) -> None:
        task.state = state
        task.history.append({"state": state, "at": self.clock.now()})
        self.table.put(task)
        self.core.events.publish(TaskChanged(task), isolated=False)

    # -- the Area protocol ----------------------------------------------------
    def fault_points(self) -> Sequence[FaultPoint]:
        return (FINISH,)

    def resume(self) -> None:
        """Re-arm every task from stored state: a task interrupted in ``processing`` continues to its
        ``finish_at``. Processing tasks first, so that the queued ones see the slots they hold."""
        tasks = list(self.table.all())
        for task in tasks:
            self._owned.setdefault(task.api_key, []).append(task.task_id)
        for task in sorted(tasks, key=lambda t: (t.state != "processing", t.created_at)):
            self._arm(task)

    def reset(self) -> None:
        self._owned.clear()
        self._queues.clear()
        self._running.clear()

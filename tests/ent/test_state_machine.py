"""Random-but-valid sequences through the real ASGI app on a manual clock (hypothesis state machine).

Steps: create a generation task (two accounts, off-peak or not), query it, cancel it, advance the
clock, create a live session, hang one up, set an account's credits. After every step, through the
HTTP API only:

- no balance is negative, and ``/ent/v2/credits`` says what the control plane says;
- each ledger is a chain (each entry's balance = the previous balance + its delta, the last one the
  balance), and what it holds against a task or a live session is that thing's cost: a task's
  credits, or nothing once it failed (refunded); a session's ``credits_cost``;
- every task is in exactly one state: listed once, the same state in the listing and in its own
  query, and it only ever moves forward (created -> queueing -> processing -> success, or failed);
- the queue is FIFO: of two tasks of one account and kind (off-peak or not), the later one has not
  started while the earlier one still waits;
- at most 5 tasks of an account are processing.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule

from viduemu.app import create_app
from viduemu.config import Settings

pytestmark = pytest.mark.slow  # ~20 s: 25 runs of 30 steps, every invariant checked over HTTP after each

KEYS = ("vda_machine_a", "vda_machine_b")
RANK = {"created": 0, "queueing": 1, "processing": 2, "success": 3, "failed": 3}
STARTED = ("processing", "success")
CONCURRENCY = 5
IMAGE = "https://example.com/avatar.png"
REASONS = ["user_end", "timeout", "credit_insufficient", "audit_violation"]


class Tasks(RuleBasedStateMachine):
    tasks = Bundle("tasks")
    lives = Bundle("lives")

    def __init__(self):
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.app = create_app(Settings(clock="manual", seed=5, task_seconds=30))
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://testserver")
        self.order: list[dict] = []      # every task created: {id, key, off_peak, credits}, in creation order
        self.seen: dict[str, str] = {}   # task id -> the last state seen
        self.live_ids: dict[str, str] = {}  # live id -> key

    def call(self, method: str, url: str, key: str | None = None, **kw) -> httpx.Response:
        headers = {"Authorization": f"Token {key}"} if key else {}
        return self.loop.run_until_complete(self.http.request(method, url, headers=headers, **kw))

    def teardown(self):
        self.loop.run_until_complete(self.http.aclose())
        self.loop.run_until_complete(self.app.state.emu.aclose())
        self.loop.close()

    @initialize()
    def accounts(self):
        for key in KEYS:
            assert self.call("PUT", f"/_emulator/accounts/{key}", json={"credits": 2000}).status_code == 200

    # -- steps -------------------------------------------------------------------------------
    @rule(target=tasks, key=st.sampled_from(KEYS), off_peak=st.booleans(),
          model=st.sampled_from(["viduq1", "viduq2", "vidu1.5"]), count=st.sampled_from([1, 1, 3, 7]))
    def create(self, key, off_peak, model, count):
        created = []
        for _ in range(count):  # bursts past the 5 processing slots fill the queue
            before = self.balance(key)
            r = self.call("POST", "/ent/v2/text2video", key, json={"model": model, "prompt": "a machine",
                                                                     "off_peak": off_peak})
            if r.status_code != 200:  # refused (credits): nothing created, nothing charged
                assert r.status_code == 400 and r.json()["reason"] == "CreditInsufficient", r.text
                assert self.balance(key) == before
                break
            task = r.json()
            assert self.balance(key) == before - task["credits"]
            self.order.append({"id": task["task_id"], "key": key, "off_peak": off_peak, "credits": task["credits"]})
            self.seen[task["task_id"]] = task["state"]
            created.append(task["task_id"])
        return multiple(*created)

    @rule(task_id=tasks)
    def query(self, task_id):
        key = self.owner(task_id)
        r = self.call("GET", f"/ent/v2/tasks/{task_id}/creations", key)
        assert r.status_code == 200, r.text
        self.step_state(task_id, r.json()["state"])
        other = next(k for k in KEYS if k != key)  # another account does not see it
        assert self.call("GET", f"/ent/v2/tasks/{task_id}/creations", other).status_code == 404

    @rule(task_id=tasks)
    def cancel(self, task_id):
        key = self.owner(task_id)
        before, state = self.balance(key), self.state_of(task_id)
        r = self.call("POST", f"/ent/v2/tasks/{task_id}/cancel", key, json={"id": task_id})
        task = next(t for t in self.order if t["id"] == task_id)
        if r.status_code == 200:
            assert state in ("created", "queueing") or (state == "processing" and task["off_peak"]), state
            self.step_state(task_id, "failed")
            assert self.balance(key) == before + task["credits"]  # refunded in full
        else:
            assert r.status_code == 400 and (state in ("success", "failed") or state == "processing"), r.text
            assert self.balance(key) == before

    @rule(seconds=st.sampled_from([0.5, 1, 1, 2, 5, 29, 30, 31, 120, 3600, 49 * 3600]))
    def advance(self, seconds):
        assert self.call("POST", "/_emulator/clock/advance", json={"seconds": seconds}).status_code == 200

    @rule(key=st.sampled_from(KEYS), credits=st.sampled_from([0, 1, 10, 45, 100, 1000]))
    def set_credits(self, key, credits):
        assert self.call("PUT", f"/_emulator/accounts/{key}", json={"credits": credits}).status_code == 200
        assert self.balance(key) == credits

    @rule(target=lives, key=st.sampled_from(KEYS), mode=st.sampled_from(["audio", "video"]))
    def live(self, key, mode):
        before = self.balance(key)
        r = self.call("POST", "/live/v1/lives", key, json={"call_mode": mode, "avatar": {
            "persona": "A guide.", "image_uri": IMAGE}})
        if r.status_code != 200:  # a session needs a minimum balance: refused, nothing moved
            assert r.status_code in (400, 403), r.text
            assert self.balance(key) == before
            return multiple()
        live_id = r.json()["live"]["id"]
        self.live_ids[live_id] = key
        return live_id

    @rule(live_id=lives, reason=st.sampled_from(REASONS))
    def hangup(self, live_id, reason):
        r = self.call("POST", f"/_emulator/lives/{live_id}/hangup", json={"hangup_reason": reason})
        status = self.call("GET", f"/live/v1/lives/{live_id}", self.live_ids[live_id]).json()["live"]["status"]
        if r.status_code == 200:
            assert status in ("ending", "ended")
        else:  # already over (hung up, or expired unconnected)
            assert r.status_code == 400 and status in ("ending", "ended"), r.text

    # -- invariants --------------------------------------------------------------------------
    @invariant()
    def balances_and_ledgers(self):
        for key in KEYS:
            account = self.call("GET", f"/_emulator/accounts/{key}").json()
            assert account["credits"] >= 0
            remain = self.call("GET", "/ent/v2/credits", key).json()["remains"][0]["credit_remain"]
            assert remain == account["credits"]
            balance = 0
            held: dict[str, int] = {}
            for entry in account["ledger"]:
                balance += entry["delta"]
                assert entry["balance"] == balance >= 0, account["ledger"]
                if entry["ref"] is not None:
                    held[entry["ref"]] = held.get(entry["ref"], 0) - entry["delta"]
            assert balance == account["credits"]
            for task in (t for t in self.order if t["key"] == key):
                cost = 0 if self.state_of(task["id"]) == "failed" else task["credits"]
                assert held.get(task["id"], 0) == cost, (task, self.state_of(task["id"]))
            for live_id in (i for i, k in self.live_ids.items() if k == key):
                live = self.call("GET", f"/live/v1/lives/{live_id}", key).json()["live"]
                assert held.get(live_id, 0) == live["credits_cost"]

    @invariant()
    def one_state_each_fifo_and_at_most_five_processing(self):
        for key in KEYS:
            r = self.call("GET", "/ent/v2/tasks", key, params={"paper.pagesz": 100,
                                                               "created_at.from": "2000-01-01T00:00:00Z",
                                                               "created_at.to": "2100-01-01T00:00:00Z"})
            listed = r.json()["tasks"]
            ids = [t["id"] for t in listed]
            mine = [t for t in self.order if t["key"] == key]
            assert len(ids) == len(set(ids)) and set(ids) == {t["id"] for t in mine}  # each once, and all
            states = {t["id"]: t["state"] for t in listed}
            for task_id, state in states.items():
                self.step_state(task_id, state)
            assert sum(state == "processing" for state in states.values()) <= CONCURRENCY
            for off_peak in (False, True):
                line = [states[t["id"]] for t in mine if t["off_peak"] == off_peak]  # creation order
                waiting = [i for i, s in enumerate(line) if s in ("created", "queueing")]
                started = [i for i, s in enumerate(line) if s in STARTED]
                assert not waiting or not started or max(started) < min(waiting), (off_peak, line)

    # -- helpers -----------------------------------------------------------------------------
    def balance(self, key: str) -> int:
        return self.call("GET", f"/_emulator/accounts/{key}").json()["credits"]

    def owner(self, task_id: str) -> str:
        return next(t["key"] for t in self.order if t["id"] == task_id)

    def state_of(self, task_id: str) -> str:
        r = self.call("GET", f"/ent/v2/tasks/{task_id}/creations", self.owner(task_id))
        self.step_state(task_id, r.json()["state"])
        return self.seen[task_id]

    def step_state(self, task_id: str, state: str) -> None:
        """A task's state only moves forward, and a finished task stays as it finished."""
        last = self.seen.get(task_id, "created")
        assert RANK[state] >= RANK[last], (task_id, last, state)
        assert last not in ("success", "failed") or state == last, (task_id, last, state)
        self.seen[task_id] = state


# No shrinking: a failure already names its steps, and shrinking a long run of app calls takes minutes.
Tasks.TestCase.settings = settings(max_examples=25, stateful_step_count=30, deadline=None, derandomize=True,
                                   database=None, phases=[Phase.explicit, Phase.generate],
                                   suppress_health_check=list(HealthCheck))
test_task_and_credit_invariants_hold_after_every_step = Tasks.TestCase

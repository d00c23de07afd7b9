"""The store's promises: a document changes only by ``put``; documents and journals survive exactly
(integers beyond 64 bits included); journals keep a bounded window; a ledger stays bounded and
still sums to the balance."""

from __future__ import annotations

from itertools import pairwise

import pytest

from viduemu.core import store as store_module
from viduemu.core.clock import Clock
from viduemu.core.store import MemoryStore, SQLiteStore
from viduemu.vidu.accounts import LEDGER_KEEP, LEDGER_SLACK, Accounts


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    made = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "state.sqlite")
    yield made
    made.close()


def test_a_document_changes_only_by_put(store):
    store.put("tasks", "1", {"state": "created", "history": []})
    got = store.get("tasks", "1")
    got["state"] = "success"
    got["history"].append("x")
    assert store.get("tasks", "1") == {"state": "created", "history": []}
    store.put("tasks", "1", got)
    assert store.get("tasks", "1")["state"] == "success"
    assert [d["state"] for d in store.all("tasks")] == ["success"]


def test_huge_integers_and_unicode_survive_exactly(store, tmp_path):
    doc = {"seed": 2**80 + 1, "prompt": "猫が手を振る 🐈", "price": 0.1}
    store.put("tasks", "big", doc)
    store.append("requests", {"n": 2**70, "path": "/ent/v2/img2video"})
    assert store.get("tasks", "big") == doc and list(store.journal("requests")) == [{"n": 2**70, "path": "/ent/v2/img2video"}]
    if isinstance(store, SQLiteStore):
        again = SQLiteStore(store.location, exclusive=False)  # a reader beside the holder (viduemu export's)
        assert again.get("tasks", "big") == doc and list(again.journal("requests"))[0]["n"] == 2**70
        again.close()


def test_a_journal_keeps_its_newest_window(monkeypatch):
    monkeypatch.setattr(store_module, "JOURNAL_WINDOW", 5)
    memory = MemoryStore()
    for n in range(12):
        memory.append("requests", {"n": n})
    assert [e["n"] for e in memory.journal("requests")] == [7, 8, 9, 10, 11]


def test_a_long_ledger_folds_its_oldest_entries_into_one_carried_entry():
    accounts = Accounts(MemoryStore(), Clock(mode="manual"), initial_credits=10**6)
    accounts.ensure("vda_busy")
    for n in range(LEDGER_KEEP + LEDGER_SLACK + 50):
        accounts.charge("vda_busy", 3, "live", f"live-{n}")
    account = accounts.get("vda_busy")
    ledger = account.ledger
    assert len(ledger) <= LEDGER_KEEP + LEDGER_SLACK
    assert ledger[0]["reason"] == "carried" and ledger[0]["ref"] is None
    assert sum(e["delta"] for e in ledger) == account.credits == 10**6 - 3 * (LEDGER_KEEP + LEDGER_SLACK + 50)
    assert ledger[-1]["ref"] == f"live-{LEDGER_KEEP + LEDGER_SLACK + 49}" and ledger[-1]["balance"] == account.credits
    assert all(a["balance"] + b["delta"] == b["balance"] for a, b in pairwise(ledger))

"""--state: live sessions survive a restart; one that was on_live waits for its client, then ends
with client_reconnect_timeout, billed for the time that elapsed."""

import json
import sqlite3
from dataclasses import replace

from tests.conftest import KEY
from tests.support.server import running
from tests.support.signaling import conn_init


async def test_an_on_live_session_survives_a_restart_and_ends_when_no_client_returns(tmp_path, live_settings,
                                                                                     contracts):
    settings = replace(live_settings, state=str(tmp_path / "state.sqlite"))
    async with running(settings, contracts) as first:
        live_id = (await first.create())["live"]["id"]
        waiting_id = (await first.create())["live"]["id"]
        async with first.connect(live_id) as ws:
            await conn_init(ws, live_id)
            await first.advance(20)
    async with running(settings, contracts) as second:
        live = await second.live(live_id)
        assert live["status"] == "on_live" and live["credits_cost"] == 27  # ticks at 6, 12, 18 s
        assert (await second.live(waiting_id))["status"] == "waiting"
        await second.advance(settings.live_reconnect_grace + 1)
        live = await second.live(live_id)
        assert live["status"] in ("ending", "ended") and live["hangup_reason"] == "client_reconnect_timeout"
        ledger = [e for e in (await second.credits(KEY))["ledger"] if e["ref"] == live_id]
        assert -sum(e["delta"] for e in ledger) == live["credits_cost"] > 27
        await second.advance(settings.live_idle_timeout)
        assert (await second.live(waiting_id))["close_reason"] == "timeout"


async def test_a_client_can_reconnect_after_a_restart(tmp_path, live_settings, contracts):
    settings = replace(live_settings, state=str(tmp_path / "state.sqlite"))
    async with running(settings, contracts) as first:
        live_id = (await first.create())["live"]["id"]
        async with first.connect(live_id) as ws:
            await conn_init(ws, live_id)
    async with running(settings, contracts) as second:
        async with second.connect(live_id) as ws:
            assert (await conn_init(ws, live_id))["payload"]["conn_init_ack"]["success"] is True
            await second.advance(settings.live_reconnect_grace + 5)
            assert (await second.live(live_id))["status"] == "on_live"


def shift_back(state: str, seconds: float) -> None:
    """Edit a closed state file as if the server had last run ``seconds`` earlier (a kill long ago)."""
    with sqlite3.connect(state) as db:
        for kind, key, doc in list(db.execute("SELECT kind, key, doc FROM docs WHERE kind IN ('_meta', 'lives')")):
            doc = json.loads(doc)
            if kind == "_meta" and key == "clock_now":
                doc["value"] -= seconds
            elif kind == "lives":
                for field in ("created_at", "start_time", "warm_until", "disconnected_at"):
                    if doc.get(field) is not None:
                        doc[field] -= seconds
            db.execute("UPDATE docs SET doc=? WHERE kind=? AND key=?", (json.dumps(doc), kind, key))


async def died_20_seconds_into_a_session(settings, contracts) -> str:
    """A session on_live for 20 s when the server died, an hour ago (its state file shifted back)."""
    async with running(settings, contracts) as first:
        live_id = (await first.create())["live"]["id"]
        async with first.connect(live_id) as ws:
            await conn_init(ws, live_id)
            await first.advance(20)
    shift_back(settings.state, 3600)
    return live_id


async def test_a_session_on_live_when_the_server_died_ends_a_grace_after_the_death_billed_to_then(
        tmp_path, live_settings, contracts):
    """The server died an hour ago, 20 s into a session: on restart the session is a client that dropped
    at the death, so it ended `client_reconnect_timeout` 30 s later and is billed 50 s, not the hour."""
    settings = replace(live_settings, state=str(tmp_path / "state.sqlite"))
    live_id = await died_20_seconds_into_a_session(settings, contracts)
    async with running(settings, contracts) as second:
        await second.advance(0)  # the overdue timers run, each at the time it was due
        live = await second.live(live_id)
        assert (live["status"], live["hangup_reason"]) == ("ending", "client_reconnect_timeout")
        assert int(live["end_time"]) - int(live["start_time"]) in (49, 50, 51)  # unix-second strings
        assert (live["billed_seconds"], live["credits_cost"]) == (50, 75)
        ledger = [e for e in (await second.credits(KEY))["ledger"] if e["ref"] == live_id]
        assert -sum(e["delta"] for e in ledger) == 75


async def test_a_session_is_never_billed_past_its_live_duration(tmp_path, live_settings, contracts):
    """Even when its timers fall due long after the end (a restart after a long stop, grace longer
    than the rest of the session): the timeout ends it at live_duration, billed live_duration."""
    settings = replace(live_settings, state=str(tmp_path / "state.sqlite"), live_duration=60,
                       live_reconnect_grace=600)
    live_id = await died_20_seconds_into_a_session(settings, contracts)
    async with running(settings, contracts) as second:
        await second.advance(0)
        live = await second.live(live_id)
        assert (live["hangup_reason"], live["billed_seconds"], live["credits_cost"]) == ("timeout", 60, 90)

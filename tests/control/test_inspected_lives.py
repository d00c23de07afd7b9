"""GET /_emulator/lives and /_emulator/lives/{id} (what the inspector's live view and billing chart
read) against a real server: a session's timings, heartbeat health, deductions and messages."""

from __future__ import annotations

import pytest

from tests.conftest import KEY, assert_error
from tests.support.signaling import conn_init, recv


async def test_a_session_shows_its_billing_steps_heartbeat_and_messages(server):
    live_id = (await server.create("audio"))["live"]["id"]
    idle_id = (await server.create("audio"))["live"]["id"]
    async with server.connect(live_id) as ws:
        assert (await conn_init(ws, live_id))["payload"]["conn_init_ack"]["success"] is True
        await server.advance(20)  # deductions at 6, 12 and 18 s of on_live time
        live = (await server.http.get(f"/_emulator/lives/{live_id}")).json()
        assert live["status"] == "on_live" and live["api_key"] == KEY and live["call_mode"] == "audio"
        assert live["on_live_seconds"] == pytest.approx(20) and live["credits_cost"] == 27
        start = live["start_time"]
        assert [(round(d["at"] - start, 3), d["delta"], d["balance"]) for d in live["billing"]["deductions"]] == [
            (6, -9, 991), (12, -9, 982), (18, -9, 973)]
        assert live["billing"]["balance_before"] == 1000 and live["billing"]["tick_seconds"] == 6
        connection = live["connection"]
        assert connection["connected"] is True and connection["heartbeat_interval"] == 5
        # virtual seconds since the client was last heard (its pongs count: at most since its conn_init)
        assert 0 <= connection["silent_for"] <= 20 and connection["heard_at"] >= start
        assert "picture" not in live["avatar"] and live["avatar"]["persona"] == "A friendly guide."

        assert (await server.http.post(f"/_emulator/lives/{live_id}/hangup",
                                       json={"hangup_reason": "owner_taken_over"})).status_code == 200
        assert (await recv(ws))["type"] == 6
    live = (await server.http.get(f"/_emulator/lives/{live_id}")).json()
    assert live["status"] == "ending" and live["hangup_reason"] == "owner_taken_over"
    assert live["end_time"] - live["start_time"] == pytest.approx(20) and live["credits_cost"] == 30
    final = live["billing"]["deductions"][-1]
    assert (final["at"], final["delta"], final["balance"]) == (live["end_time"], -3, 970)
    assert live["connection"]["connected"] is False
    assert [(m["dir"], m["message"]["type"]) for m in live["messages"]] == [("in", 1), ("out", 2), ("out", 6)]

    idle = (await server.http.get(f"/_emulator/lives/{idle_id}")).json()
    assert idle["start_time"] is None and idle["billing"]["deductions"] == [] and idle["messages"] == []
    assert idle["billing"]["balance_before"] == 970 and idle["on_live_seconds"] == 0

    lives = (await server.http.get("/_emulator/lives")).json()["lives"]
    assert [live["id"] for live in lives] == [live_id, idle_id]
    waiting = (await server.http.get("/_emulator/lives", params={"status": "waiting"})).json()["lives"]
    assert [live["id"] for live in waiting] == [idle_id]
    assert (await server.http.get("/_emulator/lives", params={"api_key": "vda_nobody"})).json() == {"lives": []}


async def test_an_unknown_session_is_not_found(server):
    assert_error(await server.http.get("/_emulator/lives/123456789012345678"), 404, "NotFound")

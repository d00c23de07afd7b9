"""Billing through the whole app: random on_live lengths and balances, real WebSocket sessions on a
manual clock (the `server` fixture of tests/support/server.py), and the bill checked against the ledger."""

from __future__ import annotations

import itertools

import pytest
import websockets
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.support.signaling import conn_init, recv, send

KEYS = (f"vda_billing_{n}" for n in itertools.count())
# The rules, written out from vendor-docs/vidu-s1-live-api.txt line 353 ("The rate is 3 credits per 2 seconds,
# deducted every 6 seconds and rounded up to the nearest 2-second interval"), not taken from viduemu/live.
TICK = 6


def billed(on_live: float) -> int:
    """Credits for ``on_live`` seconds: 3 per started 2 s, judged to the millisecond."""
    return 3 * -(-round(on_live * 1000) // 2000)


def seconds_paid(credits: int) -> int:
    """The on_live seconds ``credits`` pay for: whole 2 s units."""
    return credits // 3 * 2
# whole seconds (ticks, timeouts) and millisecond-precise times (rounding), up to past live_duration
on_live_times = st.one_of(st.integers(1, 700), st.integers(1, 700_000).map(lambda ms: ms / 1000))


def expected(on_live: float, balance: int, live_duration: int) -> tuple[int, set[str]]:
    """(credits_cost, possible hangup reasons) by the billing rules, independent of the session code."""
    end = min(on_live, live_duration)
    dry = next((t for t in range(TICK, int(end) + 1, TICK) if billed(t) >= balance), None)
    if dry is not None:
        reasons = {"credit_insufficient"} | ({"timeout"} if dry == live_duration else set())
        return min(balance, billed(dry)), reasons
    return min(balance, billed(end)), {"timeout" if on_live >= live_duration else "user_end"}


async def run_session(server, key: str, on_live: float) -> dict:
    headers = {"Authorization": f"Token {key}"}
    live_id = (await server.create("audio", headers=headers))["live"]["id"]
    async with server.connect(live_id, headers=headers) as ws:
        assert (await conn_init(ws, live_id))["payload"]["conn_init_ack"]["success"] is True
        await server.advance(on_live)
        if (await server.live(live_id, headers))["status"] == "on_live":
            await send(ws, 5, {"hangup": {"hangup_reason": "user_end"}}, 2, live_id)
        else:
            assert (await recv(ws))["type"] == 6
        with pytest.raises(websockets.exceptions.ConnectionClosed):
            await recv(ws)
    return await server.live(live_id, headers)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(on_live=on_live_times, data=st.data())
@example(on_live=600, data=None).via("the live_duration timeout with credits to spare")
@example(on_live=650.5, data=None).via("past live_duration")
async def test_any_session_bills_what_the_rules_say_and_the_ledger_agrees(server, on_live, data):
    due = billed(min(on_live, 600))
    balance = 1000 if data is None else data.draw(st.one_of(
        st.integers(45, 1200), st.sampled_from([max(45, due), max(45, due - 1), max(45, due + 1)])), label="balance")
    key = next(KEYS)
    await server.http.put(f"/_emulator/accounts/{key}", json={"credits": balance})
    live = await run_session(server, key, on_live)
    cost, reasons = expected(on_live, balance, live["live_duration"])
    account = await server.credits(key)
    deductions = [e for e in account["ledger"] if e["ref"] == live["id"]]
    assert live["credits_cost"] == cost, (on_live, balance, live)
    assert -sum(e["delta"] for e in deductions) == live["credits_cost"]
    assert all(e["delta"] < 0 and e["reason"] == "live" for e in deductions)
    assert account["credits"] == balance - cost >= 0
    assert all(e["balance"] >= 0 for e in account["ledger"])
    assert live["billed_seconds"] == seconds_paid(cost) and live["billed_seconds"] % 2 == 0
    assert live["hangup_reason"] in reasons and live["close_reason"] == live["hangup_reason"]
    assert abs(int(live["end_time"]) - int(live["start_time"]) - min(on_live, live["live_duration"])) <= 1 \
        or live["hangup_reason"] == "credit_insufficient"

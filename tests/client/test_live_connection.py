"""LiveConnection against a real emulator: NOT_READY backoff on an injected clock, forced hangups,
user hangup, and LIVE_CONN_INIT_FAILED."""

import pytest

from tests.conftest import KEY
from viduemu.client.live import LiveConnection, LiveInitFailed


async def test_not_ready_backoff_on_an_injected_clock_then_on_live_and_user_hangup(server):  # noqa: F811
    live_id = (await server.create("video"))["live"]["id"]
    waits = []

    async def sleep(seconds):  # the emulator's manual clock moves instead of the test waiting
        waits.append(seconds)
        await server.advance(seconds)

    async with LiveConnection(server.base, KEY, live_id, sleep=sleep) as live:
        assert waits == [2.0, 4.0] and live.attempts == 3   # ready 3 s after creation
        assert (await server.live(live_id))["status"] == "on_live"
        await server.advance(10)
        await live.hangup()
    live = await server.live(live_id)
    assert live["hangup_reason"] == "user_end" and live["credits_cost"] == 15


async def test_a_forced_hangup_ends_the_iteration_with_its_reason(server):  # noqa: F811
    live_id = (await server.create("audio"))["live"]["id"]
    async with LiveConnection(server.base, f"Token {KEY}", live_id) as live:
        await server.http.post(f"/_emulator/lives/{live_id}/hangup", json={"hangup_reason": "audit_violation"})
        types = [message["type"] async for message in live]
    assert types == [6] and live.hangup_reason == "audit_violation"


async def test_live_conn_init_failed_raises_at_once(server):  # noqa: F811
    live_id = (await server.create("audio"))["live"]["id"]
    await server.http.post("/_emulator/faults", json={"match": {"operation": "ws.conn_init"},
                                                      "action": {"error_code": "LIVE_CONN_INIT_FAILED"}})
    with pytest.raises(LiveInitFailed) as err:
        await LiveConnection(server.base, KEY, live_id).connect()
    assert err.value.error_code == "LIVE_CONN_INIT_FAILED"


async def test_not_ready_after_every_retry_gives_up(server):  # noqa: F811
    live_id = (await server.create("audio"))["live"]["id"]
    await server.http.post("/_emulator/faults", json={"match": {"operation": "ws.conn_init"},
                                                      "action": {"error_code": "NOT_READY"}})

    async def no_wait(seconds):
        return None

    connection = LiveConnection(server.base, KEY, live_id, sleep=no_wait)
    with pytest.raises(LiveInitFailed) as err:
        await connection.connect()
    assert err.value.error_code == "NOT_READY" and connection.attempts == 4

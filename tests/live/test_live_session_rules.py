"""Session rules recorded in docs/decisions.md ("Sessions and timers") that only real WebSocket
connections can show (the `server` fixture of tests/support/server.py)."""

from __future__ import annotations

import pytest
import websockets

from tests.support.signaling import conn_init, recv, send


async def test_a_second_connection_replaces_the_first_with_close_4001(server):  # noqa: F811
    live_id = (await server.create("audio"))["live"]["id"]
    async with server.connect(live_id) as first:
        assert (await conn_init(first, live_id))["payload"]["conn_init_ack"]["success"] is True
        await server.advance(4)
        async with server.connect(live_id) as second:
            assert (await conn_init(second, live_id))["payload"]["conn_init_ack"]["success"] is True
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                await recv(first)
            assert first.close_code == 4001
            live = await server.live(live_id)
            assert live["status"] == "on_live"
            await server.advance(4)
            await send(second, 5, {"hangup": {"hangup_reason": "user_end"}}, 2, live_id)
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                await recv(second)
    live = await server.live(live_id)
    assert live["hangup_reason"] == "user_end" and live["credits_cost"] == 12   # one session, 8 s

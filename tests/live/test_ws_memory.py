"""A signaling connection that ends is freed at once by reference counting, its WebSocket protocol
(and compressor) with it, not left for the cyclic garbage collector: found by bench/soak.py, where
hundreds of sessions a minute kept the server's memory climbing between full collections."""

from __future__ import annotations

import asyncio
import gc
import weakref

from tests.support.signaling import conn_init, send
from viduemu.core.ws import EXTENSION


async def test_an_ended_connection_and_its_protocol_are_freed_without_the_cyclic_gc(server):
    refs = []
    gc.collect()
    gc.disable()
    try:
        for i in range(4):
            live_id = (await server.create())["live"]["id"]
            async with server.connect(live_id) as ws:
                await conn_init(ws, live_id)
                conn = server.emu.live.sessions._conns[live_id]
                protocol = conn.ws.scope["extensions"][EXTENSION]["ping"].__self__
                refs += [weakref.ref(conn), weakref.ref(protocol)]
                del conn, protocol
                if i % 2:  # the user hangs up; else the client just closes (a drop)
                    await send(ws, 5, {"hangup": {"hangup_reason": "user_end"}}, 2, live_id)
                    await ws.wait_closed()
        await server.advance(10)  # the cancelled heartbeat timers leave the clock's heap
        for _ in range(100):
            if all(ref() is None for ref in refs):
                break
            await asyncio.sleep(0.02)
        assert [ref() for ref in refs] == [None] * len(refs)
    finally:
        gc.enable()


async def test_the_server_does_not_negotiate_permessage_deflate(server):
    """Signaling frames are small; a compressing connection holds zlib state for its whole life."""
    live_id = (await server.create())["live"]["id"]
    async with server.connect(live_id) as ws:  # the websockets client offers permessage-deflate
        assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
        assert (await conn_init(ws, live_id))["payload"]["conn_init_ack"]["success"] is True

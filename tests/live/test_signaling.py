"""The signaling WebSocket over real connections: conn_init, NOT_READY backoff, hangups, heartbeats."""

import asyncio
import json
from itertools import pairwise

import pytest
import websockets

from tests.conftest import AUTH, KEY
from tests.support.signaling import RawClient, conn_init, recv, send, until


async def test_audio_mode_goes_on_live_when_the_success_ack_is_sent(server):
    created = await server.create("audio")
    live_id = created["live"]["id"]
    assert (await server.live(live_id))["status"] == "waiting"
    async with server.connect(live_id) as ws:
        ack = await conn_init(ws, live_id)
        assert ack["type"] == 2 and ack["live_id"] == live_id and ack["seq_id"] == 1
        assert ack["payload"] == {"conn_init_ack": {"success": True}}
        live = await server.live(live_id)
        assert live["status"] == "on_live" and live["start_time"] != "0"
        assert int(live["start_time"]) == int(server.emu.core.clock.now())


async def test_video_mode_answers_not_ready_while_warming_then_backoff_reaches_success(server):
    live_id = (await server.create("video"))["live"]["id"]
    waits = []
    for backoff in (2, 4, 8):
        async with server.connect(live_id) as ws:
            ack = await conn_init(ws, live_id)
        if ack["payload"]["conn_init_ack"]["success"]:
            break
        assert ack["payload"]["conn_init_ack"]["error_code"] == "NOT_READY"
        assert ack["payload"]["conn_init_ack"]["error_msg"]
        waits.append(backoff)
        await server.advance(backoff)  # the documented 2 -> 4 -> 8 s backoff, on the virtual clock
    else:
        pytest.fail("never became ready")
    assert waits == [2, 4]  # ready 3 s after creation: the third attempt (after 2 + 4 s) succeeds
    assert (await server.live(live_id))["status"] == "on_live"


async def test_query_parameter_auth_as_browsers_use_it(server):
    live_id = (await server.create())["live"]["id"]
    async with server.connect(live_id, headers={}, query=f"&authorization=Token%20{KEY}") as ws:
        assert (await conn_init(ws, live_id))["payload"]["conn_init_ack"]["success"] is True


@pytest.mark.parametrize("headers,query,status", [
    ({}, "", 401),
    ({"Authorization": "Bearer vda_x"}, "", 401),
    ({"Authorization": "Token vda_someone_else"}, "", 403),
])
async def test_refused_upgrades(server, headers, query, status):
    live_id = (await server.create())["live"]["id"]
    with pytest.raises(websockets.exceptions.InvalidStatus) as err:
        async with server.connect(live_id, headers=headers, query=query):
            pass
    assert err.value.response.status_code == status


async def test_unknown_live_id_is_refused_with_404(server):
    with pytest.raises(websockets.exceptions.InvalidStatus) as err:
        async with server.connect("123456789012345678"):
            pass
    assert err.value.response.status_code == 404


async def test_user_hangup_ends_the_session_and_the_server_closes(server):
    live_id = (await server.create())["live"]["id"]
    async with server.connect(live_id) as ws:
        await conn_init(ws, live_id)
        await server.advance(10)
        await send(ws, 5, {"hangup": {"hangup_reason": "user_end"}}, 2, live_id)
        with pytest.raises(websockets.exceptions.ConnectionClosed):
            await recv(ws)
    live = await server.live(live_id)
    assert live["status"] == "ending" and live["hangup_reason"] == "user_end"
    await server.advance(2)
    live = await server.live(live_id)
    assert live["status"] == "ended" and live["end_time"] != "0"
    assert live["credits_cost"] == 15 and live["billed_seconds"] == 10


async def test_87_second_session_costs_132_with_6_second_deductions_in_the_ledger(server):
    live_id = (await server.create())["live"]["id"]
    async with server.connect(live_id) as ws:
        await conn_init(ws, live_id)
        await server.advance(87)
        await send(ws, 5, {"hangup": {"hangup_reason": "user_end"}}, 2, live_id)
        with pytest.raises(websockets.exceptions.ConnectionClosed):
            await recv(ws)
    live = await server.live(live_id)
    assert live["credits_cost"] == 132 and live["billed_seconds"] == 88
    ledger = [e for e in (await server.credits(KEY))["ledger"] if e["ref"] == live_id]
    assert [e["delta"] for e in ledger] == [-9] * 14 + [-6]
    ticks = [e["at"] for e in ledger[:-1]]
    assert [round(b - a, 3) for a, b in pairwise(ticks)] == [6] * 13   # every 6 s
    assert 6 <= ticks[0] - int(live["start_time"]) < 7                       # the first 6 s after on_live
    assert -sum(e["delta"] for e in ledger) == live["credits_cost"]


async def test_a_session_started_with_45_credits_ends_at_30_s_with_credit_insufficient(server):
    await server.http.put(f"/_emulator/accounts/{KEY}", json={"credits": 45})
    live_id = (await server.create())["live"]["id"]
    async with server.connect(live_id) as ws:
        await conn_init(ws, live_id)
        await server.advance(60)
        message = await recv(ws)
        assert message["type"] == 6 and message["payload"] == {"hangup": {"hangup_reason": "credit_insufficient"}}
        with pytest.raises(websockets.exceptions.ConnectionClosed):
            await recv(ws)
    live = await server.live(live_id)
    assert live["hangup_reason"] == "credit_insufficient" and live["credits_cost"] == 45
    assert int(live["end_time"]) - int(live["start_time"]) == 30
    assert (await server.credits(KEY))["credits"] == 0


async def test_creating_needs_45_credits(server):
    await server.http.put(f"/_emulator/accounts/{KEY}", json={"credits": 44})
    body = {"call_mode": "audio", "avatar": {"persona": "p", "image_uri": "https://example.com/a.png"}}
    r = await server.http.post("/live/v1/lives", json=body, headers=AUTH)
    assert r.status_code == 400 and r.json()["reason"] == "CreditInsufficient"


async def test_live_duration_timeout_and_a_healthy_client_survives_one_600_s_advance(server):
    live_id = (await server.create())["live"]["id"]
    async with server.connect(live_id) as ws:
        await conn_init(ws, live_id)
        started = asyncio.get_running_loop().time()
        await server.advance(600)
        assert asyncio.get_running_loop().time() - started < 0.5
        message = await recv(ws)
        assert message["type"] == 6 and message["payload"]["hangup"]["hangup_reason"] == "timeout"
    live = await server.live(live_id)
    assert live["hangup_reason"] == "timeout" and live["credits_cost"] == 900 and live["billed_seconds"] == 600


async def test_a_silent_client_is_dropped_after_15_s_and_the_session_ends_after_the_grace(server, live_settings):
    live_id = (await server.create())["live"]["id"]
    port = server.port
    client = await RawClient.open(port, live_id, KEY)  # answers no ping, sends nothing after conn_init
    client.send_text(json.dumps({"type": 1, "live_id": live_id, "seq_id": 1, "payload": {"conn_init": {"version": 1}}}))
    await until(lambda: _status(server, live_id, "on_live"), what="on_live")
    await server.advance(5)             # ping 1 goes unanswered
    await asyncio.sleep(live_settings.heartbeat_wall_slack + 0.1)
    await server.advance(9)             # 14 s of silence: still connected
    assert (await server.live(live_id))["status"] == "on_live"
    await server.advance(1)             # 15 s: dropped
    assert await client.closed_by_server()
    closes = [e for e in (await server.http.get("/_emulator/ws")).json()["messages"]
              if e["live_id"] == live_id and e["dir"] == "out" and "close" in e["message"]]
    assert closes and closes[-1]["message"]["close"] == 4000
    assert (await server.live(live_id))["status"] == "on_live"  # it may reconnect within the grace window
    await server.advance(live_settings.live_reconnect_grace)
    live = await server.live(live_id)
    assert live["status"] in ("ending", "ended") and live["hangup_reason"] == "client_reconnect_timeout"
    client.close()


async def _status(server, live_id, status):
    return (await server.live(live_id))["status"] == status


async def test_a_dropped_client_that_reconnects_in_time_keeps_the_session(server):
    live_id = (await server.create())["live"]["id"]
    async with server.connect(live_id) as ws:
        await conn_init(ws, live_id)
    await server.advance(10)
    async with server.connect(live_id) as ws:
        assert (await conn_init(ws, live_id))["payload"]["conn_init_ack"]["success"] is True
        await server.advance(30)
        assert (await server.live(live_id))["status"] == "on_live"


async def test_a_never_connected_session_expires_with_timeout_and_nothing_billed(server, live_settings):
    live_id = (await server.create())["live"]["id"]
    await server.advance(live_settings.live_idle_timeout + 2)
    live = await server.live(live_id)
    assert live["status"] == "ended" and live["close_reason"] == "timeout"
    assert live["credits_cost"] == 0 and live["billed_seconds"] == 0 and live["start_time"] == "0"
    async with server.connect(live_id) as ws:
        ack = await conn_init(ws, live_id)
        assert ack["payload"]["conn_init_ack"]["error_code"] == "LIVE_CONN_INIT_FAILED"


async def test_live_conn_init_failed_fault_is_permanent_for_the_session(server):
    live_id = (await server.create())["live"]["id"]
    r = await server.http.post("/_emulator/faults", json={"match": {"operation": "ws.conn_init"},
                                                          "action": {"error_code": "LIVE_CONN_INIT_FAILED"},
                                                          "times": 1})
    assert r.status_code == 200
    for _ in range(2):
        async with server.connect(live_id) as ws:
            ack = await conn_init(ws, live_id)
            assert ack["payload"]["conn_init_ack"]["error_code"] == "LIVE_CONN_INIT_FAILED"


async def test_not_ready_fault_applies_n_times(server):
    live_id = (await server.create())["live"]["id"]
    await server.http.post("/_emulator/faults", json={"match": {"operation": "ws.conn_init"},
                                                      "action": {"error_code": "NOT_READY"}, "times": 2})
    codes = []
    for _ in range(3):
        async with server.connect(live_id) as ws:
            ack = (await conn_init(ws, live_id))["payload"]["conn_init_ack"]
            codes.append(ack.get("error_code", "success"))
    assert codes == ["NOT_READY", "NOT_READY", "success"]


REASONS = ["user_end", "timeout", "audit_violation", "credit_insufficient", "sip_closed", "provider_closed",
           "sip_reconnect_timeout", "client_reconnect_timeout", "prepared_sip_disconnected", "owner_taken_over",
           "owner_lease_lost", "ai_output_closed", "external"]


@pytest.mark.parametrize("reason", REASONS)
async def test_every_hangup_reason_through_the_control_plane(server, reason):
    live_id = (await server.create())["live"]["id"]
    async with server.connect(live_id) as ws:
        await conn_init(ws, live_id)
        await server.advance(7)
        r = await server.http.post(f"/_emulator/lives/{live_id}/hangup", json={"hangup_reason": reason})
        assert r.status_code == 200, r.text
        message = await recv(ws)
        assert message["type"] == 6 and message["payload"] == {"hangup": {"hangup_reason": reason}}
        with pytest.raises(websockets.exceptions.ConnectionClosed):
            await recv(ws)
    live = await server.live(live_id)
    assert live["hangup_reason"] == reason and live["credits_cost"] == 12  # 7 s -> 8 s -> 12 credits


async def test_control_plane_hangup_refuses_undocumented_reasons(server):
    live_id = (await server.create())["live"]["id"]
    r = await server.http.post(f"/_emulator/lives/{live_id}/hangup", json={"hangup_reason": "bored"})
    assert r.status_code == 400 and r.json()["metadata"]["fields"] == "hangup_reason"


@pytest.mark.parametrize("frame", ["not json", "[1, 2]", '{"type": "1"}', '{"type": 42, "payload": {}}',
                                   '{"type": 1, "payload": {"conn_init": {"version": 2}}}', '{"type": 5}'])
async def test_malformed_frames_get_an_error_message_and_the_connection_stays(server, frame):
    live_id = (await server.create())["live"]["id"]
    async with server.connect(live_id) as ws:
        await ws.send(frame)
        message = await recv(ws)
        assert message["type"] == 0 and message["payload"]["error"]["code"]
        assert (await conn_init(ws, live_id))["payload"]["conn_init_ack"]["success"] is True


async def test_a_frame_over_64_kib_is_refused_with_close_1009(server):
    live_id = (await server.create())["live"]["id"]
    async with server.connect(live_id, max_size=None) as ws:
        await ws.send("x" * (64 * 1024 + 1))
        with pytest.raises(websockets.exceptions.ConnectionClosed):
            await recv(ws)
        assert ws.close_code == 1009
    async with server.connect(live_id) as ws:  # the server is fine
        assert (await conn_init(ws, live_id))["payload"]["conn_init_ack"]["success"] is True


def test_the_server_handles_every_client_message_the_contract_names():
    from viduemu.core import asyncapi
    from viduemu.live.signaling import Signaling

    assert set(asyncapi.default().types("receive")) == set(Signaling.HANDLERS)


async def test_every_server_message_seen_in_the_journal_matches_the_contract(server):
    from viduemu.core import asyncapi

    live_id = (await server.create("video"))["live"]["id"]
    async with server.connect(live_id) as ws:
        await conn_init(ws, live_id)          # NOT_READY
        await ws.send("nonsense")
        await recv(ws)                        # error
    await server.advance(5)
    async with server.connect(live_id) as ws:
        await conn_init(ws, live_id)          # success
        await server.http.post(f"/_emulator/lives/{live_id}/hangup", json={"hangup_reason": "sip_closed"})
        await recv(ws)                        # forced hangup
    sent = [e["message"] for e in (await server.http.get(f"/_emulator/ws?live_id={live_id}")).json()["messages"]
            if e["dir"] == "out" and "type" in e["message"]]
    assert {m["type"] for m in sent} == {0, 2, 6}
    for message in sent:
        asyncapi.validate("send", message)

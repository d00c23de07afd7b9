"""--state: live sessions survive a restart; one that was on_live waits for its client, then ends
with client_reconnect_timeout, billed for the time that elapsed."""

from dataclasses import replace

from tests.conftest import KEY
from tests.live.conftest import conn_init, running


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

"""Per-API-key caps: open live sessions (--live-max-open). The RTC peer caps are tested with real
peers in tests/rtc/test_gateway.py."""

from __future__ import annotations

import pytest

from tests.conftest import AUTH, KEY, advance, assert_error
from viduemu.config import Settings

LIVE = {"call_mode": "audio", "avatar": {"persona": "A guide.", "image_uri": "https://example.com/a.png"}}
OTHER = {"Authorization": "Token vda_other_key"}


@pytest.fixture
def settings() -> Settings:
    return Settings(clock="manual", seed=1234, live_max_open=2)


async def open_live(client, headers=AUTH) -> str:
    r = await client.post("/live/v1/lives", json=LIVE, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["live"]["id"]


async def test_open_lives_per_api_key_are_capped_with_429_quota_exceeded(client, emu):
    first = await open_live(client)
    await open_live(client)
    before = (await client.get(f"/_emulator/accounts/{KEY}")).json()
    body = assert_error(await client.post("/live/v1/lives", json=LIVE, headers=AUTH), 429, "QuotaExceeded")
    assert "at most 2 live sessions" in body["message"]
    assert emu.core.store.count("lives") == 2  # nothing created, nothing charged
    assert (await client.get(f"/_emulator/accounts/{KEY}")).json() == before
    # another key has its own allowance
    await open_live(client, OTHER)
    # an ended session no longer counts
    r = await client.post(f"/_emulator/lives/{first}/hangup", json={"hangup_reason": "user_end"})
    assert r.status_code == 200
    await open_live(client)


async def test_a_never_connected_session_stops_counting_when_it_expires(client, emu):
    await open_live(client)
    await open_live(client)
    assert_error(await client.post("/live/v1/lives", json=LIVE, headers=AUTH), 429, "QuotaExceeded")
    await advance(client, emu.core.settings.live_idle_timeout + 1)
    await open_live(client)


async def test_bad_input_is_judged_before_the_open_lives_cap(client):
    await open_live(client)
    await open_live(client)
    r = await client.post("/live/v1/lives", json={"call_mode": "audio"}, headers=AUTH)
    assert_error(r, 400, "FieldLacking", "avatar")


async def test_open_lives_over_every_key_are_capped_with_429_quota_exceeded(app, client, emu):
    emu.core.settings.live_max_open_total = 3   # keys are free: a server-wide cap bounds the memory
    await open_live(client)
    await open_live(client, OTHER)
    await open_live(client, {"Authorization": "Token vda_third_key"})
    body = assert_error(await client.post("/live/v1/lives", json=LIVE, headers={"Authorization": "Token vda_fourth"}),
                        429, "QuotaExceeded")
    assert "on this server" in body["message"]
    assert emu.core.store.count("lives") == 3

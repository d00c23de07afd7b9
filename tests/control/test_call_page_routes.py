"""The call page's routes (no browser): the static page and its files, the rtc-block route it reads."""

from __future__ import annotations

import pytest

from tests.conftest import AUTH, assert_error
from viduemu.config import Settings

BODY = {"call_mode": "video", "avatar": {"persona": "A guide.", "image_uri": "https://example.com/a.png"}}


async def create(client, call_mode="video") -> dict:
    r = await client.post("/live/v1/lives", json={**BODY, "call_mode": call_mode}, headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


async def test_call_page_is_served_for_a_session(client):
    r = await client.get("/_emulator/call/123456789012345678")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<script src="/_emulator/call/assets/call.js">' in r.text
    js = await client.get("/_emulator/call/assets/call.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "/_emulator/rtc/sdp" in js.text and "authorization=" in js.text
    css = await client.get("/_emulator/call/assets/call.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize("name", ["index.html", "..%2Froutes.py", "call.py", "nothing.js"])
async def test_call_page_serves_only_its_own_files(client, name):
    assert_error(await client.get(f"/_emulator/call/assets/{name}"), 404, "NotFound")


async def test_rtc_block_route_answers_the_create_answers_rtc_block(client):
    created = await create(client)
    live_id = created["live"]["id"]
    r = await client.get(f"/_emulator/lives/{live_id}/rtc")
    assert r.status_code == 200
    body = r.json()
    assert body["live"] == {"id": live_id, "status": "waiting", "call_mode": "video"}
    creator, live = created["rtc"]["user_id"].removeprefix("live-user-").rsplit("-", 1)
    assert body["rtc"] == {**created["rtc"], "bot_user_id": f"live-bot-{creator}-{live}"}


async def test_rtc_block_route_follows_the_session_state(client):
    live_id = (await create(client, "audio"))["live"]["id"]
    await client.post(f"/_emulator/lives/{live_id}/hangup", json={"hangup_reason": "user_end"})
    body = (await client.get(f"/_emulator/lives/{live_id}/rtc")).json()
    assert body["live"]["status"] == "ending" and body["live"]["call_mode"] == "audio"


async def test_rtc_block_route_unknown_session_is_not_found(client):
    assert_error(await client.get("/_emulator/lives/123456789012345678/rtc"), 404, "NotFound")


class TestWithAdminToken:
    @pytest.fixture
    def settings(self) -> Settings:
        return Settings(clock="manual", seed=1234, admin_token="s3cret")

    async def test_the_page_needs_no_admin_token(self, client):
        assert (await client.get("/_emulator/call/1")).status_code == 200
        assert (await client.get("/_emulator/call/assets/call.js")).status_code == 200

    async def test_the_rtc_block_needs_the_admin_token(self, client):
        live_id = (await create(client))["live"]["id"]
        assert_error(await client.get(f"/_emulator/lives/{live_id}/rtc"), 401, "Unauthorized")
        r = await client.get(f"/_emulator/lives/{live_id}/rtc", headers={"Authorization": "Bearer s3cret"})
        assert r.status_code == 200

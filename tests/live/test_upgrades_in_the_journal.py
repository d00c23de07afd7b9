"""WebSocket upgrades appear in the request journal (accepted: 101; refused: the status of the refusal), like requests."""

from __future__ import annotations

import pytest
import websockets

from tests.conftest import AUTH


async def test_a_signaling_upgrade_is_in_the_request_journal(server):
    r = await server.http.post("/live/v1/lives", headers=AUTH, json={
        "call_mode": "audio", "avatar": {"persona": "A guide.", "image_uri": "https://example.com/a.png"}})
    live_id = r.json()["live"]["id"]
    url = f"{server.ws_base}/live/ws/live/connect?live_id={live_id}"
    async with websockets.connect(url, additional_headers=AUTH, open_timeout=5):
        pass
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(url, open_timeout=5):  # no key: refused
            pass
    journal = (await server.http.get("/_emulator/requests")).json()["requests"]
    upgrades = [e for e in journal if e["path"] == "/live/ws/live/connect"]
    assert sorted(e["status"] for e in upgrades) == [101, 401]  # accepted; refused without a key
    assert all(e["method"] == "GET" for e in upgrades)

"""The S1 live API: free calls, and one short audio session when the live budget allows it."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import urllib.parse
from typing import TYPE_CHECKING, Any

import pytest
import websockets

if TYPE_CHECKING:
    from pytest_viduemu.control import EmulatorControl
    from pytest_viduemu.plugin import WallClock
    from viduemu.client import ViduClient
    from viduemu.conformance.conftest import Observer

UNKNOWN_LIVE = "100000000000000001"
SESSION_SECONDS = 4          # on_live time of the smallest session: 2 billing units, 6 credits
SESSION_CREDITS = 15         # the budget it asks for (with room for rounding)


def avatar_uri() -> str:
    """A 256x256 PNG as a data URI: no hosting needed, valid for the vendor's image checks."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 120, 80)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_voice_list(vidu_client: ViduClient) -> None:
    assert isinstance(vidu_client.list_voices()["voices"], list)


def test_unknown_live_is_not_found(vidu_client: ViduClient, observer: Observer) -> None:
    observer.refused(lambda: vidu_client.get_live(UNKNOWN_LIVE), "GET /live/v1/lives/{live_id}", 404, "NotFound")


def test_live_list_shape(vidu_client: ViduClient) -> None:
    page = vidu_client.list_lives(**{"pager.pagesz": 1})
    assert isinstance(page["lives"], list) and len(page["lives"]) <= 1


def test_live_list_page_size_over_100_is_refused(vidu_client: ViduClient, observer: Observer) -> None:
    observer.refused(lambda: vidu_client.list_lives(**{"pager.pagesz": 101}), "GET /live/v1/lives", 400,
                     "PageSizeOutOfRange")


@pytest.mark.vidu_spends(0)
def test_live_without_avatar_is_refused(vidu_client: ViduClient, observer: Observer) -> None:
    observer.refused(lambda: vidu_client.create_live(call_mode="audio"), "POST /live/v1/lives", 400, "FieldLacking")


@pytest.mark.vidu_spends(SESSION_CREDITS)
def test_smallest_audio_session(vidu_client: ViduClient, vidu_clock: EmulatorControl | WallClock, vidu_base_url: str,
                                vidu_api_key: str, observer: Observer) -> None:
    live = vidu_client.create_live(call_mode="audio", avatar={"persona": "A conformance check.",
                                                               "image_uri": avatar_uri()})
    live_id = live["live"]["id"] if "live" in live else live["id"]
    asyncio.run(_session(vidu_base_url, vidu_api_key, live_id, vidu_clock, observer))
    for _ in range(30):   # hangup -> ending -> ended
        ended = vidu_client.get_live(live_id)["live"]
        if ended["status"] == "ended":
            break
        vidu_clock.sleep(1)
    assert ended["status"] == "ended", ended
    assert 0 < ended["credits_cost"] <= SESSION_CREDITS, ended


async def _session(base_url: str, api_key: str, live_id: str, clock: EmulatorControl | WallClock,
                   observer: Observer) -> None:
    scheme = "wss" if base_url.startswith("https") else "ws"
    url = f"{scheme}://{base_url.split('://', 1)[1]}/live/ws/live/connect?live_id={urllib.parse.quote(live_id)}"
    async with websockets.connect(url, additional_headers={"Authorization": f"Token {api_key}"}) as ws:
        seq = 0

        async def send(type_: int, payload: dict[str, Any]) -> None:
            nonlocal seq
            seq += 1
            message = {"type": type_, "live_id": live_id, "seq_id": seq, "payload": payload}
            observer.message("receive", message)
            await ws.send(json.dumps(message))

        async def ack() -> dict[str, Any]:
            while True:
                message = observer.message("send", await asyncio.wait_for(ws.recv(), 30))
                if message.get("type") == 2:
                    conn_init_ack: dict[str, Any] = message["payload"]["conn_init_ack"]
                    return conn_init_ack

        for wait in (2, 4, 8, None):   # the documented NOT_READY backoff
            await send(1, {"conn_init": {"version": 1}})
            answer = await ack()
            if answer.get("success") or answer.get("error_code") != "NOT_READY" or wait is None:
                break
            await clock.async_sleep(wait)
        assert answer.get("success"), answer
        await clock.async_sleep(SESSION_SECONDS)
        await send(5, {"hangup": {"hangup_reason": "user_end"}})
        try:
            while True:   # whatever the server still says before it closes is checked too
                observer.message("send", await asyncio.wait_for(ws.recv(), 10))
        except websockets.ConnectionClosed:
            pass

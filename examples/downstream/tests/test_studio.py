"""Studio's tests, written only with viduemu's pytest fixtures: they run on the emulator by default,
and against the real Vidu with --vidu-target=live (see README.md)."""

from __future__ import annotations

import httpx
import pytest

from studio import ClipFailed, call, make_clip
from viduemu.client import ViduError

AVATAR = "https://example.com/host.png"


@pytest.mark.vidu_spends(80)
def test_make_clip_returns_a_playable_video(vidu_client):
    url = make_clip(vidu_client, "a paper boat drifting on a pond")
    video = httpx.get(url, follow_redirects=True, timeout=60)
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"   # an MP4


@pytest.mark.vidu_emulator_only
def test_make_clip_reports_a_moderation_failure(vidu_client, vidu_emulator):
    vidu_emulator.fault({"match": {"operation": "task.finish"}, "action": {"err_code": "CreationPolicyViolation"}})
    with pytest.raises(ClipFailed, match="CreationPolicyViolation"):
        make_clip(vidu_client, "something the moderator dislikes")
    assert vidu_client.credits()["remains"][0]["credit_remain"] == 1000   # the charge was refunded


@pytest.mark.vidu_emulator_only
def test_make_clip_without_credits_is_refused(vidu_client, vidu_emulator):
    vidu_emulator.set_credits(0)
    with pytest.raises(ViduError) as refused:
        make_clip(vidu_client, "a clip we cannot pay for")
    assert (refused.value.status, refused.value.reason) == (400, "CreditInsufficient")


@pytest.mark.vidu_spends(15)
async def test_call_goes_live_and_is_billed(vidu_async_client, vidu_base_url, vidu_api_key, vidu_clock):
    live = await call(vidu_async_client, vidu_base_url, vidu_api_key, persona="A cheerful tour guide.",
                      image_uri=AVATAR, seconds=4, sleep=vidu_clock.async_sleep)
    assert live["status"] == "ended" and live["credits_cost"] > 0


@pytest.mark.vidu_emulator_only
async def test_call_waits_out_not_ready(vidu_async_client, vidu_base_url, vidu_api_key, vidu_clock, vidu_emulator):
    vidu_emulator.fault({"match": {"operation": "ws.conn_init"}, "action": {"error_code": "NOT_READY"}, "times": 2})
    live = await call(vidu_async_client, vidu_base_url, vidu_api_key, persona="A patient librarian.",
                      image_uri=AVATAR, seconds=4, sleep=vidu_clock.async_sleep)
    assert live["status"] == "ended"
    acks = [m for m in vidu_emulator.ws_messages(live["id"]) if m["message"]["type"] == 2]
    assert [a["message"]["payload"]["conn_init_ack"].get("error_code") for a in acks] == ["NOT_READY", "NOT_READY", None]


@pytest.mark.vidu_emulator_only
async def test_call_ends_when_credits_run_out(vidu_async_client, vidu_base_url, vidu_api_key, vidu_clock,
                                              vidu_emulator):
    vidu_emulator.set_credits(45)   # the minimum to start: 30 s of talk
    live = await call(vidu_async_client, vidu_base_url, vidu_api_key, persona="A chatty barber.",
                      image_uri=AVATAR, seconds=60, sleep=vidu_clock.async_sleep)
    assert (live["hangup_reason"], live["credits_cost"]) == ("credit_insufficient", 45)

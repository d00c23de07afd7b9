"""The thin client against the emulator: every method, through the in-process ASGI transport and
through a real socket, async and sync; vendor errors as ViduError; retries on 429/5xx."""

import httpx
import pytest

from tests.api.generation_support import png
from tests.api.mvsubj_support import wav
from tests.live.conftest import running
from tests.server import Server
from viduemu.client.http import AsyncViduClient, TaskTimeout, ViduClient, ViduError

KEY = "vda_client_test"
AVATAR = {"persona": "A guide.", "image_uri": "https://example.com/a.png"}


def scenario():
    """(method name, call) pairs covering every operation; later calls use earlier answers (``got``)."""
    return [
        ("credits", lambda c, got: c.credits(show_detail=True)),
        ("img2video", lambda c, got: c.img2video(model="viduq1", images=[png()], prompt="wave")),
        ("text2video", lambda c, got: c.text2video(model="viduq1", prompt="a cat")),
        ("start_end2video", lambda c, got: c.start_end2video(model="viduq1", images=[png(), png()])),
        ("reference2video", lambda c, got: c.reference2video(model="viduq2", images=[png()], prompt="hi")),
        ("get_task", lambda c, got: c.get_task(got["img2video"]["task_id"])),
        ("cancel_task", lambda c, got: c.cancel_task(got["text2video"]["task_id"])),
        ("list_tasks", lambda c, got: c.list_tasks()),
        ("create_subject", lambda c, got: c.create_subject(name="hero", images=[png()])),
        ("list_subjects", lambda c, got: c.list_subjects()),
        ("update_subject", lambda c, got: c.update_subject(got["create_subject"]["id"], description="brave")),
        ("mv_create", lambda c, got: c.mv_create(images=[png()], audio_url=wav(10))),
        ("mv_get", lambda c, got: c.mv_get(got["mv_create"]["id"])),
        ("create_live", lambda c, got: c.create_live(call_mode="audio", avatar=AVATAR)),
        ("get_live", lambda c, got: c.get_live(got["create_live"]["live"]["id"])),
        ("clone_voice", lambda c, got: c.clone_voice(voice="my-voice", audio_url="https://example.com/v.mp3")),
        ("list_voices", lambda c, got: c.list_voices()),
    ]


def check(got: dict) -> None:
    assert got["credits"]["remains"][0]["credit_remain"] == 1000 and "packages" in got["credits"]
    assert got["img2video"]["state"] == "created" and got["get_task"]["state"] in ("created", "queueing")
    assert got["cancel_task"] == {}
    assert {t["id"] for t in got["list_tasks"]["tasks"]} >= {got["img2video"]["task_id"]}
    assert got["update_subject"]["description"] == "brave"
    assert got["mv_get"]["id"] == got["mv_create"]["id"]
    assert got["get_live"]["live"]["status"] == "waiting"
    assert got["list_voices"] == {"voices": [{"voice": "my-voice"}]}
    mv_edit_compose = {"mv_edit", "mv_compose"}  # need a finished MV: covered in test_mv_edit_and_compose
    assert {name for name, _ in scenario()} | mv_edit_compose | {"wait_for_task"} >= {
        m for m in dir(ViduClient) if not m.startswith("_") and m not in ("close",)}


async def run_async(client) -> dict:
    got = {}
    for name, call in scenario():
        got[name] = await call(client, got)
    return got


async def test_every_method_through_the_asgi_transport(app):
    async with AsyncViduClient(KEY, "http://testserver", transport=httpx.ASGITransport(app=app)) as client:
        check(await run_async(client))


async def test_every_method_through_a_real_socket(live_settings, contracts):
    async with running(live_settings, contracts) as server:
        async with AsyncViduClient(f"Token {KEY}", server.base) as client:
            check(await run_async(client))


@pytest.mark.slow
def test_the_sync_client_through_a_real_socket_and_wait_for_task():
    with Server("--clock", "manual") as server, ViduClient(KEY, server.url) as client:
        got = {}
        for name, call in scenario():
            got[name] = call(client, got)
        check(got)
        advance = lambda seconds: httpx.post(server.url + "/_emulator/clock/advance", json={"seconds": seconds})
        done = client.wait_for_task(got["img2video"]["task_id"], interval=20, sleep=advance)
        assert done["state"] == "success" and done["creations"]


async def test_mv_edit_and_compose(app):
    async with AsyncViduClient(KEY, "http://testserver", transport=httpx.ASGITransport(app=app)) as client:
        mv = await client.mv_create(images=[png()], audio_url=wav(10))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as control:
            await control.post("/_emulator/clock/advance", json={"seconds": 60})
        record = await client.mv_get(mv["id"])
        shot = next(r for r in record["job_records"] if r["type"] == "generate_video")["jobs"][0]
        edited = await client.mv_edit(mv["id"], job_id=shot["id"], prompt="brighter")
        assert edited["id"]
        composed = await client.mv_compose(mv["id"], job_ids=[shot["id"]])
        assert composed["id"]


async def test_errors_raise_vidu_error_with_the_envelope(app):
    async with AsyncViduClient(KEY, "http://testserver", transport=httpx.ASGITransport(app=app)) as client:
        with pytest.raises(ViduError) as err:
            await client.get_task("123456789012345678")
        assert (err.value.status, err.value.reason) == (404, "TaskNotFound")
        assert len(err.value.trace_id) == 32 and err.value.message and err.value.body["code"] == 404
        with pytest.raises(ViduError) as err:
            await client.img2video(model="viduq1")
        assert err.value.reason == "FieldLacking"


async def test_429_and_5xx_are_retried_with_backoff_then_raised(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as control:
        await control.post("/_emulator/faults", json={"match": {"operation": "GET /ent/v2/credits"},
                                                      "action": {"status": 429, "reason": "TooManyRequests"},
                                                      "times": 2})
        async with AsyncViduClient(KEY, "http://t", transport=httpx.ASGITransport(app=app), backoff=0) as client:
            assert (await client.credits())["remains"]          # two 429s, then the answer
        await control.post("/_emulator/faults", json={"match": {"operation": "GET /ent/v2/credits"},
                                                      "action": {"status": 503}, "times": 5})
        async with AsyncViduClient(KEY, "http://t", transport=httpx.ASGITransport(app=app), backoff=0,
                                   retries=1) as client:
            with pytest.raises(ViduError) as err:
                await client.credits()
            assert err.value.status == 503
        requests = (await control.get("/_emulator/requests")).json()["requests"]
        assert [r["status"] for r in requests if r["path"] == "/ent/v2/credits"] == [429, 429, 200, 503, 503]


async def test_wait_for_task_sleeps_on_an_injected_clock_and_times_out(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as control:
        async with AsyncViduClient(KEY, "http://t", transport=httpx.ASGITransport(app=app)) as client:
            task = await client.img2video(model="viduq1", images=[png()])

            async def advance(seconds):
                await control.post("/_emulator/clock/advance", json={"seconds": seconds})

            done = await client.wait_for_task(task["task_id"], interval=20, sleep=advance)
            assert done["state"] == "success"
            slow = await client.img2video(model="viduq1", images=[png()])
            with pytest.raises(TaskTimeout):
                await client.wait_for_task(slow["task_id"], timeout=1, interval=1, sleep=lambda s: _nothing())


async def _nothing():
    return None


def test_the_client_package_imports_nothing_from_the_server():
    import subprocess
    import sys

    code = ("import sys, viduemu.client.http, viduemu.client.live, viduemu.client.signature; "
            "bad = [m for m in sys.modules if m.startswith('viduemu.') and not m.startswith('viduemu.client')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_verify_callback_signature_matches_the_vendor_test_vector():
    from viduemu.client.signature import verify_callback_signature

    headers = {"Date": "Tue, 06 May 2025 12:09:42 GMT", "x-request-nonce": "123e4567-e89b-12d3-a456-426614174000",
               "X-HMAC-SIGNED-HEADERS": "Date;x-request-nonce",
               "X-HMAC-SIGNATURE": "9JZa1ZLjkWVos5QQzjjviqAsFE1L9yQw/LsnAXZFIjo="}
    url = "http://127.0.0.1:8080/vidu/callback?name=james&age=36"
    assert verify_callback_signature("POST", url, headers, "test-secret-key")
    assert not verify_callback_signature("POST", url, headers, "another-key")

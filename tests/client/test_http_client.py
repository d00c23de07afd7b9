"""The thin client against the emulator: every public method of ViduClient and AsyncViduClient,
each through the in-process ASGI transport and through a real socket (the ``target`` fixture);
vendor errors as ViduError; retries on 429/5xx only; construction from the environment."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from tests.client.conftest import CLIENT_KEY
from tests.client.harness import Target, public_methods
from tests.support.media import image_bytes, png, wav
from viduemu.client import AsyncViduClient, TaskTimeout, ViduClient, ViduError

AVATAR = {"persona": "A guide.", "image_uri": "https://example.com/a.png"}


def scenario():
    """(method, call) pairs covering every public method; later calls use earlier answers (``got``)."""
    return [
        ("credits", lambda t, got: t.call("credits", show_detail=True)),
        ("img2video", lambda t, got: t.call("img2video", model="viduq1", images=[png()], prompt="wave")),
        ("text2video", lambda t, got: t.call("text2video", model="viduq1", prompt="a cat")),
        ("start_end2video", lambda t, got: t.call("start_end2video", model="viduq1", images=[png(), png()])),
        ("reference2video", lambda t, got: t.call("reference2video", model="viduq2", images=[png()], prompt="hi")),
        ("template", lambda t, got: t.call("template", template="hug", images=[png()])),
        ("template2video", lambda t, got: t.call("template2video", template="kiss", images=[png()])),
        ("template_story", lambda t, got: t.call("template_story", story="pigsy", images=[png(270, 480)])),
        ("get_task", lambda t, got: t.call("get_task", got["img2video"]["task_id"])),
        ("cancel_task", lambda t, got: t.call("cancel_task", got["text2video"]["task_id"])),
        ("list_tasks", lambda t, got: t.call("list_tasks")),
        ("create_subject", lambda t, got: t.call("create_subject", name="hero", images=[png()])),
        ("list_subjects", lambda t, got: t.call("list_subjects")),
        ("update_subject", lambda t, got: t.call("update_subject", got["create_subject"]["id"], description="brave")),
        ("mv_create", lambda t, got: t.call("mv_create", images=[png()], audio_url=wav(10))),
        ("create_live", lambda t, got: t.call("create_live", call_mode="audio", avatar=AVATAR)),
        ("get_live", lambda t, got: t.call("get_live", got["create_live"]["live"]["id"])),
        ("list_lives", lambda t, got: t.call("list_lives", **{"pager.pagesz": 5})),
        ("clone_voice", lambda t, got: t.call("clone_voice", voice="my-voice", audio_url="https://example.com/v.mp3")),
        ("list_voices", lambda t, got: t.call("list_voices")),
        # one-click films: made before the clock moves (wait_for_task), edited and composed after
        ("ad_one_click", lambda t, got: t.call("ad_one_click", images=[png()], duration=8)),
        ("general_one_click", lambda t, got: t.call("general_one_click", images=[png()], duration=1)),
        ("wait_for_task", lambda t, got: t.call("wait_for_task", got["img2video"]["task_id"], interval=20,
                                                sleep=t.sleeper())),
        # edits: sources are the finished img2video's creation
        ("multiframe", lambda t, got: t.call("multiframe", model="viduq2-turbo", start_image=png(), resolution="540p",
                                             image_settings=[{"key_image": png(), "duration": 2}] * 2)),
        ("extend", lambda t, got: t.call("extend", model="viduq2-turbo", video_creation_id=creation(got),
                                         duration=1, resolution="540p")),
        ("upscale_new", lambda t, got: t.call("upscale_new", video_creation_id=creation(got), upscale_resolution="2K")),
        ("upscale", lambda t, got: refusal(t, "upscale", model="vidu1.0", creation_id=creation(got))),
        ("mv_get", lambda t, got: t.call("mv_get", got["mv_create"]["id"])),
        ("mv_edit", lambda t, got: t.call("mv_edit", got["mv_create"]["id"], job_id=first_shot(got)["id"],
                                          prompt="brighter")),
        ("mv_compose", lambda t, got: t.call("mv_compose", got["mv_create"]["id"], job_ids=[first_shot(got)["id"]])),
        # people
        ("lip_sync", lambda t, got: t.call("lip_sync", video_url="https://example.com/v.mp4", text="Hello there")),
        ("digital_human", lambda t, got: t.call("digital_human", model="viduq2-turbo", image=png(), text="Hello")),
        ("image2dance", lambda t, got: t.call("image2dance", image_url=png(), video_url="https://example.com/d.mp4")),
        ("trending_replicate", lambda t, got: t.call("trending_replicate", video_url="https://example.com/t.mp4",
                                                     images=[png()], resolution="540p")),
        # images and audio
        ("reference2image", lambda t, got: t.call("reference2image", model="viduq2", prompt="a fox")),
        ("text2audio", lambda t, got: t.call("text2audio", model="audio1.0", prompt="rain", duration=3)),
        ("timing2audio", lambda t, got: t.call("timing2audio", model="audio1.0", duration=3,
                                               timing_prompts=[{"from": 0, "to": 1, "prompt": "a bell"}])),
        ("audio_tts", lambda t, got: t.call("audio_tts", text="Hello there", voice_setting_voice_id="female-shaonv")),
        ("audio_clone", lambda t, got: t.call("audio_clone", audio_url="https://example.com/v.mp3",
                                              voice_id="client-voice", text="Hello.")),
        ("ad_one_click_get", lambda t, got: t.call("ad_one_click_get", got["ad_one_click"]["task_id"])),
        ("ad_one_click_edit", lambda t, got: t.call("ad_one_click_edit", ad_one_click_task_id=ad_id(got),
                                                    type="generate_bgm", prompt="calm")),
        ("ad_one_click_compose", lambda t, got: t.call("ad_one_click_compose", **ad_composition(got))),
        ("general_one_click_get", lambda t, got: t.call("general_one_click_get", got["general_one_click"]["id"])),
        ("general_one_click_edit", lambda t, got: t.call("general_one_click_edit", got["general_one_click"]["id"],
                                                         job_id=first_board(got)["id"], prompt="at night")),
        ("general_one_click_compose", lambda t, got: t.call("general_one_click_compose", got["general_one_click"]["id"],
                                                            job_ids=[first_board(got)["id"]])),
        # uploads and the prompt recommendation (issue 15): the upload is the recommendation's image
        ("upload", lambda t, got: t.call("upload", image_bytes("PNG", 320, 240))),
        ("create_upload", lambda t, got: t.call("create_upload")),
        ("finish_upload", lambda t, got: refusal(t, "finish_upload", upload_id=got["create_upload"]["id"],
                                                 etag="0" * 32)),
        ("img2video_prompt_recommendation", lambda t, got: t.call("img2video_prompt_recommendation",
                                                                  images=[got["upload"]], type=["img2video"],
                                                                  count=1)),
    ]


def creation(got: dict) -> str:
    return got["wait_for_task"]["creations"][0]["id"]


async def refusal(t: Target, name: str, **fields) -> ViduError:
    try:
        await t.call(name, **fields)
    except ViduError as err:
        return err
    raise AssertionError(f"{name} was not refused")


def ad_id(got: dict) -> str:
    return got["ad_one_click"]["task_id"]


def ad_composition(got: dict) -> dict:
    records = got["ad_one_click_get"]["data_records"]
    return {"ad_one_click_task_id": ad_id(got), "video_task_ids": [b["records"][0]["id"] for b in records["storyboards"]],
            "bgm_task_id": records["bgm_records"][0]["id"], "narration_task_id": records["narration_records"][0]["id"]}


def first_board(got: dict) -> dict:
    return next(r for r in got["general_one_click_get"]["job_records"] if r["type"] == "generate_video")["jobs"][0]


def first_shot(got: dict) -> dict:
    return next(r for r in got["mv_get"]["job_records"] if r["type"] == "generate_video")["jobs"][0]


def check(got: dict) -> None:
    assert got["credits"]["remains"][0]["credit_remain"] == BUDGET and "packages" in got["credits"]
    assert got["img2video"]["state"] == "created" and got["get_task"]["state"] in ("created", "queueing")
    assert got["cancel_task"] == {}
    assert got["template"]["type"] == got["template2video"]["type"] == "template2video"
    assert got["template_story"]["story"] == "pigsy"
    assert {t["id"] for t in got["list_tasks"]["tasks"]} >= {got["img2video"]["task_id"]}
    assert got["update_subject"]["description"] == "brave"
    assert got["create_subject"]["id"] in {s["id"] for s in got["list_subjects"]["subjects"]}
    assert got["get_live"]["live"]["status"] == "waiting"
    assert got["list_lives"]["lives"][0]["id"] == got["create_live"]["live"]["id"]
    assert got["list_voices"] == {"voices": [{"voice": "my-voice"}]}
    assert got["wait_for_task"]["state"] == "success" and got["wait_for_task"]["creations"]
    assert got["multiframe"]["type"] == "multiframe" and got["extend"]["video_creation_id"] == creation(got)
    assert got["upscale_new"]["upscale_resolution"] == "2K"
    assert got["upscale"].reason == "FieldInvalid"   # a 1080p creation: the legacy upscale takes 360p only
    assert got["mv_get"]["id"] == got["mv_create"]["id"]
    assert got["mv_edit"]["id"] and got["mv_compose"]["id"]
    assert [got[name]["type"] for name in ("lip_sync", "digital_human", "image2dance", "trending_replicate")] == [
        "lip-sync", "digital-human", "image2dance", "trending-replicate"]
    assert [got[name]["type"] for name in ("reference2image", "text2audio", "timing2audio")] == [
        "reference2image", "text2audio", "timing2audio"]
    assert got["audio_tts"]["file_url"] and got["audio_clone"]["voice_id"] == "client-voice"
    assert got["ad_one_click_get"]["state"] == "success" and got["ad_one_click_edit"]["sub_task_id"]
    assert got["ad_one_click_compose"]["credits"] == 1 and got["general_one_click_get"]["state"] == "success"
    assert got["general_one_click_edit"]["id"] and got["general_one_click_compose"]["id"]
    assert got["upload"].startswith("ssupload:?id=") and got["create_upload"]["put_url"]
    assert got["finish_upload"].reason == "FieldInvalid"   # nothing was PUT to it
    assert len(got["img2video_prompt_recommendation"]["prompts"]) == 1


def test_the_scenario_names_every_public_method_of_both_clients():
    """A new public method fails here until the every-method test below calls it."""
    named = {name for name, _ in scenario()}
    assert public_methods(ViduClient) == named | {"close"}
    assert public_methods(AsyncViduClient) == named | {"aclose"}


BUDGET = 100_000   # every operation once (a 15 s ad film is 600 credits) exceeds a new account's 1000


async def test_every_public_method_against_the_emulator(target: Target):
    assert (await target.ctl("PUT", f"/_emulator/accounts/{CLIENT_KEY}", {"credits": BUDGET})).status_code == 200
    got: dict = {}
    for name, call in scenario():
        got[name] = await call(target, got)
        if name == "wait_for_task":
            await target.advance(600)   # the MV's shots finish too, so it can be edited and composed
    check(got)
    await target.close()
    assert target.used == public_methods(type(target.client)), target.kind


async def test_errors_raise_vidu_error_with_the_envelope(target: Target):
    with pytest.raises(ViduError) as err:
        await target.call("get_task", "123456789012345678")
    assert (err.value.status, err.value.reason) == (404, "TaskNotFound")
    assert len(err.value.trace_id) == 32 and err.value.message and err.value.body["code"] == 404
    with pytest.raises(ViduError) as err:
        await target.call("img2video", model="viduq1")
    assert (err.value.status, err.value.reason, err.value.fields) == (400, "FieldLacking", "images")
    requests = (await target.ctl("GET", "/_emulator/requests")).json()["requests"]
    assert [r["status"] for r in requests if r["path"].startswith("/ent/")] == [404, 400]   # 4xx: no retry


async def test_429_and_5xx_are_retried_with_backoff_then_raised(target: Target):
    await target.ctl("POST", "/_emulator/faults", {"match": {"operation": "GET /ent/v2/credits"},
                                                   "action": {"status": 429, "reason": "TooManyRequests"},
                                                   "times": 2})
    assert (await target.call("credits"))["remains"]          # two 429s, then the answer
    await target.ctl("POST", "/_emulator/faults", {"match": {"operation": "GET /ent/v2/credits"},
                                                   "action": {"status": 503}, "times": 9})
    target.client.retries = 1
    with pytest.raises(ViduError) as err:
        await target.call("credits")
    assert err.value.status == 503
    requests = (await target.ctl("GET", "/_emulator/requests")).json()["requests"]
    assert [r["status"] for r in requests if r["path"] == "/ent/v2/credits"] == [429, 429, 200, 503, 503]


async def test_the_default_retries_back_off_one_two_four_seconds():
    slept = []
    answers = iter([500, 502, 503, 429])
    transport = httpx.MockTransport(lambda request: httpx.Response(next(answers), json={"reason": "x"}))
    with ViduClient("vda_x", "http://vidu.test", transport, sleep=slept.append) as client, \
            pytest.raises(ViduError) as err:
        client.credits()
    assert slept == [1.0, 2.0, 4.0] and err.value.status == 429


async def test_wait_for_task_times_out_with_the_last_answer(target: Target):
    task = await target.call("img2video", model="viduq1", images=[png()])
    with pytest.raises(TaskTimeout) as err:
        if target.kind.startswith("async"):
            await target.call("wait_for_task", task["task_id"], 1, 1, sleep=_no_wait)
        else:
            await target.call("wait_for_task", task["task_id"], 1, 1, sleep=lambda seconds: None)
    assert err.value.task_id == task["task_id"] and err.value.task["state"] in ("created", "queueing")
    assert err.value.waited == 1


async def _no_wait(seconds: float) -> None:
    return None


def _sent(**kwargs) -> httpx.Request:
    """The request a sync client built from ``kwargs`` sends for ``credits()``."""
    seen = []
    transport = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200, json={}))
    with ViduClient(transport=transport, **kwargs) as client:
        client.credits()
    return seen[0]


def test_key_and_base_url_fall_back_to_the_environment_then_api_vidu_com(monkeypatch):
    monkeypatch.delenv("VIDU_BASE_URL", raising=False)
    monkeypatch.setenv("VIDU_API_KEY", "vda_from_env")
    request = _sent()
    assert str(request.url) == "https://api.vidu.com/ent/v2/credits?show_detail=false"
    assert request.headers["Authorization"] == "Token vda_from_env"
    monkeypatch.setenv("VIDU_BASE_URL", "http://vidu.local:9/")
    assert str(_sent().url).startswith("http://vidu.local:9/ent/v2/credits")
    request = _sent(api_key="Token vda_given", base_url="http://vidu.test")
    assert request.headers["Authorization"] == "Token vda_given" and request.url.host == "vidu.test"
    monkeypatch.delenv("VIDU_API_KEY")
    with pytest.raises(ValueError, match="VIDU_API_KEY"):
        AsyncViduClient()


@pytest.mark.parametrize("module", ["viduemu.client", "viduemu.client.rtc"])
def test_the_client_package_imports_nothing_from_the_server(module):
    code = (f"import sys, {module}; "
            "print(sorted(m for m in sys.modules if (m.startswith('viduemu.') and not m.startswith('viduemu.client'))"
            " or m.split('.')[0] in ('starlette', 'uvicorn', 'jsonschema', 'yaml')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_importing_viduemu_client_does_not_load_aiortc():
    code = "import sys, viduemu.client; print('aiortc' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_verify_callback_signature_matches_the_vendor_test_vector():
    from viduemu.client import verify_callback_signature

    headers = {"Date": "Tue, 06 May 2025 12:09:42 GMT", "x-request-nonce": "123e4567-e89b-12d3-a456-426614174000",
               "X-HMAC-SIGNED-HEADERS": "Date;x-request-nonce",
               "X-HMAC-SIGNATURE": "9JZa1ZLjkWVos5QQzjjviqAsFE1L9yQw/LsnAXZFIjo="}
    url = "http://127.0.0.1:8080/vidu/callback?name=james&age=36"
    assert verify_callback_signature("POST", url, headers, "test-secret-key")
    assert verify_callback_signature("POST", url, headers, "Token test-secret-key")
    assert not verify_callback_signature("POST", url, headers, "another-key")

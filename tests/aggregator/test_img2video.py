"""The aggregator dialect's vidu20_img2video, through the app: Bearer auth, every parameter rule,
the 0080050xx codes, the task object through its lifecycle, and each dialect seeing only its own tasks."""

import io

import av
import pytest

from tests.conftest import AUTH, advance
from tests.support.media import png

BEARER = {"Authorization": "Bearer agg-key-1"}
GOOD = {"model": "vidu20_img2video", "images": [png()], "prompt": "The astronaut waved."}


async def submit(client, headers=BEARER, **change):
    body = {**GOOD, **change}
    for key in [k for k, v in change.items() if v is None]:
        body.pop(key)
    return await client.post("/model/v1/generation", json=body, headers=headers)


def refused(response, code: str, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["error_message"]
    return error


async def balance(client, key="agg-key-1"):
    return (await client.get(f"/_emulator/accounts/{key}")).json().get("credits")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"}, {"Authorization": "Token vda_x"},
                                     {"Authorization": "Basic abc"}])
async def test_missing_or_malformed_bearer_is_401_in_the_dialects_shape(client, headers):
    refused(await submit(client, headers=headers), "401", 401)


async def test_a_submit_answers_the_pending_task_with_its_id(client):
    r = await submit(client)
    assert r.status_code == 200, r.text
    task = r.json()
    assert task["status"] == "pending" and task["model"] == "vidu20_img2video" and task["progress"] == 0
    assert isinstance(task["created_at"], int) and task["id"].isdigit() and len(task["id"]) == 18
    assert "output" not in task and "usage" not in task and "error" not in task and task["metadata"] == {}


async def test_a_task_completes_with_a_playable_mp4_of_the_requested_size_and_duration(client):
    task = (await submit(client, duration=8, images=[png(512, 288)])).json()  # a 16:9 first frame
    await advance(client, 2)
    processing = (await client.get(f"/model/v1/generation/task/{task['id']}", headers=BEARER)).json()
    assert processing["status"] == "processing" and 0 <= processing["progress"] < 1
    await advance(client, 60)
    done = (await client.get(f"/model/v1/generation/task/{task['id']}", headers=BEARER)).json()
    assert done["status"] == "completed" and done["progress"] == 1
    content = done["output"][0]["content"][0]
    assert content["type"] == "video" and content["duration"] == 8
    assert float(done["usage"]["cost"]) > 0
    video = await client.get(content["url"].removeprefix("http://testserver"))
    with av.open(io.BytesIO(video.content)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (1280, 720)  # 8 s is 720p, 16:9
        assert container.duration / 1e6 == pytest.approx(8, abs=0.07)


@pytest.mark.parametrize("duration,resolution,ok", [
    (4, None, "360p"), (4, "720p", "720p"), (4, "1080p", "1080p"), (8, None, "720p"),
])
async def test_resolution_per_duration_and_defaults(client, duration, resolution, ok, emu):
    task = (await submit(client, duration=duration, resolution=resolution)).json()
    assert emu.core.store.get("tasks", task["id"])["fields"]["resolution"] == ok


@pytest.mark.parametrize("change,code", [
    ({"images": None}, "008005001"),                     # image missing
    ({"images": []}, "008005001"),
    ({"images": [png(), png()]}, "008005004"),           # exactly 1 image
    ({"images": ["https://example.com/a.gif"]}, "008005004"),
    ({"images": [png(100, 100)]}, "008005004"),
    ({"images": [png(600, 128)]}, "008005004"),          # aspect beyond 4:1
    ({"duration": 5}, "008005005"),
    ({"duration": 8, "resolution": "1080p"}, "008005006"),
    ({"resolution": "540p"}, "008005006"),
    ({"prompt": "x" * 2001}, "008005002"),
    ({"movement_amplitude": "huge"}, "008005002"),
    ({"off_peak": True}, "008005002"),                   # documented as temporarily unavailable
    ({"wm_position": 5}, "008005002"),
    ({"wm_url": {}}, "008005002"),                       # every field has its documented type
    ({"watermark": "yes"}, "008005002"),
    ({"payload": "x" * 1048577}, "008005002"),
    ({"model": "vidu99_img2video"}, "008005002"),        # unknown model
])
async def test_every_parameter_rule_answers_its_code_and_creates_nothing(client, change, code):
    await client.put("/_emulator/accounts/agg-key-1", json={"credits": 500})
    refused(await submit(client, **change), code)
    assert await balance(client) == 500


async def test_metadata_is_an_object_in_every_answer_output_and_usage_only_when_completed(client):
    # "metadata object" (no condition); "output array ... usage object ... Only present when status is
    # completed"; "error object ... Only present when status is failed"
    async def seen(task_id):
        return (await client.get(f"/model/v1/generation/task/{task_id}", headers=BEARER)).json()

    await client.post("/_emulator/faults", json={"match": {"operation": "task.finish"},
                                                 "action": {"err_code": "008005098"}, "times": 1})
    failing, succeeding = (await submit(client)).json(), (await submit(client)).json()
    answers = [failing, succeeding]
    await advance(client, 2)
    answers += [await seen(failing["id"]), await seen(succeeding["id"])]
    await advance(client, 60)
    failed, completed = await seen(failing["id"]), await seen(succeeding["id"])
    answers += [failed, completed]
    assert [a["status"] for a in answers] == ["pending"] * 2 + ["processing"] * 2 + ["failed", "completed"]
    for answer in answers:
        assert isinstance(answer["metadata"], dict), answer
        assert ("output" in answer) == ("usage" in answer) == (answer["status"] == "completed"), answer
        assert ("error" in answer) == (answer["status"] == "failed"), answer
    assert isinstance(completed["output"], list) and isinstance(completed["output"][0]["content"], list)
    assert isinstance(completed["usage"]["cost"], str) and isinstance(completed["usage"]["discount"], (int, float))
    assert isinstance(failed["error"]["error_message"], str)


async def test_voice_id_takes_effect_only_when_audio_is_true_and_is_ignored_otherwise(client, emu):
    # "The voice_id parameter only takes effect when this parameter [audio] is true"
    kept = (await submit(client, audio=True, voice_id="Tina")).json()
    assert emu.core.store.get("tasks", kept["id"])["fields"]["voice_id"] == "Tina"
    for change in ({"voice_id": "Tina"}, {"audio": False, "voice_id": "Tina"}):
        r = await submit(client, **change)
        assert r.status_code == 200, r.text
        assert "voice_id" not in emu.core.store.get("tasks", r.json()["id"])["fields"]


async def test_generation_failed_and_service_unavailable_come_from_fault_rules(client):
    for code in ("008005098", "008005099"):
        await client.post("/_emulator/faults", json={"match": {"operation": "task.finish"},
                                                     "action": {"err_code": code}, "times": 1})
        task = (await submit(client)).json()
        await advance(client, 60)
        failed = (await client.get(f"/model/v1/generation/task/{task['id']}", headers=BEARER)).json()
        assert failed["status"] == "failed" and failed["error"]["code"] == code
        assert "output" not in failed and "usage" not in failed


async def test_credits_are_charged_and_a_short_balance_is_403(client):
    await client.put("/_emulator/accounts/agg-key-1", json={"credits": 1})
    refused(await submit(client), "403", 403)
    assert await balance(client) == 1


async def test_one_account_of_both_schemes_each_dialect_sees_only_its_own_tasks(client):
    same = {"Authorization": "Bearer vda_test_key"}              # the Token key's very string: one account
    agg = (await submit(client, headers=same)).json()
    ent = (await client.post("/ent/v2/img2video", json={"model": "viduq1", "images": [png()]}, headers=AUTH)).json()
    assert (await client.get(f"/ent/v2/tasks/{agg['id']}/creations", headers=AUTH)).status_code == 404
    refused(await client.get(f"/model/v1/generation/task/{ent['task_id']}", headers=same), "404", 404)
    listed = (await client.get("/ent/v2/tasks", headers=AUTH)).json()["tasks"]
    assert [t["id"] for t in listed] == [ent["task_id"]]
    cancel = await client.post(f"/ent/v2/tasks/{agg['id']}/cancel", json={}, headers=AUTH)
    assert cancel.status_code == 404
    ledger = (await client.get("/_emulator/accounts/vda_test_key")).json()["ledger"]
    assert {e["ref"] for e in ledger if e["delta"] < 0} == {agg["id"], ent["task_id"]}   # one account


async def test_callbacks_carry_this_dialects_task_object_signed_with_the_bearer_key(client):
    from tests.support.receiver import Receiver, wait_for
    from viduemu.client.signature import verify

    with Receiver() as rx:
        task = (await submit(client, callback_url=rx.url + "/agg")).json()
        await advance(client, 2)
        await wait_for(lambda: len(rx.requests) == 1, what="processing callback")
        await advance(client, 60)
        await wait_for(lambda: len(rx.requests) == 2, what="completed callback")
    bodies = [q["body"] for q in rx.requests]
    assert [b["status"] for b in bodies] == ["processing", "completed"] and bodies[1]["id"] == task["id"]
    assert bodies[1]["output"][0]["content"][0]["type"] == "video"
    assert all(verify("POST", rx.url + "/agg", q["headers"], "agg-key-1") for q in rx.requests)  # the key itself


def test_a_style_failure_maps_to_008005003_though_neither_model_takes_a_style():
    from viduemu.aggregator.rules import DialectError
    from viduemu.core.errors import invalid

    assert DialectError.of(invalid("style", "no such style")).code == "008005003"


async def test_seed_default_0_is_random_and_a_given_seed_is_kept(client, emu):
    random_seed = (await submit(client, seed=0)).json()
    kept = (await submit(client, seed=424242)).json()
    assert emu.core.store.get("tasks", random_seed["id"])["fields"]["seed"] > 0
    assert emu.core.store.get("tasks", kept["id"])["fields"]["seed"] == 424242


async def test_is_rec_costs_extra_credits(client):
    async def cost(**change):
        task = (await submit(client, **change)).json()
        await advance(client, 60)
        done = (await client.get(f"/model/v1/generation/task/{task['id']}", headers=BEARER)).json()
        return float(done["usage"]["cost"])

    assert await cost(is_rec=True) > await cost(is_rec=False)


@pytest.mark.parametrize("change", [{"bgm": True}, {"watermark": True, "wm_position": 1,
                                                    "wm_url": "https://example.com/wm.png"},
                                    {"audio": True, "voice_id": "Tina"}, {"movement_amplitude": "large"}])
async def test_documented_options_are_accepted(client, change):
    assert (await submit(client, **change)).status_code == 200

"""POST /ent/v2/ad-one-click, GET /ent/v2/ad-one-click/{id}, POST /ent/v2/ad-one-click/edit and /compose: one
test per documented rule (vendor-docs/more/ad-one-click.txt: the official EN create page and the official CN
full-flow guide; prices: more/pricing.txt "Solutions"; judgements: docs/decisions.md)."""

import httpx
import pytest

from tests.conftest import AUTH, KEY, advance, assert_error
from tests.ent.support import assert_contract, finish, op_create, op_created, output_media, state_of
from tests.support.media import png
from tests.support.receiver import Receiver, wait_for
from viduemu.app import create_app
from viduemu.config import Settings

pytestmark = pytest.mark.usefixtures("plenty_of_credits")
PATH = "/ent/v2/ad-one-click"
TREE, EDIT, COMPOSE = PATH + "/{id}", PATH + "/edit", PATH + "/compose"
OTHER = {"Authorization": "Token vda_someone_else"}
DONE = 200   # virtual seconds after which a fresh film of <= 15 s has finished (parts, composition, film)


def body(**extra):
    return {"images": [png()], **extra}


async def balance(client) -> int:
    return (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"]


async def tree(client, film_id, headers=AUTH) -> dict:
    response = await client.get(TREE.format(id=film_id), headers=headers)
    assert response.status_code == 200, response.text
    return assert_contract(response, "GET", TREE)


async def post(client, path, json, headers=AUTH):
    response = await client.post(path, json=json, headers=headers)
    assert_contract(response, "POST", path)
    return response


async def finished_film(client, **extra) -> dict:
    film = await op_created(client, "ad-one-click", body(**extra))
    await advance(client, DONE)
    found = await tree(client, film["task_id"])
    assert found["state"] == "success", found
    return found


def first_ids(found: dict) -> list[str]:
    return [board["records"][0]["id"] for board in found["data_records"]["storyboards"]]


def compose_body(found: dict, video_ids=None) -> dict:
    records = found["data_records"]
    return {"ad_one_click_task_id": found["id"], "video_task_ids": first_ids(found) if video_ids is None else video_ids,
            "bgm_task_id": records["bgm_records"][0]["id"], "narration_task_id": records["narration_records"][0]["id"]}


# -- create ---------------------------------------------------------------------------------------------
async def test_create_returns_task_id_state_and_the_documented_echo(client):
    film = await op_created(client, "ad-one-click", body(prompt="a red bottle"))
    for name in ("task_id", "state", "images", "prompt", "duration", "aspect_ratio", "language", "credits"):
        assert name in film
    assert "id" not in film   # unlike one-click/mv's {"id": ...}
    assert film["state"] == "created" and film["prompt"] == "a red bottle" and film["type"] == "ad-one-click"


async def test_images_1_to_7(client, emu):
    await op_created(client, "ad-one-click", body(images=[png()] * 7))
    before = await state_of(client, emu)
    for images in ([], [png()] * 8):
        assert_error(await op_create(client, "ad-one-click", body(images=images)), 400, "FieldItemCountOutOfRange",
                     "images")
    assert_error(await op_create(client, "ad-one-click", {"prompt": "x"}), 400, "FieldLacking", "images")
    assert await state_of(client, emu) == before


async def test_images_ratio_less_than_1_4_or_4_1(client, emu):
    before = await state_of(client, emu)
    assert_error(await op_create(client, "ad-one-click", body(images=[png(), png(100, 450)])), 400,
                 "PageSizeOutOfRange", "images.1")
    assert await state_of(client, emu) == before


async def test_prompt_at_most_2000_characters(client):
    await op_created(client, "ad-one-click", body(prompt="p" * 2000))
    assert_error(await op_create(client, "ad-one-click", body(prompt="p" * 2001)), 400, "FieldInvalid", "prompt")


async def test_duration_en_10_to_60_cn_8_to_60_default_15(client, emu):
    # EN "Default value :15,available: 10 - 60"; CN "8～60s，默认为15s": both accepted (docs/decisions.md)
    assert (await op_created(client, "ad-one-click", body()))["duration"] == 15
    for seconds in (8, 10, 60):
        assert (await op_created(client, "ad-one-click", body(duration=seconds)))["duration"] == seconds
    before = await state_of(client, emu)
    for seconds in (7, 61, 0):
        assert_error(await op_create(client, "ad-one-click", body(duration=seconds)), 400, "FieldInvalid",
                     "duration")
    assert await state_of(client, emu) == before


async def test_aspect_ratio_default_16_9_accepted_16_9_9_16_1_1(client):
    assert (await op_created(client, "ad-one-click", body()))["aspect_ratio"] == "16:9"
    for ratio in ("16:9", "9:16", "1:1"):
        assert (await op_created(client, "ad-one-click", body(aspect_ratio=ratio)))["aspect_ratio"] == ratio
    assert_error(await op_create(client, "ad-one-click", body(aspect_ratio="4:3")), 400, "FieldInvalid",
                 "aspect_ratio")


async def test_language_default_zh_accepted_zh_en(client):
    assert (await op_created(client, "ad-one-click", body()))["language"] == "zh"
    assert (await op_created(client, "ad-one-click", body(language="en")))["language"] == "en"
    assert_error(await op_create(client, "ad-one-click", body(language="fr")), 400, "FieldInvalid", "language")


async def test_creative_cn_default_false(client):
    assert (await op_created(client, "ad-one-click", body()))["creative"] is False
    assert (await op_created(client, "ad-one-click", body(creative=True)))["creative"] is True


async def test_the_endpoint_takes_no_model_and_no_undeclared_field(client, emu):
    # 3P: "该端点不收 model"; the documented table is an allow-list (error-code.txt: FieldUnwanted)
    before = await state_of(client, emu)
    for name, value in (("model", "viduq2"), ("payload", "x"), ("resolution", "720p")):
        assert_error(await op_create(client, "ad-one-click", body(**{name: value})), 400, "FieldUnwanted", name)
    assert await state_of(client, emu) == before


async def test_price_1080p_40_credits_per_second(client):
    for seconds in (15, 8, 60):
        before = await balance(client)
        film = await op_created(client, "ad-one-click", body(duration=seconds))
        assert film["credits"] == 40 * seconds and await balance(client) == before - 40 * seconds


async def test_not_enough_credits_creates_nothing(client, emu):
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 40 * 15 - 1})
    before = await state_of(client, emu)
    assert_error(await op_create(client, "ad-one-click", body()), 400, "CreditInsufficient")
    assert await state_of(client, emu) == before and emu.core.store.count("films") == 0


# -- the tree -----------------------------------------------------------------------------------------------
async def test_tree_lists_storyboards_narration_bgm_and_compositions(client):
    film = await op_created(client, "ad-one-click", body())
    found = await tree(client, film["task_id"])
    assert list(found) == ["id", "err_code", "state", "data_records"] and found["id"] == film["task_id"]
    records = found["data_records"]
    assert list(records) == ["storyboards", "narration_records", "bgm_records", "completed_creation_records"]
    # the guide's 15 s film has storyboards 0, 1, 2 ("分镜序号，从0开始"; "stroyboard_id" [sic])
    assert [b["stroyboard_id"] for b in records["storyboards"]] == [0, 1, 2]
    record = records["storyboards"][0]["records"][0]
    assert list(record) == ["id", "type", "prompt", "creation_url", "state", "err_code"]
    assert record["type"] == "generate_video" and record["creation_url"] == ""
    assert records["narration_records"][0]["type"] == "generate_narration"
    assert records["bgm_records"][0]["type"] == "generate_bgm"
    [composed] = records["completed_creation_records"]
    assert composed["params"] == {"video_task_ids": first_ids(found), "bgm_task_id": records["bgm_records"][0]["id"],
                                  "narration_task_id": records["narration_records"][0]["id"]}


async def test_film_and_sub_tasks_are_queried_with_get_creations(client):
    # "id = 成片id或子任务id"
    film = await op_created(client, "ad-one-click", body(duration=10))
    await advance(client, DONE)
    found = await tree(client, film["task_id"])
    for task_id in (film["task_id"], first_ids(found)[0], found["data_records"]["completed_creation_records"][0]["id"]):
        creations = await finish(client, task_id, 0)
        assert creations["state"] == "success" and creations["creations"][0]["url"]
    assert found["data_records"]["storyboards"][0]["records"][0]["creation_url"]


async def test_sub_task_ids_are_not_films(client):
    film = await op_created(client, "ad-one-click", body())
    part = first_ids(await tree(client, film["task_id"]))[0]
    assert_error(await client.get(TREE.format(id=part), headers=AUTH), 404, "TaskNotFound")


# -- the full flow ------------------------------------------------------------------------------------------------
async def test_full_flow_create_storyboards_edit_compose_a_real_film_with_music(client, emu):
    film = await op_created(client, "ad-one-click", body(duration=8, aspect_ratio="9:16", prompt="a watch"))
    film_id = film["task_id"]
    await advance(client, 31)   # 1 s created, 30 s processing: every first storyboard has succeeded
    found = await tree(client, film_id)
    boards = found["data_records"]["storyboards"]
    assert len(boards) == 2 and all(b["records"][0]["state"] == "success" for b in boards)
    await advance(client, DONE)
    found = await tree(client, film_id)
    assert found["state"] == "success"
    shot = await output_media(client, await finish(client, first_ids(found)[0], 0))
    assert shot["size"] == (1080, 1920) and abs(shot["duration"] - 4) <= 0.1 and shot["audio"] == []

    before = await balance(client)
    edited = (await post(client, EDIT, {"ad_one_click_task_id": film_id, "type": "generate_video",
                                        "storyboard_video_index": 1, "prompt": "the watch in the rain"})).json()
    assert edited["ad_one_click_task_id"] == film_id and edited["credits"] == 40 * 4
    assert await balance(client) == before - 40 * 4
    await advance(client, DONE)
    found = await tree(client, film_id)
    new = found["data_records"]["storyboards"][1]["records"]
    assert [r["id"] for r in new][1] == edited["sub_task_id"] and new[1]["state"] == "success"
    assert new[1]["prompt"] == "the watch in the rain"

    before = await state_of(client, emu)
    wrong = await post(client, COMPOSE, compose_body(found, [first_ids(found)[0]]))
    assert_error(wrong, 400, "FieldItemCountOutOfRange", "video_task_ids")
    assert await state_of(client, emu) == before

    composed = (await post(client, COMPOSE, compose_body(found, [first_ids(found)[0], edited["sub_task_id"]]))).json()
    assert composed["ad_one_click_task_id"] == film_id and composed["credits"] == 1
    await advance(client, DONE)
    found = await tree(client, film_id)
    record = found["data_records"]["completed_creation_records"][1]
    assert record["id"] == composed["compose_sub_task_id"] and record["state"] == "success"
    assert record["params"]["video_task_ids"][1] == edited["sub_task_id"]
    media = await output_media(client, await finish(client, composed["compose_sub_task_id"], 0))
    assert media["size"] == (1080, 1920) and abs(media["duration"] - 8) <= 0.1 and media["audio"] == ["aac"]
    whole = await output_media(client, await finish(client, film_id, 0))
    assert abs(whole["duration"] - 8) <= 0.1 and whole["audio"] == ["aac"]


async def test_narration_is_speech_and_bgm_is_music_of_the_films_length(client):
    found = await finished_film(client, duration=8)
    for name in ("narration_records", "bgm_records"):
        media = await output_media(client, await finish(client, found["data_records"][name][0]["id"], 0))
        assert abs(media["duration"] - 8) <= 0.1 and media["audio"] == ["aac"]


# -- edit ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, prompt, credits", [
    ("generate_video", "x", 40 * 5),          # "Edit Footage 同价": a 5 s storyboard of the 15 s film
    ("generate_narration", "n" * 500, 10),    # "Edit Narration 10c/500 字"
    ("generate_narration", "n" * 501, 20),
    ("generate_bgm", "jazz", 2 * 15),         # "Edit BGM 2c/s", the film's 15 s
])
async def test_edit_prices_footage_narration_bgm(client, kind, prompt, credits):
    found = await finished_film(client)
    before = await balance(client)
    edit = {"ad_one_click_task_id": found["id"], "type": kind, "prompt": prompt}
    if kind == "generate_video":
        edit["storyboard_video_index"] = 0
    answer = (await post(client, EDIT, edit)).json()
    assert answer["credits"] == credits and await balance(client) == before - credits
    assert answer["state"] == "created" and answer["err_code"] == ""


async def test_compose_costs_1_credit_per_call(client):
    found = await finished_film(client)
    before = await balance(client)
    assert (await post(client, COMPOSE, compose_body(found))).json()["credits"] == 1
    assert await balance(client) == before - 1


async def test_edit_storyboard_video_index_required_for_generate_video_from_0(client, emu):
    found = await finished_film(client)
    before = await state_of(client, emu)
    edit = {"ad_one_click_task_id": found["id"], "type": "generate_video", "prompt": "x"}
    assert_error(await post(client, EDIT, edit), 400, "FieldLacking", "storyboard_video_index")
    assert_error(await post(client, EDIT, {**edit, "storyboard_video_index": 3}), 400, "FieldInvalid",
                 "storyboard_video_index")
    assert_error(await post(client, EDIT, {**edit, "type": "generate_sfx"}), 400, "FieldInvalid", "type")
    assert_error(await post(client, EDIT, {**edit, "prompt": ""}), 400, "FieldLacking", "prompt")
    assert await state_of(client, emu) == before
    await post(client, EDIT, {**edit, "storyboard_video_index": 2})


async def test_edit_accepts_the_guides_example_spelling_soryboard_video_index(client):
    found = await finished_film(client)
    answer = (await post(client, EDIT, {"ad_one_click_task_id": found["id"], "type": "generate_video",
                                        "soryboard_video_index": 2, "prompt": "your_prompt"})).json()
    after = await tree(client, found["id"])
    assert after["data_records"]["storyboards"][2]["records"][1]["id"] == answer["sub_task_id"]


async def test_edit_before_the_film_has_finished_is_refused(client, emu):
    film = await op_created(client, "ad-one-click", body())
    before = await state_of(client, emu)
    response = await post(client, EDIT, {"ad_one_click_task_id": film["task_id"], "type": "generate_bgm",
                                         "prompt": "x"})
    assert_error(response, 400, "OperationInProcess")
    assert await state_of(client, emu) == before


async def test_compose_ids_are_successful_tasks_of_their_storyboard_in_order(client, emu):
    found = await finished_film(client)
    ids = first_ids(found)
    before = await state_of(client, emu)
    for video_ids in ([ids[1], ids[0], ids[2]], [ids[0], ids[1], "123"]):
        assert_error(await post(client, COMPOSE, compose_body(found, video_ids)), 400, "FieldInvalid",
                     "video_task_ids")
    bad_bgm = {**compose_body(found), "bgm_task_id": found["data_records"]["narration_records"][0]["id"]}
    assert_error(await post(client, COMPOSE, bad_bgm), 400, "FieldInvalid", "bgm_task_id")
    lacking = compose_body(found)
    del lacking["narration_task_id"]
    assert_error(await post(client, COMPOSE, lacking), 400, "FieldLacking", "narration_task_id")
    assert await state_of(client, emu) == before


# -- ownership, failures, the engine ------------------------------------------------------------------------------
async def test_another_key_cannot_query_edit_or_compose_the_film(client, emu):
    found = await finished_film(client)
    before = await state_of(client, emu)
    assert_error(await client.get(TREE.format(id=found["id"]), headers=OTHER), 404, "TaskNotFound")
    assert_error(await post(client, EDIT, {"ad_one_click_task_id": found["id"], "type": "generate_bgm",
                                           "prompt": "x"}, OTHER), 404, "TaskNotFound")
    assert_error(await post(client, COMPOSE, compose_body(found), OTHER), 404, "TaskNotFound")
    assert_error(await client.get(f"/ent/v2/tasks/{first_ids(found)[0]}/creations", headers=OTHER), 404,
                 "TaskNotFound")
    assert await state_of(client, emu) == before


async def test_a_failed_sub_task_fails_the_film_which_is_refunded(client):
    before = await balance(client)
    await client.post("/_emulator/faults", json={"match": {"operation": "task.finish", "api_key": KEY},
                                                 "action": {"err_code": "CreationPolicyViolation"}, "times": 1})
    film = await op_created(client, "ad-one-click", body())
    assert await balance(client) == before - 600
    await advance(client, DONE)
    found = await tree(client, film["task_id"])
    assert found["state"] == "failed" and found["err_code"] == "CreationPolicyViolation"
    assert found["data_records"]["completed_creation_records"][0]["state"] == "failed"
    assert await balance(client) == before


async def test_a_failed_edit_is_refunded_and_the_film_stays_success(client):
    found = await finished_film(client)
    before = await balance(client)
    await client.post("/_emulator/faults", json={"match": {"operation": "task.finish"},
                                                 "action": {"err_code": "AuditSubmitIllegal"}, "times": 1})
    answer = (await post(client, EDIT, {"ad_one_click_task_id": found["id"], "type": "generate_bgm",
                                        "prompt": "x"})).json()
    await advance(client, DONE)
    after = await tree(client, found["id"])
    record = after["data_records"]["bgm_records"][1]
    assert record["id"] == answer["sub_task_id"] and record["state"] == "failed"
    assert record["err_code"] == "AuditSubmitIllegal" and after["state"] == "success"
    assert await balance(client) == before


async def test_the_film_can_be_cancelled_while_it_waits_and_is_refunded(client):
    before = await balance(client)
    film = await op_created(client, "ad-one-click", body())
    await advance(client, 5)
    response = await client.post(f"/ent/v2/tasks/{film['task_id']}/cancel", headers=AUTH)
    assert response.status_code == 200, response.text
    creations = await finish(client, film["task_id"], 0)
    assert creations["state"] == "failed" and creations["err_code"] == "UserCancelled"
    assert await balance(client) == before


async def test_film_and_parts_are_listed_with_their_types(client):
    film = await op_created(client, "ad-one-click", body())
    listed = (await client.get("/ent/v2/tasks", headers=AUTH)).json()["tasks"]
    types = sorted(t["type"] for t in listed)
    assert types == sorted(["ad-one-click", "compose", "generate_bgm", "generate_narration"] + ["generate_video"] * 3)
    assert next(t for t in listed if t["id"] == film["task_id"])["credits"] == 600



async def test_callbacks_of_the_film_and_of_an_edit_carry_the_get_creations_body(client):
    # "the structure of the callback request content will be the same as the return body of the Get Generation API"
    with Receiver() as rx:
        film = await op_created(client, "ad-one-click", body(callback_url=rx.url + "/film"))
        await advance(client, DONE)
        await wait_for(lambda: any(r["body"]["state"] == "success" for r in rx.requests), what="the film's success")
        assert {r["body"]["id"] for r in rx.requests} == {film["task_id"]}
        answer = (await post(client, EDIT, {"ad_one_click_task_id": film["task_id"], "type": "generate_bgm",
                                            "prompt": "x", "callback_url": rx.url + "/edit", "payload": "p"})).json()
        await advance(client, DONE)
        await wait_for(lambda: any(r["path"] == "/edit" and r["body"]["state"] == "success" for r in rx.requests),
                       what="the edit's success")
        done = next(r["body"] for r in rx.requests if r["path"] == "/edit" and r["body"]["state"] == "success")
        assert done["id"] == answer["sub_task_id"] and done["payload"] == "p" and done["creations"]


async def test_a_film_resumes_after_a_restart(tmp_path):
    settings = Settings(clock="manual", seed=7, state=str(tmp_path / "state.db"))

    async def session(fn):
        app = create_app(settings)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                return await fn(client)
        finally:
            await app.state.emu.aclose()

    async def first(client):
        film = (await post(client, PATH, body(duration=8))).json()
        await advance(client, 40)   # the parts have succeeded; the first composition is processing
        return film["task_id"]

    film_id = await session(first)

    async def second(client):
        await advance(client, DONE)
        return await tree(client, film_id)

    found = await session(second)
    assert found["state"] == "success" and found["data_records"]["completed_creation_records"][0]["creation_url"]


async def test_the_parts_share_the_accounts_5_processing_limit(client):
    # usage-and-limits: "Each organization can use up to 5 concurrent tasks"; the waiting film holds no slot
    await op_created(client, "ad-one-click", body(duration=30))   # 6 storyboards, a narration and a music
    await advance(client, 2)
    figures = (await client.get("/ent/v2/credits", headers=AUTH)).json()["remains"][0]
    assert figures["current_concurrency"] == 5 and figures["queue_count"] == 3 + 2   # 3 parts, composition, film


async def test_cancelling_a_waiting_part_fails_the_composition_and_refunds_the_film(client):
    before = await balance(client)
    film = await op_created(client, "ad-one-click", body(duration=30))
    await advance(client, 2)
    found = await tree(client, film["task_id"])
    waiting = next(r for b in found["data_records"]["storyboards"] for r in b["records"] if r["state"] == "queueing")
    assert (await client.post(f"/ent/v2/tasks/{waiting['id']}/cancel", headers=AUTH)).status_code == 200
    await advance(client, DONE)
    found = await tree(client, film["task_id"])
    assert found["state"] == "failed" and found["err_code"] == "UserCancelled"
    assert found["data_records"]["completed_creation_records"][0]["err_code"] == "UserCancelled"
    assert await balance(client) == before


async def test_edit_and_compose_are_post_only_paths_not_film_ids(client):
    for name in ("edit", "compose"):
        response = await client.get(f"{PATH}/{name}", headers=AUTH)
        assert response.status_code == 405 and response.headers["Allow"] == "POST"


async def test_get_creations_of_the_film_and_its_sub_tasks_has_progress_and_watermarked_url(client):
    # the guide's query: "progress Int 任务生成进度", creations[].watermarked_url (CN)
    film = await op_created(client, "ad-one-click", body(duration=8))
    part = first_ids(await tree(client, film["task_id"]))[0]
    assert (await finish(client, part, 0))["progress"] == 0
    await advance(client, 1 + 15)   # half of its 30 s of processing
    assert (await finish(client, part, 0))["progress"] == 50
    done = await finish(client, film["task_id"], DONE)
    assert done["progress"] == 100 and done["creations"][0]["watermarked_url"] == done["creations"][0]["url"]
    other = await op_created(client, "template", {"template": "hug", "images": [png()]})
    assert "progress" not in await finish(client, other["task_id"], 0)   # other operations keep their shape

"""POST /ent/v2/one-click/general_one_click and its tree, edit and compose: one test per rule of
vendor-docs/more/general-one-click.txt (third-party clients only: every inference is in docs/decisions.md,
"Operations of issue 14: solutions"); prices: more/pricing.txt "Solutions"."""

import pytest

from tests.conftest import AUTH, KEY, advance, assert_error
from tests.ent.support import assert_contract, finish, op_create, op_created, output_media, state_of
from tests.support.media import png

pytestmark = pytest.mark.usefixtures("plenty_of_credits")
NAME = "one-click/general_one_click"
PATH = f"/ent/v2/{NAME}"
TREE, EDIT, COMPOSE = PATH + "/{id}", PATH + "/{id}/edit", PATH + "/{id}/compose"
OTHER = {"Authorization": "Token vda_someone_else"}
DONE = 200


def body(**extra):
    return {"images": [png()], **extra}


async def balance(client) -> int:
    return (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"]


async def tree(client, film_id, headers=AUTH) -> dict:
    response = await client.get(TREE.format(id=film_id), headers=headers)
    assert response.status_code == 200, response.text
    return assert_contract(response, "GET", TREE)


async def post(client, template, film_id, json, headers=AUTH):
    response = await client.post(template.format(id=film_id), json=json, headers=headers)
    assert_contract(response, "POST", template)
    return response


def jobs(found: dict, kind: str) -> list[list[dict]]:
    return [r["jobs"] for r in found["job_records"] if r["type"] == kind]


async def finished_film(client, **extra) -> dict:
    film = await op_created(client, NAME, body(**extra))
    await advance(client, DONE)
    found = await tree(client, film["task_id"])
    assert found["state"] == "success", found
    return found


# -- create ---------------------------------------------------------------------------------------------------
async def test_create_answers_task_id_and_id(client):
    # clients read "data.task_id || data.id": both are answered
    film = await op_created(client, NAME, body())
    assert film["id"] == film["task_id"] and film["type"] == "general_one_click" and film["state"] == "created"


async def test_no_model_is_needed_and_unknown_fields_are_ignored(client):
    # "该端点不收 model"; no official table, so not an allow-list (a TS provider sends "common official fields")
    await op_created(client, NAME, body(template="general", payload="p"))


async def test_images_at_most_7(client, emu):
    await op_created(client, NAME, body(images=[png()] * 7))
    before = await state_of(client, emu)
    for images in ([], [png()] * 8):
        assert_error(await op_create(client, NAME, body(images=images)), 400, "FieldItemCountOutOfRange", "images")
    assert await state_of(client, emu) == before


async def test_duration_1_to_180_default_15(client, emu):
    assert (await op_created(client, NAME, body()))["duration"] == 15
    for seconds in (1, 180):
        assert (await op_created(client, NAME, body(duration=seconds)))["duration"] == seconds
    before = await state_of(client, emu)
    for seconds in (0, 181):
        assert_error(await op_create(client, NAME, body(duration=seconds)), 400, "FieldInvalid", "duration")
    assert await state_of(client, emu) == before


async def test_aspect_ratio_default_16_9(client):
    assert (await op_created(client, NAME, body()))["aspect_ratio"] == "16:9"
    assert (await op_created(client, NAME, body(aspect_ratio="4:3")))["aspect_ratio"] == "4:3"
    assert_error(await op_create(client, NAME, body(aspect_ratio="21:9")), 400, "FieldInvalid", "aspect_ratio")


async def test_price_1080p_40_credits_per_second(client):
    before = await balance(client)
    assert (await op_created(client, NAME, body(duration=20)))["credits"] == 800
    assert await balance(client) == before - 800


# -- the MV-shaped tree, edit, compose -------------------------------------------------------------------------------
async def test_tree_is_mv_shaped_with_storyboards_narration_bgm_and_compose(client):
    film = await op_created(client, NAME, body(duration=12))
    found = await tree(client, film["task_id"])
    assert [r["type"] for r in found["job_records"]] == ["generate_video"] * 3 + [
        "generate_narration", "generate_bgm", "compose"]
    assert [j[0]["mv_generate_video_input"]["duration"] for j in jobs(found, "generate_video")] == [4, 4, 4]
    assert found["state"] == "created" and found["signed_url"] == ""
    await advance(client, 2)
    assert (await tree(client, film["task_id"]))["state"] == "processing"
    part = jobs(found, "generate_video")[0][0]["id"]
    assert (await tree(client, part))["id"] == film["task_id"]   # by a job's id, as an MV


async def test_full_flow_edit_a_storyboard_compose_a_film_with_music(client, emu):
    found = await finished_film(client, duration=6, aspect_ratio="1:1")
    film_id = found["id"]
    boards = jobs(found, "generate_video")
    assert len(boards) == 2 and found["signed_url"]
    edited = (await post(client, EDIT, film_id, {"job_id": boards[0][0]["id"], "prompt": "at dawn"})).json()["id"]
    await advance(client, DONE)
    found = await tree(client, film_id)
    assert [j["id"] for j in jobs(found, "generate_video")[0]] == [boards[0][0]["id"], edited]

    before = await state_of(client, emu)
    assert_error(await post(client, COMPOSE, film_id, {"job_ids": [edited]}), 400, "FieldItemCountOutOfRange",
                 "job_ids")
    assert await state_of(client, emu) == before
    composed = (await post(client, COMPOSE, film_id, {"job_ids": [edited, boards[1][0]["id"]]})).json()["id"]
    await advance(client, DONE)
    found = await tree(client, film_id)
    newest = jobs(found, "compose")[0][-1]
    assert newest["id"] == composed and newest["state"] == "success" and found["signed_url"] == newest["signed_url"]
    media = await output_media(client, await finish(client, composed, 0))
    assert media["size"] == (1080, 1080) and abs(media["duration"] - 6) <= 0.1 and media["audio"] == ["aac"]


async def test_edit_narration_and_bgm_jobs_at_their_prices(client):
    found = await finished_film(client, duration=10)
    for kind, credits in (("generate_narration", 10), ("generate_bgm", 2 * 10)):
        before = await balance(client)
        await post(client, EDIT, found["id"], {"job_id": jobs(found, kind)[0][0]["id"], "prompt": "again"})
        assert await balance(client) == before - credits


async def test_compose_job_ids_one_per_storyboard_at_most_one_narration_and_bgm(client, emu):
    found = await finished_film(client, duration=6)
    boards = [j[0]["id"] for j in jobs(found, "generate_video")]
    narration = jobs(found, "generate_narration")[0][0]["id"]
    before = await state_of(client, emu)
    for job_ids in ([boards[1], boards[0]], [*boards, narration, narration], [*boards, "nope"],
                    [*boards, jobs(found, "compose")[0][0]["id"]]):
        assert_error(await post(client, COMPOSE, found["id"], {"job_ids": job_ids}), 400, "FieldInvalid",
                     "job_ids")
    assert await state_of(client, emu) == before
    await post(client, COMPOSE, found["id"], {"job_ids": [*boards, narration]})


async def test_another_key_cannot_query_edit_or_compose(client, emu):
    found = await finished_film(client, duration=5)
    job = jobs(found, "generate_video")[0][0]["id"]
    before = await state_of(client, emu)
    assert_error(await client.get(TREE.format(id=found["id"]), headers=OTHER), 404, "TaskNotFound")
    assert_error(await post(client, EDIT, found["id"], {"job_id": job, "prompt": "x"}, OTHER), 404, "TaskNotFound")
    assert_error(await post(client, COMPOSE, found["id"], {"job_ids": [job]}, OTHER), 404, "TaskNotFound")
    assert await state_of(client, emu) == before


async def test_an_ad_film_is_not_a_general_film(client):
    film = await op_created(client, "ad-one-click", body())
    assert_error(await client.get(TREE.format(id=film["task_id"]), headers=AUTH), 404, "TaskNotFound")


async def test_a_failed_part_fails_the_film_which_is_refunded(client):
    before = await balance(client)
    await client.post("/_emulator/faults", json={"match": {"operation": "task.finish", "api_key": KEY},
                                                 "action": {"err_code": "CreationPolicyViolation"}, "times": 1})
    film = await op_created(client, NAME, body(duration=5))
    await advance(client, DONE)
    found = await tree(client, film["task_id"])
    assert found["state"] == "failed" and found["err_code"] == "CreationPolicyViolation" and found["err_msg"]
    assert await balance(client) == before

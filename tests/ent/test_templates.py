"""POST /ent/v2/template2video, /ent/v2/template and /ent/v2/template-story: one test per documented rule
(vendor-docs/more/template2video.txt, template-story.txt; judgements in docs/decisions.md)."""

import pytest

from tests.conftest import AUTH, KEY, assert_error
from tests.ent.support import URL_IMAGE, finish, op_create, op_created, output_media, state_of
from tests.support.media import png

pytestmark = pytest.mark.usefixtures("plenty_of_credits")
PATHS = ("template2video", "template")


def body(template="hug", **extra):
    return {"template": template, "images": [png()], **extra}


@pytest.mark.parametrize("path", PATHS)
async def test_both_paths_are_served_older_and_newer(client, path):
    task = await op_created(client, path, body())
    assert task["type"] == "template2video" and task["template"] == "hug" and task["state"] == "created"


async def test_mcp_template2video_request_with_empty_aspect_ratio_is_accepted_as_16_9(client):
    # vidu-mcp's generate_template_to_video sends aspect_ratio "" and seed 0 by default
    task = await op_created(client, "template2video", {"template": "hug", "images": [png()], "prompt": "",
                                                      "seed": 0, "aspect_ratio": "", "bgm": False})
    assert task["aspect_ratio"] == "16:9" and task["seed"] > 0


@pytest.mark.parametrize("path", PATHS)
async def test_unknown_template_is_refused_and_changes_nothing(client, emu, path):
    before = await state_of(client, emu)
    assert_error(await op_create(client, path, body("no_such_template")), 400, "FieldInvalid", "template")
    assert await state_of(client, emu) == before


async def test_template_and_images_are_required(client):
    assert_error(await op_create(client, "template", {"images": [png()]}), 400, "FieldLacking", "template")
    assert_error(await op_create(client, "template", {"template": "hug"}), 400, "FieldLacking", "images")


async def test_aspect_ratio_defaults_to_16_9_accepted_16_9_9_16_1_1(client):
    assert (await op_created(client, "template", body()))["aspect_ratio"] == "16:9"
    for ratio in ("16:9", "9:16", "1:1"):
        assert (await op_created(client, "template", body(aspect_ratio=ratio)))["aspect_ratio"] == ratio
    assert_error(await op_create(client, "template", body(aspect_ratio="4:3")), 400, "FieldInvalid",
                 "aspect_ratio")


async def test_prompt_at_most_2000_characters(client):
    await op_created(client, "template", body(prompt="a" * 2000))
    assert_error(await op_create(client, "template", body(prompt="a" * 2001)), 400, "FieldInvalid", "prompt")


async def test_prompt_is_optional_for_subject_3_and_pubg_winner_hit(client):
    for name in ("subject_3", "pubg_winner_hit"):
        assert (await op_created(client, "template", body(name)))["prompt"] == ""


async def test_area_only_for_exotic_princess_default_auto_accepted_values(client):
    assert (await op_created(client, "template", body("exotic_princess")))["area"] == "auto"
    assert (await op_created(client, "template", body("exotic_princess", area="japan")))["area"] == "japan"
    assert_error(await op_create(client, "template", body("exotic_princess", area="mars")), 400, "FieldInvalid",
                 "area")
    ignored = await op_created(client, "template", body("hug", area="mars"))   # "only for template ...": ignored
    assert "area" not in ignored


async def test_beast_only_for_beast_companion_default_auto_accepted_values(client):
    assert (await op_created(client, "template", body("beast_companion")))["beast"] == "auto"
    assert (await op_created(client, "template", body("beast_companion", beast="wolf")))["beast"] == "wolf"
    assert_error(await op_create(client, "template", body("beast_companion", beast="cat")), 400, "FieldInvalid",
                 "beast")
    assert "beast" not in await op_created(client, "template", body("hug", beast="cat"))


async def test_image_counts_per_template_dynasty_dress_1_2_wish_sender_3_others_1(client):
    await op_created(client, "template", body("dynasty_dress", images=[png(), png()]))
    await op_created(client, "template", body("wish_sender", images=[png(), png(), png()]))
    for name, count in (("hug", 2), ("dynasty_dress", 3), ("wish_sender", 2)):
        assert_error(await op_create(client, "template", body(name, images=[png()] * count)), 400,
                     "FieldItemCountOutOfRange", "images")


async def test_images_follow_the_image_rules(client):
    assert_error(await op_create(client, "template", body(images=[png(64, 64)])), 400, "PageSizeOutOfRange",
                 "images.0")


async def test_price_by_tier_standard_premium_advanced(client):
    # docs/decisions.md: fal's $0.20 / $0.30 / $0.50 at $0.005 a credit
    for name, credits in (("hug", 40), ("lunar_newyear", 60), ("live_photo", 100)):
        assert (await op_created(client, "template", body(name)))["credits"] == credits


async def test_the_price_is_charged_at_creation(client):
    before = (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"]
    await op_created(client, "template", body("hug"))
    assert (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"] == before - 40


async def test_template_output_is_a_720p_video_of_the_ratio_asked_4_s(client):
    task = await op_created(client, "template", body(aspect_ratio="9:16"))
    media = await output_media(client, await finish(client, task["task_id"]))
    assert media["size"] == (720, 1280) and abs(media["duration"] - 4) <= 0.1


async def test_template_tasks_are_listed_and_filtered_by_template(client):
    task = await op_created(client, "template", body("kiss", images=[URL_IMAGE]))
    listed = (await client.get("/ent/v2/tasks", params={"templates": "kiss"}, headers=AUTH)).json()["tasks"]
    assert [t["id"] for t in listed] == [task["task_id"]] and listed[0]["template"] == "kiss"


# -- template-story ---------------------------------------------------------------------------------
def story(name="love_story", **extra):
    return {"story": name, "images": [png(270, 480)], **extra}


@pytest.mark.parametrize("name", ["love_story", "workday_feels", "monkey_king", "pigsy", "monk_tang", "one_shot"])
async def test_story_accepted_values(client, name):
    task = await op_created(client, "template-story", story(name))
    assert task["type"] == "template-story" and task["story"] == name


async def test_unknown_story_is_refused(client):
    assert_error(await op_create(client, "template-story", story("hero_journey")), 400, "FieldInvalid", "story")


async def test_story_images_must_be_9_16(client):
    assert_error(await op_create(client, "template-story", story(images=[png(256, 256)])), 400, "FieldInvalid",
                 "images.0")


async def test_one_shot_takes_the_ratio_of_the_first_image(client):
    task = await op_created(client, "template-story", story("one_shot", images=[png(400, 300)]))
    media = await output_media(client, await finish(client, task["task_id"]))
    width, height = media["size"]
    assert abs(width / height - 4 / 3) < 0.01


async def test_story_is_one_start_frame(client):
    assert_error(await op_create(client, "template-story", story(images=[png(270, 480)] * 2)), 400,
                 "FieldItemCountOutOfRange", "images")


async def test_bgm_true_adds_background_music_and_a_silent_request_stays_silent(client):
    # "bgm: Whether to add background music to the generated video. Default: false"
    with_music = await op_created(client, "template", body(bgm=True))
    silent = await op_created(client, "template", body())
    music = await output_media(client, await finish(client, with_music["task_id"]))
    quiet = await output_media(client, await finish(client, silent["task_id"], 0))
    assert music["audio"] == ["aac"] and abs(music["audio_duration"] - music["duration"]) <= 0.1
    assert quiet["audio"] == []

"""POST /ent/v2/digital-human: one test per rule of the third-party documentation (vendor-docs/more/
digital-human.txt, no official page; judgements in docs/decisions.md "people")."""

import pytest

from tests.conftest import AUTH, assert_error
from tests.ent.support import finish, op_create, op_created, output_media, state_of
from tests.support.media import png, wav

pytestmark = pytest.mark.usefixtures("plenty_of_credits")
FACE = "https://example.com/face.png"


def body(model="viduq2-turbo", **extra):
    return {"model": model, "image": FACE, "text": "a" * 75, **extra}


async def test_model_viduq2_pro_or_viduq2_turbo(client, emu):
    for model in ("viduq2-pro", "viduq2-turbo"):
        assert (await op_created(client, "digital-human", body(model)))["model"] == model
    before = await state_of(client, emu)
    assert_error(await op_create(client, "digital-human", body("viduq3-pro")), 400, "FieldInvalid", "model")
    assert_error(await op_create(client, "digital-human", {"image": FACE, "text": "hello"}), 400, "FieldLacking",
                 "model")
    assert await state_of(client, emu) == before


async def test_image_is_one_string_not_an_array(client):
    assert_error(await op_create(client, "digital-human", body(image=[FACE])), 400, "FieldInvalid", "image")
    assert_error(await op_create(client, "digital-human", {"model": "viduq2-pro", "text": "hello"}), 400,
                 "FieldLacking", "image")
    assert_error(await op_create(client, "digital-human", body(image=png(64, 64))), 400, "PageSizeOutOfRange",
                 "image")


async def test_audio_url_or_text_is_required(client):
    assert_error(await op_create(client, "digital-human", {"model": "viduq2-pro", "image": FACE}), 400,
                 "FieldLacking", "audio_url")
    await op_created(client, "digital-human", {"model": "viduq2-pro", "image": FACE,
                                               "audio_url": "https://example.com/a.mp3"})


async def test_resolution_540p_720p_1080p_default_720p(client):
    assert (await op_created(client, "digital-human", body()))["resolution"] == "720p"
    for resolution in ("540p", "720p", "1080p"):
        assert (await op_created(client, "digital-human", body(resolution=resolution)))["resolution"] == resolution
    assert_error(await op_create(client, "digital-human", body(resolution="360p")), 400, "FieldInvalid",
                 "resolution")


async def test_prompt_at_most_2000_characters(client):
    await op_created(client, "digital-human", body(prompt="a" * 2000))
    assert_error(await op_create(client, "digital-human", body(prompt="a" * 2001)), 400, "FieldInvalid", "prompt")


async def test_text_4_to_2000_characters_as_lip_sync(client):
    for text in ("abcd", "a" * 2000, "你好"):
        await op_created(client, "digital-human", body(text=text))
    for text in ("abc", "a" * 2001, "你"):
        assert_error(await op_create(client, "digital-human", body(text=text)), 400, "FieldInvalid", "text")


async def test_audio_1_to_600_s_as_lip_sync(client):
    for seconds in (1.0, 600.0):
        await op_created(client, "digital-human", body(audio_url=wav(seconds)))
    for seconds in (0.8, 600.5):
        assert_error(await op_create(client, "digital-human", body(audio_url=wav(seconds))), 400, "FieldInvalid",
                     "audio_url")


async def test_digital_humans_are_listed_and_filtered_by_model(client):
    pro = await op_created(client, "digital-human", body("viduq2-pro"))
    await op_created(client, "digital-human", body("viduq2-turbo"))
    listed = (await client.get("/ent/v2/tasks", params={"model_versions": "viduq2-pro"}, headers=AUTH)).json()
    assert [(t["id"], t["type"]) for t in listed["tasks"]] == [(pro["task_id"], "digital-human")]


async def test_price_video_plus_lip_sync_20_per_5_s_plus_tts_10_per_500_characters(client):
    # pricing.txt "Digital Human Q2-turbo: 视频 120 credits；+Lip-sync 20/5s；+TTS 10/500 字" (Q2-pro: 200)
    # 75 characters at 15 a second (docs/decisions.md) = 5 s
    assert (await op_created(client, "digital-human", body("viduq2-turbo")))["credits"] == 120 + 20 + 10
    assert (await op_created(client, "digital-human", body("viduq2-pro")))["credits"] == 200 + 20 + 10
    # 501 characters: 33.4 s = 7 blocks of 5 s, 2 of 500 characters
    assert (await op_created(client, "digital-human", body(text="a" * 501)))["credits"] == 120 + 140 + 20
    # audio_url wins over text and is not spoken: no TTS
    assert (await op_created(client, "digital-human", body(audio_url=wav(6.0))))["credits"] == 120 + 40


async def test_output_speaks_the_text_at_the_resolution_in_the_image_ratio(client):
    task = await op_created(client, "digital-human", body(image=png(256, 512), resolution="540p"))
    media = await output_media(client, await finish(client, task["task_id"]))
    assert media["size"] == (540, 1080) and abs(media["duration"] - 5) <= 0.1
    assert media["audio"] == ["aac"] and abs(media["audio_duration"] - 5) <= 0.1


async def test_output_follows_the_audio_given(client):
    task = await op_created(client, "digital-human", body(audio_url=wav(3.0)))
    media = await output_media(client, await finish(client, task["task_id"]))
    assert media["size"] == (1280, 720) and abs(media["duration"] - 3) <= 0.1
    assert media["audio"] == ["aac"] and abs(media["audio_duration"] - 3) <= 0.1

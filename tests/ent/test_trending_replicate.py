"""POST /ent/v2/trending-replicate: one test per documented rule (vendor-docs/more/trending-replicate.txt,
the official EN page and the CN guide; judgements in docs/decisions.md "people")."""

import pytest

from tests.conftest import assert_error
from tests.ent.support import URL_IMAGE, finish, op_create, op_created, output_media, state_of
from tests.support.media import mp4, png
from tests.support.receiver import Receiver, wait_for
from tests.support.sounding import mp4_sound

pytestmark = pytest.mark.usefixtures("plenty_of_credits")
VIDEO = "https://example.com/trend.mp4"


def body(**extra):
    return {"video_url": VIDEO, "images": [URL_IMAGE], **extra}


async def test_video_url_and_images_are_required(client, emu):
    before = await state_of(client, emu)
    assert_error(await op_create(client, "trending-replicate", {"images": [URL_IMAGE]}), 400, "FieldLacking",
                 "video_url")
    assert_error(await op_create(client, "trending-replicate", {"video_url": VIDEO}), 400, "FieldLacking", "images")
    assert await state_of(client, emu) == before


async def test_answer_echoes_images_prompt_ratio_resolution_remove_audio_not_the_video(client):
    task = await op_created(client, "trending-replicate", body())
    assert task["type"] == "trending-replicate" and task["images"] == [URL_IMAGE] and "video_url" not in task
    assert (task["prompt"], task["aspect_ratio"], task["resolution"], task["remove_audio"]) == ("", "16:9", "1080p",
                                                                                                False)


async def test_images_1_to_7(client):
    await op_created(client, "trending-replicate", body(images=[URL_IMAGE] * 7))
    for count in (0, 8):
        assert_error(await op_create(client, "trending-replicate", body(images=[URL_IMAGE] * count)), 400,
                     "FieldItemCountOutOfRange", "images")
    assert_error(await op_create(client, "trending-replicate", body(images=[png(64, 64)])), 400,
                 "PageSizeOutOfRange", "images.0")


async def test_video_formats_mp4_mov(client):
    for ext in ("mp4", "mov"):
        await op_created(client, "trending-replicate", body(video_url=f"https://example.com/trend.{ext}"))
    assert_error(await op_create(client, "trending-replicate", body(video_url="https://example.com/trend.avi")),
                 400, "FieldInvalid", "video_url")


async def test_video_duration_5_to_180_s(client):
    for seconds in (5.0, 180.0):
        await op_created(client, "trending-replicate", body(video_url=mp4(seconds, fps=1)))
    for seconds in (4.0, 181.0):
        assert_error(await op_create(client, "trending-replicate", body(video_url=mp4(seconds, fps=1))), 400,
                     "FieldInvalid", "video_url")


async def test_aspect_ratio_default_16_9_accepted_16_9_9_16_1_1_4_3_3_4(client):
    for ratio in ("16:9", "9:16", "1:1", "4:3", "3:4"):
        assert (await op_created(client, "trending-replicate", body(aspect_ratio=ratio)))["aspect_ratio"] == ratio
    assert_error(await op_create(client, "trending-replicate", body(aspect_ratio="21:9")), 400, "FieldInvalid",
                 "aspect_ratio")


async def test_resolution_default_1080p_accepted_540p_720p_1080p(client):
    for resolution in ("540p", "720p", "1080p"):
        task = await op_created(client, "trending-replicate", body(resolution=resolution))
        assert task["resolution"] == resolution
    assert_error(await op_create(client, "trending-replicate", body(resolution="2K")), 400, "FieldInvalid",
                 "resolution")


async def test_prompt_at_most_2000_characters(client):
    await op_created(client, "trending-replicate", body(prompt="a" * 2000))
    assert_error(await op_create(client, "trending-replicate", body(prompt="a" * 2001)), 400, "FieldInvalid",
                 "prompt")


async def test_price_12_16_20_credits_a_second_by_resolution(client):
    # pricing.txt "One Click Trending Replicate: 540/720/1080P = 12 / 16 / 20 credits/s"; an unread URL: 5 s
    for resolution, rate in (("540p", 12), ("720p", 16), ("1080p", 20)):
        assert (await op_created(client, "trending-replicate", body(resolution=resolution)))["credits"] == 5 * rate
    assert (await op_created(client, "trending-replicate", body(video_url=mp4(8.0))))["credits"] == 8 * 20


async def test_output_lasts_the_video_and_keeps_its_sound(client):
    task = await op_created(client, "trending-replicate", body(video_url=mp4_sound(5.0), resolution="540p",
                                                               aspect_ratio="9:16"))
    media = await output_media(client, await finish(client, task["task_id"]))
    assert media["size"] == (540, 960) and abs(media["duration"] - 5) <= 0.1
    assert media["audio"] == ["aac"] and abs(media["audio_duration"] - 5) <= 0.1


async def test_remove_audio_true_makes_a_silent_video(client):
    task = await op_created(client, "trending-replicate", body(video_url=mp4_sound(5.0), resolution="540p",
                                                               remove_audio=True))
    assert task["remove_audio"] is True
    media = await output_media(client, await finish(client, task["task_id"]))
    assert media["size"] == (960, 540) and media["audio"] == []


async def test_callback_carries_the_payload_and_the_creation(client):
    with Receiver() as rx:
        task = await op_created(client, "trending-replicate", body(payload="order-7", callback_url=rx.url + "/cb"))
        await finish(client, task["task_id"])
        await wait_for(lambda: len(rx.requests) == 2, what="processing and success callbacks")
        last = rx.requests[-1]["body"]
        assert last["state"] == "success" and last["payload"] == "order-7" and last["id"] == task["task_id"]
        assert ".mp4?" in last["creations"][0]["url"]

"""POST /ent/v2/image2dance (motion sync): one test per documented rule (vendor-docs/more/image2dance.txt,
the official page; judgements in docs/decisions.md "people")."""

import pytest

from tests.conftest import AUTH, KEY, assert_error
from tests.ent.support import finish, op_create, op_created, output_media, state_of
from tests.support.media import image_uri, mp4, png
from tests.support.sounding import mp4_sound

pytestmark = pytest.mark.usefixtures("plenty_of_credits")
IMAGE, VIDEO = "https://example.com/dancer.png", "https://example.com/moves.mp4"


def body(**extra):
    return {"image_url": IMAGE, "video_url": VIDEO, **extra}


async def test_image_url_and_video_url_are_required(client, emu):
    before = await state_of(client, emu)
    assert_error(await op_create(client, "image2dance", {"video_url": VIDEO}), 400, "FieldLacking", "image_url")
    assert_error(await op_create(client, "image2dance", {"image_url": IMAGE}), 400, "FieldLacking", "video_url")
    assert await state_of(client, emu) == before
    assert (await op_created(client, "image2dance", body()))["type"] == "image2dance"


async def test_image_formats_jpg_jpeg_png_bmp_webp(client):
    for fmt, mime in (("JPEG", "image/jpeg"), ("JPEG", "image/jpg"), ("PNG", "image/png"), ("BMP", "image/bmp"),
                      ("WEBP", "image/webp")):
        await op_created(client, "image2dance", body(image_url=image_uri(fmt, 256, 256, mime)))
    for ext in ("jpg", "jpeg", "png", "bmp", "webp"):
        await op_created(client, "image2dance", body(image_url=f"https://example.com/dancer.{ext}"))
    assert_error(await op_create(client, "image2dance", body(image_url=image_uri("GIF", 256, 256))), 400,
                 "ImageFormatInvalid", "image_url")


async def test_bmp_is_refused_where_not_listed(client):
    assert_error(await op_create(client, "trending-replicate", {"video_url": VIDEO,
                                                                "images": [image_uri("BMP", 256, 256)]}),
                 400, "ImageFormatInvalid", "images.0")


async def test_image_sides_200_to_4096_pixels(client, emu):
    for size in ((200, 200), (4096, 1400)):
        await op_created(client, "image2dance", body(image_url=png(*size)))
    before = await state_of(client, emu)
    for size in ((199, 300), (4098, 1400)):
        assert_error(await op_create(client, "image2dance", body(image_url=png(*size))), 400, "PageSizeOutOfRange",
                     "image_url")
    assert await state_of(client, emu) == before


async def test_image_ratio_1_3_to_3_1(client):
    for size in ((600, 200), (200, 600)):
        await op_created(client, "image2dance", body(image_url=png(*size)))
    for size in ((606, 200), (200, 606)):
        assert_error(await op_create(client, "image2dance", body(image_url=png(*size))), 400, "PageSizeOutOfRange",
                     "image_url")


async def test_image_at_most_5_mb(client):
    too_big = "data:image/png;base64," + "A" * (5 * 1024 * 1024 // 3 * 4 + 8)
    assert_error(await op_create(client, "image2dance", body(image_url=too_big)), 400, "PageSizeOutOfRange",
                 "image_url")


async def test_video_formats_mp4_avi_mov(client):
    for ext in ("mp4", "avi", "mov"):
        await op_created(client, "image2dance", body(video_url=f"https://example.com/moves.{ext}"))
    assert_error(await op_create(client, "image2dance", body(video_url="https://example.com/moves.mkv")), 400,
                 "FieldInvalid", "video_url")


async def test_video_duration_2_to_30_s(client):
    for seconds in (2.0, 30.0):
        await op_created(client, "image2dance", body(video_url=mp4(seconds, 200, 200)))
    for seconds in (1.75, 30.25):
        assert_error(await op_create(client, "image2dance", body(video_url=mp4(seconds, 200, 200))), 400,
                     "FieldInvalid", "video_url")


async def test_video_sides_200_to_2048_ratio_1_3_to_3_1(client):
    for size in ((200, 200), (2048, 700), (600, 200)):
        await op_created(client, "image2dance", body(video_url=mp4(2.0, *size, fps=1)))
    for size in ((198, 198), (2050, 700), (606, 200)):
        assert_error(await op_create(client, "image2dance", body(video_url=mp4(2.0, *size, fps=1))), 400,
                     "PageSizeOutOfRange", "video_url")


async def test_price_10_credits_a_second_of_the_video(client):
    # pricing.txt "Motion Sync (image2dance): 10 credits / s"; an unread URL is taken as 5 s (docs/decisions.md)
    assert (await op_created(client, "image2dance", body(video_url=mp4(3.0, 200, 200))))["credits"] == 30
    assert (await op_created(client, "image2dance", body()))["credits"] == 50


async def test_output_lasts_the_video_in_the_image_ratio_with_the_video_sound(client):
    task = await op_created(client, "image2dance", body(image_url=png(256, 512), video_url=mp4_sound(3.0)))
    media = await output_media(client, await finish(client, task["task_id"]))
    assert media["size"] == (720, 1440) and abs(media["duration"] - 3) <= 0.1
    assert media["audio"] == ["aac"] and abs(media["audio_duration"] - 3) <= 0.1


async def test_output_of_a_silent_video_is_silent(client):
    task = await op_created(client, "image2dance", body(image_url=png(256, 256), video_url=mp4(2.0, 200, 200)))
    media = await output_media(client, await finish(client, task["task_id"]))
    assert media["size"] == (720, 720) and media["audio"] == []


async def test_a_created_dance_can_be_cancelled_and_is_refunded(client):
    before = (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"]
    task = await op_created(client, "image2dance", body())
    cancel = await client.post(f"/ent/v2/tasks/{task['task_id']}/cancel", headers=AUTH, json={})
    assert cancel.status_code == 200, cancel.text
    creations = await finish(client, task["task_id"])
    assert creations["state"] == "failed" and creations["err_code"] == "UserCancelled"
    assert (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"] == before

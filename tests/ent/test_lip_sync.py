"""POST /ent/v2/lip-sync: one test per documented rule (vendor-docs/more/lip-sync.txt: the official table
to `speed`, the rest from 3P mirrors of the CN page; judgements in docs/decisions.md "people")."""

import pytest

from tests.conftest import AUTH, KEY, advance, assert_error
from tests.ent.support import finish, op_create, op_created, output_media, state_of
from tests.support.media import encoded_audio, mp4, png, wav
from tests.support.sounding import mp4_codec

pytestmark = pytest.mark.usefixtures("plenty_of_credits")
VIDEO = "https://example.com/speaker.mp4"


def body(**extra):
    return {"video_url": VIDEO, "text": "Hello, I am Vidu", **extra}


async def test_video_url_is_required(client):
    assert_error(await op_create(client, "lip-sync", {"text": "Hello there"}), 400, "FieldLacking", "video_url")


async def test_audio_url_or_text_is_required(client, emu):
    before = await state_of(client, emu)
    assert_error(await op_create(client, "lip-sync", {"video_url": VIDEO}), 400, "FieldLacking", "audio_url")
    assert await state_of(client, emu) == before
    await op_created(client, "lip-sync", {"video_url": VIDEO, "audio_url": "https://example.com/a.mp3"})


@pytest.mark.parametrize("field", ["model", "seed", "duration", "character_id"])
async def test_undeclared_fields_are_unwanted_model_included(client, emu, field):
    # error-code.txt: a 3P client notes model sent to lip-sync is refused with 400 (strict validation)
    before = await state_of(client, emu)
    assert_error(await op_create(client, "lip-sync", body(**{field: "viduq2-pro" if field != "seed" else 1})),
                 400, "FieldUnwanted", field)
    assert await state_of(client, emu) == before


async def test_declared_fields_are_accepted_payload_and_callback_included(client):
    task = await op_created(client, "lip-sync", body(voice_id="my_voice", speed=1.5, volume=3, payload="p",
                                                     ref_photo_url="https://example.com/face.png",
                                                     callback_url="https://example.com/cb"))
    assert task["type"] == "lip-sync" and task["payload"] == "p" and task["voice_id"] == "my_voice"
    assert (task["speed"], task["volume"]) == (1.5, 3)


async def test_video_formats_mp4_mov_avi(client):
    for ext in ("mp4", "mov", "avi"):
        await op_created(client, "lip-sync", body(video_url=f"https://example.com/v.{ext}"))
    assert_error(await op_create(client, "lip-sync", body(video_url="https://example.com/v.mkv")), 400,
                 "FieldInvalid", "video_url")


async def test_video_duration_1_to_600_s(client):
    await op_created(client, "lip-sync", body(video_url=mp4(1.0, 360, 360)))
    assert_error(await op_create(client, "lip-sync", body(video_url=mp4(0.75, 360, 360))), 400, "FieldInvalid",
                 "video_url")
    await op_created(client, "lip-sync", body(video_url=mp4(600, 360, 360, fps=1)))
    assert_error(await op_create(client, "lip-sync", body(video_url=mp4(601, 360, 360, fps=1))), 400,
                 "FieldInvalid", "video_url")


async def test_video_sides_360_to_4096_pixels(client, emu):
    await op_created(client, "lip-sync", body(video_url=mp4(1.0, 360, 640)))
    await op_created(client, "lip-sync", body(video_url=mp4(1.0, 4096, 1080, fps=1)))
    before = await state_of(client, emu)
    for width, height in ((358, 640), (4098, 1080)):
        assert_error(await op_create(client, "lip-sync", body(video_url=mp4(1.0, width, height, fps=1))), 400,
                     "PageSizeOutOfRange", "video_url")
    assert await state_of(client, emu) == before


async def test_video_must_be_h264(client, emu):
    before = await state_of(client, emu)
    assert_error(await op_create(client, "lip-sync", body(video_url=mp4_codec("mpeg4"))), 400, "FieldInvalid",
                 "video_url")
    assert await state_of(client, emu) == before
    await op_created(client, "lip-sync", body(video_url=mp4(1.0, 360, 360)))


async def test_audio_formats_wav_mp3_wma_m4a_aac_ogg(client):
    for ext in ("wav", "mp3", "wma", "m4a", "aac", "ogg"):
        await op_created(client, "lip-sync", body(audio_url=f"https://example.com/a.{ext}"))
    assert_error(await op_create(client, "lip-sync", body(audio_url="https://example.com/a.flac")), 400,
                 "FieldInvalid", "audio_url")


async def test_audio_duration_1_to_600_s(client):
    await op_created(client, "lip-sync", body(audio_url=wav(1.0)))
    await op_created(client, "lip-sync", body(audio_url=wav(600.0)))
    for seconds in (0.8, 600.5):
        assert_error(await op_create(client, "lip-sync", body(audio_url=wav(seconds))), 400, "FieldInvalid",
                     "audio_url")


async def test_text_4_to_2000_characters_a_chinese_one_counts_two(client):
    for text in ("abcd", "a" * 2000, "你好", "你" * 1000):
        await op_created(client, "lip-sync", body(text=text))
    for text in ("abc", "a" * 2001, "你", "你" * 1001):
        assert_error(await op_create(client, "lip-sync", body(text=text)), 400, "FieldInvalid", "text")


async def test_pauses_take_0_01_to_99_99_seconds(client):
    await op_created(client, "lip-sync", body(text="你好<#0.01#>我是 Vidu<#99.99#>很高兴见到你"))
    for pause in ("0", "100", "x"):
        assert_error(await op_create(client, "lip-sync", body(text=f"Hello<#{pause}#>there")), 400,
                     "FieldInvalid", "text")


async def test_speed_0_5_to_2_default_1(client):
    assert (await op_created(client, "lip-sync", body()))["speed"] == 1.0
    for speed in (0.5, 2):
        assert (await op_created(client, "lip-sync", body(speed=speed)))["speed"] == speed
    for speed in (0.49, 2.01):
        assert_error(await op_create(client, "lip-sync", body(speed=speed)), 400, "FieldInvalid", "speed")


async def test_volume_0_to_10_default_0(client):
    assert (await op_created(client, "lip-sync", body()))["volume"] == 0
    for volume in (0, 10):
        assert (await op_created(client, "lip-sync", body(volume=volume)))["volume"] == volume
    for volume in (-1, 11):
        assert_error(await op_create(client, "lip-sync", body(volume=volume)), 400, "FieldInvalid", "volume")


async def test_ref_photo_follows_the_image_rules(client):
    assert_error(await op_create(client, "lip-sync", body(ref_photo_url=png(64, 64))), 400, "PageSizeOutOfRange",
                 "ref_photo_url")


async def test_price_20_credits_per_started_5_s(client):
    # pricing.txt: "Lip Sync: 每 5s 收 20 credits"; the output is the source video's length
    for seconds, credits in ((5.0, 20), (6.0, 40), (600, 2400)):
        video = mp4(seconds, 360, 360, fps=1)
        assert (await op_created(client, "lip-sync", body(video_url=video)))["credits"] == credits


async def test_text_output_is_the_source_video_resized_never_with_an_aac_track_of_its_length(client):
    task = await op_created(client, "lip-sync", body(video_url=mp4(3.0, 360, 640)))
    media = await output_media(client, await finish(client, task["task_id"]))
    assert media["size"] == (360, 640) and abs(media["duration"] - 3) <= 0.1
    assert media["audio"] == ["aac"] and abs(media["audio_duration"] - 3) <= 0.1


async def test_audio_output_follows_the_source_video_with_the_audio_given(client):
    task = await op_created(client, "lip-sync", body(video_url=mp4(3.0, 360, 360), audio_url=encoded_audio("mp3", 2.0)))
    media = await output_media(client, await finish(client, task["task_id"]))
    assert media["size"] == (360, 360) and abs(media["duration"] - 3) <= 0.1
    assert media["audio"] == ["aac"] and abs(media["audio_duration"] - 3) <= 0.1


async def test_an_unread_video_follows_the_audio_given_at_720p(client):
    # docs/decisions.md: a video URL not fetched (offline) cannot be measured: the audio's length, 1280x720
    task = await op_created(client, "lip-sync", body(audio_url=wav(4.0)))
    assert task["credits"] == 20
    media = await output_media(client, await finish(client, task["task_id"]))
    assert media["size"] == (1280, 720) and abs(media["duration"] - 4) <= 0.1
    assert abs(media["audio_duration"] - 4) <= 0.1


async def test_an_unread_video_follows_the_text_spoken_at_15_characters_a_second(client):
    # docs/decisions.md: 15 characters a second (4 Chinese ones), pauses added, divided by speed
    task = await op_created(client, "lip-sync", body(text="a" * 60 + "<#2#>", speed=2))
    media = await output_media(client, await finish(client, task["task_id"]))
    assert abs(media["duration"] - 4) <= 0.1 and media["audio"] == ["aac"]


async def test_a_failed_lip_sync_refunds_its_credits(client):
    await client.post("/_emulator/faults", json={"match": {"operation": "task.finish"},
                                                 "action": {"err_code": "CreationPolicyViolation"}, "times": 1})
    before = (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"]
    task = await op_created(client, "lip-sync", body())
    await advance(client, 1)
    creations = await finish(client, task["task_id"])
    assert creations["state"] == "failed" and creations["err_code"] == "CreationPolicyViolation"
    assert (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"] == before


async def test_lip_sync_tasks_are_listed_by_type(client):
    task = await op_created(client, "lip-sync", body())
    listed = (await client.get("/ent/v2/tasks", headers=AUTH)).json()["tasks"]
    assert [t["type"] for t in listed if t["id"] == task["task_id"]] == ["lip-sync"]

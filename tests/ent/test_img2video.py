"""POST /ent/v2/img2video: one test per documented rule (wire notes §1.3, the CN doc copy, vidu-mcp, and the q3-era
tables of vendor-docs/more/models-2026.txt, "M26" below; prices from vendor-docs/more/pricing.txt, "P")."""

import pytest

from tests.conftest import assert_error
from tests.ent.support import URL_IMAGE, check_model_row, create, created, finish, output_media
from tests.support.media import png

pytestmark = pytest.mark.usefixtures("plenty_of_credits")
KIND = "img2video"


def body(model="viduq2-pro", **extra):
    return {"model": model, "images": [png()], "prompt": "The astronaut waved and the camera moved up.", **extra}


async def refused(client, payload, reason, field):
    return assert_error(await create(client, KIND, payload), 400, reason, field)


async def test_mcp_img2video_request_is_accepted(client):
    task = await created(client, KIND, {"model": "viduq1", "images": [png()], "prompt": "", "duration": 5,
                                        "seed": 0, "resolution": "1080p", "movement_amplitude": "auto",
                                        "bgm": False})
    assert task["type"] == "img2video" and task["images"] == [png()] and task["duration"] == 5


async def test_exactly_one_image(client):
    await refused(client, body(images=[png(), png()]), "FieldItemCountOutOfRange", "images")
    await refused(client, body(images=[]), "FieldItemCountOutOfRange", "images")
    await refused(client, {"model": "viduq1", "prompt": "x"}, "FieldLacking", "images")


async def test_prompt_is_optional(client):
    task = await created(client, KIND, {"model": "viduq1", "images": [URL_IMAGE]})
    assert task["prompt"] == ""


async def test_prompt_at_most_2000_characters_5000_on_q3(client):
    await created(client, KIND, body("viduq1", prompt="a" * 2000))
    await refused(client, body("viduq1", prompt="a" * 2001), "FieldInvalid", "prompt")
    await created(client, KIND, body("viduq3-pro", prompt="a" * 5000))


ROWS = [  # model, durations accepted, refused, default duration, resolutions accepted, refused, default
    ("viduq3-pro", (1, 16), (0, 17), 5, ("540p", "720p", "1080p", "2K"), ("360p",), "720p"),
    ("viduq3-turbo", (1, 16), (17,), 5, ("540p", "2K"), ("360p",), "720p"),
    # M26 §2 "viduq3-pro-fast -- img2video ONLY, 1–16 s, 720p/1080p"
    ("viduq3-pro-fast", (1, 16), (0, 17), 5, ("720p", "1080p"), ("540p", "2K"), "720p"),
    ("viduq2-pro-fast", (1, 10), (0, 11), 5, ("720p", "1080p"), ("540p",), "720p"),
    ("viduq2-pro", (1, 10), (0, 11), 5, ("540p", "720p", "1080p"), ("360p", "2K"), "720p"),
    ("viduq2-turbo", (1, 10), (11,), 5, ("540p", "720p", "1080p"), ("360p",), "720p"),
    # M26 §2 CN-SWAG "viduq2 默认5秒，可选：1-10"; "viduq2(1-10秒)：默认 720p，可选：540p、720p、1080p"
    ("viduq2", (1, 10), (0, 11), 5, ("540p", "720p", "1080p"), ("360p", "2K"), "720p"),
    ("viduq1", (5,), (4,), 5, ("1080p",), ("720p",), "1080p"),
    ("viduq1-classic", (5,), (8,), 5, ("1080p",), ("720p",), "1080p"),
    ("vidu2.0", (4, 8), (5,), 4, ("360p", "720p", "1080p"), ("540p",), "360p"),
    ("vidu1.5", (4, 8), (5,), 4, ("360p", "720p", "1080p"), ("540p",), "360p"),
]


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
async def test_durations_and_resolutions_per_model(client, row):
    await check_model_row(client, KIND, body, row)


@pytest.mark.parametrize("model", ["vidu2.0", "vidu1.5"])
async def test_8_seconds_is_720p_only(client, model):
    assert (await created(client, KIND, body(model, duration=8)))["resolution"] == "720p"
    await refused(client, body(model, duration=8, resolution="360p"), "FieldInvalid", "resolution")


async def test_plain_viduq2_is_an_img2video_model_by_the_q3_era_list(client):
    # M26 §2 CN-SWAG "model 可选值：viduq2 、viduq1、viduq3-turbo、viduq3-pro" (the older SUN list has no plain
    # viduq2: the union of the two is accepted, docs/decisions.md "q3-era tables")
    assert (await created(client, KIND, body("viduq2")))["model"] == "viduq2"


@pytest.mark.parametrize("kind", ["text2video", "start-end2video", "reference2video"])
async def test_viduq3_pro_fast_is_img2video_only(client, kind):
    # M26 §2 "viduq3-pro-fast -- img2video ONLY"; INDEX "viduq3-pro-fast is img2video only"
    payload = {"model": "viduq3-pro-fast", "prompt": "x"}
    if kind != "text2video":
        payload["images"] = [png(), png()] if kind == "start-end2video" else [png()]
    assert_error(await create(client, kind, payload), 400, "FieldInvalid", "model")


async def test_aspect_ratio_follows_the_first_frame(client):
    assert (await created(client, KIND, body(images=[png(180, 320)])))["aspect_ratio"] == "9:16"
    assert (await created(client, KIND, body(images=[png(320, 180)])))["aspect_ratio"] == "16:9"
    assert (await created(client, KIND, body(images=[URL_IMAGE])))["aspect_ratio"] == "16:9"


async def test_audio_default_false_true_on_q3(client):
    assert (await created(client, KIND, body()))["audio"] is False
    assert (await created(client, KIND, body("viduq3-pro")))["audio"] is True
    # M26 §2 CN-SUM lists viduq3-pro-fast "audio default true"
    assert (await created(client, KIND, body("viduq3-pro-fast")))["audio"] is True
    assert (await created(client, KIND, body(audio=True, voice_id="Tina")))["audio"] is True


async def test_audio_does_not_allow_off_peak(client):
    assert (await created(client, KIND, body(off_peak=True)))["off_peak"] is True
    await refused(client, body(audio=True, off_peak=True), "FieldInvalid", "off_peak")


async def test_bgm_on_q3_is_accepted_without_effect(client):
    # M26 §1 (CN-T2V-OFF) "该参数在q3系列模型中不生效": no effect, not refused; no page refuses it on img2video
    for model in ("viduq3-pro", "viduq3-turbo", "viduq3-pro-fast"):
        assert (await created(client, KIND, body(model, bgm=True)))["bgm"] is True


async def test_watermark_fields_are_accepted(client):
    # M26 §2 CN-SWAG lists "watermark; wm_position; wm_url; meta_data"; M26 §1 "wm_position Int ... 1：左上角
    # 2：右上角 3：右下角 4：左下角"
    for position in (1, 4):
        await created(client, KIND, body(watermark=True, wm_position=position, wm_url="https://example.com/wm.png",
                                         meta_data='{"Label": "your_label"}'))
    for position in (0, 5):
        await refused(client, body(wm_position=position), "FieldInvalid", "wm_position")


async def test_is_rec_costs_10_more_credits(client):
    # viduq2-pro 720p: P line 31 "720P 起步 15 ($0.075), +10/s": 15 + 4 x 10 at 5 s
    assert (await created(client, KIND, body(duration=5)))["credits"] == 55
    # +10: P line 12 "is_rec=true 每个任务多消耗10积分" (official create pages)
    assert (await created(client, KIND, body(duration=5, is_rec=True)))["credits"] == 65


async def test_audio_on_q2_costs_15_more_credits(client):
    # P line 12 "img2video / reference2video 启用 audio=true 时额外 +15 credits": 55 (above) + 15
    assert (await created(client, KIND, body(duration=5, audio=True)))["credits"] == 70


# (model, duration, resolution, credits), each figure from a written source:
CREDITS = [
    # P line 42 "Q1 (viduq1, viduq1-classic): 固定档：5s / 1080P / 80 credits"
    ("viduq1", 5, "1080p", 80),
    # P line 43 "vidu2.0: img2video ... 8s 720P 100/50"
    ("vidu2.0", 8, "720p", 100),
    # P line 31 "viduq2-pro img2video ... 1080P 起步 55 ($0.275), +15/s": 55 + 2 x 15
    ("viduq2-pro", 3, "1080p", 85),
    # P line 31 "540P 起步 8 → 第 2 秒 10，+5/s": 8, 10, then 15
    ("viduq2-pro", 1, "540p", 8), ("viduq2-pro", 2, "540p", 10), ("viduq2-pro", 3, "540p", 15),
    # P line 29 "viduq2-turbo ... 720P 起步 8 → 第 2 秒到 10，之后 +10/s": 8, 10, 20
    ("viduq2-turbo", 1, "720p", 8), ("viduq2-turbo", 2, "720p", 10), ("viduq2-turbo", 3, "720p", 20),
    # P line 34 "viduq2-pro-fast ... 720P 起步 8 ($0.04), +2/s": 8 + 9 x 2 at 10 s
    ("viduq2-pro-fast", 10, "720p", 26),
    # P line 21 "viduq3-pro-fast (img2video only, 1–16s): 720P 20/10 ...; 1080P 25/13": per second
    ("viduq3-pro-fast", 1, "720p", 20), ("viduq3-pro-fast", 16, "1080p", 400),
    # P line 17 "viduq3-pro text2video / img2video / start-end2video (1–16s): 540P 9/5": per second
    ("viduq3-pro", 16, "540p", 144),
    # P line 19 "viduq3-turbo text/img/start-end (1–16s): ... 720P 11/6"
    ("viduq3-turbo", 5, "720p", 55),
]


@pytest.mark.parametrize("model,duration,resolution,credits", CREDITS,
                         ids=[f"{c[0]}-{c[1]}s-{c[2]}" for c in CREDITS])
async def test_credits_follow_model_duration_and_resolution(client, model, duration, resolution, credits):
    task = await created(client, KIND, body(model, duration=duration, resolution=resolution))
    assert task["credits"] == credits


async def test_off_peak_is_the_q3_tables_off_peak_rate(client):
    # P line 21 "viduq3-pro-fast ... 1080P 25/13": 13 per second off-peak (with audio, q3's off-peak rule)
    task = await created(client, KIND, body("viduq3-pro-fast", duration=5, resolution="1080p", off_peak=True))
    assert task["credits"] == 65


async def test_viduq3_pro_fast_renders_at_its_resolution_and_duration(client):
    # M26 §2 "viduq3-pro-fast ... 1–16 s, 720p/1080p": a 1080p 16:9 frame is 1920x1080 (outputs' sizes)
    task = await created(client, KIND, body("viduq3-pro-fast", images=[png(320, 180)], duration=2,
                                            resolution="1080p"))
    media = await output_media(client, await finish(client, task["task_id"], 600))
    assert media["size"] == (1920, 1080) and abs(media["duration"] - 2) < 0.2

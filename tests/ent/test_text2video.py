"""POST /ent/v2/text2video: one test per documented rule (wire notes §1.3, the CN doc copy, vidu-mcp, and the q3-era
official page in vendor-docs/more/models-2026.txt §1, "M26"; prices from vendor-docs/more/pricing.txt, "P")."""

import pytest

from tests.conftest import assert_error
from tests.ent.support import check_model_row, create, created
from tests.support.media import png

pytestmark = pytest.mark.usefixtures("plenty_of_credits")
KIND = "text2video"


def body(model="viduq2", **extra):
    return {"model": model, "prompt": "An astronaut walks through the fog.", **extra}


async def refused(client, payload, reason, field):
    return assert_error(await create(client, KIND, payload), 400, reason, field)


async def test_mcp_text2video_request_is_accepted(client):
    task = await created(client, KIND, {"model": "viduq1", "style": "general", "prompt": "a cat", "duration": 5,
                                        "seed": 0, "aspect_ratio": "16:9", "resolution": "1080p",
                                        "movement_amplitude": "auto", "bgm": False})
    assert task["type"] == "text2video" and task["style"] == "general" and task["seed"] > 0
    assert "images" not in task


async def test_style_general_or_anime_default_general(client):
    assert (await created(client, KIND, body()))["style"] == "general"
    assert (await created(client, KIND, body(style="anime")))["style"] == "anime"
    await refused(client, body(style="noir"), "FieldInvalid", "style")


async def test_prompt_is_required(client):
    await refused(client, {"model": "viduq2"}, "FieldLacking", "prompt")
    await refused(client, body(prompt=""), "FieldLacking", "prompt")


async def test_prompt_at_most_5000_characters_on_every_model(client):
    # M26 §1 (CN-T2V-OFF, newest) "注：字符长度不能超过 5000 个字符" (the older CN page said 2000: the union is 5000)
    for model in ("viduq2", "viduq1", "viduq3-pro"):
        await created(client, KIND, body(model, prompt="a" * 5000))
        await refused(client, body(model, prompt="a" * 5001), "FieldInvalid", "prompt")


async def test_text2video_takes_no_images(client):
    await refused(client, body(images=[png()]), "FieldUnwanted", "images")


ROWS = [  # model, durations accepted, refused, default, resolutions accepted, refused, default
    ("viduq3-pro", (1, 16), (17,), 5, ("540p", "720p", "1080p"), ("360p",), "720p"),
    ("viduq3-turbo", (1, 16), (0,), 5, ("540p", "1080p"), ("2K",), "720p"),
    ("viduq2", (1, 10), (0, 11), 5, ("540p", "720p", "1080p"), ("360p",), "720p"),
    ("viduq1", (5,), (4, 8), 5, ("1080p",), ("720p",), "1080p"),
    ("vidu1.5", (4, 8), (5,), 4, ("360p", "720p", "1080p"), ("540p",), "360p"),
]


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
async def test_durations_and_resolutions_per_model(client, row):
    await check_model_row(client, KIND, body, row)


async def test_vidu2_0_is_not_a_text2video_model(client):
    await refused(client, body("vidu2.0"), "FieldInvalid", "model")


async def test_aspect_ratios_3_4_and_4_3_only_on_q2(client):
    for ratio in ("16:9", "9:16", "1:1", "3:4", "4:3"):
        assert (await created(client, KIND, body(aspect_ratio=ratio)))["aspect_ratio"] == ratio
    assert (await created(client, KIND, body("viduq1")))["aspect_ratio"] == "16:9"
    await refused(client, body("viduq1", aspect_ratio="4:3"), "FieldInvalid", "aspect_ratio")


async def test_bgm_echoed(client):
    assert (await created(client, KIND, body(bgm=True)))["bgm"] is True


async def test_bgm_on_q3_is_accepted_without_effect(client):
    # M26 §1 "bgm ... 该参数在q3系列模型中不生效" (no effect, not refused)
    for model in ("viduq3-pro", "viduq3-turbo"):
        assert (await created(client, KIND, body(model, bgm=True)))["bgm"] is True


async def test_audio_defaults_true_on_q3_only(client):
    # M26 §1 "audio ... 默认为true ... 注1：仅q3系列模型支持该参数"
    for model, audio in (("viduq3-pro", True), ("viduq3-turbo", True), ("viduq2", False), ("viduq1", False)):
        assert (await created(client, KIND, body(model)))["audio"] is audio, model


async def test_watermark_fields_are_accepted(client):
    # M26 §1 "wm_position Int 可选 1：左上角 2：右上角 3：右下角 4：左下角 默认为：3"; wm_url; meta_data
    for position in (1, 4):
        await created(client, KIND, body(watermark=True, wm_position=position, wm_url="https://example.com/wm.png",
                                         meta_data='{"Label": "your_label"}'))
    for position in (0, 5):
        await refused(client, body(wm_position=position), "FieldInvalid", "wm_position")


# (model, duration, resolution, credits), each figure from a written source:
CREDITS = [
    # P line 35 "viduq2 text2video: 起步 10/15/20, 每秒 +2/+5/+10" (540p/720p/1080p)
    ("viduq2", 1, "540p", 10), ("viduq2", 10, "540p", 28), ("viduq2", 5, "720p", 35), ("viduq2", 1, "1080p", 20),
    ("viduq2", 10, "1080p", 110),
    # P line 17 "viduq3-pro text2video ... (1–16s): 540P 9/5; 720P 20/10; 1080P 24/12" (per second)
    ("viduq3-pro", 1, "540p", 9), ("viduq3-pro", 5, "720p", 100), ("viduq3-pro", 16, "1080p", 384),
    # P line 19 "viduq3-turbo text/img/start-end (1–16s): 540P 7/4; 720P 11/6; 1080P 13/7"
    ("viduq3-turbo", 5, "540p", 35), ("viduq3-turbo", 5, "1080p", 65),
    # P line 42 "Q1 ... 5s / 1080P / 80 credits"
    ("viduq1", 5, "1080p", 80),
]


@pytest.mark.parametrize("model,duration,resolution,credits", CREDITS,
                         ids=[f"{c[0]}-{c[1]}s-{c[2]}" for c in CREDITS])
async def test_credits_follow_model_duration_and_resolution(client, model, duration, resolution, credits):
    assert (await created(client, KIND, body(model, duration=duration, resolution=resolution)))["credits"] == credits


async def test_off_peak_prices(client):
    # P line 17 "viduq3-pro ... 720P 20/10": 10 per second off-peak
    assert (await created(client, KIND, body("viduq3-pro", duration=5, resolution="720p", off_peak=True)))[
        "credits"] == 50
    # P line 11 "Off-Peak 通常为常规价 50%", line 9 "四舍五入向上取整": viduq2 540p 2 s = 12 -> 6;
    # 720p 1 s = 15 (line 35 "起步 10/15/20") -> 7.5, rounded up to 8
    assert (await created(client, KIND, body(duration=2, resolution="540p", off_peak=True)))["credits"] == 6
    assert (await created(client, KIND, body(duration=1, resolution="720p", off_peak=True)))["credits"] == 8
    # P line 42 "Q1 ... Off-Peak 40 credits"
    assert (await created(client, KIND, body("viduq1", off_peak=True)))["credits"] == 40


async def test_off_peak_follows_the_audio_rule(client):
    assert (await created(client, KIND, body(off_peak=True)))["off_peak"] is True
    assert (await created(client, KIND, body("viduq3-pro", off_peak=True)))["off_peak"] is True
    await refused(client, body("viduq3-pro", off_peak=True, audio=False), "FieldInvalid", "off_peak")

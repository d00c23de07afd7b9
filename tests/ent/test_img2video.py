"""POST /ent/v2/img2video: one test per documented rule (wire notes §1.3, the CN doc copy, vidu-mcp)."""

import pytest

from tests.conftest import assert_error
from tests.ent.support import URL_IMAGE, check_model_row, create, created
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
    ("viduq2-pro-fast", (1, 10), (0, 11), 5, ("720p", "1080p"), ("540p",), "720p"),
    ("viduq2-pro", (1, 10), (0, 11), 5, ("540p", "720p", "1080p"), ("360p", "2K"), "720p"),
    ("viduq2-turbo", (1, 10), (11,), 5, ("540p", "720p", "1080p"), ("360p",), "720p"),
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


async def test_plain_viduq2_is_not_an_img2video_model(client):
    await refused(client, body("viduq2"), "FieldInvalid", "model")


async def test_aspect_ratio_follows_the_first_frame(client):
    assert (await created(client, KIND, body(images=[png(180, 320)])))["aspect_ratio"] == "9:16"
    assert (await created(client, KIND, body(images=[png(320, 180)])))["aspect_ratio"] == "16:9"
    assert (await created(client, KIND, body(images=[URL_IMAGE])))["aspect_ratio"] == "16:9"


async def test_audio_default_false_true_on_q3(client):
    assert (await created(client, KIND, body()))["audio"] is False
    assert (await created(client, KIND, body("viduq3-pro")))["audio"] is True
    assert (await created(client, KIND, body(audio=True, voice_id="Tina")))["audio"] is True


async def test_audio_does_not_allow_off_peak(client):
    assert (await created(client, KIND, body(off_peak=True)))["off_peak"] is True
    await refused(client, body(audio=True, off_peak=True), "FieldInvalid", "off_peak")


async def test_is_rec_costs_10_more_credits(client):
    # viduq2-pro 720p at 20/s: docs/decisions.md line 380 "| viduq2-pro | 540p 15/s, 720p 20/s, 1080p 40/s |"
    assert (await created(client, KIND, body(duration=5)))["credits"] == 100
    # +10: vendor-docs/more/pricing.txt line 12 "is_rec=true 每个任务多消耗10积分" (official create pages);
    # docs/decisions.md line 389 "`is_rec` +10 (SUN)"
    assert (await created(client, KIND, body(duration=5, is_rec=True)))["credits"] == 110


# (model, duration, resolution, credits), each figure from a written source:
CREDITS = [
    # vendor-docs/more/pricing.txt line 42 "Q1 (viduq1, viduq1-classic): 固定档：5s / 1080P / 80 credits";
    # docs/decisions.md line 384 "| viduq1, viduq1-classic | 16/s (5 s 1080p = 80) |"
    ("viduq1", 5, "1080p", 80),
    # vendor-docs/more/pricing.txt line 43 "vidu2.0: img2video ... 8s 720P 100/50";
    # docs/decisions.md line 385 "| vidu2.0 | 4 s: 360p 20, 720p 40, 1080p 100; 8 s 720p 100 |"
    ("vidu2.0", 8, "720p", 100),
    # docs/decisions.md line 380 "| viduq2-pro | ... 1080p 40/s |": 3 x 40 (the vendor documents differ:
    # pricing.txt line 31 "viduq2-pro img2video ... 1080P 起步 55 ($0.275), +15/s", i.e. 85)
    ("viduq2-pro", 3, "1080p", 120),
]


@pytest.mark.parametrize("model,duration,resolution,credits", CREDITS, ids=[c[0] for c in CREDITS])
async def test_credits_follow_model_duration_and_resolution(client, model, duration, resolution, credits):
    task = await created(client, KIND, body(model, duration=duration, resolution=resolution))
    assert task["credits"] == credits

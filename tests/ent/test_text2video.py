"""POST /ent/v2/text2video: one test per documented rule (wire notes §1.3, the CN doc copy, vidu-mcp)."""

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


async def test_prompt_at_most_2000_characters_5000_on_q3(client):
    await refused(client, body(prompt="a" * 2001), "FieldInvalid", "prompt")
    await created(client, KIND, body("viduq3-pro", prompt="a" * 5000))


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


async def test_off_peak_follows_the_audio_rule(client):
    assert (await created(client, KIND, body(off_peak=True)))["off_peak"] is True
    assert (await created(client, KIND, body("viduq3-pro", off_peak=True)))["off_peak"] is True
    await refused(client, body("viduq3-pro", off_peak=True, audio=False), "FieldInvalid", "off_peak")

"""POST /ent/v2/start-end2video: one test per documented rule (wire notes §1.3, the CN doc copy, vidu-mcp)."""

import pytest

from tests.conftest import assert_error
from tests.ent.support import URL_IMAGE, check_model_row, create, created
from tests.support.media import png

pytestmark = pytest.mark.usefixtures("plenty_of_credits")
KIND = "start-end2video"


def body(model="viduq2-turbo", **extra):
    return {"model": model, "images": [png(), png(240, 240)], "prompt": "The bird flies to the right.", **extra}


async def refused(client, payload, reason, field):
    return assert_error(await create(client, KIND, payload), 400, reason, field)


async def test_mcp_start_end2video_request_is_accepted(client):
    task = await created(client, KIND, {"model": "viduq1", "images": [png(), URL_IMAGE], "prompt": "",
                                        "duration": 5, "seed": 0, "resolution": "1080p",
                                        "movement_amplitude": "auto", "bgm": False})
    assert task["type"] == "start-end2video" and task["images"] == [png(), URL_IMAGE]


async def test_exactly_two_images_start_and_end(client):
    await refused(client, body(images=[png()]), "FieldItemCountOutOfRange", "images")
    await refused(client, body(images=[png()] * 3), "FieldItemCountOutOfRange", "images")
    await refused(client, {"model": "viduq1"}, "FieldLacking", "images")


async def test_start_and_end_images_have_similar_resolutions(client):
    await created(client, KIND, body(images=[png(256, 256), png(280, 280)]))
    await refused(client, body(images=[png(256, 256), png(512, 512)]), "FieldInvalid", "images.1")
    await refused(client, body(images=[png(512, 512), png(256, 256)]), "FieldInvalid", "images.1")


ROWS = [  # model, durations accepted, refused, default, resolutions accepted, refused, default
    ("viduq2-pro-fast", (1, 8), (0, 9), 5, ("720p", "1080p"), ("540p",), "720p"),
    ("viduq2-pro", (1, 8), (9,), 5, ("540p", "720p", "1080p"), ("360p",), "720p"),
    ("viduq2-turbo", (1, 8), (9, 10), 5, ("540p", "720p", "1080p"), ("360p",), "720p"),
    ("viduq1", (5,), (4,), 5, ("1080p",), ("720p",), "1080p"),
    ("viduq1-classic", (5,), (4,), 5, ("1080p",), ("540p",), "1080p"),
    ("vidu2.0", (4, 8), (6,), 4, ("360p", "720p", "1080p"), ("540p",), "360p"),
    ("vidu1.5", (4, 8), (6,), 4, ("360p", "720p", "1080p"), ("540p",), "360p"),
]


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
async def test_durations_and_resolutions_per_model(client, row):
    await check_model_row(client, KIND, body, row)


async def test_vidu2_0_8_seconds_is_720p_only(client):
    assert (await created(client, KIND, body("vidu2.0", duration=8)))["resolution"] == "720p"
    await refused(client, body("vidu2.0", duration=8, resolution="1080p"), "FieldInvalid", "resolution")


async def test_prompt_optional_bgm_echoed(client):
    task = await created(client, KIND, {"model": "viduq1", "images": [png(), png()], "bgm": True})
    assert task["prompt"] == "" and task["bgm"] is True


async def test_is_rec_and_off_peak_accepted(client):
    task = await created(client, KIND, body(is_rec=True, off_peak=True))
    assert task["off_peak"] is True and task["credits"] > 0

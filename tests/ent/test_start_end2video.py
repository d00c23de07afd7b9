"""POST /ent/v2/start-end2video: one test per documented rule (wire notes §1.3, the CN doc copy, vidu-mcp, and the
q3-era tables of vendor-docs/more/models-2026.txt §3, "M26"; prices from vendor-docs/more/pricing.txt, "P")."""

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
    # M26 §3 "viduq3-pro 、viduq3-turbo默认为 5，可选：1 - 16"; "1-16秒：默认 720p，可选：540p、720p、1080p"
    ("viduq3-pro", (1, 16), (0, 17), 5, ("540p", "720p", "1080p"), ("360p", "2K"), "720p"),
    ("viduq3-turbo", (1, 16), (0, 17), 5, ("540p", "720p", "1080p"), ("360p", "2K"), "720p"),
    # M26 §3 "viduq2 : 默认5秒，可选：1-10 [sic]" (the union rule keeps it; its resolutions are q2's)
    ("viduq2", (1, 10), (0, 11), 5, ("540p", "720p", "1080p"), ("360p",), "720p"),
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


async def test_audio_defaults_true_on_q3(client):
    # M26 §3: a viduq3-turbo start-end response example (powertokens, 3P) has "audio": true; M26 §1 "默认为true"
    for model, audio in (("viduq3-pro", True), ("viduq3-turbo", True), ("viduq2-turbo", False)):
        assert (await created(client, KIND, body(model)))["audio"] is audio, model


async def test_watermark_fields_are_accepted(client):
    # M26 §3 CN-SWAG "watermark; wm_position (integer); wm_url; meta_data"
    for position in (1, 4):
        await created(client, KIND, body(watermark=True, wm_position=position, wm_url="https://example.com/wm.png",
                                         meta_data="{}"))
    await refused(client, body(wm_position=5), "FieldInvalid", "wm_position")


# (model, duration, resolution, credits), each figure from a written source:
CREDITS = [
    # P line 29 "viduq2-turbo img2video / start-end2video: 540P 起步 6 credits ($0.03), +2/s; 720P 起步 8 → 第 2 秒到 10，
    # 之后 +10/s; 1080P 起步 35 ($0.175), +10/s"
    ("viduq2-turbo", 1, "540p", 6), ("viduq2-turbo", 8, "540p", 20),
    ("viduq2-turbo", 1, "720p", 8), ("viduq2-turbo", 2, "720p", 10), ("viduq2-turbo", 3, "720p", 20),
    ("viduq2-turbo", 8, "720p", 70), ("viduq2-turbo", 5, "1080p", 75),
    # P line 34 "viduq2-pro-fast (img2video / start-end2video): ... 1080P 起步 16 ($0.08), +4/s"
    ("viduq2-pro-fast", 5, "1080p", 32),
    # P line 17 "viduq3-pro text2video / img2video / start-end2video (1–16s): ... 1080P 24/12"
    ("viduq3-pro", 16, "1080p", 384),
    # P line 43 "vidu2.0: ... start-end2video same as img2video" ("4s 360P 20/10")
    ("vidu2.0", 4, "360p", 20),
    # P line 42 "Q1 (viduq1, viduq1-classic): 固定档：5s / 1080P / 80 credits"
    ("viduq1-classic", 5, "1080p", 80),
]


@pytest.mark.parametrize("model,duration,resolution,credits", CREDITS,
                         ids=[f"{c[0]}-{c[1]}s-{c[2]}" for c in CREDITS])
async def test_credits_follow_model_duration_and_resolution(client, model, duration, resolution, credits):
    assert (await created(client, KIND, body(model, duration=duration, resolution=resolution)))["credits"] == credits


async def test_off_peak_halves_the_video_not_the_is_rec_surcharge(client):
    # viduq2-turbo 1080p 5 s = 75 (P line 29 "1080P 起步 35, +10/s"); off-peak 50% (P line 11) rounded up
    # (P line 9 "向上取整") = 38
    assert (await created(client, KIND, body(duration=5, resolution="1080p", off_peak=True)))["credits"] == 38
    # is_rec "每个任务多消耗10积分" (P line 12): a flat +10 per task, not discounted (docs/decisions.md)
    assert (await created(client, KIND, body(duration=5, resolution="1080p", off_peak=True, is_rec=True)))[
        "credits"] == 48

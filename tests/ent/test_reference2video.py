"""POST /ent/v2/reference2video: one test per documented rule (vendor-docs/vidu-reference2video.txt)."""

import io

import av
import pytest

from tests.conftest import AUTH, KEY, advance, assert_error
from tests.ent.support import URL_IMAGE, create, created, state_of
from tests.support.media import mp4, png
from viduemu.ent.models import Subject

pytestmark = pytest.mark.usefixtures("plenty_of_credits")
KIND = "reference2video"


def body(model="viduq2", **extra):
    return {"model": model, "images": [png()], "prompt": "Santa Claus and the bear hug by the lakeside.", **extra}


def subjects_body(model="viduq2", subjects=None, **extra):
    subjects = subjects if subjects is not None else [{"name": "1", "images": [png()]}]
    return {"model": model, "subjects": subjects, "prompt": "@1 cooks hot pot", **extra}


async def refused(client, payload, reason, field, status=400):
    return assert_error(await create(client, KIND, payload), status, reason, field)


# -- the images/videos form ---------------------------------------------------------
async def test_mcp_reference2video_request_is_accepted(client):
    # exactly what shengshu-ai/vidu-mcp sends (its defaults)
    task = await created(client, KIND, {"model": "vidu2.0", "images": [URL_IMAGE], "prompt": "two friends",
                                        "duration": 4, "seed": 0, "aspect_ratio": "16:9", "resolution": "720p",
                                        "movement_amplitude": "auto", "bgm": False})
    assert task["state"] == "created" and task["model"] == "vidu2.0" and task["resolution"] == "720p"


async def test_answer_echoes_the_documented_fields(client):
    images = [png(), URL_IMAGE]
    task = await created(client, KIND, body(images=images, duration=6, seed=42, aspect_ratio="9:16",
                                              resolution="1080p", movement_amplitude="small", payload="p-1"))
    assert task["type"] == "character2video" and task["images"] == images
    assert (task["duration"], task["seed"], task["aspect_ratio"], task["resolution"]) == (6, 42, "9:16", "1080p")
    assert (task["movement_amplitude"], task["payload"], task["bgm"], task["off_peak"]) == ("small", "p-1", False,
                                                                                           False)
    assert task["credits"] > 0 and task["created_at"].endswith("Z") and len(task["task_id"]) == 18


DURATIONS = [  # model, accepted, refused, default (VD "duration")
    ("viduq3-mix", (1, 16), (0, 17), 5),
    ("viduq3-turbo", (3, 16), (2, 17), 5),
    ("viduq3", (3, 16), (2, 17), 5),
    ("viduq2-pro", (0, 10), (11,), 5),
    ("viduq2", (1, 10), (0, 11), 5),
    ("viduq1", (5,), (4, 6), 5),
    ("vidu2.0", (4,), (5, 8), 4),
]


@pytest.mark.parametrize("model,ok,bad,default", DURATIONS, ids=[d[0] for d in DURATIONS])
async def test_duration_range_and_default_per_model(client, model, ok, bad, default):
    extra = {"audio": True} if model.startswith("viduq3") else {}
    assert (await created(client, KIND, body(model)))["duration"] == default
    for duration in ok:
        assert (await created(client, KIND, body(model, duration=duration, **extra)))["duration"] == duration
    for duration in bad:
        await refused(client, body(model, duration=duration), "FieldInvalid", "duration")


RESOLUTIONS = [  # model, accepted, refused, default (VD "resolution")
    ("viduq3-mix", ("720p", "1080p"), ("540p", "360p"), "720p"),
    ("viduq3-turbo", ("540p", "720p", "1080p"), ("360p", "2K"), "720p"),
    ("viduq3", ("540p", "720p", "1080p"), ("360p",), "720p"),
    ("viduq2-pro", ("540p", "720p", "1080p"), ("360p",), "720p"),
    ("viduq2", ("540p", "720p", "1080p"), ("360p",), "720p"),
    ("viduq1", ("1080p",), ("720p",), "1080p"),
    ("vidu2.0", ("360p", "720p"), ("1080p", "540p"), "360p"),
]


@pytest.mark.parametrize("model,ok,bad,default", RESOLUTIONS, ids=[r[0] for r in RESOLUTIONS])
async def test_resolutions_and_default_per_model(client, model, ok, bad, default):
    assert (await created(client, KIND, body(model)))["resolution"] == default
    for resolution in ok:
        assert (await created(client, KIND, body(model, resolution=resolution)))["resolution"] == resolution
    for resolution in bad:
        await refused(client, body(model, resolution=resolution), "FieldInvalid", "resolution")


async def test_viduq3_pro_is_accepted_as_the_wire_notes_spell_it(client):
    task = await created(client, KIND, body("viduq3-pro", duration=16))
    assert task["model"] == "viduq3-pro" and task["audio"] is True


async def test_unknown_model_is_not_supported(client):
    await refused(client, body("vidu9"), "FieldInvalid", "model")


@pytest.mark.parametrize("model", ["viduq3-mix", "viduq3", "viduq2-pro", "viduq2", "viduq1", "vidu2.0"])
async def test_aspect_ratios_16_9_9_16_1_1_for_every_model_default_16_9(client, model):
    assert (await created(client, KIND, body(model)))["aspect_ratio"] == "16:9"
    for ratio in ("16:9", "9:16", "1:1"):
        assert (await created(client, KIND, body(model, aspect_ratio=ratio)))["aspect_ratio"] == ratio


async def test_aspect_ratios_3_4_and_4_3_only_on_q2(client):
    for model in ("viduq2", "viduq2-pro"):
        for ratio in ("3:4", "4:3"):
            assert (await created(client, KIND, body(model, aspect_ratio=ratio)))["aspect_ratio"] == ratio
    for model in ("viduq3", "viduq1", "vidu2.0"):
        await refused(client, body(model, aspect_ratio="4:3"), "FieldInvalid", "aspect_ratio")
    await refused(client, body("viduq2", aspect_ratio="21:9"), "FieldInvalid", "aspect_ratio")


async def test_images_one_to_seven(client):
    assert len((await created(client, KIND, body(images=[png()] * 7)))["images"]) == 7
    await refused(client, body(images=[png()] * 8), "FieldItemCountOutOfRange", "images")
    await refused(client, body(images=[]), "FieldItemCountOutOfRange", "images")


async def test_images_or_videos_are_required(client):
    await refused(client, {"model": "viduq2", "prompt": "x"}, "FieldLacking", "images")


async def test_videos_only_on_viduq2_pro(client):
    for model in ("viduq2", "viduq3", "viduq1"):
        await refused(client, body(model, videos=[mp4(5)]), "FieldUnwanted", "videos")
    task = await created(client, KIND, body("viduq2-pro", videos=[mp4(5)]))
    assert task["videos"] == [mp4(5)]


async def test_viduq2_pro_with_videos_takes_at_most_four_images(client):
    await created(client, KIND, body("viduq2-pro", images=[png()] * 4, videos=[mp4(8)]))
    await refused(client, body("viduq2-pro", images=[png()] * 5, videos=[mp4(5)]),
                  "FieldItemCountOutOfRange", "images")
    assert len((await created(client, KIND, body("viduq2-pro", images=[png()] * 7)))["images"]) == 7


async def test_viduq2_pro_videos_without_images(client):
    task = await created(client, KIND, {"model": "viduq2-pro", "videos": [mp4(5)], "prompt": "replace the car"})
    assert "images" not in task and task["videos"] == [mp4(5)]


async def test_one_video_of_at_most_8_seconds(client):
    await created(client, KIND, body("viduq2-pro", videos=[mp4(8)]))
    await refused(client, body("viduq2-pro", videos=[mp4(9)]), "FieldInvalid", "videos.0")


async def test_two_videos_of_at_most_5_seconds(client):
    await created(client, KIND, body("viduq2-pro", videos=[mp4(5), mp4(5)]))
    await refused(client, body("viduq2-pro", videos=[mp4(5), mp4(6)]), "FieldInvalid", "videos.1")
    await refused(client, body("viduq2-pro", videos=[mp4(2)] * 3), "FieldItemCountOutOfRange", "videos")


async def test_videos_and_images_share_13_seconds(client):
    await created(client, KIND, body("viduq2-pro", images=[png()] * 3, videos=[mp4(5), mp4(5)]))
    await refused(client, body("viduq2-pro", images=[png()] * 4, videos=[mp4(5), mp4(5)]), "FieldInvalid", "videos")


async def test_video_formats_mp4_avi_mov(client):
    for url in ("https://example.com/a.mp4", "https://example.com/a.avi", "https://example.com/a.mov"):
        await created(client, KIND, body("viduq2-pro", videos=[url]))
    await refused(client, body("viduq2-pro", videos=["https://example.com/a.webm"]), "FieldInvalid", "videos.0")
    await refused(client, body("viduq2-pro", videos=["data:video/mp4;base64,AAAA"]), "FieldInvalid", "videos.0")


async def test_audio_defaults_true_on_viduq3_and_viduq3_turbo_only(client):
    for model, audio in (("viduq3", True), ("viduq3-turbo", True), ("viduq3-mix", False), ("viduq2", False),
                         ("viduq1", False), ("vidu2.0", False)):
        assert (await created(client, KIND, body(model)))["audio"] is audio, model
    assert (await created(client, KIND, body("viduq3", audio=False)))["audio"] is False


async def test_audio_type_defaults_to_all_when_audio_is_on(client):
    assert (await created(client, KIND, body("viduq3")))["audio_type"] == "all"
    assert (await created(client, KIND, body("viduq2")))["audio_type"] == ""


@pytest.mark.parametrize("given,echoed", [("all", "all"), ("speech_only", "speech_only"),
                                          ("sound_effect_only", "sound_effect_only"), ("All", "all"),
                                          ("Speech_only", "speech_only"), ("Sound-effect_only", "sound_effect_only")])
async def test_audio_type_values(client, given, echoed):
    assert (await created(client, KIND, body("viduq3", audio_type=given)))["audio_type"] == echoed


async def test_audio_type_outside_the_enum_is_invalid(client):
    await refused(client, body("viduq3", audio_type="music"), "FieldInvalid", "audio_type")


async def test_bgm_is_not_supported_on_q3(client):
    for model in ("viduq3", "viduq3-turbo", "viduq3-mix"):
        await refused(client, body(model, bgm=True), "FieldUnwanted", "bgm")
        assert (await created(client, KIND, body(model, bgm=False)))["bgm"] is False
    assert (await created(client, KIND, body("viduq2", bgm=True)))["bgm"] is True


async def test_movement_amplitude_enum_default_auto(client):
    assert (await created(client, KIND, body()))["movement_amplitude"] == "auto"
    for value in ("auto", "small", "medium", "large"):
        assert (await created(client, KIND, body(movement_amplitude=value)))["movement_amplitude"] == value
    await refused(client, body(movement_amplitude="huge"), "FieldInvalid", "movement_amplitude")


async def test_prompt_is_required(client):
    await refused(client, {"model": "viduq2", "images": [png()]}, "FieldLacking", "prompt")
    await refused(client, body(prompt=""), "FieldLacking", "prompt")


async def test_prompt_at_most_5000_characters(client):
    assert len((await created(client, KIND, body(prompt="a" * 5000)))["prompt"]) == 5000
    await refused(client, body(prompt="a" * 5001), "FieldInvalid", "prompt")


async def test_payload_at_most_1048576_characters_echoed(client):
    assert (await created(client, KIND, body(payload="x" * 1_048_576)))["payload"] == "x" * 1_048_576
    await refused(client, body(payload="x" * 1_048_577), "FieldInvalid", "payload")


async def test_seed_random_when_absent_or_zero_and_echoed(client):
    first = (await created(client, KIND, body()))["seed"]
    second = (await created(client, KIND, body(seed=0)))["seed"]
    assert first > 0 and second > 0 and first != second
    assert (await created(client, KIND, body(seed=123456)))["seed"] == 123456


async def test_off_peak_on_q3_only_with_audio(client):
    assert (await created(client, KIND, body("viduq3", off_peak=True)))["off_peak"] is True
    await refused(client, body("viduq3", off_peak=True, audio=False), "FieldInvalid", "off_peak")


@pytest.mark.parametrize("model", ["viduq2-pro", "viduq2", "viduq1", "vidu2.0"])
async def test_off_peak_on_q2_q1_20_only_without_audio(client, model):
    assert (await created(client, KIND, body(model, off_peak=True)))["off_peak"] is True
    await refused(client, body(model, off_peak=True, audio=True), "FieldInvalid", "off_peak")


async def test_off_peak_costs_less(client):
    normal = (await created(client, KIND, body(duration=5)))["credits"]
    assert (await created(client, KIND, body(duration=5, off_peak=True)))["credits"] < normal


async def test_callback_url_must_be_http(client, emu):
    task = await created(client, KIND, body(callback_url="https://example.com/hook"))
    assert emu.core.store.get("tasks", task["task_id"])["callback_url"] == "https://example.com/hook"
    await refused(client, body(callback_url="ftp://example.com/hook"), "FieldInvalid", "callback_url")


def padded_png(megabytes: float) -> str:
    """A valid 256x256 PNG padded (after its end) to ``megabytes`` decoded."""
    import base64
    raw = base64.b64decode(png().partition(",")[2])
    return "data:image/png;base64," + base64.b64encode(raw + bytes(int(megabytes * 1024 * 1024) - len(raw))).decode()


async def test_reference_images_are_limited_to_10_mb_decoded(client):
    # "The length of the base64 decode must be under 10MB" (the images form)
    await created(client, KIND, body(images=[png(), padded_png(9.9)]))
    await refused(client, body(images=[png(), padded_png(10)]), "PageSizeOutOfRange", "images.1")


async def test_credits_are_charged_on_create(client):
    await client.get("/ent/v2/credits", headers=AUTH)
    before = (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"]
    task = await created(client, KIND, body("viduq2", duration=5, resolution="720p"))
    # docs/decisions.md line 383 "| viduq2 | 540p 8+2/s, 720p 10+4/s, ..." (one table for every endpoint):
    # 10 + 4 x 5 (vendor-docs/more/pricing.txt line 35 differs: "viduq2 ... reference2video: 起步 15/25/75,
    # 每秒 +5/+5/+10", i.e. 45)
    assert task["credits"] == 30
    account = (await client.get(f"/_emulator/accounts/{KEY}")).json()
    assert account["credits"] == before - task["credits"]
    assert account["ledger"][-1]["delta"] == -task["credits"] and account["ledger"][-1]["ref"] == task["task_id"]


# -- the subjects form ----------------------------------------------------------------
async def test_subjects_form_is_accepted_and_answers_no_images(client):
    subjects = [{"name": "1", "images": [png()], "voice_id": "Tina"}, {"name": "2", "images": [URL_IMAGE]}]
    task = await created(client, KIND, subjects_body("viduq2", subjects, duration=8, audio=True))
    assert task["subjects"] == subjects and "images" not in task and task["audio"] is True


async def test_subjects_with_id_and_images_as_the_cn_doc_sends(client):
    await created(client, KIND, subjects_body(subjects=[{"id": "1", "images": [png()], "voice_id": ""}]))


async def test_no_subjects_on_viduq3_mix(client):
    await refused(client, subjects_body("viduq3-mix"), "FieldUnwanted", "subjects")


async def test_subjects_form_models(client):
    for model in ("viduq3-turbo", "viduq3", "viduq2-pro", "viduq2", "viduq1", "vidu2.0"):
        await created(client, KIND, subjects_body(model))


async def test_each_subject_has_at_most_3_images(client):
    await created(client, KIND, subjects_body(subjects=[{"name": "1", "images": [png()] * 3}]))
    await refused(client, subjects_body(subjects=[{"name": "1", "images": [png()] * 4}]),
                  "FieldItemCountOutOfRange", "subjects.0.images")


async def test_subject_images_are_limited_by_the_20_mb_post_body_not_the_images_forms_10_mb(client):
    # the subjects form states no decoded limit: "The post body of the HTTP request should not exceed 20MB"
    await created(client, KIND, subjects_body(subjects=[{"name": "1", "images": [padded_png(12)]}]))
    response = await create(client, KIND, subjects_body(subjects=[{"name": "1", "images": [padded_png(15)]}]))
    assert_error(response, 413, "BadRequest")


async def test_subject_images_keep_the_shared_image_rules(client):
    # both forms: "PNG, JPEG, JPG, WebP", "at least 128x128 pixels", "less than 1:4 or 4:1"
    from tests.support.media import image_uri
    for image, reason in ((image_uri("GIF"), "ImageFormatInvalid"), (png(100, 100), "PageSizeOutOfRange"),
                          (png(600, 128), "PageSizeOutOfRange")):
        await refused(client, subjects_body(subjects=[{"name": "1", "images": [image]}]), reason,
                      "subjects.0.images.0")


async def test_at_most_7_subject_images_in_all(client):
    three = {"name": "a", "images": [png()] * 3}
    await created(client, KIND, subjects_body(subjects=[three, three, {"name": "b", "images": [png()]}]))
    await refused(client, subjects_body(subjects=[three, three, {"name": "b", "images": [png()] * 2}]),
                  "FieldItemCountOutOfRange", "subjects")


async def test_viduq2_pro_takes_at_most_4_subject_images(client):
    await created(client, KIND, subjects_body("viduq2-pro", [{"name": "a", "images": [png()] * 2}] * 2))
    await refused(client, subjects_body("viduq2-pro", [{"name": "a", "images": [png()] * 3}] * 2),
                  "FieldItemCountOutOfRange", "subjects")


async def test_a_subject_needs_a_name_and_images(client):
    await refused(client, subjects_body(subjects=[{"images": [png()]}]), "FieldLacking", "subjects.0.name")
    await refused(client, subjects_body(subjects=[{"name": "1"}]), "FieldLacking", "subjects.0.images")


async def test_subjects_and_images_together_are_unwanted(client):
    await refused(client, {**subjects_body(), "images": [png()]}, "FieldUnwanted", "images")


def library_subject(emu, subject_id, api_key=KEY, images=1, videos=0):
    emu.ent.subjects.table.put(Subject(id=subject_id, api_key=api_key, name="lib", images=[URL_IMAGE] * images,
                                       videos=["https://example.com/v.mp4"] * videos, created_at=0.0,
                                       updated_at=0.0))


async def test_library_subject_by_server_id_or_id(client, emu):
    library_subject(emu, "900000000000000001")
    await created(client, KIND, subjects_body(subjects=[{"name": "1", "server_id": "900000000000000001"}]))
    await created(client, KIND, subjects_body(subjects=[{"id": "900000000000000001"}]))


async def test_library_subject_of_another_key_or_unknown_is_invalid(client, emu):
    library_subject(emu, "900000000000000002", api_key="vda_someone_else")
    await refused(client, subjects_body(subjects=[{"name": "1", "server_id": "900000000000000002"}]),
                  "FieldInvalid", "subjects.0.server_id")
    await refused(client, subjects_body(subjects=[{"id": "123"}]), "FieldInvalid", "subjects.0.id")


async def test_library_subject_images_count_toward_the_limit(client, emu):
    library_subject(emu, "900000000000000003", images=3)
    three = {"name": "a", "images": [png()] * 3}
    await refused(client, subjects_body(subjects=[three, three, {"name": "x", "server_id": "900000000000000003"}]),
                  "FieldItemCountOutOfRange", "subjects")


async def test_video_subjects_only_on_viduq2_pro(client, emu):
    inline = {"name": "v", "images": [png()], "videos": [mp4(5)]}
    await refused(client, subjects_body("viduq2", [inline]), "FieldUnwanted", "subjects.0.videos")
    await created(client, KIND, subjects_body("viduq2-pro", [inline]))


async def test_viduq2_pro_at_most_2_video_subjects_1_inline(client, emu):
    inline = {"name": "v", "images": [png()], "videos": [mp4(5)]}
    await refused(client, subjects_body("viduq2-pro", [inline, inline]), "FieldItemCountOutOfRange", "subjects")
    for n in (4, 5, 6):
        library_subject(emu, f"90000000000000000{n}", videos=1)
    refs = [{"name": str(n), "server_id": f"90000000000000000{n}"} for n in (4, 5, 6)]
    await created(client, KIND, subjects_body("viduq2-pro", refs[:2]))
    await refused(client, subjects_body("viduq2-pro", refs), "FieldItemCountOutOfRange", "subjects")


async def test_subjects_form_q2_q3_take_any_aspect_ratio(client):
    for model in ("viduq2", "viduq3"):
        assert (await created(client, KIND, subjects_body(model, aspect_ratio="21:9")))["aspect_ratio"] == "21:9"
    await refused(client, subjects_body("viduq1", aspect_ratio="21:9"), "FieldInvalid", "aspect_ratio")
    await refused(client, subjects_body("viduq2", aspect_ratio="5:1"), "FieldInvalid", "aspect_ratio")


async def test_refused_requests_change_nothing(client, emu):
    await client.get("/ent/v2/credits", headers=AUTH)
    before = await state_of(client, emu)
    await refused(client, subjects_body("viduq3-mix"), "FieldUnwanted", "subjects")
    assert await state_of(client, emu) == before


# -- any aspect ratio renders (issue 13 #9) ----------------------------------------------------
@pytest.mark.parametrize(("ratio", "resolution", "size"), [
    ("7:3", "720p", (1680, 720)),    # the attack
    ("4:1", "540p", (2160, 540)),    # the widest the rules accept
    ("1:4", "540p", (540, 2160)),    # and the tallest
    ("16:9", "720p", (1280, 720)),   # a listed ratio keeps its table size
])
async def test_every_ratio_the_subjects_form_accepts_renders_at_its_computed_size(client, ratio, resolution, size):
    task = await created(client, KIND, subjects_body(aspect_ratio=ratio, resolution=resolution, duration=1))
    await advance(client, 600)
    done = (await client.get(f"/ent/v2/tasks/{task['task_id']}/creations", headers=AUTH)).json()
    assert done["state"] == "success", done
    video = await client.get(done["creations"][0]["url"])
    assert video.status_code == 200, video.text
    with av.open(io.BytesIO(video.content)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == size


@pytest.mark.parametrize("ratio", ["16:9\n", "7:3\n", "\n16:9", "16:9 "])
async def test_an_aspect_ratio_with_a_trailing_newline_is_refused(client, emu, ratio):
    before = await state_of(client, emu)
    await refused(client, subjects_body(aspect_ratio=ratio), "FieldInvalid", "aspect_ratio")
    assert await state_of(client, emu) == before

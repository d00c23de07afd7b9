"""POST /ent/v2/reference2video: one test per documented rule (vendor-docs/vidu-reference2video.txt, and the q3-era
table of vendor-docs/more/models-2026.txt §4, "M26"; prices from vendor-docs/more/pricing.txt, "P")."""

import io

import av
import pytest

from tests.conftest import AUTH, KEY, advance, assert_error
from tests.ent.support import URL_IMAGE, create, created, finish, output_media, state_of
from tests.support.media import encoded_audio, mp4, png, wav
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


async def test_aspect_ratios_any_on_q2_and_q3_listed_elsewhere(client):
    # M26 §4 "q2、q3模型支持任意比例或 auto 默认 16:9，可选值如下：1:1、9:16、16:9、3:4、4:3" (VD's older list was
    # 16:9/9:16/1:1, 3:4/4:3 on q2: the union is any ratio)
    for model in ("viduq3-mix", "viduq3", "viduq2", "viduq2-pro"):
        for ratio in ("3:4", "4:3", "21:9", "1:4", "4:1"):
            assert (await created(client, KIND, body(model, aspect_ratio=ratio)))["aspect_ratio"] == ratio
        await refused(client, body(model, aspect_ratio="5:1"), "FieldInvalid", "aspect_ratio")
        await refused(client, body(model, aspect_ratio="1:5"), "FieldInvalid", "aspect_ratio")
    for model in ("viduq1", "vidu2.0"):
        await refused(client, body(model, aspect_ratio="4:3"), "FieldInvalid", "aspect_ratio")


async def test_aspect_ratio_auto_follows_the_first_image_on_q2_and_q3(client):
    # M26 §4 "auto：根据输入图或视频自动推荐": the listed ratio (1:1、9:16、16:9、3:4、4:3) nearest the first image
    for model in ("viduq3", "viduq2"):
        for size, ratio in (((180, 320), "9:16"), ((300, 400), "3:4"), ((400, 300), "4:3"), ((256, 256), "1:1")):
            task = await created(client, KIND, body(model, images=[png(*size)], aspect_ratio="auto"))
            assert task["aspect_ratio"] == ratio, (model, size)
    # an image not read offline: the default ratio
    assert (await created(client, KIND, body(images=[URL_IMAGE], aspect_ratio="auto")))["aspect_ratio"] == "16:9"
    for model in ("viduq1", "vidu2.0"):
        await refused(client, body(model, aspect_ratio="auto"), "FieldInvalid", "aspect_ratio")


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


async def test_audio_defaults_true_on_every_q3_model(client):
    # M26 §4 "audio 是否使用音视频直出能力，默认为true ... 注：非主体调用时，仅q3模型支持该参数" (VD said false on
    # viduq3-mix: the newer page wins for a default)
    for model, audio in (("viduq3", True), ("viduq3-turbo", True), ("viduq3-mix", True), ("viduq2", False),
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


async def test_off_peak_is_refused_on_viduq3_mix(client, emu):
    # P line 22 "viduq3-mix (reference2video only, 1–16s): 720P 24 ($0.12, 不支持 Off-Peak)"
    await client.get("/ent/v2/credits", headers=AUTH)
    before = await state_of(client, emu)
    for audio in (True, False):
        await refused(client, body("viduq3-mix", off_peak=True, audio=audio), "FieldInvalid", "off_peak")
    assert await state_of(client, emu) == before
    assert (await created(client, KIND, body("viduq3-mix", off_peak=False)))["off_peak"] is False


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
    # P line 35 "viduq2 ... reference2video: 起步 15/25/75, 每秒 +5/+5/+10": 25 + 4 x 5
    assert task["credits"] == 45
    account = (await client.get(f"/_emulator/accounts/{KEY}")).json()
    assert account["credits"] == before - task["credits"]
    assert account["ledger"][-1]["delta"] == -task["credits"] and account["ledger"][-1]["ref"] == task["task_id"]


# (model, duration, resolution, credits), each figure from a written source (reference2video's own rows):
CREDITS = [
    # P line 22 "viduq3-mix (reference2video only, 1–16s): 720P 24 ...; 1080P 29" (per second)
    ("viduq3-mix", 1, "720p", 24), ("viduq3-mix", 16, "1080p", 464),
    # P line 23 "viduq3 (reference2video standard, 3–16s): 540P 7/4; 720P 12/6; 1080P 15/7"
    ("viduq3", 3, "540p", 21), ("viduq3", 5, "720p", 60), ("viduq3", 16, "1080p", 240),
    # P line 18 "viduq3-pro   reference2video: 540P 7/4; 720P 12/6; 1080P 15/7"
    ("viduq3-pro", 5, "1080p", 75),
    # P line 20 "viduq3-turbo reference2video: 540P 4/2; 720P 10/5; 1080P 13/7"
    ("viduq3-turbo", 5, "540p", 20), ("viduq3-turbo", 5, "720p", 50),
    # P line 32 "viduq2-pro reference2video: 起步 20/30/85, 每秒 +5/+5/+10"
    ("viduq2-pro", 1, "540p", 20), ("viduq2-pro", 10, "1080p", 175),
    # ... duration 0 ("automatic") priced as 5 s (docs/decisions.md): 30 + 4 x 5
    ("viduq2-pro", 0, "720p", 50),
    # P line 35 "viduq2 ... reference2video: 起步 15/25/75, 每秒 +5/+5/+10"
    ("viduq2", 1, "540p", 15), ("viduq2", 10, "1080p", 165),
    # P line 43 "vidu2.0: ... reference2video 4s 360P 80/40, 720P 80/40"
    ("vidu2.0", 4, "360p", 80), ("vidu2.0", 4, "720p", 80),
    # P line 42 "Q1 ... 5s / 1080P / 80 credits"
    ("viduq1", 5, "1080p", 80),
]


@pytest.mark.parametrize("model,duration,resolution,credits", CREDITS,
                         ids=[f"{c[0]}-{c[1]}s-{c[2]}" for c in CREDITS])
async def test_credits_follow_reference2video_s_own_rates(client, model, duration, resolution, credits):
    extra = {"audio": True} if model.startswith("viduq3") else {}
    task = await created(client, KIND, body(model, duration=duration, resolution=resolution, **extra))
    assert task["credits"] == credits


async def test_off_peak_prices_of_reference2video(client):
    # P line 23 "viduq3 ... 720P 12/6": 6 per second off-peak
    assert (await created(client, KIND, body("viduq3", duration=5, resolution="720p", off_peak=True)))[
        "credits"] == 30
    # P line 43 "vidu2.0 ... reference2video 4s 360P 80/40"
    assert (await created(client, KIND, body("vidu2.0", off_peak=True)))["credits"] == 40


async def test_audio_on_q2_costs_15_more_credits(client):
    # P line 12 "img2video / reference2video 启用 audio=true 时额外 +15 credits": viduq2 720p 5 s = 45 (P line 35)
    assert (await created(client, KIND, body("viduq2", duration=5, audio=True)))["credits"] == 60


# -- reference sounds (M26 §4 "sounds 音频参考支持上传1～7个音频 ... 最多支持上传 7个音频，每个音频时长最多20s
# 注2：音频支持 mp3格式 ... base64 decode之后的字节长度需要小于20M") ----------------------------------------------
def mp3(seconds=2.0):
    return encoded_audio("mp3", seconds)


async def test_sounds_one_to_seven(client, emu):
    task = await created(client, KIND, body("viduq3", sounds=[mp3()]))
    assert task["sounds"] == [mp3()]
    assert len((await created(client, KIND, body("viduq3", sounds=[mp3()] * 7)))["sounds"]) == 7
    before = await state_of(client, emu)
    await refused(client, body("viduq3", sounds=[mp3()] * 8), "FieldItemCountOutOfRange", "sounds")
    await refused(client, body("viduq3", sounds=[]), "FieldItemCountOutOfRange", "sounds")
    assert await state_of(client, emu) == before


@pytest.mark.parametrize("model", ["viduq3-mix", "viduq3", "viduq3-turbo", "viduq3-pro"])
async def test_sounds_on_q3_models(client, model):
    assert (await created(client, KIND, body(model, sounds=["https://example.com/voice.mp3"])))["sounds"]


@pytest.mark.parametrize("model", ["viduq2-pro", "viduq2", "viduq1", "vidu2.0"])
async def test_sounds_only_on_q3_models(client, emu, model):
    before = await state_of(client, emu)
    await refused(client, body(model, sounds=[mp3()]), "FieldUnwanted", "sounds")
    assert await state_of(client, emu) == before


async def test_each_sound_at_most_20_seconds(client, emu):
    await created(client, KIND, body("viduq3", sounds=[mp3(1.0), mp3(20.0)]))
    before = await state_of(client, emu)
    await refused(client, body("viduq3", sounds=[mp3(1.0), mp3(21.0)]), "FieldInvalid", "sounds.1")
    assert await state_of(client, emu) == before


async def test_sounds_are_mp3(client):
    await created(client, KIND, body("viduq3", sounds=["https://example.com/a.mp3"]))
    await refused(client, body("viduq3", sounds=["https://example.com/a.wav"]), "FieldInvalid", "sounds.0")
    await refused(client, body("viduq3", sounds=[wav(2.0)]), "FieldInvalid", "sounds.0")
    await refused(client, body("viduq3", sounds=["data:audio/mpeg;base64,AAAA"]), "FieldInvalid", "sounds.0")


async def test_sounds_in_the_subjects_form_of_q3(client):
    # M26 §4 documents sounds on the non-subject call only; the subjects page is not captured: accepted on q3
    # there too (docs/decisions.md), refused where the model takes none
    assert (await created(client, KIND, subjects_body("viduq3", sounds=[mp3()])))["sounds"] == [mp3()]
    await refused(client, subjects_body("viduq2", sounds=[mp3()]), "FieldUnwanted", "sounds")


async def test_the_output_follows_auto_and_the_first_image(client):
    # "auto：根据输入图或视频自动推荐" -> 9:16 for a portrait image, rendered at 720p as 720x1280 (outputs' sizes)
    task = await created(client, KIND, body("viduq2", images=[png(180, 320)], aspect_ratio="auto", duration=1))
    media = await output_media(client, await finish(client, task["task_id"], 600))
    assert media["size"] == (720, 1280)


async def test_a_sound_is_under_20_mb_decoded():
    # "base64 decode之后的字节长度需要小于20M": a request body is at most 20 MB (config.max_body_bytes), so the
    # limit is checked on the function the endpoint uses
    import base64
    from types import SimpleNamespace

    from viduemu.core.errors import ViduError
    from viduemu.ent import checks

    exactly = "data:audio/mpeg;base64," + base64.b64encode(bytes(20 * 1024 * 1024)).decode()
    with pytest.raises(ViduError) as refusal:
        await checks._check_sounds(SimpleNamespace(fetcher=None), [exactly])   # type: ignore[arg-type]
    assert (refusal.value.reason, refusal.value.fields) == ("PageSizeOutOfRange", "sounds.0")


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

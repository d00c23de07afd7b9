"""POST /ent/v2/multiframe, /ent/v2/extend, /ent/v2/upscale-new and /ent/v2/upscale: one test per documented
rule (vendor-docs/more/multiframe.txt, extend.txt, upscale-pro.txt, upscale.txt, pricing.txt; judgements in
docs/decisions.md, "Operations of issue 14: edits")."""

from __future__ import annotations

import io

import pytest

from tests.conftest import AUTH, KEY, advance, assert_error
from tests.ent.support import URL_IMAGE, finish, op_create, op_created, output_media, state_of
from tests.support.media import mp4, png
from tests.support.receiver import Receiver, wait_for

pytestmark = pytest.mark.usefixtures("plenty_of_credits")
URL_VIDEO = "https://example.com/clip.mp4"
OTHER = {"Authorization": "Token vda_other_key"}


async def balance(client, key: str = KEY) -> int:
    return (await client.get(f"/_emulator/accounts/{key}")).json()["credits"]


async def finished_creation(client, headers=AUTH, **fields) -> tuple[str, dict]:
    """A finished text2video task of ``headers``' key: (its creation id, its creations answer)."""
    body = {"model": "viduq2", "prompt": "a red kite", "duration": 1, "resolution": "540p", **fields}
    r = await client.post("/ent/v2/text2video", json=body, headers=headers)
    assert r.status_code == 200, r.text
    await advance(client, 120)
    done = (await client.get(f"/ent/v2/tasks/{r.json()['task_id']}/creations", headers=headers)).json()
    assert done["state"] == "success", done
    return done["creations"][0]["id"], done


async def first_frame_colour(client, url: str | None = None, data: bytes | None = None) -> tuple[float, ...]:
    """The mean colour of a video's first frame, downscaled to 16x9 (what survives a resize)."""
    import av
    from PIL import ImageStat

    if data is None:
        data = (await client.get(url)).content
    with av.open(io.BytesIO(data)) as container:
        frame = next(container.decode(video=0))
    return tuple(ImageStat.Stat(frame.to_image().resize((16, 9))).mean)


def close(a: tuple[float, ...], b: tuple[float, ...], tolerance: float = 12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def mp4_bytes(uri: str) -> bytes:
    import base64

    return base64.b64decode(uri.split(",", 1)[1])


# -- multiframe -------------------------------------------------------------------------------------------
def frames(count=2, model="viduq2-turbo", **extra):
    return {"model": model, "start_image": png(),
            "image_settings": [{"prompt": f"step {i}", "key_image": png()} for i in range(count)], **extra}


async def test_multiframe_model_viduq2_pro_or_viduq2_turbo(client, emu):
    for model in ("viduq2-pro", "viduq2-turbo"):
        assert (await op_created(client, "multiframe", frames(model=model)))["model"] == model
    before = await state_of(client, emu)
    assert_error(await op_create(client, "multiframe", frames(model="viduq1")), 400, "FieldInvalid", "model")
    assert await state_of(client, emu) == before


async def test_multiframe_image_settings_2_to_9(client):
    for count in (2, 9):
        assert len((await op_created(client, "multiframe", frames(count)))["image_settings"]) == count
    for count in (0, 1, 10):
        assert_error(await op_create(client, "multiframe", frames(count)), 400, "FieldItemCountOutOfRange",
                     "image_settings")


async def test_multiframe_segment_duration_2_to_7_default_5(client):
    task = await op_created(client, "multiframe", frames())
    assert [s["duration"] for s in task["image_settings"]] == [5, 5]
    for duration in (2, 7):
        body = frames()
        body["image_settings"][1]["duration"] = duration
        assert (await op_created(client, "multiframe", body))["image_settings"][1]["duration"] == duration
    for duration in (1, 8):
        body = frames()
        body["image_settings"][1]["duration"] = duration
        assert_error(await op_create(client, "multiframe", body), 400, "FieldInvalid", "image_settings.1.duration")


async def test_multiframe_key_image_is_required_and_follows_the_image_rules(client):
    body = frames()
    del body["image_settings"][0]["key_image"]
    assert_error(await op_create(client, "multiframe", body), 400, "FieldLacking", "image_settings.0.key_image")
    body = frames()
    body["image_settings"][1]["key_image"] = png(64, 64)
    assert_error(await op_create(client, "multiframe", body), 400, "PageSizeOutOfRange", "image_settings.1.key_image")
    assert_error(await op_create(client, "multiframe", {**frames(), "start_image": png(600, 100)}), 400,
                 "PageSizeOutOfRange", "start_image")


async def test_multiframe_resolution_540p_720p_1080p_default_720p(client):
    assert (await op_created(client, "multiframe", frames()))["resolution"] == "720p"
    for resolution in ("540p", "1080p"):
        assert (await op_created(client, "multiframe", frames(resolution=resolution)))["resolution"] == resolution
    assert_error(await op_create(client, "multiframe", frames(resolution="360p")), 400, "FieldInvalid", "resolution")


async def test_multiframe_request_table_is_an_allow_list_seed_accepted_for_comfyui(client):
    assert (await op_created(client, "multiframe", frames(seed=7)))["seed"] == 7
    assert_error(await op_create(client, "multiframe", frames(aspect_ratio="16:9")), 400, "FieldUnwanted",
                 "aspect_ratio")


async def test_multiframe_price_is_the_sum_of_its_segments_q2_prices(client):
    # pricing.txt: Q2-turbo 1080p "40积分起,每秒+10积分"; Q2-pro 540p "15积分起,每秒+5积分"
    body = frames(resolution="1080p")
    body["image_settings"][0]["duration"], body["image_settings"][1]["duration"] = 5, 3
    assert (await op_created(client, "multiframe", body))["credits"] == (40 + 4 * 10) + (40 + 2 * 10)
    body = frames(model="viduq2-pro", resolution="540p")
    assert (await op_created(client, "multiframe", body))["credits"] == 2 * (15 + 4 * 5)


async def test_multiframe_output_lasts_the_segments_at_the_start_images_ratio(client):
    body = frames(resolution="540p", start_image=png(300, 300))
    body["image_settings"][0]["duration"], body["image_settings"][1]["duration"] = 2, 3
    task = await op_created(client, "multiframe", body)
    media = await output_media(client, await finish(client, task["task_id"]))
    assert media["size"] == (540, 540) and abs(media["duration"] - 5) <= 0.1 and media["audio"] == []


# -- extend ----------------------------------------------------------------------------------------------
def extend(video_url=URL_VIDEO, **extra):
    return {"model": "viduq2-pro", "video_url": video_url, **extra}


async def test_extend_model_viduq2_pro_or_viduq2_turbo(client):
    assert (await op_created(client, "extend", extend(model="viduq2-turbo")))["model"] == "viduq2-turbo"
    assert_error(await op_create(client, "extend", extend(model="viduq2")), 400, "FieldInvalid", "model")


async def test_extend_duration_1_to_7_default_5(client):
    assert (await op_created(client, "extend", extend()))["duration"] == 5
    for duration in (1, 7):
        assert (await op_created(client, "extend", extend(duration=duration)))["duration"] == duration
    for duration in (0, 8):
        assert_error(await op_create(client, "extend", extend(duration=duration)), 400, "FieldInvalid", "duration")


async def test_extend_resolution_540p_720p_1080p_default_720p(client):
    assert (await op_created(client, "extend", extend()))["resolution"] == "720p"
    assert_error(await op_create(client, "extend", extend(resolution="2K")), 400, "FieldInvalid", "resolution")


async def test_extend_needs_video_url_or_video_creation_id(client, emu):
    before = await state_of(client, emu)
    assert_error(await op_create(client, "extend", {"model": "viduq2-pro"}), 400, "FieldLacking", "video_url")
    assert await state_of(client, emu) == before


async def test_extend_video_lasts_4_s_to_1_minute(client, emu):
    for seconds in (4, 60):
        await op_created(client, "extend", extend(mp4(seconds, fps=1)))
    before = await state_of(client, emu)
    for seconds in (3, 61):
        assert_error(await op_create(client, "extend", extend(mp4(seconds, fps=1))), 400, "FieldInvalid", "video_url")
    assert await state_of(client, emu) == before


async def test_extend_takes_at_most_one_end_frame_image(client):
    assert (await op_created(client, "extend", extend(images=[URL_IMAGE])))["images"] == [URL_IMAGE]
    assert_error(await op_create(client, "extend", extend(images=[URL_IMAGE] * 2)), 400,
                 "FieldItemCountOutOfRange", "images")


async def test_extend_prompt_at_most_2000_characters(client):
    await op_created(client, "extend", extend(prompt="a" * 2000))
    assert_error(await op_create(client, "extend", extend(prompt="a" * 2001)), 400, "FieldInvalid", "prompt")


async def test_extend_request_table_is_an_allow_list(client):
    assert_error(await op_create(client, "extend", extend(watermark=True)), 400, "FieldUnwanted", "watermark")


async def test_extend_price_is_the_extension_at_the_q2_extension_rates(client):
    # pricing.txt "Video Extension": viduq2-pro 720p 起步 30, +10/s; viduq2-turbo 540p 起步 10, +2/s
    assert (await op_created(client, "extend", extend()))["credits"] == 30 + 4 * 10
    task = await op_created(client, "extend", extend(model="viduq2-turbo", resolution="540p", duration=1))
    assert task["credits"] == 10


async def test_extend_output_is_the_source_then_the_extension(client):
    source = mp4(4, 256, 144, fps=4)
    task = await op_created(client, "extend", extend(source, duration=1, resolution="540p"))
    done = await finish(client, task["task_id"])
    media = await output_media(client, done)
    assert media["size"] == (960, 540) and abs(media["duration"] - (4 + 1)) <= 0.1
    assert close(await first_frame_colour(client, done["creations"][0]["url"]),
                 await first_frame_colour(client, data=mp4_bytes(source)))


async def test_extend_of_an_own_creation_starts_with_its_frames(client):
    creation_id, source = await finished_creation(client)
    task = await op_created(client, "extend", {"model": "viduq2-turbo", "video_creation_id": creation_id,
                                               "duration": 2, "resolution": "540p"})
    assert task["video_creation_id"] == creation_id
    done = await finish(client, task["task_id"])
    media = await output_media(client, done)
    assert media["size"] == (960, 540) and abs(media["duration"] - (1 + 2)) <= 0.1
    assert close(await first_frame_colour(client, done["creations"][0]["url"]),
                 await first_frame_colour(client, source["creations"][0]["url"]))


async def test_extend_video_creation_id_wins_over_video_url(client):
    creation_id, _ = await finished_creation(client)
    task = await op_created(client, "extend", extend(video_creation_id=creation_id))
    assert task["video_creation_id"] == creation_id and "video_url" not in task


async def test_extend_refuses_another_keys_creation_and_an_unfinished_task(client, emu):
    theirs, _ = await finished_creation(client, OTHER)
    r = await client.post("/ent/v2/text2video", json={"model": "viduq2", "prompt": "x"}, headers=AUTH)
    unfinished = r.json()["task_id"]
    before = await state_of(client, emu)
    for ref in (theirs, unfinished, "123456789012345678"):
        assert_error(await op_create(client, "extend", extend(video_creation_id=ref)), 404, "CreationNotFound",
                     "video_creation_id")
    assert await state_of(client, emu) == before


# -- upscale-pro (/ent/v2/upscale-new) ----------------------------------------------------------------------
def upscale(video_url=URL_VIDEO, **extra):
    return {"video_url": video_url, **extra}


async def test_upscale_resolution_1080p_2k_4k_8k_default_1080p(client):
    assert (await op_created(client, "upscale-new", upscale()))["upscale_resolution"] == "1080p"
    for target in ("2K", "4K", "8K"):
        assert (await op_created(client, "upscale-new", upscale(upscale_resolution=target)))[
            "upscale_resolution"] == target
    assert_error(await op_create(client, "upscale-new", upscale(upscale_resolution="720p")), 400, "FieldInvalid",
                 "upscale_resolution")


async def test_upscale_needs_video_url_or_video_creation_id(client):
    assert_error(await op_create(client, "upscale-new", {"upscale_resolution": "2K"}), 400, "FieldLacking",
                 "video_url")


async def test_upscale_input_at_most_300_s(client, emu):
    await op_created(client, "upscale-new", upscale(mp4(300, fps=1)))
    before = await state_of(client, emu)
    assert_error(await op_create(client, "upscale-new", upscale(mp4(301, fps=1))), 400, "FieldInvalid", "video_url")
    assert await state_of(client, emu) == before


async def test_upscale_frame_rate_below_60_fps(client):
    await op_created(client, "upscale-new", upscale(mp4(1, fps=50)))
    assert_error(await op_create(client, "upscale-new", upscale(mp4(1, fps=60))), 400, "FieldInvalid", "video_url")


async def test_upscale_container_formats_by_extension(client):
    for name in ("a.mp4", "a.flv", "a.m3u8", "a.mxf", "a.mov", "a.ts", "a.webm", "a.mkv"):
        await op_created(client, "upscale-new", upscale(f"https://example.com/{name}"))
    assert_error(await op_create(client, "upscale-new", upscale("https://example.com/a.gif")), 400, "FieldInvalid",
                 "video_url")


async def test_upscale_request_table_is_an_allow_list(client):
    assert_error(await op_create(client, "upscale-new", upscale(seed=3)), 400, "FieldUnwanted", "seed")


async def test_upscale_price_per_second_of_the_source_rounded_up(client):
    # pricing.txt: "Upscale Pro: 1080P / 2K / 4K / 8K = 10 / 20 / 40 / 160 credits per second"
    source = mp4(2.5, fps=4)
    for target, rate in (("1080p", 10), ("2K", 20), ("4K", 40), ("8K", 160)):
        task = await op_created(client, "upscale-new", upscale(source, upscale_resolution=target))
        assert task["credits"] == 3 * rate


async def test_upscale_to_a_target_not_above_the_source_fails_the_task_and_refunds(client):
    before = await balance(client)
    task = await op_created(client, "upscale-new", upscale(mp4(1, 1920, 1080), upscale_resolution="1080p"))
    assert task["state"] == "created" and await balance(client) == before - task["credits"]
    done = await finish(client, task["task_id"])
    assert done["state"] == "failed" and done["err_code"] == "FieldInvalid" and done["creations"] == []
    assert await balance(client) == before


@pytest.mark.slow
async def test_upscale_to_8k_is_7680x4320(client):
    task = await op_created(client, "upscale-new", upscale(mp4(1, 160, 90), upscale_resolution="8K"))
    media = await output_media(client, await finish(client, task["task_id"]))
    assert media["size"] == (7680, 4320) and abs(media["duration"] - 1) <= 0.1


async def test_upscale_of_an_own_creation_is_it_at_the_target_size(client):
    creation_id, source = await finished_creation(client)
    task = await op_created(client, "upscale-new", {"video_creation_id": creation_id, "video_url": URL_VIDEO})
    assert task["video_creation_id"] == creation_id and task["credits"] == 10   # 1 s at 1080p
    done = await finish(client, task["task_id"])
    media = await output_media(client, done)
    assert media["size"] == (1920, 1080) and abs(media["duration"] - 1) <= 0.1
    assert close(await first_frame_colour(client, done["creations"][0]["url"]),
                 await first_frame_colour(client, source["creations"][0]["url"]))


async def test_upscale_refuses_another_keys_creation(client):
    theirs, _ = await finished_creation(client, OTHER)
    assert_error(await op_create(client, "upscale-new", {"video_creation_id": theirs}), 404, "CreationNotFound",
                 "video_creation_id")


# -- the legacy upscale (/ent/v2/upscale) -------------------------------------------------------------------
async def test_legacy_upscale_model_vidu1_0(client):
    creation_id, _ = await finished_creation(client, model="vidu1.5", duration=4, resolution="360p")
    assert_error(await op_create(client, "upscale", {"model": "vidu2.0", "creation_id": creation_id}), 400,
                 "FieldInvalid", "model")


async def test_legacy_upscale_only_360p_creations(client, emu):
    creation_id, _ = await finished_creation(client)   # 540p
    before = await state_of(client, emu)
    assert_error(await op_create(client, "upscale", {"model": "vidu1.0", "creation_id": creation_id}), 400,
                 "FieldInvalid", "creation_id")
    assert await state_of(client, emu) == before


async def test_legacy_upscale_answer_is_the_documented_one_without_credits(client):
    creation_id, _ = await finished_creation(client, model="vidu1.5", duration=4, resolution="360p")
    task = await op_created(client, "upscale", {"model": "vidu1.0", "creation_id": creation_id})
    assert set(task) == {"task_id", "state", "model", "creation_id", "created_at"}
    assert (task["model"], task["creation_id"], task["state"]) == ("vidu1.0", creation_id, "created")


async def test_legacy_upscale_has_no_payload_field(client):
    creation_id, _ = await finished_creation(client, model="vidu1.5", duration=4, resolution="360p")
    assert_error(await op_create(client, "upscale", {"model": "vidu1.0", "creation_id": creation_id, "payload": "x"}),
                 400, "FieldUnwanted", "payload")


async def test_legacy_upscale_makes_the_360p_creation_1080p(client):
    creation_id, _ = await finished_creation(client, model="vidu1.5", duration=4, resolution="360p")
    task = await op_created(client, "upscale", {"model": "vidu1.0", "creation_id": creation_id})
    done = await finish(client, task["task_id"])
    assert done["credits"] == 4 * 10   # priced as Upscale Pro to 1080p (docs/decisions.md)
    media = await output_media(client, done)
    assert media["size"] == (1920, 1080) and abs(media["duration"] - 4) <= 0.1


async def test_edit_tasks_are_listed_by_type(client):
    task = await op_created(client, "extend", extend())
    listed = (await client.get("/ent/v2/tasks", params={"task_ids": task["task_id"]}, headers=AUTH)).json()["tasks"]
    assert [(t["id"], t["type"]) for t in listed] == [(task["task_id"], "extend")]


async def test_upscale_of_an_own_creation_keeps_its_sound_and_an_extension_is_silent(client):
    creation_id, source = await finished_creation(client, bgm=True)
    assert (await output_media(client, source))["audio"] == ["aac"]
    upscaled = await op_created(client, "upscale-new", {"video_creation_id": creation_id})
    assert (await output_media(client, await finish(client, upscaled["task_id"])))["audio"] == ["aac"]
    extended = await op_created(client, "extend", {"model": "viduq2-turbo", "video_creation_id": creation_id,
                                                   "duration": 1, "resolution": "540p"})
    assert (await output_media(client, await finish(client, extended["task_id"])))["audio"] == []


async def test_a_failed_upscale_calls_back_with_its_reason(client):
    with Receiver() as rx:
        task = await op_created(client, "upscale-new", upscale(mp4(1, 1920, 1080), callback_url=rx.url + "/cb"))
        await advance(client, 1)
        await advance(client, 120)
        await wait_for(lambda: any(r["body"]["state"] == "failed" for r in rx.requests), what="failed callback")
        failed = next(r["body"] for r in rx.requests if r["body"]["state"] == "failed")
        assert failed["id"] == task["task_id"] and failed["err_code"] == "FieldInvalid" and failed["creations"] == []


async def test_a_queued_multiframe_task_can_be_cancelled_and_is_refunded(client):
    for _ in range(5):   # 5 run at once per account: the sixth waits in the queue
        await op_created(client, "extend", extend())
    task = await op_created(client, "multiframe", frames())
    await advance(client, 2)
    before = await balance(client)
    assert (await client.post(f"/ent/v2/tasks/{task['task_id']}/cancel", json={}, headers=AUTH)).status_code == 200
    done = (await client.get(f"/ent/v2/tasks/{task['task_id']}/creations", headers=AUTH)).json()
    assert done["err_code"] == "UserCancelled" and await balance(client) == before + task["credits"]


async def test_upscale_keeps_the_source_ratio_within_the_target_frame(client):
    # docs/decisions.md: the target's short side, within its 16:9 frame either way round
    task = await op_created(client, "upscale-new", upscale(mp4(1, 160, 160), upscale_resolution="2K"))
    media = await output_media(client, await finish(client, task["task_id"]))
    assert media["size"] == (1440, 1440) and abs(media["duration"] - 1) <= 0.1


def video_in(container: str, codec: str = "libx264", seconds: int = 1) -> str:
    """A data: URI of a small video in ``container`` (PyAV)."""
    import base64

    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format=container) as out:
        stream = out.add_stream(codec, rate=4)
        stream.width, stream.height, stream.pix_fmt = 160, 160, "yuv420p"
        for i in range(4 * seconds):
            frame = av.VideoFrame(160, 160, "yuv420p")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return f"data:video/{container};base64,{base64.b64encode(buf.getvalue()).decode()}"


async def test_upscale_container_formats_by_their_bytes(client):
    for container in ("matroska", "mpegts", "flv"):
        codec = "flv" if container == "flv" else "libx264"
        await op_created(client, "upscale-new", upscale(video_in(container, codec)))
    assert_error(await op_create(client, "upscale-new", upscale(video_in("avi", "mpeg4"))), 400, "FieldInvalid",
                 "video_url")

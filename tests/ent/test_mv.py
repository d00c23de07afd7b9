"""One-click MV (VD/vidu-one-click-mv.txt): create, query, edit a shot, compose; a named test per rule."""

import base64

import httpx
import pytest

from tests.conftest import AUTH, KEY, advance, assert_error
from tests.ent.support import assert_contract
from tests.support.media import data_uri, encoded_audio, png, wav
from viduemu.app import create_app
from viduemu.config import Settings

PATH = "/ent/v2/one-click/mv"
ITEM, EDIT, COMPOSE = PATH + "/{id}", PATH + "/{id}/edit", PATH + "/{id}/compose"
OTHER = {"Authorization": "Token vda_someone_else"}
DONE = 60  # virtual seconds after which a fresh MV has finished (1 + 30 shot + 10 compose)


def mv_body(**overrides) -> dict:
    return {"images": [png()], "audio_url": wav(10), **overrides}


async def create(client, headers=AUTH, **overrides):
    return await client.post(PATH, json=mv_body(**overrides), headers=headers)


async def create_id(client, **overrides) -> str:
    r = await create(client, **overrides)
    assert r.status_code == 200, r.text
    return assert_contract(r, "post", PATH)["id"]


async def get(client, mv_id, headers=AUTH) -> dict:
    r = await client.get(ITEM.format(id=mv_id), headers=headers)
    assert r.status_code == 200, r.text
    return assert_contract(r, "get", ITEM)


async def balance(client) -> int:
    r = await client.get("/ent/v2/credits", headers=AUTH)  # (the first call opens the account)
    return r.json()["remains"][0]["credit_remain"]


async def snapshot(client, emu):
    """What bad input must not change: the balance and every MV document."""
    return await balance(client), sorted(emu.core.store.all("mv"), key=lambda m: m["id"]).__repr__()


def unsigned(url: str) -> str:
    """A media URL without its signature and expiry (issue 13 #3)."""
    return url.split("?")[0]


def shot_records(mv: dict) -> list[dict]:
    return [r for r in mv["job_records"] if r["type"] == "generate_video"]


def compose_record(mv: dict) -> dict:
    [record] = [r for r in mv["job_records"] if r["type"] == "compose"]
    return record


async def expect_bad(client, emu, status, reason, field, **overrides):
    before = await snapshot(client, emu)
    assert_error(await create(client, **overrides), status, reason, field)
    assert await snapshot(client, emu) == before


# -- create and the documented shape ------------------------------------------------
async def test_create_answers_only_an_id(client):
    r = await create(client)
    assert r.status_code == 200 and set(r.json()) == {"id"} and len(r.json()["id"]) == 18


async def test_get_has_the_documented_shape(client):
    mv = await get(client, await create_id(client))
    assert list(mv) == ["id", "type", "creator_id", "state", "input", "job_records", "created_at", "updated_at",
                        "err_code", "err_msg", "signed_url"]
    assert mv["type"] == "mv" and mv["state"] == "created" and mv["signed_url"] == "" and mv["err_code"] == ""
    assert len(mv["creator_id"]) == 18 and mv["created_at"].endswith("Z")
    job = shot_records(mv)[0]["jobs"][0]
    assert list(job) == ["id", "type", "input", "output", "state", "created_at", "updated_at", "err_code",
                         "err_msg", "signed_url", "mv_generate_video_input", "index"]
    assert set(job["mv_generate_video_input"]) == {"duration", "prompt", "lyric_text", "signed_images"}
    compose_job = compose_record(mv)["jobs"][0]
    assert "mv_generate_video_input" not in compose_job and compose_job["type"] == "compose"


async def test_state_goes_created_processing_success_on_the_clock(client):
    mv_id = await create_id(client)
    assert (await get(client, mv_id))["state"] == "created"
    await advance(client, 1)
    mv = await get(client, mv_id)
    assert mv["state"] == "processing"
    assert all(r["jobs"][0]["state"] == "processing" for r in shot_records(mv))
    assert compose_record(mv)["jobs"][0]["state"] == "created"
    await advance(client, 30)
    mv = await get(client, mv_id)
    assert all(r["jobs"][0]["state"] == "success" for r in shot_records(mv))
    assert compose_record(mv)["jobs"][0]["state"] == "processing" and mv["state"] == "processing"
    await advance(client, 10)
    mv = await get(client, mv_id)
    composite = compose_record(mv)["jobs"][0]
    assert mv["state"] == "success" and composite["state"] == "success"
    assert mv["signed_url"] == composite["signed_url"]
    assert unsigned(mv["signed_url"]) == f"http://testserver/_emulator/files/mv/{mv_id}/{composite['id']}.mp4"
    assert all(unsigned(r["jobs"][0]["signed_url"]).endswith(f"{r['jobs'][0]['id']}.mp4") for r in shot_records(mv))


@pytest.mark.parametrize("seconds, shots", [(10, [5, 5]), (11, [4, 4, 3]), (16, [4, 4, 4, 4]),
                                            (180, [5] * 36)])
async def test_audio_duration_is_split_into_3_to_5_second_shots(client, seconds, shots):
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 10_000})
    mv = await get(client, await create_id(client, audio_url=wav(seconds)))
    records = shot_records(mv)
    assert [r["index"] for r in records] == list(range(len(shots)))
    assert [r["jobs"][0]["mv_generate_video_input"]["duration"] for r in records] == shots


async def test_get_by_a_job_id_answers_its_mv(client):
    mv_id = await create_id(client)
    job_id = shot_records(await get(client, mv_id))[1]["jobs"][0]["id"]
    assert (await get(client, job_id))["id"] == mv_id


# -- images ---------------------------------------------------------------------------
async def test_mv_takes_1_to_7_images(client, emu):
    assert (await create(client, images=[png()] * 7)).status_code == 200
    await expect_bad(client, emu, 400, "FieldItemCountOutOfRange", "images", images=[png()] * 8)
    await expect_bad(client, emu, 400, "FieldItemCountOutOfRange", "images", images=[])
    before = await snapshot(client, emu)
    assert_error(await client.post(PATH, json={"audio_url": wav(10)}, headers=AUTH), 400, "FieldLacking", "images")
    assert await snapshot(client, emu) == before


@pytest.mark.parametrize("image, reason", [
    (data_uri("image/gif", b"GIF89a" + b"\0" * 64), "ImageFormatInvalid"),
    ("https://example.com/style.bmp", "ImageFormatInvalid"),
    (png(100, 450), "PageSizeOutOfRange"),   # beyond 1:4
    (png(600, 140), "PageSizeOutOfRange"),   # beyond 4:1
])
async def test_mv_images_png_jpeg_webp_within_1_to_4(client, emu, image, reason):
    await expect_bad(client, emu, 400, reason, "images.1", images=[png(), image])


async def test_mv_image_decoded_under_10_mb(client, emu):
    big = data_uri("image/png", b"\x89PNG\r\n\x1a\n" + bytes(10 * 1024 * 1024))
    await expect_bad(client, emu, 400, "PageSizeOutOfRange", "images.0", images=[big])


# -- audio ------------------------------------------------------------------------------
async def test_audio_url_is_required(client, emu):
    before = await snapshot(client, emu)
    assert_error(await client.post(PATH, json={"images": [png()]}, headers=AUTH), 400, "FieldLacking", "audio_url")
    assert await snapshot(client, emu) == before


async def test_audio_at_least_10_seconds_measured_from_the_data(client, emu):
    await expect_bad(client, emu, 400, "FieldInvalid", "audio_url", audio_url=wav(9.5))
    await expect_bad(client, emu, 400, "FieldInvalid", "audio_url", audio_url=encoded_audio("mp3", 8))
    assert (await create(client, audio_url=wav(10))).status_code == 200


async def test_audio_at_most_180_seconds_measured_from_the_data(client, emu):
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 10_000})
    assert (await create(client, audio_url=wav(180))).status_code == 200
    await expect_bad(client, emu, 400, "FieldInvalid", "audio_url", audio_url=wav(181))


@pytest.mark.parametrize("audio", [wav(12), encoded_audio("mp3", 12), encoded_audio("ipod", 12),
                                   encoded_audio("adts", 12)], ids=["wav", "mp3", "m4a", "aac"])
async def test_audio_formats_mp3_wav_aac_m4a(client, audio):
    mv = await get(client, await create_id(client, audio_url=audio))
    assert sum(r["jobs"][0]["mv_generate_video_input"]["duration"] for r in shot_records(mv)) == 12


async def test_audio_other_formats_are_refused(client, emu):
    await expect_bad(client, emu, 400, "FieldInvalid", "audio_url", audio_url=encoded_audio("flac", 12))
    await expect_bad(client, emu, 400, "FieldInvalid", "audio_url", audio_url="https://example.com/song.ogg")
    await expect_bad(client, emu, 400, "FieldInvalid", "audio_url",
                     audio_url=data_uri("audio/mpeg", b"definitely not audio" * 50))
    await expect_bad(client, emu, 400, "FieldInvalid", "audio_url", audio_url=data_uri("image/png", b"x"))


async def test_audio_url_is_accepted_and_taken_as_30_seconds_offline(client):
    mv = await get(client, await create_id(client, audio_url="https://example.com/song.mp3"))
    assert [r["jobs"][0]["mv_generate_video_input"]["duration"] for r in shot_records(mv)] == [5] * 6
    assert await balance(client) == 1000 - 30 * 10


# -- other fields -------------------------------------------------------------------------
async def test_prompt_at_most_3000_characters(client, emu):
    mv = await get(client, await create_id(client, prompt="p" * 3000))
    assert "p" * 3000 in shot_records(mv)[0]["jobs"][0]["mv_generate_video_input"]["prompt"]
    await expect_bad(client, emu, 400, "FieldInvalid", "prompt", prompt="p" * 3001)


@pytest.mark.parametrize("field, good, bad", [
    ("aspect_ratio", ["1:1", "16:9", "9:16", "4:3", "3:4"], ["21:9", "16:10", 169]),
    ("resolution", ["540p", "720p", "1080p"], ["360p", "2K", "720"]),
    ("language", ["en", "zh"], ["fr", "EN", ""]),
    ("subtitle_color", ["#FFFFFF", "#00ff7f"], ["white", "#FFF", "FFFFFF", "#GGGGGG"]),
    ("lip_sync", [True, False], ["yes", 1]),
    ("add_subtitle", [True, False], ["true", 0]),
])
async def test_enumerated_and_typed_fields(client, emu, field, good, bad):
    for value in good:
        assert (await create(client, **{field: value})).status_code == 200, value
    for value in bad:
        await expect_bad(client, emu, 400, "FieldInvalid", field, **{field: value})


async def test_defaults_16_9_720p_white_subtitles(client, emu):
    mv_id = await create_id(client)
    fields = emu.core.store.get("mv", mv_id)["fields"]
    assert (fields["aspect_ratio"], fields["resolution"], fields["subtitle_color"]) == ("16:9", "720p", "#FFFFFF")
    assert fields["lip_sync"] is False and fields["add_subtitle"] is False


async def test_optional_strings_are_kept(client, emu):
    mv_id = await create_id(client, srt_url="https://example.com/lyrics.srt", lip_ref_url="https://e.com/a.png",
                            callback_url="https://example.com/hook", add_subtitle=True)
    doc = emu.core.store.get("mv", mv_id)
    assert doc["fields"]["srt_url"] == "https://example.com/lyrics.srt" and doc["fields"]["add_subtitle"] is True
    assert doc["callback_url"] == "https://example.com/hook"


# -- price ----------------------------------------------------------------------------------
# docs/decisions.md line 189 "`540p` 8/s, `720p` 10/s, `1080p` 16/s, plus 4/s with `lip_sync`" (the base rates are
# the emulator's choice; vendor-docs/more/pricing.txt line 79, a third-party transcription, has 6 / 8 / 10);
# the lip sync: vendor-docs/vidu-one-click-mv.txt line 11 "After activation, 4 credits will be added per second"
@pytest.mark.parametrize("resolution, per_second", [("540p", 8), ("720p", 10), ("1080p", 16)])
async def test_price_per_second_by_resolution(client, resolution, per_second):
    await create_id(client, audio_url=wav(12), resolution=resolution)
    assert await balance(client) == 1000 - 12 * per_second


async def test_lip_sync_adds_4_credits_per_second(client):
    await create_id(client, audio_url=wav(12), lip_sync=True)
    assert await balance(client) == 1000 - 12 * (10 + 4)


async def test_price_rounds_the_audio_up_to_whole_seconds(client):
    await create_id(client, audio_url=wav(10.5))
    assert await balance(client) == 1000 - 11 * 10


async def test_not_enough_credits_creates_nothing(client, emu):
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 99})
    await expect_bad(client, emu, 400, "CreditInsufficient", None)
    assert await balance(client) == 99 and not list(emu.core.store.all("mv"))


async def test_task_finish_fault_fails_the_mv_and_refunds(client, emu):
    await client.post("/_emulator/faults", json={"match": {"operation": "task.finish", "api_key": KEY},
                                                 "action": {"err_code": "CreationPolicyViolation"}, "times": 1})
    mv_id = await create_id(client)
    assert await balance(client) == 900
    await advance(client, DONE)
    mv = await get(client, mv_id)
    assert mv["state"] == "failed" and mv["err_code"] == "CreationPolicyViolation" and mv["err_msg"]
    assert mv["signed_url"] == ""
    assert all(r["jobs"][0]["state"] == "failed" for r in mv["job_records"])
    assert await balance(client) == 1000


# -- edit --------------------------------------------------------------------------------------
async def finished_mv(client, **overrides) -> dict:
    mv_id = await create_id(client, **overrides)
    await advance(client, DONE)
    mv = await get(client, mv_id)
    assert mv["state"] == "success"
    return mv


async def test_edit_adds_a_job_to_the_shots_history(client):
    mv = await finished_mv(client, audio_url=wav(11))
    shot = shot_records(mv)[1]
    first = shot["jobs"][0]
    r = await client.post(EDIT.format(id=mv["id"]), json={"job_id": first["id"], "prompt": "at night"}, headers=AUTH)
    new_id = assert_contract(r, "post", EDIT)["id"]
    after = await get(client, mv["id"])
    history = shot_records(after)[1]["jobs"]
    assert [j["id"] for j in history] == [first["id"], new_id]
    edited = history[1]
    assert edited["state"] == "created" and edited["index"] == 1 and edited["type"] == "generate_video"
    assert edited["mv_generate_video_input"]["prompt"] == "at night"
    assert edited["mv_generate_video_input"]["duration"] == first["mv_generate_video_input"]["duration"]
    assert [len(r["jobs"]) for r in shot_records(after)] == [1, 2, 1]
    await advance(client, 1)
    assert shot_records(await get(client, mv["id"]))[1]["jobs"][1]["state"] == "processing"
    await advance(client, 30)
    done = shot_records(await get(client, mv["id"]))[1]["jobs"][1]
    assert done["state"] == "success" and unsigned(done["signed_url"]).endswith(f"/{new_id}.mp4")


async def test_edit_of_an_edited_job_joins_the_same_shot(client):
    mv = await finished_mv(client)
    url = EDIT.format(id=mv["id"])
    first = shot_records(mv)[1]["jobs"][0]["id"]
    second = (await client.post(url, json={"job_id": first, "prompt": "b"}, headers=AUTH)).json()["id"]
    third = (await client.post(url, json={"job_id": second, "prompt": "c"}, headers=AUTH)).json()["id"]
    history = shot_records(await get(client, mv["id"]))[1]["jobs"]
    assert [j["id"] for j in history] == [first, second, third]
    assert [j["mv_generate_video_input"]["prompt"] for j in history[1:]] == ["b", "c"]


async def test_edit_charges_the_shots_seconds(client):
    mv = await finished_mv(client, audio_url=wav(11), lip_sync=True)
    paid = await balance(client)
    job = shot_records(mv)[2]["jobs"][0]   # 3 s
    await client.post(EDIT.format(id=mv["id"]), json={"job_id": job["id"], "prompt": "again"}, headers=AUTH)
    assert await balance(client) == paid - 3 * (10 + 4)


async def test_failed_edit_is_refunded_and_leaves_the_mv_success(client):
    mv = await finished_mv(client)
    paid = await balance(client)
    await client.post("/_emulator/faults", json={"match": {"operation": "task.finish"},
                                                 "action": {"err_code": "AuditSubmitIllegal"}, "times": 1})
    job_id = shot_records(mv)[0]["jobs"][0]["id"]
    new_id = (await client.post(EDIT.format(id=mv["id"]), json={"job_id": job_id, "prompt": "x"},
                                headers=AUTH)).json()["id"]
    await advance(client, DONE)
    after = await get(client, mv["id"])
    edited = shot_records(after)[0]["jobs"][1]
    assert edited["id"] == new_id and edited["state"] == "failed" and edited["err_code"] == "AuditSubmitIllegal"
    assert after["state"] == "success" and await balance(client) == paid


async def test_edit_prompt_required_and_at_most_3000(client, emu):
    mv = await finished_mv(client)
    job_id = shot_records(mv)[0]["jobs"][0]["id"]
    url = EDIT.format(id=mv["id"])
    before = await snapshot(client, emu)
    assert_error(await client.post(url, json={"job_id": job_id}, headers=AUTH), 400, "FieldLacking", "prompt")
    assert_error(await client.post(url, json={"job_id": job_id, "prompt": "p" * 3001}, headers=AUTH), 400,
                 "FieldInvalid", "prompt")
    assert_error(await client.post(url, json={"prompt": "x"}, headers=AUTH), 400, "FieldLacking", "job_id")
    assert await snapshot(client, emu) == before
    assert (await client.post(url, json={"job_id": job_id, "prompt": "p" * 3000}, headers=AUTH)).status_code == 200


async def test_edit_job_id_must_be_a_shot_of_this_mv(client, emu):
    mv = await finished_mv(client)
    other = await finished_mv(client)
    url = EDIT.format(id=mv["id"])
    before = await snapshot(client, emu)
    for job_id in (compose_record(mv)["jobs"][0]["id"], shot_records(other)[0]["jobs"][0]["id"], "nope"):
        assert_error(await client.post(url, json={"job_id": job_id, "prompt": "x"}, headers=AUTH), 400,
                     "FieldInvalid", "job_id")
    assert await snapshot(client, emu) == before


async def test_edit_while_the_mv_is_processing_is_refused(client, emu):
    mv_id = await create_id(client)
    await advance(client, 1)
    job_id = shot_records(await get(client, mv_id))[0]["jobs"][0]["id"]
    before = await snapshot(client, emu)
    assert_error(await client.post(EDIT.format(id=mv_id), json={"job_id": job_id, "prompt": "x"}, headers=AUTH),
                 400, "OperationInProcess")
    assert await snapshot(client, emu) == before


async def test_edit_without_credits_changes_nothing(client, emu):
    mv = await finished_mv(client)
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 1})
    before = await snapshot(client, emu)
    job_id = shot_records(mv)[0]["jobs"][0]["id"]
    assert_error(await client.post(EDIT.format(id=mv["id"]), json={"job_id": job_id, "prompt": "x"}, headers=AUTH),
                 400, "CreditInsufficient")
    assert await snapshot(client, emu) == before


# -- compose ---------------------------------------------------------------------------------------
async def test_compose_produces_a_new_composite(client):
    mv = await finished_mv(client)
    first_composite = unsigned(mv["signed_url"])
    shots = shot_records(mv)
    r = await client.post(EDIT.format(id=mv["id"]), json={"job_id": shots[0]["jobs"][0]["id"], "prompt": "rain"},
                          headers=AUTH)
    edited_id = r.json()["id"]
    await advance(client, DONE)
    job_ids = [edited_id, shots[1]["jobs"][0]["id"]]
    r = await client.post(COMPOSE.format(id=mv["id"]), json={"job_ids": job_ids}, headers=AUTH)
    compose_id = assert_contract(r, "post", COMPOSE)["id"]
    during = await get(client, mv["id"])
    assert [j["id"] for j in compose_record(during)["jobs"]][1] == compose_id
    assert compose_record(during)["jobs"][1]["state"] == "created" and unsigned(during["signed_url"]) == first_composite
    await advance(client, DONE)
    after = await get(client, mv["id"])
    composite = compose_record(after)["jobs"][1]
    assert composite["state"] == "success" and composite["id"] == compose_id
    assert after["signed_url"] == composite["signed_url"] and unsigned(after["signed_url"]) != first_composite
    assert unsigned(after["signed_url"]).endswith(f"/_emulator/files/mv/{mv['id']}/{compose_id}.mp4")
    assert after["state"] == "success"


async def test_compose_job_ids_must_be_successful_shots_of_this_mv(client, emu):
    mv = await finished_mv(client)
    other = await finished_mv(client)
    shots = shot_records(mv)
    pending = (await client.post(EDIT.format(id=mv["id"]), json={"job_id": shots[0]["jobs"][0]["id"],
                                                                 "prompt": "x"}, headers=AUTH)).json()["id"]
    url = COMPOSE.format(id=mv["id"])
    before = await snapshot(client, emu)
    for job_ids in ([shot_records(other)[0]["jobs"][0]["id"]],      # another MV's shot
                    [compose_record(mv)["jobs"][0]["id"]],           # not a shot
                    [pending],                                       # not finished
                    [shots[0]["jobs"][0]["id"], shots[0]["jobs"][0]["id"]],  # a shot twice
                    ["123"]):
        assert_error(await client.post(url, json={"job_ids": job_ids}, headers=AUTH), 400, "FieldInvalid",
                     "job_ids")
    assert_error(await client.post(url, json={"job_ids": []}, headers=AUTH), 400, "FieldItemCountOutOfRange",
                 "job_ids")
    assert_error(await client.post(url, json={}, headers=AUTH), 400, "FieldLacking", "job_ids")
    assert await snapshot(client, emu) == before


# -- ownership, restart --------------------------------------------------------------------------------
async def test_other_keys_get_404(client, emu):
    mv = await finished_mv(client)
    job_id = shot_records(mv)[0]["jobs"][0]["id"]
    before = await snapshot(client, emu)
    assert_error(await client.get(ITEM.format(id=mv["id"]), headers=OTHER), 404, "TaskNotFound")
    assert_error(await client.get(ITEM.format(id=job_id), headers=OTHER), 404, "TaskNotFound")
    assert_error(await client.post(EDIT.format(id=mv["id"]), json={"job_id": job_id, "prompt": "x"},
                                   headers=OTHER), 404, "TaskNotFound")
    assert_error(await client.post(COMPOSE.format(id=mv["id"]), json={"job_ids": [job_id]}, headers=OTHER),
                 404, "TaskNotFound")
    assert_error(await client.get(ITEM.format(id="123456789012345678"), headers=AUTH), 404, "TaskNotFound")
    assert await snapshot(client, emu) == before


async def test_mv_timers_resume_after_a_restart(tmp_path):
    settings = Settings(clock="manual", seed=7, state=str(tmp_path / "state.db"))

    async def session(fn):
        app = create_app(settings)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                return await fn(client)
        finally:
            await app.state.emu.aclose()

    async def first(client):
        mv_id = await create_id(client)
        await advance(client, 1)   # processing: shot timers are armed in this process only
        return mv_id

    mv_id = await session(first)

    async def second(client):
        await advance(client, DONE)
        return await get(client, mv_id)

    mv = await session(second)
    assert mv["state"] == "success" and mv["signed_url"]


async def test_mv_needs_a_token(client):
    assert_error(await client.post(PATH, json=mv_body()), 401, "Unauthorized")
    assert_error(await client.get(ITEM.format(id="1")), 401, "Unauthorized")


async def test_body_must_be_a_json_object(client):
    assert_error(await client.post(PATH, content=b"[1]", headers=AUTH), 400, "BadRequest")
    r = await client.post(PATH, content=base64.b64encode(b"garbage"), headers=AUTH)
    assert_error(r, 400, "BadRequest")


async def test_signed_urls_serve_real_mp4s_of_the_shot_and_the_whole_song(client, emu):
    import io

    import av

    mv_id = await create_id(client, audio_url=wav(10), resolution="540p", aspect_ratio="9:16")
    await advance(client, 60)
    mv = await get(client, mv_id)
    assert mv["state"] == "success"
    shot = shot_records(mv)[0]["jobs"][0]
    for url, seconds in ((mv["signed_url"], 10), (shot["signed_url"], shot["mv_generate_video_input"]["duration"])):
        r = await client.get(url.removeprefix("http://testserver"))
        assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
        with av.open(io.BytesIO(r.content)) as container:
            stream = container.streams.video[0]
            assert (stream.codec_context.width, stream.codec_context.height) == (540, 960)
            assert container.duration / 1_000_000 == pytest.approx(seconds, abs=0.07)
    pending = await create_id(client, audio_url=wav(10))
    assert (await client.get(emu.core.linker("")(f"/_emulator/files/mv/{pending}/{pending}.mp4"))).status_code == 404

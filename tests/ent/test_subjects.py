"""Subjects: POST/GET /ent/v2/subjects, PUT /ent/v2/subjects/{id} (wire notes §1.11)."""

import pytest

from tests.conftest import AUTH, KEY, assert_error
from tests.ent.support import assert_contract
from tests.support.media import data_uri, mp4, png

PATH, ITEM = "/ent/v2/subjects", "/ent/v2/subjects/{id}"
OTHER = {"Authorization": "Token vda_someone_else"}


async def create(client, headers=AUTH, **body):
    body = {"name": "hero", "images": [png()], **body}
    return await client.post(PATH, json=body, headers=headers)


async def state(client, emu, key=KEY):
    balance = (await client.get(f"/_emulator/accounts/{key}")).json()["credits"]
    return balance, sorted(s["id"] for s in emu.core.store.all("subjects"))


async def test_create_answers_the_subject_synchronously(client, emu):
    r = await create(client, name="Alice", voice_id="Tina", videos=[mp4(5)])
    body = assert_contract(r, "post", PATH)
    assert r.status_code == 200
    assert body["name"] == "Alice" and body["voice_id"] == "Tina" and len(body["id"]) == 18
    assert body["images"] == [png()] and body["videos"] == [mp4(5)]
    assert body["style"] == "" and body["description"] == "" and body["credits"] == 0
    stored = emu.core.store.get("subjects", body["id"])
    assert stored["api_key"] == KEY and stored["name"] == "Alice"
    assert set(stored) >= {"id", "api_key", "name", "images", "videos", "voice_id", "style", "description",
                           "created_at"}


async def test_creating_a_subject_costs_no_credits(client):
    before = (await client.get("/ent/v2/credits", headers=AUTH)).json()["remains"][0]["credit_remain"]
    assert (await create(client)).status_code == 200
    after = (await client.get("/ent/v2/credits", headers=AUTH)).json()["remains"][0]["credit_remain"]
    assert after == before


async def test_subject_name_is_required(client):
    assert_error(await client.post(PATH, json={"images": [png()]}, headers=AUTH), 400, "FieldLacking", "name")


async def test_subject_name_at_most_64_characters(client):
    assert (await create(client, name="n" * 64)).status_code == 200
    assert_error(await create(client, name="n" * 65), 400, "FieldInvalid", "name")


async def test_subject_needs_at_least_one_image(client):
    assert_error(await client.post(PATH, json={"name": "x"}, headers=AUTH), 400, "FieldLacking", "images")
    assert_error(await create(client, images=[]), 400, "FieldItemCountOutOfRange", "images")


async def test_subject_takes_at_most_3_images(client):
    assert (await create(client, images=[png()] * 3)).status_code == 200
    assert_error(await create(client, images=[png()] * 4), 400, "FieldItemCountOutOfRange", "images")


@pytest.mark.parametrize("image, reason", [
    (data_uri("image/gif", b"GIF89a" + b"\0" * 64), "ImageFormatInvalid"),
    ("https://example.com/face.gif", "ImageFormatInvalid"),
    ("data:image/png;base64,@@@not-base64@@@", "FieldInvalid"),
])
async def test_subject_images_are_checked_like_images(client, image, reason):
    assert_error(await create(client, images=[png(), image]), 400, reason, "images.1")


async def test_subject_image_aspect_within_1_to_4(client):
    assert (await create(client, images=[png(128, 512)])).status_code == 200
    assert_error(await create(client, images=[png(128, 520)]), 400, "PageSizeOutOfRange", "images.0")


async def test_subject_image_at_least_128_pixels(client):
    assert_error(await create(client, images=[png(127, 200)]), 400, "PageSizeOutOfRange", "images.0")


async def test_subject_takes_at_most_one_video(client):
    assert_error(await create(client, videos=[mp4(5), mp4(5)]), 400, "FieldItemCountOutOfRange", "videos")


async def test_subject_video_at_most_5_seconds_measured(client):
    assert (await create(client, videos=[mp4(5)])).status_code == 200
    assert_error(await create(client, videos=[mp4(6)]), 400, "FieldInvalid", "videos.0")


async def test_subject_video_must_be_a_readable_mp4_avi_or_mov(client):
    assert_error(await create(client, videos=[data_uri("video/mp4", b"not a video at all")]),
                 400, "FieldInvalid", "videos.0")
    assert_error(await create(client, videos=["https://example.com/clip.webm"]), 400, "FieldInvalid", "videos.0")


async def test_subject_video_frame_at_least_128_pixels(client):
    assert_error(await create(client, videos=[mp4(2, 96, 96)]), 400, "PageSizeOutOfRange", "videos.0")


async def test_subject_video_url_is_accepted_unmeasured(client):
    r = await create(client, videos=["https://example.com/clip.mp4"])
    assert r.status_code == 200 and r.json()["videos"] == ["https://example.com/clip.mp4"]


async def test_bad_subject_leaves_state_untouched(client, emu):
    assert (await create(client)).status_code == 200
    before = await state(client, emu)
    for bad in ({"images": [png()] * 4}, {"name": ""}, {"videos": [mp4(6)]}, {"images": [png(64, 64)]}):
        assert (await create(client, **bad)).status_code == 400
    assert await state(client, emu) == before


async def test_list_shows_own_subjects_newest_first(client):
    ids = [(await create(client, name=f"s{i}")).json()["id"] for i in range(3)]
    await create(client, headers=OTHER, name="not mine")
    r = await client.get(PATH, headers=AUTH)
    body = assert_contract(r, "get", PATH)
    assert [s["id"] for s in body["subjects"]] == ids[::-1]
    assert body["next_page_token"] == "" and body["count"] == 20
    assert set(body["subjects"][0]) == {"id", "name", "images", "videos", "voice_id", "style", "description"}


async def test_list_pages_with_next_page_token(client):
    ids = [(await create(client, name=f"s{i}")).json()["id"] for i in range(5)][::-1]
    seen, token, pages = [], None, 0
    while True:
        params = {"count": 2, **({"next_page_token": token} if token else {})}
        body = assert_contract(await client.get(PATH, params=params, headers=AUTH), "get", PATH)
        seen += [s["id"] for s in body["subjects"]]
        pages += 1
        token = body["next_page_token"]
        if not token:
            break
    assert seen == ids and pages == 3


async def test_list_count_defaults_to_20_and_is_at_most_100(client):
    for i in range(21):
        await create(client, name=f"s{i}")
    assert len((await client.get(PATH, headers=AUTH)).json()["subjects"]) == 20
    assert len((await client.get(PATH, params={"count": 100}, headers=AUTH)).json()["subjects"]) == 21
    assert_error(await client.get(PATH, params={"count": 101}, headers=AUTH), 400, "PageSizeOutOfRange", "count")
    assert_error(await client.get(PATH, params={"count": 0}, headers=AUTH), 400, "PageSizeOutOfRange", "count")
    assert_error(await client.get(PATH, params={"count": "x"}, headers=AUTH), 400, "FieldInvalid", "count")


async def test_list_filters_by_subject_ids(client):
    a, b, c = [(await create(client, name=n)).json()["id"] for n in "abc"]
    other = (await create(client, headers=OTHER)).json()["id"]
    body = (await client.get(PATH, params={"subject_ids": f"{a},{c},{other}"}, headers=AUTH)).json()
    assert sorted(s["id"] for s in body["subjects"]) == sorted([a, c])
    repeated = (await client.get(f"{PATH}?subject_ids={b}&subject_ids={a}", headers=AUTH)).json()
    assert sorted(s["id"] for s in repeated["subjects"]) == sorted([a, b])


async def test_list_ownership_system_or_private(client):
    await create(client)
    assert (await client.get(PATH, params={"ownership": "system"}, headers=AUTH)).json()["subjects"] == []
    assert len((await client.get(PATH, params={"ownership": "private"}, headers=AUTH)).json()["subjects"]) == 1
    assert_error(await client.get(PATH, params={"ownership": "public"}, headers=AUTH), 400, "FieldInvalid",
                 "ownership")


async def test_list_refuses_a_made_up_page_token(client):
    assert_error(await client.get(PATH, params={"next_page_token": "bogus"}, headers=AUTH), 400, "FieldInvalid",
                 "next_page_token")


async def test_edit_changes_the_given_fields(client, emu):
    subject = (await create(client, voice_id="Tina")).json()
    r = await client.put(ITEM.format(id=subject["id"]), headers=AUTH,
                         json={"name": "renamed", "style": "anime", "description": "a tall hero"})
    body = assert_contract(r, "put", ITEM)
    assert body == {"id": subject["id"], "name": "renamed", "style": "anime", "description": "a tall hero",
                    "voice_id": "Tina"}
    assert emu.core.store.get("subjects", subject["id"])["images"] == subject["images"]
    listed = (await client.get(PATH, headers=AUTH)).json()["subjects"][0]
    assert listed["name"] == "renamed" and listed["style"] == "anime"


@pytest.mark.parametrize("field, limit", [("name", 64), ("style", 100), ("description", 2000)])
async def test_edit_text_limits(client, emu, field, limit):
    subject = (await create(client)).json()
    url = ITEM.format(id=subject["id"])
    assert (await client.put(url, json={field: "x" * limit}, headers=AUTH)).status_code == 200
    assert_error(await client.put(url, json={field: "y" * (limit + 1)}, headers=AUTH), 400, "FieldInvalid", field)
    assert emu.core.store.get("subjects", subject["id"])[field] == "x" * limit


async def test_edit_checks_images_and_videos(client, emu):
    subject = (await create(client)).json()
    url = ITEM.format(id=subject["id"])
    assert_error(await client.put(url, json={"images": [png()] * 4}, headers=AUTH), 400,
                 "FieldItemCountOutOfRange", "images")
    assert_error(await client.put(url, json={"videos": [mp4(6)]}, headers=AUTH), 400, "FieldInvalid", "videos.0")
    assert emu.core.store.get("subjects", subject["id"])["videos"] == []
    assert (await client.put(url, json={"videos": [mp4(5)]}, headers=AUTH)).status_code == 200


async def test_other_keys_subjects_are_not_found(client, emu):
    subject = (await create(client)).json()
    r = await client.put(ITEM.format(id=subject["id"]), json={"name": "stolen"}, headers=OTHER)
    assert_error(r, 404, "NotFound")
    assert emu.core.store.get("subjects", subject["id"])["name"] == "hero"
    assert (await client.get(PATH, headers=OTHER)).json()["subjects"] == []
    assert_error(await client.put(ITEM.format(id="123456789012345678"), json={}, headers=AUTH), 404, "NotFound")


async def test_subjects_need_a_token(client):
    assert_error(await client.get(PATH), 401, "Unauthorized")
    assert_error(await client.post(PATH, json={"name": "x", "images": [png()]}), 401, "Unauthorized")

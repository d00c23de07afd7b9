"""A sweep of bad inputs to the generation endpoints: each gets its vendor reason naming the field,
and none changes any state (balance, ledger, tasks, journal of successful creates)."""

import base64

import pytest

from tests.conftest import AUTH, KEY, assert_error
from tests.ent.support import create, state_of
from tests.support.media import image_uri, png

GOOD = {
    "reference2video": {"model": "viduq2", "images": [png()], "prompt": "two friends"},
    "img2video": {"model": "viduq1", "images": [png()], "prompt": "wave"},
    "text2video": {"model": "viduq1", "prompt": "a cat"},
    "start-end2video": {"model": "viduq1", "images": [png(), png()], "prompt": "fly"},
}
KINDS = list(GOOD)


def b64(mime: str, data: bytes) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


OVERSIZE_PNG = b64("image/png", b"\x89PNG\r\n\x1a\n" + bytes(10 * 1024 * 1024))
DROP = object()   # marks a field to remove

# (id, kind, changes to the good body, reason, field)
CASES = [
    ("model-not-a-string", "text2video", {"model": 5}, "FieldInvalid", "model"),
    ("model-missing", "img2video", {"model": DROP}, "FieldLacking", "model"),
    ("model-empty", "start-end2video", {"model": ""}, "FieldLacking", "model"),
    ("model-unknown", "reference2video", {"model": "sora"}, "FieldInvalid", "model"),
    ("prompt-missing-t2v", "text2video", {"prompt": DROP}, "FieldLacking", "prompt"),
    ("prompt-missing-ref", "reference2video", {"prompt": DROP}, "FieldLacking", "prompt"),
    ("prompt-not-a-string", "img2video", {"prompt": ["a"]}, "FieldInvalid", "prompt"),
    ("prompt-too-long", "text2video", {"prompt": "a" * 5001}, "FieldInvalid", "prompt"),
    ("images-missing", "img2video", {"images": DROP}, "FieldLacking", "images"),
    ("images-a-string", "img2video", {"images": png()}, "FieldInvalid", "images"),
    ("images-item-not-a-string", "start-end2video", {"images": [png(), 7]}, "FieldInvalid", "images.1"),
    ("images-item-empty", "reference2video", {"images": [""]}, "FieldLacking", "images.0"),
    ("images-on-text2video", "text2video", {"images": [png()]}, "FieldUnwanted", "images"),
    ("duration-a-string", "text2video", {"duration": "5"}, "FieldInvalid", "duration"),
    ("duration-fractional", "img2video", {"duration": 5.5}, "FieldInvalid", "duration"),
    ("duration-negative", "reference2video", {"duration": -1}, "FieldInvalid", "duration"),
    ("duration-out-of-range", "reference2video", {"duration": 99}, "FieldInvalid", "duration"),
    ("seed-a-string", "text2video", {"seed": "0"}, "FieldInvalid", "seed"),
    ("seed-negative", "img2video", {"seed": -5}, "FieldInvalid", "seed"),
    ("bgm-a-string", "text2video", {"bgm": "true"}, "FieldInvalid", "bgm"),
    ("audio-a-number", "reference2video", {"audio": 1}, "FieldInvalid", "audio"),
    ("off-peak-a-string", "img2video", {"off_peak": "yes"}, "FieldInvalid", "off_peak"),
    ("payload-not-a-string", "text2video", {"payload": {"a": 1}}, "FieldInvalid", "payload"),
    ("resolution-enum-miss", "img2video", {"resolution": "4K"}, "FieldInvalid", "resolution"),
    ("movement-enum-miss", "start-end2video", {"movement_amplitude": "max"}, "FieldInvalid", "movement_amplitude"),
    ("style-enum-miss", "text2video", {"style": "noir"}, "FieldInvalid", "style"),
    ("audio-type-enum-miss", "reference2video", {"audio": True, "audio_type": "music"}, "FieldInvalid",
     "audio_type"),
    ("aspect-ratio-not-a-ratio", "text2video", {"aspect_ratio": "wide"}, "FieldInvalid", "aspect_ratio"),
    ("callback-url-not-http", "text2video", {"callback_url": "file:///etc/passwd"}, "FieldInvalid", "callback_url"),
    ("subjects-not-a-list", "reference2video", {"images": DROP, "subjects": {"name": "1"}}, "FieldInvalid",
     "subjects"),
    ("subjects-empty", "reference2video", {"images": DROP, "subjects": []}, "FieldItemCountOutOfRange", "subjects"),
    ("broken-base64", "img2video", {"images": ["data:image/png;base64,@@not base64@@"]}, "FieldInvalid",
     "images.0"),
    ("not-a-data-uri-or-url", "img2video", {"images": ["C:/pictures/cat.png"]}, "FieldInvalid", "images.0"),
    ("non-image-bytes", "img2video", {"images": [b64("image/png", b"hello, not an image")]}, "ImageFormatInvalid",
     "images.0"),
    ("gif", "reference2video", {"images": [image_uri("GIF", mime="image/gif")]}, "ImageFormatInvalid", "images.0"),
    ("gif-declared-png", "img2video", {"images": [image_uri("GIF", mime="image/png")]}, "ImageFormatInvalid",
     "images.0"),
    ("gif-url", "start-end2video", {"images": [png(), "https://example.com/b.gif"]}, "ImageFormatInvalid",
     "images.1"),
    ("text-mime", "img2video", {"images": [b64("text/plain", b"hi")]}, "ImageFormatInvalid", "images.0"),
    ("tiny-image", "img2video", {"images": [png(64, 64)]}, "PageSizeOutOfRange", "images.0"),
    ("image-1-to-5", "reference2video", {"images": [png(128, 640)]}, "PageSizeOutOfRange", "images.0"),
    ("image-5-to-1", "start-end2video", {"images": [png(), png(640, 128)]}, "PageSizeOutOfRange", "images.1"),
    ("oversize-decoded-image", "reference2video", {"images": [OVERSIZE_PNG]}, "PageSizeOutOfRange", "images.0"),
    ("subject-gif", "reference2video", {"images": DROP, "subjects": [{"name": "1", "images": [
        image_uri("GIF", mime="image/gif")]}]}, "ImageFormatInvalid", "subjects.0.images.0"),
]


def changed(kind: str, changes: dict) -> dict:
    body = dict(GOOD[kind])
    for name, value in changes.items():
        if value is DROP:
            body.pop(name, None)
        else:
            body[name] = value
    return body


@pytest.fixture
async def account(client):
    await client.get("/ent/v2/credits", headers=AUTH)   # the account exists before the snapshot


@pytest.mark.parametrize("kind,changes,reason,field", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_bad_input_is_refused_and_changes_nothing(client, emu, account, kind, changes, reason, field):
    before = await state_of(client, emu)
    assert_error(await create(client, kind, changed(kind, changes)), 400, reason, field)
    assert await state_of(client, emu) == before


RAW = [  # (id, raw body)
    ("json-array", b"[]"),
    ("json-string", b'"text2video"'),
    ("json-number", b"5"),
    ("json-null", b"null"),
    ("not-json", b"{model: viduq1"),
    ("empty-body", b""),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("raw", [r[1] for r in RAW], ids=[r[0] for r in RAW])
async def test_body_that_is_not_a_json_object_is_a_bad_request(client, emu, account, kind, raw):
    before = await state_of(client, emu)
    response = await client.post(f"/ent/v2/{kind}", content=raw,
                                 headers={**AUTH, "Content-Type": "application/json"})
    assert_error(response, 400, "BadRequest")
    assert await state_of(client, emu) == before


@pytest.mark.parametrize("kind", KINDS)
async def test_good_bodies_are_accepted(client, kind):
    # the sweep's baseline: without the change each body creates a task
    assert (await create(client, kind, GOOD[kind])).status_code == 200


async def test_another_keys_task_is_not_found_and_untouched(client, emu, account):
    other = {"Authorization": "Token vda_other_key"}
    task = (await client.post("/ent/v2/text2video", json=GOOD["text2video"], headers=other)).json()
    before = await state_of(client, emu), await state_of(client, emu, "vda_other_key")
    assert_error(await client.get(f"/ent/v2/tasks/{task['task_id']}/creations", headers=AUTH), 404, "TaskNotFound")
    assert_error(await client.post(f"/ent/v2/tasks/{task['task_id']}/cancel", json={}, headers=AUTH),
                 404, "TaskNotFound")
    assert (await state_of(client, emu), await state_of(client, emu, "vda_other_key")) == before
    assert emu.core.store.get("tasks", task["task_id"])["state"] == "created"


@pytest.mark.parametrize("kind", KINDS)
async def test_credits_are_charged_on_create(client, kind):
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 500})
    task = (await create(client, kind, GOOD[kind])).json()
    account = (await client.get(f"/_emulator/accounts/{KEY}")).json()
    assert task["credits"] > 0 and account["credits"] == 500 - task["credits"]
    assert account["ledger"][-1]["delta"] == -task["credits"] and account["ledger"][-1]["ref"] == task["task_id"]


@pytest.mark.parametrize("kind", KINDS)
async def test_credit_insufficient_creates_nothing(client, emu, kind):
    price = (await create(client, kind, GOOD[kind])).json()["credits"]
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": price - 1})
    before = await state_of(client, emu)
    assert_error(await create(client, kind, GOOD[kind]), 400, "CreditInsufficient")
    assert await state_of(client, emu) == before
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": price})
    assert (await create(client, kind, GOOD[kind])).status_code == 200
    assert (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"] == 0


def test_the_sweep_covers_every_endpoint():
    assert {c[1] for c in CASES} == set(KINDS)
    assert len({c[0] for c in CASES}) == len(CASES)


async def test_empty_callback_url_means_none(client, emu):
    task = (await create(client, "text2video", {**GOOD["text2video"], "callback_url": ""})).json()
    assert emu.core.store.get("tasks", task["task_id"])["callback_url"] is None

"""Image uploads (vendor-docs/more/file-uploads.txt): the three-step flow, the older forms public clients use,
the put URL's signature, expiry and size bound, key ownership, and ``ssupload:?id=`` accepted wherever an image
is, checked like any image. Judgements in docs/decisions.md ("Uploads")."""

import hashlib
import io

import httpx
import pytest
from PIL import Image

from tests.conftest import AUTH, KEY, advance, assert_error
from tests.ent.support import finish, op_create, op_created, output_media, state_of
from tests.support.media import image_bytes
from viduemu.app import create_app
from viduemu.config import Settings

pytestmark = pytest.mark.usefixtures("plenty_of_credits")
UPLOADS = "/tools/v2/files/uploads"
OTHER = {"Authorization": "Token vda_someone_else"}
MB = 1024 * 1024
PUT_URL_SECONDS = 3600          # docs/decisions.md: the put URL lives an hour
KEEP_SECONDS = 7 * 24 * 3600    # the page's 'rule-id="delete-for-7-days"'


async def begin(client, headers=AUTH) -> dict:
    r = await client.post(UPLOADS, json={"scene": "vidu"}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def put(client, upload: dict, data: bytes, content_type="image/png") -> httpx.Response:
    return await client.put(upload["put_url"], content=data, headers={"Content-Type": content_type})


async def upload(client, data: bytes | None = None, headers=AUTH) -> str:
    """The three documented steps; the ``ssupload:`` URI."""
    data = data or image_bytes("PNG", 640, 360)
    made = await begin(client, headers)
    r = await put(client, made, data)
    assert r.status_code == 200 and r.content == b"", r.text
    r = await client.put(f"{UPLOADS}/{made['id']}/finish", json={"etag": r.headers["etag"]}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["uri"]


# -- the flow -------------------------------------------------------------------------------------------------
async def test_step_1_answers_id_put_url_and_expires_at(client):
    made = await begin(client)
    assert set(made) == {"id", "put_url", "expires_at"} and made["expires_at"].endswith("Z")


async def test_step_2_put_answers_the_etag_of_the_bytes_quoted(client):
    data = image_bytes("PNG", 300, 300)
    r = await put(client, await begin(client), data)
    assert r.status_code == 200 and r.headers["etag"] == f'"{hashlib.md5(data).hexdigest()}"'


async def test_step_3_finish_answers_the_ssupload_uri(client):
    made = await begin(client)
    etag = (await put(client, made, image_bytes("PNG"))).headers["etag"]
    r = await client.put(f"{UPLOADS}/{made['id']}/finish", json={"etag": etag}, headers=AUTH)
    assert r.json() == {"uri": f"ssupload:?id={made['id']}"}


async def test_older_forms_post_finish_and_finish_with_the_id_in_the_body(client):
    for path, extra in ((f"{UPLOADS}/{{id}}/finish", {}), (f"{UPLOADS}/finish", None)):
        made = await begin(client)
        etag = (await put(client, made, image_bytes("PNG"))).headers["etag"].strip('"')   # unquoted too
        body = {"etag": etag, **({"id": made["id"]} if extra is None else {})}
        r = await client.post(path.format(id=made["id"]), json=body, headers=AUTH)
        assert r.status_code == 200 and r.json()["uri"] == f"ssupload:?id={made['id']}", r.text


async def test_scene_vidu_is_the_only_documented_value(client):
    assert_error(await client.post(UPLOADS, json={"scene": "other"}, headers=AUTH), 400, "FieldInvalid", "scene")
    assert (await client.post(UPLOADS, json={}, headers=AUTH)).status_code == 200   # no table makes it required


async def test_finishing_again_answers_the_same_uri(client):
    made = await begin(client)
    etag = (await put(client, made, image_bytes("PNG"))).headers["etag"]
    first = await client.put(f"{UPLOADS}/{made['id']}/finish", json={"etag": etag}, headers=AUTH)
    again = await client.put(f"{UPLOADS}/{made['id']}/finish", json={"etag": etag}, headers=AUTH)
    assert first.json() == again.json()


async def test_the_s1_form_without_an_id_is_refused(client):
    assert_error(await client.post(f"{UPLOADS}/finish", json={"etag": "x"}, headers=AUTH), 400, "FieldLacking", "id")


async def test_uploads_need_a_token(client):
    assert_error(await client.post(UPLOADS, json={"scene": "vidu"}), 401, "Unauthorized")


async def test_a_wrong_etag_is_refused(client):
    made = await begin(client)
    await put(client, made, image_bytes("PNG"))
    r = await client.put(f"{UPLOADS}/{made['id']}/finish", json={"etag": "0" * 32}, headers=AUTH)
    assert_error(r, 400, "FieldInvalid", "etag")


async def test_finishing_before_the_put_is_refused(client):
    made = await begin(client)
    r = await client.put(f"{UPLOADS}/{made['id']}/finish", json={"etag": "0" * 32}, headers=AUTH)
    assert_error(r, 400, "FieldInvalid", "etag")


# -- the page's image rules: png/webp/jpeg/jpg, under 10 MB, ratio within 1:4..4:1 ------------------------------
@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "JPEG"])
async def test_the_documented_formats_are_accepted(client, fmt):
    assert (await upload(client, image_bytes(fmt, 400, 300))).startswith("ssupload:?id=")


async def test_another_format_is_refused_at_finish(client):
    made = await begin(client)
    etag = (await put(client, made, image_bytes("GIF", 300, 300))).headers["etag"]
    r = await client.put(f"{UPLOADS}/{made['id']}/finish", json={"etag": etag}, headers=AUTH)
    assert_error(r, 400, "ImageFormatInvalid", "etag")


async def test_a_ratio_beyond_1_4_is_refused_at_finish(client):
    made = await begin(client)
    etag = (await put(client, made, image_bytes("PNG", 1000, 200))).headers["etag"]
    r = await client.put(f"{UPLOADS}/{made['id']}/finish", json={"etag": etag}, headers=AUTH)
    assert_error(r, 400, "PageSizeOutOfRange", "etag")


async def test_a_put_of_10_mb_or_more_is_refused_413(client):
    r = await put(client, await begin(client), b"\x89PNG" + bytes(10 * MB))
    assert_error(r, 413, "BadRequest")


# -- the put URL: unguessable, expiring ----------------------------------------------------------------------------
async def test_a_forged_put_url_is_refused(client):
    made = await begin(client)
    url = made["put_url"]
    last = url[-1]
    forged = url[:-1] + ("0" if last != "0" else "1")
    assert_error(await client.put(forged, content=image_bytes("PNG")), 403, "Forbidden")
    other = await begin(client)   # another upload's signature does not open this one
    assert_error(await client.put(url.replace(made["id"], other["id"]), content=image_bytes("PNG")), 403, "Forbidden")


async def test_an_expired_put_url_is_refused(client):
    made = await begin(client)
    await advance(client, PUT_URL_SECONDS)
    assert_error(await put(client, made, image_bytes("PNG")), 403, "Forbidden")


async def test_a_finished_upload_cannot_be_put_again(client):
    made = await begin(client)
    etag = (await put(client, made, image_bytes("PNG"))).headers["etag"]
    await client.put(f"{UPLOADS}/{made['id']}/finish", json={"etag": etag}, headers=AUTH)
    assert_error(await put(client, made, image_bytes("PNG", 500, 500)), 403, "Forbidden")


# -- ownership ------------------------------------------------------------------------------------------------------
async def test_another_key_cannot_finish_an_upload(client):
    made = await begin(client)
    etag = (await put(client, made, image_bytes("PNG"))).headers["etag"]
    r = await client.put(f"{UPLOADS}/{made['id']}/finish", json={"etag": etag}, headers=OTHER)
    assert_error(r, 404, "NotFound")


async def test_another_keys_upload_is_refused_as_an_image_and_changes_nothing(client, emu):
    uri = await upload(client, headers=OTHER)
    before = await state_of(client, emu)
    r = await op_create(client, "img2video", {"model": "viduq1", "images": [uri]})
    assert_error(r, 400, "FieldInvalid", "images.0")
    assert await state_of(client, emu) == before


async def test_an_unknown_or_unfinished_upload_is_refused(client):
    made = await begin(client)
    await put(client, made, image_bytes("PNG"))
    for uri in ("ssupload:?id=123456789012345678", f"ssupload:?id={made['id']}", "ssupload:"):
        r = await op_create(client, "img2video", {"model": "viduq1", "images": [uri]})
        assert_error(r, 400, "FieldInvalid", "images.0")


async def test_an_upload_is_refused_after_7_days(client):
    uri = await upload(client)
    await advance(client, KEEP_SECONDS)
    assert_error(await op_create(client, "img2video", {"model": "viduq1", "images": [uri]}), 400, "FieldInvalid",
                 "images.0")


# -- used as an image --------------------------------------------------------------------------------------------
async def test_an_upload_is_the_image_of_img2video(client):
    uri = await upload(client, image_bytes("PNG", 640, 360))
    task = await op_created(client, "img2video", {"model": "viduq1", "images": [uri]})
    assert task["images"] == [uri]
    media = await output_media(client, await finish(client, task["task_id"]))
    assert media["size"][0] > media["size"][1]    # the 16:9 of the uploaded picture drives the ratio


async def test_an_upload_is_an_image_of_reference2video(client):
    uri = await upload(client)
    task = await op_created(client, "reference2video", {"model": "viduq2", "images": [uri], "prompt": "a walk"})
    assert (await finish(client, task["task_id"]))["state"] == "success"


async def test_an_upload_is_checked_like_any_image_of_the_operation(client):
    # a 100x100 picture passes the upload's own rules (format, ratio) but not the operations' 128 px minimum
    uri = await upload(client, image_bytes("PNG", 100, 100))
    assert_error(await op_create(client, "img2video", {"model": "viduq1", "images": [uri]}), 400,
                 "PageSizeOutOfRange", "images.0")


async def test_an_upload_is_an_image_of_reference2image(client):
    uri = await upload(client)
    task = await op_created(client, "reference2image", {"model": "viduq2", "images": [uri], "prompt": "a cat"})
    assert task["images"] == [uri]
    other = await client.post("/ent/v2/reference2image", json={"model": "viduq2", "images": [uri], "prompt": "a cat"},
                              headers={"Authorization": "Token vda_someone_else"})
    assert_error(other, 400, "FieldInvalid", "images.0")   # another key's upload


async def test_an_upload_is_the_s1_avatars_image(client):
    uri = await upload(client, image_bytes("PNG", 512, 512))
    r = await client.post("/live/v1/lives", json={"call_mode": "audio", "avatar": {"persona": "A guide.",
                                                                                   "image_uri": uri}}, headers=AUTH)
    assert r.status_code == 200, r.text
    r = await client.post("/live/v1/lives", json={"call_mode": "audio", "avatar": {"persona": "A guide.",
                                                                                   "image_uri": uri}}, headers=OTHER)
    assert_error(r, 400, "FieldInvalid", "avatar.image_uri")


async def test_uploads_survive_a_state_restart(tmp_path):
    settings = Settings(clock="manual", seed=7, state=str(tmp_path / "state.db"))

    async def session(fn):
        app = create_app(settings)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 10**6})
                return await fn(client)
        finally:
            await app.state.emu.aclose()

    uri = await session(upload)

    async def use(client):
        return await client.post("/ent/v2/img2video", json={"model": "viduq1", "images": [uri]}, headers=AUTH)

    r = await session(use)
    assert r.status_code == 200, r.text


def test_fixture_images_have_the_sizes_asked():
    with Image.open(io.BytesIO(image_bytes("PNG", 640, 360))) as img:
        assert img.size == (640, 360)


async def test_an_http_fault_rule_reaches_the_put_url(client):
    """A client's retry of a failed PUT can be tested: the put URL is an operation of the fault rules."""
    rule = {"match": {"operation": "PUT /tools/v2/files/uploads/{id}/object"},
            "action": {"status": 503, "reason": "ServiceUnavailable"}, "times": 1}
    assert (await client.post("/_emulator/faults", json=rule)).status_code == 200, "fault rule refused"
    made = await begin(client)
    assert (await put(client, made, image_bytes("PNG"))).status_code == 503
    assert (await put(client, made, image_bytes("PNG"))).status_code == 200


async def test_a_bomb_header_is_refused_at_finish_naming_the_field_never_500(client):
    from tests.vidu.test_image_bombs import png_claiming

    made = await begin(client)
    etag = (await put(client, made, png_claiming(100_000, 100_000))).headers["etag"]
    r = await client.put(f"{UPLOADS}/{made['id']}/finish", json={"etag": etag}, headers=AUTH)
    assert_error(r, 400, "FieldInvalid", "etag")


async def test_an_upload_is_an_image_of_the_aggregator_dialect_for_the_same_key(client):
    uri = await upload(client)
    bearer = {"Authorization": f"Bearer {KEY}"}   # one account per key string, whatever the scheme
    body = {"model": "vidu20_img2video", "images": [uri], "prompt": "The astronaut waved."}
    r = await client.post("/model/v1/generation", json=body, headers=bearer)
    assert r.status_code == 200, r.text
    r = await client.post("/model/v1/generation", json=body, headers={"Authorization": "Bearer vda_someone_else"})
    assert r.status_code == 400 and "images" in r.text, r.text

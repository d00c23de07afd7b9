"""POST /ent/v2/reference2image: one test per documented rule (vendor-docs/more/reference2image.txt; prices
from more/pricing.txt "Image"; judgements in docs/decisions.md "Images and audio")."""

import io

import pytest
from PIL import Image

from tests.conftest import KEY, assert_error
from tests.ent.support import URL_IMAGE, finish, op_create, op_created, state_of
from tests.support.media import png

pytestmark = pytest.mark.usefixtures("plenty_of_credits")


def body(model="viduq2", images=(), **extra):
    return {"model": model, "prompt": "a red fox in fresh snow", "images": list(images), **extra}


async def image_of(client, task: dict) -> Image.Image:
    creations = await finish(client, task["task_id"])
    assert creations["state"] == "success", creations
    creation = creations["creations"][0]
    response = await client.get(creation["url"])
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


async def test_viduq2_with_no_image_is_text_to_image(client):
    task = await op_created(client, "reference2image", body())
    assert task["type"] == "reference2image" and task["images"] == [] and task["state"] == "created"


async def test_viduq2_takes_0_to_7_images(client):
    await op_created(client, "reference2image", body(images=[URL_IMAGE] * 7))
    assert_error(await op_create(client, "reference2image", body(images=[URL_IMAGE] * 8)), 400,
                 "FieldItemCountOutOfRange", "images")


async def test_viduq1_takes_1_to_7_images(client, emu):
    await op_created(client, "reference2image", body("viduq1", [URL_IMAGE]))
    before = await state_of(client, emu)
    assert_error(await op_create(client, "reference2image", body("viduq1")), 400, "FieldItemCountOutOfRange", "images")
    assert_error(await op_create(client, "reference2image", body("viduq1", [URL_IMAGE] * 8)), 400,
                 "FieldItemCountOutOfRange", "images")
    assert await state_of(client, emu) == before


async def test_model_accepted_values_viduq2_viduq1(client):
    assert_error(await op_create(client, "reference2image", body("viduq3")), 400, "FieldInvalid", "model")


async def test_prompt_is_required_at_most_2000_characters(client):
    await op_created(client, "reference2image", body(prompt="a" * 2000))
    assert_error(await op_create(client, "reference2image", body(prompt="a" * 2001)), 400, "FieldInvalid", "prompt")
    assert_error(await op_create(client, "reference2image", {"model": "viduq2"}), 400, "FieldLacking", "prompt")


async def test_aspect_ratio_default_16_9_viduq2_adds_21_9_2_3_3_2(client):
    assert (await op_created(client, "reference2image", body()))["aspect_ratio"] == "16:9"
    for ratio in ("16:9", "9:16", "1:1", "3:4", "4:3", "21:9", "2:3", "3:2", "auto"):
        await op_created(client, "reference2image", body(aspect_ratio=ratio))
    for ratio in ("21:9", "2:3", "3:2"):
        assert_error(await op_create(client, "reference2image", body("viduq1", [URL_IMAGE], aspect_ratio=ratio)),
                     400, "FieldInvalid", "aspect_ratio")


async def test_resolution_default_1080p_viduq2_2k_4k_viduq1_only_1080p(client):
    assert (await op_created(client, "reference2image", body()))["resolution"] == "1080p"
    for resolution in ("2K", "4K"):
        await op_created(client, "reference2image", body(resolution=resolution))
        assert_error(await op_create(client, "reference2image", body("viduq1", [URL_IMAGE], resolution=resolution)),
                     400, "FieldInvalid", "resolution")


async def test_images_are_checked_at_least_128_by_128(client):
    assert_error(await op_create(client, "reference2image", body(images=[png(100, 100)])), 400,
                 "PageSizeOutOfRange", "images.0")


@pytest.mark.parametrize(("model", "images", "resolution", "credits"), [
    ("viduq2", 0, "1080p", 6), ("viduq2", 0, "2K", 8), ("viduq2", 0, "4K", 10),
    ("viduq2", 1, "1080p", 8), ("viduq2", 3, "2K", 12), ("viduq2", 3, "4K", 20),
    ("viduq2", 4, "1080p", 10), ("viduq2", 7, "2K", 16), ("viduq2", 7, "4K", 30),
    ("viduq1", 1, "1080p", 20), ("viduq1", 7, "1080p", 20),
])
async def test_price_per_image_by_model_references_and_resolution(client, model, images, resolution, credits):
    before = (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"]
    task = await op_created(client, "reference2image", body(model, [URL_IMAGE] * images, resolution=resolution))
    assert task["credits"] == credits
    assert (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"] == before - credits


@pytest.mark.parametrize(("resolution", "ratio", "size"), [
    ("1080p", "16:9", (1920, 1080)), ("2K", "3:2", (2160, 1440)), ("4K", "21:9", (5040, 2160)),
    ("1080p", "2:3", (1080, 1620)),
])
async def test_output_is_a_png_of_the_resolution_short_side_and_ratio(client, resolution, ratio, size):
    task = await op_created(client, "reference2image", body(resolution=resolution, aspect_ratio=ratio))
    image = await image_of(client, task)
    assert image.format == "PNG" and image.size == size


async def test_auto_ratio_follows_the_first_image_and_is_16_9_without_one(client):
    task = await op_created(client, "reference2image", body(images=[png(300, 600), png()], aspect_ratio="auto"))
    assert (await image_of(client, task)).size == (1080, 2160)
    task = await op_created(client, "reference2image", body(aspect_ratio="auto"))
    assert (await image_of(client, task)).size == (1920, 1080)


async def test_image_creation_is_its_own_cover(client):
    task = await op_created(client, "reference2image", body())
    creation = (await finish(client, task["task_id"]))["creations"][0]
    assert creation["url"].split("?")[0].endswith(".png") and creation["cover_url"] == creation["url"]
    assert (await client.get(creation["url"].replace(".png", ".mp4"))).status_code != 200


async def test_same_seed_same_image_bytes(client):
    files = []
    for _ in range(2):
        task = await op_created(client, "reference2image", body(seed=7))
        creation = (await finish(client, task["task_id"]))["creations"][0]
        files.append((await client.get(creation["url"])).content)
    assert files[0] == files[1]


async def test_cancel_refunds_and_list_filters_by_type(client):
    task = await op_created(client, "reference2image", body())
    before = (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"]
    from tests.conftest import AUTH
    response = await client.post(f"/ent/v2/tasks/{task['task_id']}/cancel", headers=AUTH, json={})
    assert response.status_code == 200, response.text
    assert (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"] == before + 6
    listed = (await client.get("/ent/v2/tasks", headers=AUTH, params={"type": "reference2image"})).json()
    assert [t["id"] for t in listed["tasks"]] == [task["task_id"]]

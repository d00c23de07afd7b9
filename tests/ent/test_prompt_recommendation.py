"""POST /ent/v2/img2video-prompt-recommendation (vendor-docs/more/img2video-prompt-recommendation.txt): synchronous,
one test per documented rule; its price per pricing.txt ("Prompt recommendation: 10 credits / 5 prompts").
Judgements in docs/decisions.md ("The prompt recommendation")."""

import httpx
import pytest

from tests.conftest import AUTH, KEY, assert_error
from tests.ent.support import PLENTY, URL_IMAGE, op_create, op_created, state_of
from tests.support.media import png
from viduemu.app import create_app
from viduemu.config import Settings
from viduemu.ent.rules import TEMPLATES

pytestmark = pytest.mark.usefixtures("plenty_of_credits")
NAME = "img2video-prompt-recommendation"


def body(**extra):
    return {"images": [png()], "type": ["img2video"], **extra}


async def balance(client) -> int:
    return (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"]


async def test_the_answer_is_synchronous_in_the_documented_shape(client):
    answer = await op_created(client, NAME, body(count=2))
    assert answer["id"] and answer["count"] == 2 and answer["images"] == [png()] and answer["created_at"]
    assert [p["type"] for p in answer["prompts"]] == ["img2video", "img2video"]


async def test_count_defaults_to_5(client):
    assert len((await op_created(client, NAME, body()))["prompts"]) == 5


@pytest.mark.parametrize("count", [1, 10])
async def test_count_range_1_to_10_is_accepted(client, count):
    assert len((await op_created(client, NAME, body(count=count)))["prompts"]) == count


@pytest.mark.parametrize("count", [0, 11])
async def test_count_outside_1_to_10_is_refused_and_changes_nothing(client, emu, count):
    before = await state_of(client, emu)
    assert_error(await op_create(client, NAME, body(count=count)), 400, "FieldInvalid", "count")
    assert await state_of(client, emu) == before


async def test_count_as_the_documents_curl_sends_it_a_string(client):
    assert len((await op_created(client, NAME, body(count="3")))["prompts"]) == 3


async def test_both_types_give_count_prompts_each(client):
    # "If type=["img2video", "template"] and count=5, you will receive 10 prompts (5 for each type)"
    answer = await op_created(client, NAME, body(type=["img2video", "template"], count=5))
    kinds = [p["type"] for p in answer["prompts"]]
    assert kinds.count("img2video") == 5 and kinds.count("template") == 5 and answer["count"] == 5


async def test_the_cn_pages_types_are_accepted(client):
    answer = await op_created(client, NAME, body(type=["start_end2video", "e_commerce"], count=1))
    assert [p["type"] for p in answer["prompts"]] == ["start_end2video", "e_commerce"]


async def test_an_unknown_type_is_refused(client):
    assert_error(await op_create(client, NAME, body(type=["text2video"])), 400, "FieldInvalid")


async def test_a_template_prompt_names_a_real_template_and_the_resolution(client):
    answer = await op_created(client, NAME, body(type=["template"], count=10, resolution="720p"))
    for prompt in answer["prompts"]:
        assert prompt["template"] in TEMPLATES and prompt["resolution"] == "720p" and prompt["prompt"]


async def test_resolution_defaults_to_360p(client):
    answer = await op_created(client, NAME, body(type=["template"], count=1))
    assert answer["prompts"][0]["resolution"] == "360p"


async def test_an_img2video_prompt_has_no_template_fields(client):
    prompt = (await op_created(client, NAME, body(count=1)))["prompts"][0]
    assert set(prompt) == {"type", "content"}


async def test_prompts_read_like_prompts(client):
    for prompt in (await op_created(client, NAME, body(count=10)))["prompts"]:
        words = prompt["content"].split()
        assert len(words) >= 8 and prompt["content"][0].isupper() and prompt["content"].endswith(".")


@pytest.mark.parametrize("images", [[], [png(), png()]])
async def test_exactly_one_image_is_supported(client, images):
    assert_error(await op_create(client, NAME, body(images=images)), 400, "FieldItemCountOutOfRange", "images")


async def test_the_image_is_checked_like_any_image(client):
    assert_error(await op_create(client, NAME, body(images=[png(100, 100)])), 400, "PageSizeOutOfRange", "images.0")


async def test_images_and_type_are_required(client):
    assert_error(await op_create(client, NAME, {"type": ["img2video"]}), 400, "FieldLacking", "images")
    assert_error(await op_create(client, NAME, {"images": [URL_IMAGE]}), 400, "FieldLacking", "type")


async def test_price_is_10_credits_per_5_prompts(client):
    for count, types, price in ((5, ["img2video"], 10), (1, ["img2video"], 10), (6, ["img2video"], 20),
                                (5, ["img2video", "template"], 20)):
        before = await balance(client)
        await op_created(client, NAME, body(type=types, count=count))
        assert before - await balance(client) == price


async def test_too_few_credits_is_refused(client):
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 5})
    assert_error(await op_create(client, NAME, body()), 400, "CreditInsufficient")
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": PLENTY})


async def test_the_same_seed_and_request_give_the_same_prompts():
    async def prompts(seed: int) -> list:
        app = create_app(Settings(clock="manual", seed=seed))
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 1000})
                r = await client.post(f"/ent/v2/{NAME}", json=body(type=["img2video", "template"]), headers=AUTH)
                assert r.status_code == 200, r.text
                return r.json()["prompts"]
        finally:
            await app.state.emu.aclose()

    first = await prompts(5)
    assert first == await prompts(5) and first != await prompts(6)


async def test_an_http_fault_rule_reaches_it_and_charges_nothing(client, emu):
    rule = {"match": {"operation": f"POST /ent/v2/{NAME}"}, "action": {"status": 429, "reason": "TooManyRequests"},
            "times": 1}
    assert (await client.post("/_emulator/faults", json=rule)).status_code == 200
    before = await state_of(client, emu)
    assert_error(await op_create(client, NAME, body()), 429, "TooManyRequests")
    after = await state_of(client, emu)
    assert after[:3] == before[:3]
    assert len((await op_created(client, NAME, body(count=1)))["prompts"]) == 1


async def test_the_charge_is_in_the_ledger_under_the_answers_id(client):
    answer = await op_created(client, NAME, body(count=1))
    ledger = (await client.get(f"/_emulator/accounts/{KEY}")).json()["ledger"]
    assert any(entry.get("ref") == answer["id"] and entry.get("delta") == -10 for entry in ledger), ledger[-3:]

"""``img2video-prompt-recommendation`` (img2video-prompt-recommendation.txt): SYNCHRONOUS, the prompts are
in the answer, which is charged as it is made (``pricing.recommend_credits``; no task, nothing to refund).

``count`` prompts per ``type`` asked ("If type=["img2video", "template"] and count=5, you will receive 10
prompts"). Each prompt is made by a small grammar whose choices and details come from Faker, seeded by
the emulator's ``--seed`` and the request: the same seed and request give the same prompts. A
``template`` prompt names a real template (``rules.TEMPLATES``) with the requested resolution.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from functools import cache
from typing import TYPE_CHECKING

from viduemu.core.errors import count_out_of_range, invalid
from viduemu.ent import pricing, rules
from viduemu.ent.checks import check_images
from viduemu.vidu.inputs import stored_form
from viduemu.vidu.tasks import iso

if TYPE_CHECKING:
    from faker import Faker

    from viduemu.ent.area import EntArea

SUBJECTS = ("the subject", "the person in the frame", "the figure", "the main character", "the animal",
            "the product")
ACTIONS = ("turns slowly toward the camera", "smiles and waves", "walks forward with confidence",
           "looks up as the wind lifts their hair", "leans closer, curious", "spins around once",
           "raises a hand to shade their eyes", "breaks into a laugh")
CAMERAS = ("The camera pushes in", "The camera orbits", "A slow dolly follows", "The shot pulls back",
           "A handheld camera tracks", "The camera tilts up")
LIGHTS = ("golden-hour", "soft morning", "neon", "candle", "overcast", "moonlit")
MOODS = ("dreamy", "cinematic", "playful", "calm", "dramatic", "nostalgic")
SHOTS = {
    "img2video": "{camera} as {subject} {action}, {light} light, a {mood} mood.",
    "start_end2video": "From the first frame to the last, {subject} {action} while the scene shifts to {place}; "
                       "{light} light, a smooth {mood} transition.",
    "e_commerce": "{camera} around the {color} product on a clean stage in {place}, {light} light, "
                  "a {mood} showcase of its details.",
}


@cache
def _faker() -> Faker:
    from faker import Faker  # imported on first use: loading its providers takes a moment

    return Faker("en_US")


def _seed(ent: EntArea, body: dict) -> int:
    """From ``--seed`` and the request (its stored form: a data URI counts by its type only); no --seed: drawn."""
    if ent.core.settings.seed is None:
        return ent.core.ids.generation_seed()
    text = json.dumps([ent.core.settings.seed, stored_form(body)], sort_keys=True, default=str)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:8], "big")


def _details(fake: Faker) -> dict[str, str]:
    pick = fake.random_element
    return {"subject": pick(SUBJECTS), "action": pick(ACTIONS), "camera": pick(CAMERAS), "light": pick(LIGHTS),
            "mood": pick(MOODS), "place": f"a street in {fake.city()}", "color": fake.safe_color_name()}


def _prompt(fake: Faker, kind: str, resolution: str) -> dict:
    details = _details(fake)
    if kind == "template":
        name = fake.random_element(sorted(rules.TEMPLATES))
        title = name.replace("_", " ").capitalize()
        return {"type": kind, "content": f"{title}: {details['subject']} {details['action']}",
                "prompt": f"Video content\n{details['subject'].capitalize()} {details['action']}, in the "
                          f"{title.lower()} effect.\n# Requirements\n1. Keep the subject recognisable.\n"
                          f"2. {details['light'].capitalize()} light, a {details['mood']} mood.",
                "template": name, "resolution": resolution}
    sentence = SHOTS[kind].format(**details)
    return {"type": kind, "content": sentence[0].upper() + sentence[1:]}


def _count(value) -> int:
    """``count``: an integer, or the string the document's own curl sends (``"5"``); 1-10."""
    count = rules.RECOMMEND_DEFAULT_COUNT if value is None else int(value)
    low, high = rules.RECOMMEND_COUNT
    if not low <= count <= high:
        raise invalid("count", f"must be {low}-{high}")
    return count


async def recommend(ent: EntArea, api_key: str, body: dict) -> dict:
    images = body["images"]
    low, high = rules.RECOMMEND_IMAGES
    if not low <= len(images) <= high:
        raise count_out_of_range("images", "exactly one image is supported")
    types = list(dict.fromkeys(body["type"]))   # a type given twice is one type
    count = _count(body.get("count"))
    resolution = body.get("resolution") or rules.RECOMMEND_DEFAULT_RESOLUTION
    await check_images(ent, images, rules.RECOMMEND_IMAGE_LIMIT)
    fake = await asyncio.to_thread(_faker)   # the first call loads Faker's providers: not on the loop
    fake.seed_instance(_seed(ent, body))   # no await between the seed and the last prompt
    prompts = [_prompt(fake, kind, resolution) for kind in types for _ in range(count)]
    answer_id = ent.core.ids.new_id()
    ent.accounts.charge(api_key, pricing.recommend_credits(len(prompts)), "img2video-prompt-recommendation",
                        answer_id)
    # the table says "task_id", the example "id": both are answered (docs/decisions.md)
    return {"id": answer_id, "task_id": answer_id, "images": images, "count": count, "prompts": prompts,
            "created_at": iso(ent.core.clock.now())}

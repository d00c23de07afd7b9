"""Template effects: ``template2video`` (and its newer path ``template``) and ``template-story``.

The rows are ``rules.TEMPLATES`` and ``rules.STORIES``; their prices ``pricing.TEMPLATE_CREDITS``.
"""

from __future__ import annotations

from math import gcd
from typing import TYPE_CHECKING

from viduemu.core.errors import count_out_of_range, invalid
from viduemu.ent import pricing, rules
from viduemu.ent.checks import Order, callback_of, check_images, seed_of
from viduemu.ent.outputs import plan, task_sound
from viduemu.vidu.media import resolution_size

if TYPE_CHECKING:
    from viduemu.ent.area import EntArea


async def accept_template(ent: EntArea, api_key: str, body: dict) -> Order:
    name = body["template"]
    rule = rules.TEMPLATES.get(name)
    if rule is None:
        raise invalid("template", f"unknown template: {name}")
    prompt = body.get("prompt") or ""
    if len(prompt) > rules.TEMPLATE_MAX_PROMPT:
        raise invalid("prompt", f"at most {rules.TEMPLATE_MAX_PROMPT} characters")
    aspect_ratio = body.get("aspect_ratio") or rules.DEFAULT_ASPECT_RATIO   # the MCP server sends ""
    if aspect_ratio not in rule.aspect_ratios:
        raise invalid("aspect_ratio", f"{name} supports {', '.join(rule.aspect_ratios)}")
    extras = {}
    for extra, allowed in rule.extras.items():   # a template's own fields; others' are ignored ("only for ...")
        value = body.get(extra) or rules.TEMPLATE_EXTRA_DEFAULT
        if value not in allowed:
            raise invalid(extra, f"{name} accepts {', '.join(allowed)}")
        extras[extra] = value
    callback_url = callback_of(body)
    low, high = rule.images
    if not low <= len(body["images"]) <= high:
        raise count_out_of_range("images", f"{name} takes {low}-{high} images" if low != high
                                 else f"{name} takes {low} image{'s' if low > 1 else ''}")
    await check_images(ent, body["images"], rules.TEMPLATE_IMAGE_LIMIT)
    seed = seed_of(ent, body)
    fields = {"template": name, "prompt": prompt, "images": body["images"], "seed": seed,
              "aspect_ratio": aspect_ratio, "bgm": bool(body.get("bgm", False)), **extras,
              "payload": body.get("payload", "")}
    width, height = resolution_size(rules.TEMPLATE_RESOLUTION, aspect_ratio)
    output = plan(width, height, rule.duration, prompt or f"template: {name}", seed, sound=task_sound(fields))
    return Order("template2video", fields, pricing.TEMPLATE_CREDITS[rule.tier], callback_url, plan=output)


async def accept_story(ent: EntArea, api_key: str, body: dict) -> Order:
    story = body["story"]
    if story not in rules.STORIES:
        raise invalid("story", f"accepted values: {', '.join(rules.STORIES)}")
    callback_url = callback_of(body)
    low, high = rules.STORY_IMAGES
    if not low <= len(body["images"]) <= high:
        raise count_out_of_range("images", "template-story takes one image (the start frame)")
    sizes = await check_images(ent, body["images"], rules.TEMPLATE_IMAGE_LIMIT)
    first = sizes[0]
    if story in rules.STORY_FREE_RATIO:
        ratio = _ratio_of(first) if first else rules.STORY_RATIO
    else:
        ratio = rules.STORY_RATIO
        if first and not _near(first, rules.STORY_RATIO, rules.STORY_RATIO_TOLERANCE):
            raise invalid("images.0", f"{story} needs a 9:16 image ({first[0]}x{first[1]} given)")
    seed = seed_of(ent, body)
    fields = {"story": story, "images": body["images"], "seed": seed, "payload": body.get("payload", "")}
    width, height = resolution_size(rules.TEMPLATE_RESOLUTION, ratio)
    output = plan(width, height, rules.STORY_DURATION, f"story: {story}", seed)
    return Order("template-story", fields, pricing.STORY_CREDITS, callback_url, plan=output)


def _near(size: tuple[int, int], ratio: str, tolerance: float) -> bool:
    w, _, h = ratio.partition(":")
    want = int(w) / int(h)
    return abs(size[0] / size[1] - want) <= tolerance * want


def _ratio_of(size: tuple[int, int]) -> str:
    divisor = gcd(*size)
    return f"{size[0] // divisor}:{size[1] // divisor}"

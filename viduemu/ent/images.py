"""Images: ``reference2image`` (0 images: text-to-image on viduq2). The rows are ``rules.IMAGE_MODELS``; the
prices ``pricing.IMAGE_CREDITS``. The output is a PNG still (``outputs.KINDS["image"]``) of exactly the
requested resolution ("<N>p" / 2K / 4K name the short side, as for videos) and aspect ratio."""

from __future__ import annotations

from typing import TYPE_CHECKING

from viduemu.core.errors import count_out_of_range, invalid
from viduemu.ent import pricing, rules
from viduemu.ent.checks import Order, callback_of, check_images, seed_of, unsupported_model
from viduemu.ent.outputs import plan
from viduemu.vidu.media import resolution_size

if TYPE_CHECKING:
    from viduemu.ent.area import EntArea


async def accept_reference2image(ent: EntArea, api_key: str, body: dict) -> Order:
    model = body["model"]
    rule = rules.IMAGE_MODELS.get(model)
    if rule is None:
        raise unsupported_model(model, rules.IMAGE_MODELS)
    prompt = body["prompt"]
    if len(prompt) > rules.IMAGE_MAX_PROMPT:
        raise invalid("prompt", f"at most {rules.IMAGE_MAX_PROMPT} characters")
    aspect_ratio = body.get("aspect_ratio") or rules.IMAGE_DEFAULT_RATIO
    if aspect_ratio not in rule.aspect_ratios:
        raise invalid("aspect_ratio", f"{model} supports {', '.join(rule.aspect_ratios)}")
    resolution = body.get("resolution") or rules.IMAGE_DEFAULT_RESOLUTION
    if resolution not in rule.resolutions:
        raise invalid("resolution", f"{model} supports {', '.join(rule.resolutions)}")
    images = body.get("images") or []
    if not rule.images[0] <= len(images) <= rule.images[1]:
        raise count_out_of_range("images", f"{model} takes {rule.images[0]}-{rule.images[1]} images")
    callback_url = callback_of(body)
    sizes = await check_images(ent, images, rules.IMAGE_INPUT_LIMIT)
    seed = seed_of(ent, body)
    width, height = resolution_size(resolution, _ratio(aspect_ratio, sizes))
    fields = {"model": model, "images": images, "prompt": prompt, "seed": seed, "aspect_ratio": aspect_ratio,
              "resolution": resolution, "payload": body.get("payload", "")}
    output = plan(width, height, 0, prompt, seed, kind="image")
    return Order("reference2image", fields, pricing.image_credits(model, resolution, len(images)), callback_url,
                 plan=output)


def _ratio(aspect_ratio: str, sizes: list[tuple[int, int] | None]) -> str:
    """"auto": the first image's own ratio ("consistent with the first input images"); the default when there
    is no image or it was not read (a URL offline)."""
    if aspect_ratio != rules.AUTO_RATIO:
        return aspect_ratio
    first = sizes[0] if sizes else None
    return f"{first[0]}:{first[1]}" if first else rules.IMAGE_DEFAULT_RATIO

"""Edits of videos and frames: ``multiframe``, ``extend``, ``upscale-new`` (upscale-pro) and the legacy ``upscale``.

Their rows are the ``EDIT_*``, ``MULTIFRAME_*``, ``EXTEND_*`` and ``UPSCALE_*`` tables of ``rules.py``; their
prices ``pricing.edit_credits`` and ``pricing.upscale_credits``. A source video is a ``video_url`` (a data URI,
or a URL: fetched with --fetch-urls, else unmeasured) or a creation of the caller's own finished task.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from math import gcd
from typing import TYPE_CHECKING

from viduemu.core.errors import count_out_of_range, invalid, lacking
from viduemu.ent import pricing, rules
from viduemu.ent.checks import Order, callback_of, check_images, nearest_ratio, owned_creation, seed_of, spell
from viduemu.ent.outputs import plan
from viduemu.vidu.inputs import VIDEO_FORMATS, check_image, check_media
from viduemu.vidu.media import SHORT_SIDE, Source, resolution_size

if TYPE_CHECKING:
    from viduemu.ent.area import EntArea


@dataclass(frozen=True)
class Footage:
    """A source video as an edit sees it: its frame, its length, and what a render draws it from."""

    size: tuple[int, int]
    seconds: float
    measured: bool = True       # False: an unfetched URL, taken as UNMEASURED_VIDEO_*
    data: bytes | None = None   # a video's bytes, to keep for the render
    fps: float | None = None
    clip: dict | None = None    # a creation's task media
    format: str = ""

    @property
    def ratio(self) -> str:
        divisor = gcd(*self.size)
        return f"{self.size[0] // divisor}:{self.size[1] // divisor}"

    async def source(self, ent: EntArea, mode: str) -> dict | None:
        """The plan's ``source``: the kept bytes or the creation's clip; None when there is nothing to draw."""
        if self.clip is not None:
            return asdict(Source("", mode, self.seconds, clip=self.clip))
        if self.data is None:
            return None
        return asdict(Source(await ent.outputs.keep(self.data, f".{self.format}"), mode, self.seconds))


async def _footage(ent: EntArea, api_key: str, body: dict, formats: dict, *, frame_rules: bool) -> Footage:
    """The source of ``video_creation_id`` (which wins when both are sent) or ``video_url``."""
    if body.get("video_creation_id"):
        return _creation(ent, api_key, body["video_creation_id"], "video_creation_id")
    if not body.get("video_url"):
        raise lacking("video_url")
    asset, seconds = await check_media(body["video_url"], "video_url", "video", formats,
                                       max_decoded=rules.UPSCALE_SOURCE_LIMIT, fetcher=ent.fetcher,
                                       frame_rules=frame_rules)
    if asset.data is None or seconds is None:
        return Footage(rules.UNMEASURED_VIDEO_SIZE, rules.UNMEASURED_VIDEO_SECONDS, measured=False)
    if asset.size is None or min(asset.size) <= 0:
        raise invalid("video_url", "the video has no frame size")
    return Footage(asset.size, seconds, data=asset.data, fps=asset.fps, format=asset.format or "video")


def _creation(ent: EntArea, api_key: str, creation_id: str, field: str) -> Footage:
    media = owned_creation(ent, api_key, creation_id, field).media
    assert media is not None   # a finished task's creation has its media
    return Footage((media["width"], media["height"]), float(media["duration"]), clip=media)


def _model(body: dict) -> str:
    model = body["model"]
    if model not in rules.EDIT_MODELS:
        raise invalid("model", f"model is not supported: {model} (supported: {', '.join(rules.EDIT_MODELS)})")
    return model


def _choice(body: dict, name: str, allowed: tuple, default, field: str = ""):
    value = body.get(name, default)
    if value not in allowed:
        spelled = spell(allowed) if isinstance(default, int) else ", ".join(allowed)
        raise invalid(field or name, f"supported: {spelled}")
    return value


def _prompt(prompt: str, field: str) -> str:
    if len(prompt) > rules.EDIT_MAX_PROMPT:
        raise invalid(field, f"at most {rules.EDIT_MAX_PROMPT} characters")
    return prompt


# -- multiframe ------------------------------------------------------------------------------------------
async def accept_multiframe(ent: EntArea, api_key: str, body: dict) -> Order:
    model = _model(body)
    resolution = _choice(body, "resolution", rules.EDIT_RESOLUTIONS, rules.EDIT_DEFAULT_RESOLUTION)
    items = body["image_settings"]
    low, high = rules.MULTIFRAME_SEGMENTS
    if not low <= len(items) <= high:
        raise count_out_of_range("image_settings", f"{low}-{high} key frames ({len(items)} given)")
    segments = [{"prompt": _prompt(item.get("prompt", ""), f"image_settings.{i}.prompt"),
                 "key_image": item["key_image"], "duration": _segment_duration(item, i)}
                for i, item in enumerate(items)]
    callback_url = callback_of(body)
    start = (await check_image(body["start_image"], "start_image", max_decoded=rules.MULTIFRAME_START_LIMIT,
                               fetcher=ent.fetcher)).size
    for i, segment in enumerate(segments):
        await check_image(segment["key_image"], f"image_settings.{i}.key_image",
                          max_decoded=rules.MULTIFRAME_KEY_LIMIT, fetcher=ent.fetcher)
    seed = seed_of(ent, body)
    fields = {"model": model, "start_image": body["start_image"], "image_settings": segments,
              "resolution": resolution, "seed": seed, "payload": body.get("payload", "")}
    width, height = resolution_size(resolution, nearest_ratio(start, rules.MULTIFRAME_RATIOS))
    durations = [s["duration"] for s in segments]
    prompt = " / ".join(s["prompt"] for s in segments if s["prompt"]) or "multiframe"
    credits = sum(pricing.edit_credits(model, resolution, d) for d in durations)
    return Order("multiframe", fields, credits, callback_url, plan=plan(width, height, sum(durations), prompt, seed))


def _segment_duration(item: dict, index: int) -> int:
    return _choice(item, "duration", rules.MULTIFRAME_DURATIONS, rules.MULTIFRAME_DEFAULT_DURATION,
                   f"image_settings.{index}.duration")


# -- extend ----------------------------------------------------------------------------------------------
async def accept_extend(ent: EntArea, api_key: str, body: dict) -> Order:
    model = _model(body)
    resolution = _choice(body, "resolution", rules.EDIT_RESOLUTIONS, rules.EDIT_DEFAULT_RESOLUTION)
    duration = _choice(body, "duration", rules.EXTEND_DURATIONS, rules.EXTEND_DEFAULT_DURATION)
    prompt = _prompt(body.get("prompt", ""), "prompt")
    images = body.get("images") or []
    if len(images) > rules.EXTEND_IMAGES[1]:
        raise count_out_of_range("images", "only 1 image (the end frame)")
    callback_url = callback_of(body)
    await check_images(ent, images, rules.EXTEND_IMAGE_LIMIT)
    footage = await _footage(ent, api_key, body, VIDEO_FORMATS, frame_rules=True)
    low, high = rules.EXTEND_SOURCE_SECONDS
    if footage.clip is None and footage.measured and not (
            low - rules.DURATION_TOLERANCE <= footage.seconds <= high + rules.DURATION_TOLERANCE):
        raise invalid("video_url", f"the video is {footage.seconds:.2f} s; it must be {low:g}-{high:g} s")
    seed = seed_of(ent, body)
    fields = {"model": model, "prompt": prompt, "duration": duration, "resolution": resolution, "seed": seed,
              "payload": body.get("payload", ""), **_source_fields(body)}
    if images:
        fields["images"] = images
    width, height = resolution_size(resolution, footage.ratio)
    output = {**plan(width, height, footage.seconds + duration, prompt or "extend", seed),
              "source": await footage.source(ent, "prefix")}
    return Order("extend", fields, pricing.edit_credits(model, resolution, duration), callback_url, plan=output)


def _source_fields(body: dict) -> dict:
    """The source as given: the creation id when there is one (it wins), else the URL."""
    name = "video_creation_id" if body.get("video_creation_id") else "video_url"
    return {name: body[name]}


# -- upscale-pro (/ent/v2/upscale-new) and the legacy upscale ----------------------------------------------
async def accept_upscale(ent: EntArea, api_key: str, body: dict) -> Order:
    target = _choice(body, "upscale_resolution", rules.UPSCALE_RESOLUTIONS, rules.UPSCALE_DEFAULT_RESOLUTION)
    callback_url = callback_of(body)
    footage = await _footage(ent, api_key, body, rules.UPSCALE_FORMATS, frame_rules=False)
    if footage.clip is None:
        _check_upscale_source(footage)
    fields = {**_source_fields(body), "upscale_resolution": target, "payload": body.get("payload", "")}
    output = await _upscaled(ent, footage, target, seed_of(ent, {}))
    return Order("upscale-new", fields, pricing.upscale_credits(target, footage.seconds), callback_url, plan=output)


def _check_upscale_source(footage: Footage) -> None:
    if footage.seconds > rules.UPSCALE_MAX_SECONDS + rules.DURATION_TOLERANCE:
        raise invalid("video_url", f"the video is {footage.seconds:.1f} s; at most {rules.UPSCALE_MAX_SECONDS:g} s")
    if footage.fps is not None and footage.fps >= rules.UPSCALE_MAX_FPS:
        raise invalid("video_url", f"the frame rate ({footage.fps:g} fps) must be below {rules.UPSCALE_MAX_FPS:g}")
    width, height = footage.size
    if max(width, height) / min(width, height) > rules.MAX_ANY_RATIO:
        raise invalid("video_url", f"a {width}x{height} video is outside 1:4..4:1")


async def _upscaled(ent: EntArea, footage: Footage, target: str, seed: int) -> dict:
    """The source at the target size: a creation's clip planned again at that size, a video's frames
    scaled; a task that fails when the target is not above the source (OFF: "otherwise the task will fail")."""
    fails = rules.UPSCALE_NOT_HIGHER if SHORT_SIDE[target] <= min(footage.size) else ""
    width, height = _upscaled_size(target, footage.size)
    if footage.clip is not None:
        clip = footage.clip
        return {**plan(width, height, clip["duration"], clip["prompt"], clip["seed"], fails=fails),
                "sound": clip.get("sound"), "source": clip.get("source")}
    return {**plan(width, height, footage.seconds, f"upscaled to {target}", seed, fails=fails),
            "source": await footage.source(ent, "scaled")}


def _upscaled_size(target: str, size: tuple[int, int]) -> tuple[int, int]:
    """The source's ratio at the target's short side, within the target's 16:9 frame (either way round):
    8K is 7680x4320 for 16:9, 4320x4320 for 1:1, and a 1:4 video is not made 17280 pixels tall."""
    longest = max(resolution_size(target, rules.DEFAULT_ASPECT_RATIO))
    scale = min(SHORT_SIDE[target] / min(size), longest / max(size))
    return 2 * round(size[0] * scale / 2), 2 * round(size[1] * scale / 2)


async def accept_legacy_upscale(ent: EntArea, api_key: str, body: dict) -> Order:
    if body["model"] != rules.LEGACY_UPSCALE_MODEL:
        raise invalid("model", f"accepted value: {rules.LEGACY_UPSCALE_MODEL}")
    callback_url = callback_of(body)
    footage = _creation(ent, api_key, body["creation_id"], "creation_id")
    if min(footage.size) != rules.LEGACY_UPSCALE_SOURCE:
        raise invalid("creation_id", f"upscale only supports 360p input (this creation is "
                      f"{footage.size[0]}x{footage.size[1]})")
    fields = {"model": body["model"], "creation_id": body["creation_id"]}
    target = rules.LEGACY_UPSCALE_TARGET
    return Order("upscale", fields, pricing.upscale_credits(target, footage.seconds), callback_url,
                 plan=await _upscaled(ent, footage, target, 0))

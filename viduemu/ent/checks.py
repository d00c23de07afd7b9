"""Apply the rule tables of ``rules.py`` to a request that passed the contract.

``accept(ent, api_key, kind, body)`` answers an ``Order`` for a generation request (the task's type,
its echo fields, off-peak and callback) or raises the vendor error naming the field. Cheap table checks
run first, media checks (decoding images, probing videos) last; nothing here changes state. The checks of
subjects (``check_subject_media``) and of a one-click MV (``check_mv_media``) are here too.
"""

from __future__ import annotations

import math
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from viduemu.core.errors import ViduError, count_out_of_range, invalid, lacking, unwanted
from viduemu.ent import pricing, rules
from viduemu.ent.models import Subject
from viduemu.ent.rules import Endpoint, ModelRule
from viduemu.vidu.inputs import AUDIO_FORMATS, VIDEO_FORMATS, Asset, check_image, check_media
from viduemu.vidu.tasks import Task

if TYPE_CHECKING:
    from viduemu.ent.area import EntArea


@dataclass
class Order:
    """What an accepted request makes: the task's type, its fields, its price and (for operations whose
    output is not the fields' resolution x duration) the plan of its output."""

    task_type: str
    fields: dict        # echoed in the create answer, stored on the task
    credits: int
    callback_url: str | None
    off_peak: bool = False
    plan: dict | None = None


async def accept(ent: EntArea, api_key: str, kind: str, body: dict) -> Order:
    endpoint = rules.ENDPOINTS[kind]
    subjects_form = "subjects" in body
    rule = _model_rule(endpoint, body, subjects_form)
    _check_prompt(rule, body)
    duration = _int(body.get("duration"), rule.default_duration)
    if duration not in rule.durations:
        raise invalid("duration", f"{body['model']} supports {spell(rule.durations)}")
    resolutions, default_resolution = rule.resolutions_for(duration)
    resolution = body.get("resolution", default_resolution)
    if resolution not in resolutions:
        raise invalid("resolution", f"{body['model']} at {duration} s supports {', '.join(resolutions)}")
    aspect_ratio = body.get("aspect_ratio")
    if aspect_ratio is not None:
        _check_aspect_ratio(rule, aspect_ratio)
    audio = body.get("audio", rule.audio_default)
    audio_type = rules.AUDIO_TYPES[body.get("audio_type", rules.DEFAULT_AUDIO_TYPE)] if audio else ""
    off_peak = _check_switches(rule, body, audio)
    callback_url = callback_of(body)

    fields: dict = {"model": body["model"], "prompt": body.get("prompt", "")}
    if subjects_form:
        if "images" in body:
            raise unwanted("images", "the subjects form takes images inside subjects")
        fields["subjects"] = body["subjects"]
        await _check_subjects(ent, api_key, endpoint, rule, body["subjects"])
        first_image = None
    else:
        first_image = await _check_images_and_videos(ent, endpoint, rule, body, fields)
    if "sounds" in body:
        await _check_sounds(ent, body["sounds"])
        fields["sounds"] = body["sounds"]
    aspect_ratio = _resolved_ratio(endpoint, rule, aspect_ratio, first_image)
    for name, default in endpoint.extra_echo.items():
        fields[name] = body.get(name, default)
    fields.update({
        "duration": duration,
        "seed": seed_of(ent, body),
        "aspect_ratio": aspect_ratio,
        "resolution": resolution,
        "bgm": bool(body.get("bgm", False)),
        "audio": audio,
        "audio_type": audio_type,
        "movement_amplitude": body.get("movement_amplitude", rules.DEFAULT_MOVEMENT),
        "payload": body.get("payload", ""),
    })
    facts = {"is_rec": bool(body.get("is_rec", False)), "audio_default": rule.audio_default}
    return Order(endpoint.task_type, fields, pricing.price(kind, fields, off_peak, facts), callback_url, off_peak)


# -- table checks ---------------------------------------------------------------
def _model_rule(endpoint: Endpoint, body: dict, subjects_form: bool) -> ModelRule:
    model = body["model"]
    if subjects_form and endpoint.subjects is None:
        raise unwanted("subjects")
    if subjects_form and model in rules.SUBJECTLESS_MODELS:
        raise unwanted("subjects", f"{model} does not support subjects")
    table = endpoint.subjects if subjects_form else endpoint.models
    assert table is not None  # the subjects form on an endpoint without one was refused above
    rule = table.get(model)
    if rule is None:
        raise unsupported_model(model, table)
    return rule


def unsupported_model(model: str, supported) -> ViduError:
    """The refusal of a model the operation does not take (``supported``: the names it takes)."""
    return ViduError("FieldInvalid", f"model is not supported: {model} (supported: {', '.join(supported)})",
                     fields="model")


def _check_prompt(rule: ModelRule, body: dict) -> None:
    prompt = body.get("prompt", "")
    if len(prompt) > rule.max_prompt:
        raise invalid("prompt", f"{body['model']} takes at most {rule.max_prompt} characters")


def _check_switches(rule: ModelRule, body: dict, audio: bool) -> bool:
    """bgm, off_peak (answered) and sounds against the model's row."""
    if body.get("bgm") and not rule.bgm:
        raise unwanted("bgm", f"{body['model']} does not support bgm")
    off_peak = bool(body.get("off_peak", False))
    if off_peak and not rule.off_peak:
        raise invalid("off_peak", f"{body['model']} does not support off_peak")
    if off_peak and audio != rule.off_peak_audio:
        needed = "true" if rule.off_peak_audio else "false"
        raise invalid("off_peak", f"{body['model']} supports off_peak only with audio={needed}")
    if "sounds" in body and not rule.sounds:
        raise unwanted("sounds", f"{body['model']} takes no reference sounds (q3 models only)")
    return off_peak


def _check_aspect_ratio(rule: ModelRule, value: str) -> None:
    if rule.aspect_ratios is not None:
        if value not in rule.aspect_ratios:
            raise invalid("aspect_ratio", f"supported: {', '.join(rule.aspect_ratios)}")
        return
    if value == rules.AUTO_RATIO:
        return
    width, _, height = value.partition(":")
    w, h = int(width), int(height)    # the contract's pattern guarantees two positive integers
    if max(w, h) / min(w, h) > rules.MAX_ANY_RATIO:
        raise invalid("aspect_ratio", "must be within 1:4..4:1")


def callback_of(body: dict) -> str | None:
    """The request's ``callback_url`` (an http(s) URL), or None when it has none."""
    url = body.get("callback_url") or None
    if url is not None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise invalid("callback_url", "expected an http(s) URL")
    return url


def seed_of(ent: EntArea, body: dict) -> int:
    """The request's seed; absent or 0 draws one ("Defaults to a random seed number")."""
    return _int(body.get("seed"), 0) or ent.core.ids.generation_seed()


def split_seconds(seconds: int, longest: int) -> list[int]:
    """Whole-second lengths summing to ``seconds``: as few as keep each <= ``longest``, the longer ones first
    (an MV's shots, a film's storyboards; with 5: 10 -> [5, 5], 11 -> [4, 4, 3], 1 -> [1])."""
    count = math.ceil(seconds / longest)
    base, extra = divmod(seconds, count)
    return [base + 1] * extra + [base] * (count - extra)


async def check_images(ent: EntArea, images: list, limit: int, field: str = "images") -> list[tuple[int, int] | None]:
    """Check each image (format, size, dimensions, ratio); their sizes, None where not read (a URL offline)."""
    return [(await check_image(value, f"{field}.{i}", max_decoded=limit, fetcher=ent.fetcher)).size
            for i, value in enumerate(images)]


def _int(value, default: int) -> int:
    return default if value is None else int(value)


def spell(values: tuple[int, ...]) -> str:
    if len(values) > 2 and values == tuple(range(values[0], values[-1] + 1)):
        return f"{values[0]}-{values[-1]} s"
    return ", ".join(str(v) for v in values) + " s"


def _resolved_ratio(endpoint: Endpoint, rule: ModelRule, given: str | None, first_image) -> str:
    """The ratio the output will have: as given; for ``auto`` the listed ratio nearest the first image;
    when absent the default (on image-driven endpoints the model's ratio nearest the first frame)."""
    if given == rules.AUTO_RATIO:
        return nearest_ratio(first_image, rules.AUTO_RATIOS)
    if given is None:
        return nearest_ratio(first_image if endpoint.ratio_from_image else None, rule.aspect_ratios)
    return given


def nearest_ratio(size: tuple[int, int] | None, ratios: tuple[str, ...] | None) -> str:
    """The ratio ("W:H") of ``ratios`` nearest to a picture of ``size``; 16:9 when the size is unknown
    or any ratio goes (``ratios`` None)."""
    if size is None or ratios is None:
        return rules.DEFAULT_ASPECT_RATIO
    width, height = size

    def distance(ratio: str) -> float:
        w, _, h = ratio.partition(":")
        return abs(int(w) / int(h) - width / height)

    return min(ratios, key=distance)


def owned_creation(ent: EntArea, api_key: str, creation_id: str, field: str) -> Task:
    """The caller's own finished task that made the video ``creation_id``: another key's creation, an
    unfinished task (it has no creation yet) or an unknown id is 404 CreationNotFound ("Creation ID not
    found"), naming the field."""
    for task in ent.tasks.all(api_key):
        if task.state == "success" and task.media is not None and ent.owns(task.type) and any(
                c["id"] == creation_id and c["url"].endswith(".mp4") for c in task.creations):
            return task
    raise ViduError("CreationNotFound", f"creation not found: {creation_id}", fields=field)


# -- media checks -----------------------------------------------------------------
async def _check_images_and_videos(ent: EntArea, endpoint: Endpoint, rule: ModelRule, body: dict,
                                   fields: dict) -> tuple[int, int] | None:
    """Counts, then each image and video; answers the first image's size when it was decoded."""
    images, videos = body.get("images"), body.get("videos")
    if rule.images is None:
        if images is not None:
            raise unwanted("images", f"{body['model']} on this endpoint takes no images")
        return None
    if videos is not None and rule.images_with_videos is None:
        raise unwanted("videos", f"{body['model']} does not support reference videos")
    if images is None and not videos:
        raise lacking("images")
    counts = rule.images_with_videos if videos else rule.images
    assert counts is not None  # refused above when the rule takes no images, or no videos
    low, high = counts
    count = len(images or [])
    if (images is not None and count == 0) or not low <= count <= high:
        raise count_out_of_range("images", f"{body['model']} takes {_count(low, high)} images"
                                 + (" with videos" if videos else ""))
    sizes = await check_images(ent, images or [], endpoint.image_limit)
    if endpoint.same_size_images and len(sizes) == 2 and None not in sizes:
        _check_similar_sizes(endpoint.same_size_images, sizes)  # type: ignore[arg-type]  # None is not in sizes
    if images is not None:
        fields["images"] = images
    if videos:
        await _check_videos(ent, videos, count)
        fields["videos"] = videos
    return sizes[0] if sizes else None


def _count(low: int, high: int) -> str:
    return str(high) if low == high else f"{max(low, 1)}-{high}"


def _check_similar_sizes(bounds: tuple[float, float], sizes: list[tuple[int, int]]) -> None:
    (w0, h0), (w1, h1) = sizes
    ratio = (w0 * h0) / (w1 * h1)
    if not bounds[0] <= ratio <= bounds[1]:
        raise invalid("images.1", f"start and end images must have similar resolutions "
                      f"(start/end pixel ratio {ratio:.2f} is outside {bounds[0]}-{bounds[1]})")


async def _check_videos(ent: EntArea, videos: list, image_count: int) -> None:
    limit = rules.MAX_VIDEO_SECONDS.get(len(videos))
    if limit is None:
        raise count_out_of_range("videos", "at most 2 videos")
    total = 0.0
    for index, value in enumerate(videos):
        field = f"videos.{index}"
        _asset, seconds = await check_media(value, field, "video", VIDEO_FORMATS, max_decoded=rules.VIDEO_LIMIT,
                                            fetcher=ent.fetcher)
        if seconds is None:
            continue   # an unfetched URL: its length is unknown offline
        if seconds > limit + rules.DURATION_TOLERANCE:
            raise invalid(field, f"{seconds:.1f} s is too long: at most 1 video of 8 s or 2 videos of 5 s")
        total += seconds
    if total + image_count > rules.REFERENCE_BUDGET_SECONDS + rules.DURATION_TOLERANCE:
        raise invalid("videos", f"reference videos ({total:.1f} s) and images (1 s each) share "
                      f"{rules.REFERENCE_BUDGET_SECONDS:.0f} s")


async def _check_sounds(ent: EntArea, sounds: list) -> None:
    """Reference sounds: mp3, each at most ``SOUND_SECONDS`` long and ``SOUND_LIMIT`` decoded."""
    for index, value in enumerate(sounds):
        field = f"sounds.{index}"
        _asset, seconds = await check_media(value, field, "audio", rules.SOUND_FORMATS, max_decoded=rules.SOUND_LIMIT,
                                            fetcher=ent.fetcher)
        if seconds is not None and seconds > rules.SOUND_SECONDS + rules.DURATION_TOLERANCE:
            raise invalid(field, f"the sound is {seconds:.1f} s long; at most {rules.SOUND_SECONDS:g} s")


async def _check_subjects(ent: EntArea, api_key: str, endpoint: Endpoint, rule: ModelRule, subjects: list) -> None:
    image_total = video_subjects = inline_video_subjects = 0
    for index, subject in enumerate(subjects):
        where = f"subjects.{index}"
        stored = _library_subject(ent, api_key, subject, where)
        if stored is not None:
            image_total += len(stored.images or [])
            video_subjects += bool(stored.videos)
            continue
        if not (subject.get("name") or subject.get("id")):
            raise lacking(f"{where}.name")
        images = subject.get("images")
        if not images:
            raise lacking(f"{where}.images")
        limit = endpoint.subject_image_limit or endpoint.image_limit
        for i, value in enumerate(images):
            await check_image(value, f"{where}.images.{i}", max_decoded=limit, fetcher=ent.fetcher)
        image_total += len(images)
        if subject.get("videos"):
            if rule.inline_video_subjects == 0:
                raise unwanted(f"{where}.videos", "only viduq2-pro takes video subjects")
            for i, value in enumerate(subject["videos"]):
                await check_media(value, f"{where}.videos.{i}", "video", VIDEO_FORMATS,
                                  max_decoded=rules.VIDEO_LIMIT, fetcher=ent.fetcher)
            video_subjects += 1
            inline_video_subjects += 1
    if image_total > rule.subject_images:
        raise count_out_of_range("subjects", f"at most {rule.subject_images} subject images in all "
                                 f"({image_total} given)")
    if video_subjects > rule.video_subjects or inline_video_subjects > rule.inline_video_subjects:
        raise count_out_of_range("subjects", f"at most {rule.video_subjects} video subjects "
                                 f"({rule.inline_video_subjects} given inline)")


def _library_subject(ent: EntArea, api_key: str, subject: dict, where: str) -> Subject | None:
    """The stored subject a subject entry refers to: ``server_id``, or ``id`` given without images."""
    if "server_id" in subject:
        ref, field = subject["server_id"], f"{where}.server_id"
    elif "id" in subject and "images" not in subject:
        ref, field = subject["id"], f"{where}.id"
    else:
        return None
    stored = ent.subjects.owned(api_key, str(ref))
    if stored is None:
        raise invalid(field, f"no subject {ref} in this account's library")
    return stored


# -- subjects and one-click MV --------------------------------------------------------
async def check_subject_media(ent: EntArea, body: dict) -> None:
    """The image and video checks of a subject a JSON schema cannot make (format, size, duration)."""
    for i, image in enumerate(body.get("images") or ()):
        await check_image(image, f"images.{i}", max_decoded=rules.SUBJECT_IMAGE_LIMIT, fetcher=ent.fetcher)
    for i, video in enumerate(body.get("videos") or ()):
        field = f"videos.{i}"
        _, seconds = await check_media(video, field, "video", VIDEO_FORMATS, fetcher=ent.fetcher)
        # An unfetched URL cannot be measured offline: it is accepted (docs/decisions.md).
        if seconds is not None and seconds > rules.SUBJECT_VIDEO_SECONDS + rules.DURATION_TOLERANCE:
            raise invalid(field, f"the video is {seconds:.2f} s; at most {rules.SUBJECT_VIDEO_SECONDS:g} s "
                          "is supported")


async def check_mv_media(ent: EntArea, body: dict) -> tuple[float, bool, Asset]:
    """The images of an MV, then its audio: (seconds, measured?, the song) of ``audio_url``, decoded from
    the data when there are bytes (the asset keeps them); an audio URL not fetched (offline) is taken as
    ``MV_UNMEASURED_AUDIO_SECONDS`` and has none."""
    for i, image in enumerate(body["images"]):
        await check_image(image, f"images.{i}", max_decoded=rules.MV_IMAGE_LIMIT, fetcher=ent.fetcher)
    song, seconds = await check_media(body["audio_url"], "audio_url", "audio", AUDIO_FORMATS,
                                      max_decoded=rules.MV_AUDIO_LIMIT, fetcher=ent.fetcher)
    if seconds is None:
        return float(rules.MV_UNMEASURED_AUDIO_SECONDS), False, song
    low, high = rules.MV_AUDIO_SECONDS
    if not low - rules.DURATION_TOLERANCE <= seconds <= high + rules.DURATION_TOLERANCE:
        raise invalid("audio_url", f"the audio is {seconds:.2f} s long; it must be {low:g}-{high:g} s")
    return seconds, True, song


# -- inputs with documented limits of their own (ent/people.py, ...) -------------------------------------
async def check_timed(ent: EntArea, value, field: str, kind: str, rule: rules.MediaRule) -> tuple[Asset, float | None]:
    """An audio or video input against its ``MediaRule``: format, decoded size, duration (within
    ``DURATION_TOLERANCE``), a video's frame sides and ratio. (asset, seconds): seconds None and no bytes for
    a URL not fetched (offline), which only its extension can be judged by."""
    asset, seconds = await check_media(value, field, kind, rule.formats, max_decoded=rule.max_bytes,
                                       fetcher=ent.fetcher)
    if seconds is not None:
        low, high = rule.seconds
        if not low - rules.DURATION_TOLERANCE <= seconds <= high + rules.DURATION_TOLERANCE:
            raise invalid(field, f"the {kind} is {seconds:.2f} s long; it must be {low:g}-{high:g} s")
    if asset.size is not None:
        _check_sides(asset.size, field, kind, rule.sides, rule.max_ratio)
    return asset, seconds


async def check_sized_image(ent: EntArea, value, field: str, rule: rules.ImageRule) -> tuple[int, int] | None:
    """An image against an ``ImageRule`` (beyond the common image rules); its size, None when not read."""
    size = (await check_image(value, field, max_decoded=rule.max_bytes, fetcher=ent.fetcher,
                              formats=rule.formats)).size
    if size is not None:
        _check_sides(size, field, "image", rule.sides, rule.max_ratio)
    return size


def _check_sides(size: tuple[int, int], field: str, kind: str, sides: tuple[int, int], max_ratio: float) -> None:
    width, height = size
    low, high = sides
    if not (low <= min(size) and max(size) <= high) or max(size) / min(size) > max_ratio:
        raise ViduError("PageSizeOutOfRange", f"{field}: the {kind} is {width}x{height}; each side must be "
                        f"{low}-{high} pixels and the aspect ratio within 1:{max_ratio:g}..{max_ratio:g}:1",
                        fields=field)

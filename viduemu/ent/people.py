"""People: ``lip-sync`` (a video's mouth moved to a sound), ``digital-human`` (a photo that speaks),
``image2dance`` (motion sync: a photo dancing a video's moves) and ``trending-replicate`` (a video's idea
redone with the user's images).

The rows are in ``rules.py`` (section "people"), the prices in ``pricing.py``; every judgement is in
docs/decisions.md ("Operations of issue 14: people"). An input read (a data URI, or a URL with
--fetch-urls) shapes the output: its duration, a lip-sync's frames (``Source``), the sound (``Sound``
"file"); an input not read (a URL offline) is taken as ``UNMEASURED_SECONDS`` long and drawn or spoken.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import TYPE_CHECKING

from viduemu.core.errors import count_out_of_range, invalid, lacking
from viduemu.ent import pricing, rules
from viduemu.ent.checks import Order, callback_of, check_images, check_sized_image, check_timed
from viduemu.ent.outputs import plan
from viduemu.vidu import voice
from viduemu.vidu.inputs import Asset, check_image, has_audio, off_loop, video_codec
from viduemu.vidu.lives import DEFAULT_VOICE
from viduemu.vidu.media import Sound, Source, resolution_size

if TYPE_CHECKING:
    from viduemu.ent.area import EntArea

_PAUSE = re.compile(r"<#([^#]*)#>")


# -- lip-sync ----------------------------------------------------------------------------------------
async def accept_lip_sync(ent: EntArea, api_key: str, body: dict) -> Order:
    speed = _within(body, "speed", rules.LIP_SYNC_SPEED, rules.LIP_SYNC_DEFAULTS["speed"])
    volume = _within(body, "volume", rules.LIP_SYNC_VOLUME, rules.LIP_SYNC_DEFAULTS["volume"])
    text = _driving_text(body)
    callback_url = callback_of(body)
    video, video_seconds = await check_timed(ent, body["video_url"], "video_url", "video", rules.LIP_SYNC_VIDEO)
    if video.data is not None and await off_loop(video_codec, video.data) not in rules.LIP_SYNC_VIDEO_CODECS:
        raise invalid("video_url", "the video must be encoded as H.264")
    audio, audio_seconds = await _driving_audio(ent, body)
    if body.get("ref_photo_url"):
        await check_image(body["ref_photo_url"], "ref_photo_url", max_decoded=rules.PEOPLE_IMAGE_LIMIT,
                          fetcher=ent.fetcher)
    voice_id = body.get("voice_id") or DEFAULT_VOICE
    # the output is the source video re-voiced: its length, else the sound's (docs/decisions.md)
    seconds = _clamp(video_seconds or _sound_seconds(audio, audio_seconds, text, speed), rules.LIP_SYNC_VIDEO)
    seed = ent.core.ids.generation_seed()
    if video.size is not None:
        width, height = (side - side % 2 for side in video.size)   # H.264 wants even sides
    else:
        width, height = resolution_size(*rules.UNMEASURED_VIDEO)
    source = (Source(await ent.outputs.keep(video.data, f".{video.format}"), "scaled", video_seconds or seconds)
              if video.data is not None else None)
    sound = await _driving_sound(ent, audio, voice_id, seed)
    fields = {"video_url": body["video_url"], "audio_url": body.get("audio_url") or "", "text": text,
              "voice_id": body.get("voice_id") or "", "speed": speed, "volume": volume,
              "ref_photo_url": body.get("ref_photo_url") or "", "payload": body.get("payload", "")}
    output = plan(width, height, seconds, f"lip sync: {text}" if text else "lip sync", seed, sound=sound,
                  source=source)
    return Order("lip-sync", fields, pricing.lip_sync_credits(_billed(seconds)), callback_url, plan=output)


# -- digital-human --------------------------------------------------------------------------------------
async def accept_digital_human(ent: EntArea, api_key: str, body: dict) -> Order:
    model = body["model"]
    if model not in rules.DIGITAL_HUMAN_MODELS:
        raise invalid("model", f"model is not supported: {model} (supported: {', '.join(rules.DIGITAL_HUMAN_MODELS)})")
    prompt = _prompt(body)
    resolution = body.get("resolution") or rules.DIGITAL_HUMAN_DEFAULT_RESOLUTION
    if resolution not in rules.DIGITAL_HUMAN_RESOLUTIONS:
        raise invalid("resolution", f"supported: {', '.join(rules.DIGITAL_HUMAN_RESOLUTIONS)}")
    text = _driving_text(body)
    callback_url = callback_of(body)
    size = (await check_image(body["image"], "image", max_decoded=rules.PEOPLE_IMAGE_LIMIT,
                              fetcher=ent.fetcher)).size
    audio, audio_seconds = await _driving_audio(ent, body)
    voice_id = body.get("voice_id") or DEFAULT_VOICE
    seconds = _clamp(_sound_seconds(audio, audio_seconds, text, 1.0), rules.LIP_SYNC_AUDIO)
    seed = ent.core.ids.generation_seed()
    width, height = resolution_size(resolution, f"{size[0]}:{size[1]}" if size else rules.DEFAULT_ASPECT_RATIO)
    sound = await _driving_sound(ent, audio, voice_id, seed)
    fields = {"model": model, "image": body["image"], "prompt": prompt, "audio_url": body.get("audio_url") or "",
              "text": text, "voice_id": body.get("voice_id") or "", "resolution": resolution,
              "payload": body.get("payload", "")}
    spoken = "" if audio is not None else text   # "audio_url 优先": text is voiced (and priced) only without audio
    credits = pricing.digital_human_credits(model, _billed(seconds), spoken)
    output = plan(width, height, seconds, prompt or f"digital human: {text}", seed, sound=sound)
    return Order("digital-human", fields, credits, callback_url, plan=output)


# -- image2dance (motion sync) ----------------------------------------------------------------------------
async def accept_image2dance(ent: EntArea, api_key: str, body: dict) -> Order:
    callback_url = callback_of(body)
    size = await check_sized_image(ent, body["image_url"], "image_url", rules.DANCE_IMAGE)
    video, seconds = await check_timed(ent, body["video_url"], "video_url", "video", rules.DANCE_VIDEO)
    frame = size or video.size   # the dancer's photo frames the output; else the moves' video
    width, height = resolution_size(rules.DANCE_RESOLUTION,
                                    f"{frame[0]}:{frame[1]}" if frame else rules.DANCE_DEFAULT_RATIO)
    duration = seconds or rules.UNMEASURED_SECONDS
    seed = ent.core.ids.generation_seed()
    fields = {"image_url": body["image_url"], "video_url": body["video_url"], "payload": body.get("payload", "")}
    output = plan(width, height, duration, "motion sync", seed, sound=await _video_sound(ent, video, seed))
    return Order("image2dance", fields, pricing.DANCE_CREDITS_PER_SECOND * _billed(duration), callback_url,
                 plan=output)


# -- trending-replicate --------------------------------------------------------------------------------------
async def accept_trending_replicate(ent: EntArea, api_key: str, body: dict) -> Order:
    chosen = {name: _given(body, name, default) for name, default in rules.REPLICATE_DEFAULTS.items()}
    _prompt(body)
    if chosen["aspect_ratio"] not in rules.REPLICATE_RATIOS:
        raise invalid("aspect_ratio", f"accepted: {', '.join(rules.REPLICATE_RATIOS)}")
    if chosen["resolution"] not in rules.REPLICATE_RESOLUTIONS:
        raise invalid("resolution", f"accepted: {', '.join(rules.REPLICATE_RESOLUTIONS)}")
    callback_url = callback_of(body)
    low, high = rules.REPLICATE_IMAGES
    if not low <= len(body["images"]) <= high:
        raise count_out_of_range("images", f"accepts {low}-{high} images")
    await check_images(ent, body["images"], rules.PEOPLE_IMAGE_LIMIT)
    video, seconds = await check_timed(ent, body["video_url"], "video_url", "video", rules.REPLICATE_VIDEO)
    duration = seconds or rules.UNMEASURED_SECONDS
    seed = ent.core.ids.generation_seed()
    width, height = resolution_size(chosen["resolution"], chosen["aspect_ratio"])
    sound = None if chosen["remove_audio"] else await _video_sound(ent, video, seed)
    # the CN guide's answer: images, prompt, aspect_ratio, resolution, remove_audio (no video_url)
    fields = {"images": body["images"], **chosen, "payload": body.get("payload", "")}
    credits = pricing.REPLICATE_CREDITS_PER_SECOND[chosen["resolution"]] * _billed(duration)
    output = plan(width, height, duration, chosen["prompt"] or "trending replicate", seed, sound=sound)
    return Order("trending-replicate", fields, credits, callback_url, plan=output)


# -- the sound that drives a mouth: audio_url, else text in a voice --------------------------------------
def _driving_text(body: dict) -> str:
    """The request's text, checked; one of audio_url and text is required ("至少需要提供其中之一")."""
    text = body.get("text") or ""
    if not text and not body.get("audio_url"):
        raise lacking("audio_url")
    if text:
        low, high = rules.TEXT_LENGTH
        if not low <= text_length(text) <= high:
            raise invalid("text", f"{low}-{high} characters ({low // 2}-{high // 2} Chinese characters)")
        _pauses(text)
    return text


async def _driving_audio(ent: EntArea, body: dict) -> tuple[Asset | None, float | None]:
    """The audio_url checked (it wins over text: "the content from audio_url will be used"); (None, None)
    without one."""
    if not body.get("audio_url"):
        return None, None
    return await check_timed(ent, body["audio_url"], "audio_url", "audio", rules.LIP_SYNC_AUDIO)


def _sound_seconds(audio: Asset | None, audio_seconds: float | None, text: str, speed: float) -> float:
    if audio is not None:
        return audio_seconds or rules.UNMEASURED_SECONDS
    return speaking_seconds(text, speed)


async def _driving_sound(ent: EntArea, audio: Asset | None, voice_id: str, seed: int) -> Sound:
    """The given audio's bytes, else speech: in the voice asked for from text, in the default voice for
    an audio URL not read."""
    if audio is not None and audio.data is not None:
        return Sound("file", seed, blob=await ent.outputs.keep(audio.data, f".{audio.format}"))
    return Sound("speech", seed, pitch=voice.pitch(voice_id if audio is None else DEFAULT_VOICE))


async def _video_sound(ent: EntArea, video: Asset, seed: int) -> Sound | None:
    """A source video's own audio when it has one (None: silent); music for a video not read."""
    if video.data is None:
        return Sound("music", seed)
    if not await off_loop(has_audio, video.data):
        return None
    return Sound("file", seed, blob=await ent.outputs.keep(video.data, f".{video.format}"))


def text_length(text: str) -> int:
    """The documented length of a text: a Chinese (wide) character counts ``WIDE_CHARACTER_WEIGHT``."""
    return sum(rules.WIDE_CHARACTER_WEIGHT if _wide(c) else 1 for c in text)


def speaking_seconds(text: str, speed: float) -> float:
    """How long ``text`` takes to say at ``SPEECH_RATE`` / ``speed``, its ``<#x#>`` pauses included."""
    spoken = _PAUSE.sub("", text).strip()
    wide = sum(1 for c in spoken if _wide(c))
    talk = wide / rules.SPEECH_RATE["wide"] + (len(spoken) - wide) / rules.SPEECH_RATE["narrow"]
    return round(talk / speed + sum(_pauses(text)), 2)


def spoken_windows(text: str, speed: float) -> tuple[tuple[float, float], ...]:
    """When each part of ``text`` between its ``<#x#>`` pauses is said: (from, to) seconds, in order; the last
    ``to`` plus nothing is the text's ``speaking_seconds``."""
    parts, pauses = _PAUSE.split(text)[::2], [*_pauses(text), 0.0]
    windows, at = [], 0.0
    for part, pause in zip(parts, pauses, strict=True):
        said = speaking_seconds(part, speed)
        windows.append((round(at, 2), round(at + said, 2)))
        at += said + pause
    return tuple(windows)


def _pauses(text: str) -> list[float]:
    low, high = rules.PAUSE_SECONDS
    found = []
    for raw in _PAUSE.findall(text):
        try:
            seconds = float(raw)
        except ValueError:
            seconds = math.nan
        if not low <= seconds <= high:
            raise invalid("text", f"a pause <#x#> takes x in [{low}, {high}] seconds ({raw!r} given)")
        found.append(seconds)
    return found


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


# -- small helpers -----------------------------------------------------------------------------------------
def _within(body: dict, name: str, bounds: tuple[float, float], default: float) -> float:
    value = body.get(name, default)
    low, high = bounds
    if not low <= value <= high:
        raise invalid(name, f"must be within [{low:g}, {high:g}]")
    return value


def _given(body: dict, name: str, default):
    value = body.get(name)
    return default if value is None or value == "" else value


def _prompt(body: dict) -> str:
    prompt = body.get("prompt") or ""
    if len(prompt) > rules.PEOPLE_MAX_PROMPT:
        raise invalid("prompt", f"at most {rules.PEOPLE_MAX_PROMPT} characters")
    return prompt


def _clamp(seconds: float, rule: rules.MediaRule) -> float:
    low, high = rule.seconds
    return min(max(seconds, low), high)


def _billed(seconds: float) -> int:
    """Whole seconds charged for: started seconds, beyond a container's rounding."""
    return max(1, math.ceil(seconds - rules.DURATION_TOLERANCE))

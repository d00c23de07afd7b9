"""Audio: ``text2audio`` (sound effects and music from a prompt) and ``timing2audio`` (sound events placed on
a timeline), both model audio1.0, tasks whose output is an MP3 (``outputs.KINDS["audio"]``) of the requested
duration. text2audio's sound is the seeded music loop; timing2audio's is seeded tones and noise exactly in
each event's [from, to] and silence elsewhere (``vidu/sound.py`` "events"). Prices: ``pricing.AUDIO_TASK_CREDITS``.

``audio-tts`` and ``audio-clone`` are synchronous (their handlers are in ``routes.py``): the answer carries the
file's URL, no task is made. Their speech is the live character's syllable voice at the voice's pitch, as long
as ``people.speaking_seconds`` says the text takes (the rate lip-sync uses), ``<#x#>`` pauses included."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from viduemu.core.errors import invalid
from viduemu.ent import pricing, rules
from viduemu.ent.checks import Order, callback_of, check_timed, seed_of, unsupported_model
from viduemu.ent.outputs import plan
from viduemu.ent.people import speaking_seconds, spoken_windows
from viduemu.vidu import voice
from viduemu.vidu.media import Sound

if TYPE_CHECKING:
    from viduemu.ent.area import EntArea


async def accept_text2audio(ent: EntArea, api_key: str, body: dict) -> Order:
    _check_model(body)
    prompt = _prompt(body["prompt"], "prompt")
    duration = _duration(body)
    callback_url = callback_of(body)
    seed = seed_of(ent, body)
    fields = {"model": body["model"], "prompt": prompt, "duration": duration, "seed": seed,
              "payload": body.get("payload", "")}
    output = plan(0, 0, duration, prompt, seed, sound=Sound("music", seed), kind="audio")
    return Order("text2audio", fields, pricing.audio_credits(duration), callback_url, plan=output)


async def accept_timing2audio(ent: EntArea, api_key: str, body: dict) -> Order:
    _check_model(body)
    duration = _duration(body)
    events = []
    for i, event in enumerate(body["timing_prompts"]):
        start, end = event["from"], event["to"]
        _prompt(event["prompt"], f"timing_prompts.{i}.prompt")
        if not 0 <= start < end <= duration:
            raise invalid(f"timing_prompts.{i}", f"from and to must be within [0, {duration:g}], from < to")
        events.append((start, end))
    callback_url = callback_of(body)
    seed = seed_of(ent, body)
    fields = {"model": body["model"], "duration": duration, "timing_prompts": body["timing_prompts"], "seed": seed,
              "payload": body.get("payload", "")}
    prompt = " / ".join(e["prompt"] for e in body["timing_prompts"])
    output = plan(0, 0, duration, prompt, seed, sound=Sound("events", seed, events=tuple(events)), kind="audio")
    return Order("timing2audio", fields, pricing.audio_credits(duration), callback_url, plan=output)


def _check_model(body: dict) -> None:
    if body["model"] not in rules.AUDIO_MODELS:
        raise unsupported_model(body["model"], rules.AUDIO_MODELS)


def _prompt(prompt: str, field: str) -> str:
    if len(prompt) > rules.AUDIO_MAX_PROMPT:
        raise invalid(field, f"at most {rules.AUDIO_MAX_PROMPT} characters")
    return prompt


def _duration(body: dict) -> float:
    duration = body.get("duration", rules.AUDIO_DEFAULT_DURATION)
    low, high = rules.AUDIO_DURATION
    if not low <= duration <= high:
        raise invalid("duration", f"must be within [{low:g}, {high:g}] seconds")
    return duration


# -- synchronous: audio-tts, audio-clone -----------------------------------------------------------------------
MIN_SPEECH = 0.5   # seconds: the shortest file (a text of one character still says something)


@dataclass(frozen=True)
class Spoken:
    """What a synchronous audio request makes: the voice, the file's clip (``plan``), the price."""

    kind: str
    voice_id: str
    media: dict
    credits: int
    payload: str


async def accept_tts(ent: EntArea, api_key: str, body: dict) -> Spoken:
    text = body["text"]
    if len(text) > rules.TTS_MAX_TEXT:
        raise invalid("text", f"must be less than {rules.TTS_MAX_TEXT + 1} characters")
    speed, _volume, semitones = (_setting(body, name) for name in rules.TTS_SETTINGS)
    emotion = body.get("voice_setting_emotion")
    if emotion not in (None, "", *rules.TTS_EMOTIONS):
        raise invalid("voice_setting_emotion", f"accepted values: {', '.join(rules.TTS_EMOTIONS)}")
    voice_id = body["voice_setting_voice_id"]
    pitch = voice.pitch(voice_id) * 2 ** (semitones / 12)
    media = _speech(ent, text, speed, pitch)
    return Spoken("audio-tts", voice_id, media, pricing.tts_credits(text), body.get("payload", ""))


async def accept_clone(ent: EntArea, api_key: str, body: dict) -> Spoken:
    voice_id = body["voice_id"]
    if not re.fullmatch(rules.VOICE_ID_PATTERN, voice_id):
        raise invalid("voice_id", "8-256 characters: letters, digits, - and _, starting with a letter and not "
                                  "ending with - or _")
    if any(s.voice_id == voice_id for s in ent.speeches.all() if s.api_key == api_key and s.kind == "audio-clone"):
        raise invalid("voice_id", f"voice_id already exists: {voice_id}")
    text = body["text"]
    if len(text) > rules.CLONE_MAX_TEXT:
        raise invalid("text", f"at most {rules.CLONE_MAX_TEXT} characters")
    await check_timed(ent, body["audio_url"], "audio_url", "audio", rules.CLONE_AUDIO)
    if body.get("prompt_audio_url"):
        await check_timed(ent, body["prompt_audio_url"], "prompt_audio_url", "audio", rules.CLONE_PROMPT_AUDIO)
    media = _speech(ent, text, 1.0, voice.pitch(voice_id))
    return Spoken("audio-clone", voice_id, media, pricing.clone_credits(text), body.get("payload", ""))


def _speech(ent: EntArea, text: str, speed: float, pitch: float) -> dict:
    """The text said (silent in its pauses), as long as it takes."""
    seconds = max(MIN_SPEECH, speaking_seconds(text, speed))
    windows = spoken_windows(text, speed) if "<#" in text else ()
    seed = ent.core.ids.generation_seed()
    return plan(0, 0, seconds, text, seed, sound=Sound("speech", seed, pitch=pitch, events=windows))


def _setting(body: dict, name: str) -> float:
    """A voice setting within its range; public clients send them as strings too ("1.5")."""
    low, high, default = rules.TTS_SETTINGS[name]
    raw = body.get(name)
    try:
        value = default if raw is None or raw == "" else float(raw)
    except (TypeError, ValueError):
        value = float("nan")
    if not low <= value <= high:
        raise invalid(name, f"must be within [{low:g}, {high:g}]")
    return value

"""Audio: ``text2audio`` (sound effects and music from a prompt) and ``timing2audio`` (sound events placed on
a timeline), both model audio1.0, tasks whose output is an MP3 (``outputs.KINDS["audio"]``) of the requested
duration. text2audio's sound is the seeded music loop; timing2audio's is seeded tones and noise exactly in
each event's [from, to] and silence elsewhere (``vidu/sound.py`` "events"). Prices: ``pricing.AUDIO_TASK_CREDITS``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from viduemu.core.errors import invalid
from viduemu.ent import pricing, rules
from viduemu.ent.checks import Order, callback_of, seed_of, unsupported_model
from viduemu.ent.outputs import plan
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

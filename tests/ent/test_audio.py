"""POST /ent/v2/text2audio and /ent/v2/timing2audio: one test per documented rule (vendor-docs/more/text2audio.txt,
timing2audio.txt; prices from more/pricing.txt "Audio"; judgements in docs/decisions.md "Images and audio")."""

import io
import math
from array import array

import av
import pytest

from tests.conftest import AUTH, KEY, assert_error
from tests.ent.support import finish, op_create, op_created, state_of

pytestmark = pytest.mark.usefixtures("plenty_of_credits")
EVENTS = [{"from": 0.0, "to": 3.0, "prompt": "Birds chirping"}, {"from": 5.0, "to": 6.5, "prompt": "A train"}]
SHORT = [{"from": 0.5, "to": 1.5, "prompt": "A door slams"}]   # within the shortest duration (2 s)


def text(**extra):
    return {"model": "audio1.0", "prompt": "Birds chirping in the morning", **extra}


def timing(events=SHORT, **extra):
    return {"model": "audio1.0", "timing_prompts": events, **extra}


async def audio_of(client, task: dict) -> tuple[bytes, float, list[float]]:
    """The creation's file: its bytes, its duration (decoded samples) and its samples (mono, -1..1)."""
    creations = await finish(client, task["task_id"])
    assert creations["state"] == "success", creations
    creation = creations["creations"][0]
    assert creation["url"].split("?")[0].endswith(".mp3") and creation["cover_url"] == ""
    response = await client.get(creation["url"])
    assert response.status_code == 200 and response.headers["content-type"] == "audio/mpeg"
    samples: list[float] = []
    with av.open(io.BytesIO(response.content)) as container:
        stream = container.streams.audio[0]
        assert not container.streams.video
        rate = stream.codec_context.sample_rate
        for frame in container.decode(stream):
            assert frame.format.name == "fltp"
            samples.extend(array("f", bytes(frame.planes[0]))[:frame.samples])
    return response.content, len(samples) / rate, samples


def rms(samples: list[float], start: float, end: float, rate: int = 48000) -> float:
    window = samples[round(start * rate):round(end * rate)]
    return math.sqrt(sum(v * v for v in window) / len(window))


@pytest.mark.parametrize("path", ["text2audio", "timing2audio"])
async def test_model_available_value_audio1_0(client, emu, path):
    before = await state_of(client, emu)
    make = text if path == "text2audio" else timing
    assert_error(await op_create(client, path, make(model="audio2.0")), 400, "FieldInvalid", "model")
    assert await state_of(client, emu) == before


@pytest.mark.parametrize("path", ["text2audio", "timing2audio"])
async def test_duration_default_10_range_2_to_10(client, path):
    make = text if path == "text2audio" else timing
    assert (await op_created(client, path, make()))["duration"] == 10
    for seconds in (2, 7.5, 10):
        assert (await op_created(client, path, make(duration=seconds)))["duration"] == seconds
    for seconds in (1.9, 10.1):
        assert_error(await op_create(client, path, make(duration=seconds)), 400, "FieldInvalid", "duration")


async def test_text2audio_prompt_required_at_most_1500_characters(client):
    await op_created(client, "text2audio", text(prompt="a" * 1500))
    assert_error(await op_create(client, "text2audio", text(prompt="a" * 1501)), 400, "FieldInvalid", "prompt")
    assert_error(await op_create(client, "text2audio", {"model": "audio1.0"}), 400, "FieldLacking", "prompt")


async def test_timing2audio_at_most_1500_characters_per_event(client):
    await op_created(client, "timing2audio", timing([{"from": 0, "to": 1, "prompt": "a" * 1500}]))
    assert_error(await op_create(client, "timing2audio", timing([{"from": 0, "to": 1, "prompt": "a" * 1501}])),
                 400, "FieldInvalid", "timing_prompts.0.prompt")


async def test_timing2audio_from_and_to_within_0_and_duration_from_before_to(client):
    for event in ({"from": 4, "to": 6}, {"from": -1, "to": 1}, {"from": 2, "to": 1}):
        refused = timing([EVENTS[0], {**event, "prompt": "x"}], duration=5)
        assert_error(await op_create(client, "timing2audio", refused), 400, "FieldInvalid", "timing_prompts.1")
    await op_created(client, "timing2audio", timing([{"from": 0, "to": 5, "prompt": "x"}], duration=5))


async def test_timing2audio_events_can_overlap(client):
    await op_created(client, "timing2audio", timing([{"from": 0, "to": 4, "prompt": "a"},
                                                     {"from": 2, "to": 6, "prompt": "b"}]))


async def test_timing2audio_timing_prompts_are_required(client):
    assert_error(await op_create(client, "timing2audio", {"model": "audio1.0"}), 400, "FieldLacking",
                 "timing_prompts")


@pytest.mark.parametrize(("path", "seconds", "credits"), [
    ("text2audio", 2, 10), ("text2audio", 4.9, 10), ("text2audio", 5, 20), ("text2audio", 10, 20),
    ("timing2audio", 4, 10), ("timing2audio", 10, 20),
])
async def test_price_below_5_s_10_credits_below_10_s_20(client, path, seconds, credits):
    before = (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"]
    make = text if path == "text2audio" else timing
    task = await op_created(client, path, make(duration=seconds))
    assert task["credits"] == credits
    assert (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"] == before - credits


async def test_text2audio_output_is_an_mp3_of_the_duration(client):
    _, seconds, samples = await audio_of(client, await op_created(client, "text2audio", text(duration=6.5)))
    assert abs(seconds - 6.5) <= 0.1 and rms(samples, 0, 6.5) > 0.01


async def test_timing2audio_events_sound_in_their_windows_silence_elsewhere(client):
    _, seconds, samples = await audio_of(client, await op_created(client, "timing2audio", timing(EVENTS, duration=8)))
    assert abs(seconds - 8) <= 0.1
    for start, end in ((0.1, 2.9), (5.1, 6.4)):
        assert rms(samples, start, end) > 0.05
    for start, end in ((3.1, 4.9), (6.6, 7.9)):
        assert rms(samples, start, end) < 0.005


@pytest.mark.parametrize("path", ["text2audio", "timing2audio"])
async def test_same_seed_same_bytes(client, path):
    make = text if path == "text2audio" else timing
    files = [(await audio_of(client, await op_created(client, path, make(seed=11, duration=3))))[0]
             for _ in range(2)]
    assert files[0] == files[1]


async def test_audio_task_cancel_refunds_and_lists_by_type(client):
    task = await op_created(client, "timing2audio", timing(duration=4))
    before = (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"]
    response = await client.post(f"/ent/v2/tasks/{task['task_id']}/cancel", headers=AUTH, json={})
    assert response.status_code == 200, response.text
    assert (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"] == before + 10
    listed = (await client.get("/ent/v2/tasks", headers=AUTH, params={"type": "timing2audio"})).json()
    assert [t["id"] for t in listed["tasks"]] == [task["task_id"]]

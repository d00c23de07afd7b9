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


# -- audio-tts and audio-clone: synchronous (more/audio-tts.txt, audio-clone.txt) --------------------------------
NARROW_PER_SECOND = 15   # the speaking rate chosen for lip-sync (docs/decisions.md "lip-sync"): 15 latin characters/s


def tts(text="a" * 150, **extra):
    return {"text": text, "voice_setting_voice_id": "female-shaonv", **extra}


def clone(voice_id="vidu-voice01", **extra):
    from tests.support.media import encoded_audio
    return {"audio_url": encoded_audio("mp3", 12), "voice_id": voice_id, "text": "a" * 75, **extra}


async def speech_of(client, url: str) -> float:
    response = await client.get(url)
    assert response.status_code == 200 and response.headers["content-type"] == "audio/mpeg"
    with av.open(io.BytesIO(response.content)) as container:
        stream = container.streams.audio[0]
        return sum(frame.samples for frame in container.decode(stream)) / stream.codec_context.sample_rate


async def test_audio_tts_is_synchronous_the_answer_carries_the_file_url(client):
    answer = await op_created(client, "audio-tts", tts())
    assert answer["state"] == "success" and answer["file_url"]
    assert abs(await speech_of(client, answer["file_url"]) - 150 / NARROW_PER_SECOND) <= 0.1
    listed = (await client.get("/ent/v2/tasks", headers=AUTH)).json()["tasks"]
    assert all(t["id"] != answer["task_id"] for t in listed)   # no task is made


async def test_audio_tts_duration_follows_voice_setting_speed_and_pauses(client):
    fast = await op_created(client, "audio-tts", tts(voice_setting_speed=2))
    assert abs(await speech_of(client, fast["file_url"]) - 150 / NARROW_PER_SECOND / 2) <= 0.1
    paused = await op_created(client, "audio-tts", tts("a" * 75 + "<#2.5#>" + "a" * 75, voice_setting_speed="1"))
    assert abs(await speech_of(client, paused["file_url"]) - (150 / NARROW_PER_SECOND + 2.5)) <= 0.1


async def test_audio_tts_settings_within_their_ranges(client, emu):
    before = await state_of(client, emu)
    for name, value in (("voice_setting_speed", 0.4), ("voice_setting_speed", 2.1), ("voice_setting_volume", 11),
                        ("voice_setting_pitch", -13), ("voice_setting_pitch", "high")):
        assert_error(await op_create(client, "audio-tts", tts(**{name: value})), 400, "FieldInvalid", name)
    assert_error(await op_create(client, "audio-tts", tts(voice_setting_emotion="bored")), 400, "FieldInvalid",
                 "voice_setting_emotion")
    assert_error(await op_create(client, "audio-tts", tts("a<#100#>b")), 400, "FieldInvalid", "text")
    assert await state_of(client, emu) == before


async def test_audio_tts_text_less_than_10000_characters(client):
    await op_created(client, "audio-tts", tts("a" * 9999))
    assert_error(await op_create(client, "audio-tts", tts("a" * 10000)), 400, "FieldInvalid", "text")


async def test_audio_tts_price_10_credits_per_started_500_characters(client):
    for length, credits in ((1, 10), (500, 10), (501, 20)):
        before = (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"]
        assert (await op_created(client, "audio-tts", tts("a" * length)))["credits"] == credits
        assert (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"] == before - credits


async def test_audio_clone_answers_the_voice_and_its_demo_audio(client):
    answer = await op_created(client, "audio-clone", clone())
    assert answer["state"] == "success" and answer["voice_id"] == "vidu-voice01"
    assert abs(await speech_of(client, answer["demo_audio"]) - 75 / NARROW_PER_SECOND) <= 0.1


async def test_audio_clone_price_30_per_voice_and_the_preview_as_tts(client):
    before = (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"]
    assert (await op_created(client, "audio-clone", clone()))["credits"] == 30 + 10
    assert (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"] == before - 40


async def test_audio_clone_voice_id_8_to_256_letters_digits_dash_underscore(client, emu):
    await op_created(client, "audio-clone", clone("v" * 256))
    before = await state_of(client, emu)
    for bad in ("vidu01", "v" * 257, "1vidu-voice", "vidu-voice-", "vidu voice01"):
        assert_error(await op_create(client, "audio-clone", clone(bad)), 400, "FieldInvalid", "voice_id")
    assert await state_of(client, emu) == before


async def test_audio_clone_voice_id_must_be_unique(client):
    await op_created(client, "audio-clone", clone())
    assert_error(await op_create(client, "audio-clone", clone()), 400, "FieldInvalid", "voice_id")


async def test_audio_clone_audio_mp3_m4a_wav_10_s_to_5_min(client):
    from tests.support.media import encoded_audio, wav
    assert_error(await op_create(client, "audio-clone", clone(audio_url=wav(5))), 400, "FieldInvalid", "audio_url")
    assert_error(await op_create(client, "audio-clone", clone(audio_url="https://example.com/v.ogg")), 400,
                 "FieldInvalid", "audio_url")
    await op_created(client, "audio-clone", clone(audio_url=wav(10)))
    await op_created(client, "audio-clone", clone("vidu-voice02", audio_url=encoded_audio("ipod", 10)))


async def test_audio_clone_text_within_1000_characters(client):
    assert_error(await op_create(client, "audio-clone", clone(text="a" * 1001)), 400, "FieldInvalid", "text")


async def test_audio_clone_demo_speaks_in_the_cloned_voices_pitch(client):
    from viduemu.vidu import voice
    assert voice.pitch("vidu-voice01") != voice.pitch("vidu-voice02")
    one = await op_created(client, "audio-clone", clone("vidu-voice01"))
    two = await op_created(client, "audio-clone", clone("vidu-voice02"))
    assert (await client.get(one["demo_audio"])).content != (await client.get(two["demo_audio"])).content


async def test_audio_task_callback_carries_the_mp3_creation(client):
    from tests.conftest import advance
    from tests.support.receiver import Receiver, wait_for
    with Receiver() as rx:
        task = await op_created(client, "text2audio", text(duration=2, callback_url=rx.url + "/hook"))
        await advance(client, 120)
        await wait_for(lambda: any(r["body"]["state"] == "success" for r in rx.requests), what="success callback")
        done = next(r["body"] for r in rx.requests if r["body"]["state"] == "success")
    assert done["id"] == task["task_id"] and done["creations"][0]["url"].split("?")[0].endswith(".mp3")


async def test_a_failed_timing2audio_refunds_its_credits(client):
    await client.post("/_emulator/faults", json={"match": {"operation": "task.finish"},
                                                 "action": {"err_code": "CreationPolicyViolation"}, "times": 1})
    before = (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"]
    task = await op_created(client, "timing2audio", timing(duration=3))
    creations = await finish(client, task["task_id"])
    assert creations["state"] == "failed" and creations["creations"] == []
    assert (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"] == before


async def test_a_synchronous_answer_with_too_few_credits_is_refused_and_changes_nothing(client, emu):
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 5})
    before = await state_of(client, emu)
    assert_error(await op_create(client, "audio-tts", tts()), 400, "CreditInsufficient")
    assert await state_of(client, emu) == before


async def test_with_state_audio_files_survive_a_restart_and_the_seed_decides_their_bytes(tmp_path):
    import httpx

    from tests.conftest import advance
    from viduemu.app import create_app
    from viduemu.config import Settings

    async def session(settings: Settings, make: bool) -> tuple[bytes, bytes]:
        app = create_app(settings)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
                if make:
                    urls["tts"] = (await op_created(c, "audio-tts", tts("a" * 30)))["file_url"]
                    task = await op_created(c, "text2audio", text(duration=2))
                    await advance(c, 120)
                    urls["task"] = (await c.get(f"/ent/v2/tasks/{task['task_id']}/creations", headers=AUTH)
                                    ).json()["creations"][0]["url"]
                got = [await c.get(urls[name]) for name in ("tts", "task")]
                assert [r.status_code for r in got] == [200, 200]
                return got[0].content, got[1].content
        finally:
            await app.state.emu.aclose()

    urls: dict[str, str] = {}
    state = Settings(clock="manual", seed=5, state=str(tmp_path / "emu.db"))
    made = await session(state, True)
    assert await session(state, False) == made                                    # after a restart
    urls.clear()
    assert await session(Settings(clock="manual", seed=5), True) == made          # same --seed, same bytes


@pytest.mark.parametrize("path", ["audio-tts", "timing2audio"])
async def test_an_http_fault_rule_on_the_operation_answers_instead_and_charges_nothing(client, emu, path):
    rule = {"match": {"operation": f"POST /ent/v2/{path}"}, "action": {"status": 429, "reason": "TooManyRequests"},
            "times": 1}
    assert (await client.post("/_emulator/faults", json=rule)).status_code in (200, 201)
    before = await state_of(client, emu)
    assert_error(await op_create(client, path, tts() if path == "audio-tts" else timing()), 429, "TooManyRequests")
    assert await state_of(client, emu) == before


async def test_audio_clone_prompt_audio_mp3_m4a_wav_less_than_8_s(client):
    from tests.support.media import wav
    assert_error(await op_create(client, "audio-clone", clone(prompt_audio_url=wav(9))), 400, "FieldInvalid",
                 "prompt_audio_url")
    await op_created(client, "audio-clone", clone(prompt_audio_url=wav(5), prompt_text="Hello there."))


async def test_audio_tts_pauses_are_silent_between_the_spoken_parts(client):
    answer = await op_created(client, "audio-tts", tts("a" * 75 + "<#2.5#>" + "a" * 75))   # 5 s, 2.5 s, 5 s
    response = await client.get(answer["file_url"])
    samples: list[float] = []
    with av.open(io.BytesIO(response.content)) as container:
        for frame in container.decode(container.streams.audio[0]):
            samples.extend(array("f", bytes(frame.planes[0]))[:frame.samples])
    assert rms(samples, 0.2, 4.8) > 0.01 and rms(samples, 7.7, 12.3) > 0.01
    assert rms(samples, 5.1, 7.4) < 0.001

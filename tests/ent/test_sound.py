"""Videos carry sound exactly when the request asks for it (docs/decisions.md "Sound"): ``audio: true`` is
speech, ``bgm: true`` music, a one-click MV plays the uploaded song in sync with its shots."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from tests.conftest import AUTH, advance
from tests.ent.support import created
from tests.support.media import data_uri, tone_song, track
from viduemu.app import create_app
from viduemu.config import Settings
from viduemu.vidu.voice import pitch

pytestmark = pytest.mark.usefixtures("plenty_of_credits")
TOLERANCE = 0.1        # docs/decisions.md: the one tolerance of every measured duration
SONG_HZ = tuple(220.0 + 40 * k for k in range(12))   # second k of the test song: a tone at 220 + 40k Hz
MV = "/ent/v2/one-click/mv"


async def video(client, kind: str, body: dict) -> bytes:
    task = await created(client, kind, {"prompt": "An astronaut waves", "resolution": "540p", **body})
    await advance(client, 120)
    r = await client.get(f"/ent/v2/tasks/{task['task_id']}/creations", headers=AUTH)
    assert r.json()["state"] == "success", r.text
    download = await client.get(r.json()["creations"][0]["url"])
    assert download.status_code == 200
    return download.content


async def test_audio_true_gives_one_aac_track_as_long_as_the_video(client):
    found = track(await video(client, "text2video", {"model": "viduq3-pro", "duration": 3, "audio": True}))
    assert found.codecs == {"video": ["h264"], "audio": ["aac"]}
    assert abs(found.durations["audio"] - found.durations["video"]) <= TOLERANCE
    assert abs(found.durations["video"] - 3) <= TOLERANCE
    assert found.rms(0, 3) > 300


async def test_audio_false_is_a_silent_video_without_an_audio_stream(client):
    found = track(await video(client, "text2video", {"model": "viduq3-pro", "duration": 3, "audio": False}))
    assert found.codecs == {"video": ["h264"]}


async def test_q3_speaks_by_default(client):
    """VD: "By default, audio is set to true for viduq3 and viduq3-turbo"."""
    found = track(await video(client, "text2video", {"model": "viduq3-pro", "duration": 3}))
    assert found.codecs["audio"] == ["aac"]


async def test_bgm_true_adds_music(client):
    found = track(await video(client, "text2video", {"model": "viduq2", "duration": 2, "bgm": True}))
    assert found.codecs["audio"] == ["aac"] and found.rms(0, 2) > 300
    assert abs(found.durations["audio"] - found.durations["video"]) <= TOLERANCE


async def test_neither_audio_nor_bgm_is_silent(client):
    found = track(await video(client, "text2video", {"model": "viduq2", "duration": 2}))
    assert "audio" not in found.codecs


async def test_the_speech_is_in_the_first_subjects_voice(client, emu):
    subjects = [{"name": "1", "images": ["https://example.com/a.png"]},
                {"name": "2", "images": ["https://example.com/b.png"], "voice_id": "Raymond"}]
    task = await created(client, "reference2video", {"model": "viduq2", "subjects": subjects, "prompt": "@1 sings",
                                                      "duration": 2, "audio": True})
    plain = await created(client, "text2video", {"model": "viduq3-pro", "prompt": "hi", "duration": 3})
    await advance(client, 120)
    assert emu.ent.tasks.find(task["task_id"]).media["sound"]["pitch"] == pitch("Raymond")
    assert emu.ent.tasks.find(plain["task_id"]).media["sound"]["pitch"] == pitch("Tina")   # vidu.lives.DEFAULT_VOICE


# -- one-click MV --------------------------------------------------------------------------------------
async def mv_videos(client, audio_url: str) -> tuple[bytes, list[bytes]]:
    r = await client.post(MV, json={"images": ["https://example.com/a.png"], "audio_url": audio_url,
                                    "resolution": "540p"}, headers=AUTH)
    assert r.status_code == 200, r.text
    await advance(client, 60)
    mv = (await client.get(f"{MV}/{r.json()['id']}", headers=AUTH)).json()
    assert mv["state"] == "success"
    shots = [rec["jobs"][0]["signed_url"] for rec in mv["job_records"] if rec["type"] == "generate_video"]
    return ((await client.get(mv["signed_url"])).content, [(await client.get(url)).content for url in shots])


async def test_an_mv_composite_plays_the_uploaded_song(client):
    composite, _ = await mv_videos(client, data_uri("audio/mpeg", tone_song(SONG_HZ)))
    found = track(composite)
    assert found.codecs["audio"] == ["aac"]
    assert abs(found.durations["audio"] - 12) <= TOLERANCE
    for second, hz in enumerate(SONG_HZ):
        assert abs(found.dominant_hz(second + 0.25, 0.5) - hz) < 10, second


async def test_each_mv_shot_plays_the_song_from_where_it_starts(client):
    _, shots = await mv_videos(client, data_uri("audio/wav", tone_song(SONG_HZ, "wav")))
    start = 0
    for data in shots:
        found = track(data)
        seconds = round(found.durations["video"])
        assert abs(found.durations["audio"] - seconds) <= TOLERANCE
        for second in range(seconds):
            assert abs(found.dominant_hz(second + 0.25, 0.5) - SONG_HZ[start + second]) < 10
        start += seconds
    assert start == 12


async def test_an_mv_of_an_unfetched_song_url_gets_music(client):
    composite, _ = await mv_videos(client, "https://example.com/song.mp3")
    found = track(composite)
    assert found.codecs["audio"] == ["aac"] and found.rms(0, 5) > 300


async def test_the_kept_song_outlives_a_restart(tmp_path):
    settings = Settings(clock="manual", seed=1, state=str(tmp_path / "emu.db"))
    app = create_app(settings)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
            r = await c.post(MV, json={"images": ["https://example.com/a.png"], "resolution": "540p",
                                       "audio_url": data_uri("audio/mpeg", tone_song(SONG_HZ))}, headers=AUTH)
            assert r.status_code == 200, r.text
    finally:
        await app.state.emu.aclose()
    assert len(list((tmp_path / "emu.db.media" / "blobs").iterdir())) == 1
    app = create_app(settings)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
            await advance(c, 60)
            mv = (await c.get(f"{MV}/{r.json()['id']}", headers=AUTH)).json()
            found = track((await c.get(mv["signed_url"])).content)
    finally:
        await app.state.emu.aclose()
    assert abs(found.dominant_hz(7.25, 0.5) - SONG_HZ[7]) < 10


async def test_keep_writes_an_input_once_under_its_content_key(emu):
    data = tone_song(SONG_HZ[:2], "wav")
    key = await emu.ent.outputs.keep(data, ".wav")
    assert key == hashlib.sha256(data).hexdigest()[:32] + ".wav"
    assert await emu.ent.outputs.keep(data, ".wav") == key
    assert [p.name for p in emu.ent.outputs.blobs().iterdir()] == [key]
    assert (emu.ent.outputs.blobs() / key).read_bytes() == data

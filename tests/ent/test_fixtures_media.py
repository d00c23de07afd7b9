"""The committed sample media work against the emulator as a user would send them."""

import base64
from pathlib import Path

import pytest

from tests.conftest import AUTH

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def data_uri(name: str, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode((FIXTURES / name).read_bytes()).decode()


@pytest.mark.parametrize("name,mime", [("avatar.png", "image/png"), ("avatar.jpg", "image/jpeg"),
                                       ("avatar.webp", "image/webp")])
async def test_sample_avatars_are_accepted_by_img2video(client, name, mime):
    body = {"model": "viduq1", "images": [data_uri(name, mime)], "prompt": "she smiles"}
    r = await client.post("/ent/v2/img2video", json=body, headers=AUTH)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("name,mime", [("song-12s.mp3", "audio/mpeg"), ("song-12s.wav", "audio/wav")])
async def test_sample_song_is_measured_by_one_click_mv(client, name, mime):
    body = {"images": [data_uri("avatar.png", "image/png")], "audio_url": data_uri(name, mime)}
    r = await client.post("/ent/v2/one-click/mv", json=body, headers=AUTH)
    assert r.status_code == 200, r.text
    mv = (await client.get(f"/ent/v2/one-click/mv/{r.json()['id']}", headers=AUTH)).json()
    shots = [rec for rec in mv["job_records"] if rec["type"] == "generate_video"]
    assert sum(rec["jobs"][0]["mv_generate_video_input"]["duration"] for rec in shots) == 12


async def test_short_voice_sample_is_too_short_for_a_music_video(client):
    body = {"images": [data_uri("avatar.png", "image/png")], "audio_url": data_uri("voice-3s.wav", "audio/wav")}
    r = await client.post("/ent/v2/one-click/mv", json=body, headers=AUTH)
    assert r.status_code == 400 and r.json()["metadata"]["fields"] == "audio_url"

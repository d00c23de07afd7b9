"""Finished tasks have real media: creations point at an MP4 and a JPEG cover served by the emulator."""

from __future__ import annotations

import asyncio
import io
import threading

import av
import httpx
import pytest
from PIL import Image

from tests.conftest import AUTH, advance, assert_error
from viduemu.app import create_app
from viduemu.config import Settings
from viduemu.ent import outputs

FOX = {"model": "vidu2.0", "images": ["https://example.com/a.png"], "prompt": "A red fox runs through snow"}


async def finished(client, body: dict) -> dict:
    """Create a task, let it finish on the manual clock, answer its creations query."""
    r = await client.post("/ent/v2/img2video", json=body, headers=AUTH)
    assert r.status_code == 200, r.text
    await advance(client, 120)
    r = await client.get(f"/ent/v2/tasks/{r.json()['task_id']}/creations", headers=AUTH)
    assert r.status_code == 200 and r.json()["state"] == "success", r.text
    return r.json()


async def download(client, url: str) -> httpx.Response:
    r = await client.get(url)
    assert r.status_code == 200, r.text
    return r


def probe(data: bytes) -> dict:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        return {"codec": stream.codec_context.name, "size": (stream.width, stream.height),
                "fps": stream.average_rate, "duration": float(stream.duration * stream.time_base)}


async def test_viduq1_task_has_a_1080p_5s_h264_video_and_a_jpeg_cover(client):
    body = await finished(client, {**FOX, "model": "viduq1"})
    [creation] = body["creations"]
    url, _, query = creation["url"].partition("?")
    assert url == f"http://testserver/_emulator/files/tasks/{body['id']}/{creation['id']}.mp4"
    assert query.startswith("expires=") and "&sig=" in query  # signed (issue 13 #3)
    assert creation["cover_url"].split("?")[0] == f"http://testserver/_emulator/files/tasks/{body['id']}/{creation['id']}.jpg"
    video = await download(client, creation["url"])
    assert video.headers["content-type"] == "video/mp4"
    info = probe(video.content)
    assert info["codec"] == "h264" and info["size"] == (1920, 1080) and info["fps"] == 16
    assert abs(info["duration"] - 5) <= 1 / 16
    cover = await download(client, creation["cover_url"])
    assert cover.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(cover.content))
    assert image.format == "JPEG" and image.size == (1920, 1080)


async def test_vidu2_default_is_a_360p_4s_video(client):
    [creation] = (await finished(client, FOX))["creations"]
    info = probe((await download(client, creation["url"])).content)
    assert info["size"] == (640, 360) and abs(info["duration"] - 4) <= 1 / 16


async def test_same_seed_gives_identical_bytes_across_emulators_and_another_seed_does_not(client):
    body = {**FOX, "seed": 42}
    first = await download(client, (await finished(client, body))["creations"][0]["url"])
    other_seed = await download(client, (await finished(client, {**FOX, "seed": 43}))["creations"][0]["url"])
    app = create_app(Settings(clock="manual"))  # a second emulator renders on its own, no shared cache
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c2:
            again = await download(c2, (await finished(c2, body))["creations"][0]["url"])
    finally:
        await app.state.emu.aclose()
    assert again.content == first.content
    assert other_seed.content != first.content


async def test_unknown_files_and_unfinished_tasks_are_not_found(client, emu):
    """Each path signed as the API would sign it (an unsigned one is a 403: test_signed_media_urls)."""
    [creation] = (await finished(client, FOX))["creations"]
    url = creation["url"].split("?")[0].removeprefix("http://testserver")
    sign = emu.core.linker("")
    task_id = url.split("/")[-2]
    r = await client.post("/ent/v2/img2video", json=FOX, headers=AUTH)
    pending = r.json()["task_id"]
    for path in (f"/_emulator/files/tasks/{task_id}/123.mp4",          # unknown creation
                 f"/_emulator/files/tasks/999/{creation['id']}.mp4",    # unknown task
                 url.replace(".mp4", ".png"),                            # unknown kind of file
                 url.replace(".mp4", ""),
                 f"/_emulator/files/tasks/{pending}/{creation['id']}.mp4",  # not finished
                 f"/_emulator/files/tasks/{task_id}",
                 "/_emulator/files/tasks/",
                 "/_emulator/files/nothing/here.mp4"):
        assert_error(await client.get(sign(path)), 404, "NotFound")


async def test_a_failed_task_has_no_creations_and_no_files(client):
    await client.post("/_emulator/faults", json={"match": {"operation": "task.finish"},
                                                  "action": {"err_code": "InternalServiceFailure"}, "times": 1})
    r = await client.post("/ent/v2/img2video", json=FOX, headers=AUTH)
    await advance(client, 120)
    body = (await client.get(f"/ent/v2/tasks/{r.json()['task_id']}/creations", headers=AUTH)).json()
    assert body["state"] == "failed" and body["creations"] == []


@pytest.fixture
def gated_render(monkeypatch):
    """media.render, counted, held until the test opens the gate."""
    gate, calls, real = threading.Event(), [], outputs.render

    def render(*args):
        calls.append(args)
        assert gate.wait(10)
        real(*args)

    monkeypatch.setattr(outputs, "render", render)
    return gate, calls


async def test_rendering_does_not_block_the_event_loop(client, gated_render):
    gate, calls = gated_render
    [creation] = (await finished(client, FOX))["creations"]
    pending = asyncio.create_task(client.get(creation["url"]))
    health = await asyncio.wait_for(client.get("/_emulator/health"), 5)
    assert health.status_code == 200 and not pending.done()
    gate.set()
    assert (await pending).status_code == 200 and len(calls) == 1


async def test_concurrent_first_downloads_render_once(client, gated_render):
    gate, calls = gated_render
    [creation] = (await finished(client, FOX))["creations"]
    downloads = [asyncio.create_task(client.get(creation["url"])) for _ in range(3)]
    await asyncio.sleep(0.05)
    gate.set()
    answers = await asyncio.gather(*downloads)
    assert all(a.status_code == 200 for a in answers)
    assert answers[0].content == answers[1].content == answers[2].content
    later = await download(client, creation["url"])
    assert later.content == answers[0].content and len(calls) == 1


async def test_head_of_a_video_answers_its_length(client):
    [creation] = (await finished(client, FOX))["creations"]
    head = await client.head(creation["url"])
    assert head.status_code == 200 and head.headers["content-type"] == "video/mp4"
    assert int(head.headers["content-length"]) == len((await download(client, creation["url"])).content)


async def _cached_file(app, client) -> str:
    [creation] = (await finished(client, FOX))["creations"]
    await download(client, creation["url"])
    path, _ = await app.state.emu.core.files.resolve(creation["url"].split("?")[0].split("/_emulator/files/")[1])
    return path


async def test_with_state_the_media_cache_sits_beside_the_state_file(tmp_path):
    app = create_app(Settings(clock="manual", seed=1, state=str(tmp_path / "emu.db")))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
            path = await _cached_file(app, c)
    finally:
        await app.state.emu.aclose()
    assert path.parent == tmp_path / "emu.db.media" and path.exists()   # kept after close


async def test_without_state_the_media_cache_is_a_temporary_directory_removed_on_close(app, client):
    path = await _cached_file(app, client)
    assert path.exists()
    await app.state.emu.aclose()
    assert not path.parent.exists()


async def test_media_dir_setting_from_the_environment(tmp_path):
    settings = Settings.from_env({"VIDUEMU_MEDIA_DIR": str(tmp_path / "m")}, clock="manual")
    app = create_app(settings)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
            path = await _cached_file(app, c)
    finally:
        await app.state.emu.aclose()
    assert path.parent == tmp_path / "m" and path.exists()

"""Demo data (``serve --demo``, ``POST /_emulator/demo``): a seeded, realistic history made through the real API."""

from __future__ import annotations

import httpx
import pytest

from tests.support.process import ServeProcess
from viduemu.app import create_app
from viduemu.config import Settings
from viduemu.control.demo import DEMO_KEY

STABLE = ("task_id", "api_key", "type", "model", "prompt", "state", "err_code", "credits")


async def demo_tasks(seed: int) -> list[dict]:
    app = create_app(Settings(clock="manual", seed=seed))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c:
            assert (await c.post("/_emulator/demo")).status_code == 200
            tasks = (await c.get("/_emulator/tasks")).json()["tasks"]
    finally:
        await app.state.emu.aclose()
    return [{k: t[k] for k in STABLE} for t in tasks]  # times follow the wall clock the server started at


async def test_the_same_seed_gives_the_same_demo_and_another_seed_another():
    first, again, other = await demo_tasks(5), await demo_tasks(5), await demo_tasks(6)
    assert first == again
    assert [t["prompt"] for t in first] != [t["prompt"] for t in other]


async def test_the_demo_prompts_are_written_in_several_languages():
    prompts = " ".join(t["prompt"] for t in await demo_tasks(5))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in prompts)       # Chinese
    assert any("\u3040" <= ch <= "\u30ff" for ch in prompts)       # Japanese kana
    assert any(ch.isascii() and ch.isalpha() for ch in prompts)


async def test_the_demo_has_finished_live_sessions_with_their_bills():
    app = create_app(Settings(clock="manual", seed=5))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c:
            assert (await c.post("/_emulator/demo")).status_code == 200
            lives = (await c.get("/live/v1/lives", headers={"Authorization": f"Token {DEMO_KEY}"})).json()["lives"]
    finally:
        await app.state.emu.aclose()
    billed = [live for live in lives if live["credits_cost"]]
    assert len(billed) >= 2 and all(live["status"] == "ended" for live in lives)
    for live in billed:   # "3 credits per 2 s", billed seconds rounded up to even (wire notes §2.5)
        assert int(live["billed_seconds"]) % 2 == 0
        assert live["credits_cost"] == int(live["billed_seconds"]) // 2 * 3


@pytest.mark.slow
def test_serve_demo_fills_an_account_with_every_kind_and_state_and_real_media():
    with ServeProcess("--demo", "--seed", "3") as server:
        assert f"demo data: key {DEMO_KEY}" in "".join(server.output)
        with httpx.Client(base_url=server.url, timeout=30) as http:
            tasks = http.get("/_emulator/tasks", params={"api_key": DEMO_KEY}).json()["tasks"]
            assert {t["state"] for t in tasks} >= {"success", "failed", "processing", "queueing"}
            assert {t["err_code"] for t in tasks} >= {"CreationPolicyViolation", "AuditSubmitIllegal", "UserCancelled"}
            assert {t["type"] for t in tasks} >= {"img2video", "text2video", "reference2image", "text2audio",
                                                  "ad-one-click", "lip-sync"}
            auth = {"Authorization": f"Token {DEMO_KEY}"}
            assert http.get("/ent/v2/subjects", headers=auth).json()
            lives = http.get("/live/v1/lives", headers=auth).json()
            assert lives
            video = next(t for t in tasks if t["type"] == "text2video" and t["state"] == "success")
            mp4 = http.get(video["creations"][0]["url"])
            assert mp4.status_code == 200 and mp4.content[4:8] == b"ftyp"


async def test_a_demo_that_cannot_be_made_says_why_instead_of_failing(client):
    rule = {"match": {"operation": "POST /ent/v2/img2video"}, "action": {"status": 429, "reason": "TooManyRequests"}}
    assert (await client.post("/_emulator/faults", json=rule)).status_code == 200
    r = await client.post("/_emulator/demo", json={"seed": 4294967295})
    assert r.status_code == 409 and "POST /ent/v2/img2video answered 429" in r.json()["message"]


async def test_a_one_click_mv_and_its_jobs_are_in_the_control_planes_task_views(client):
    assert (await client.post("/_emulator/demo")).status_code == 200
    tasks = (await client.get("/_emulator/tasks", params={"api_key": DEMO_KEY})).json()["tasks"]
    mv = next(t for t in tasks if t["type"] == "mv")
    shots = [t for t in tasks if t["type"] == "mv.generate_video"]
    assert mv["prompt"] and shots and any(t["type"] == "mv.compose" for t in tasks)
    done = next(t for t in shots if t["state"] == "success")
    assert done["creations"][0]["url"].startswith("/_emulator/files/")
    detail = (await client.get(f"/_emulator/tasks/{done['task_id']}")).json()
    assert detail["request"]["prompt"] == done["prompt"] and detail["callbacks"] == []
    assert (await client.get("/_emulator/tasks", params={"type": "mv"})).json()["tasks"][0]["task_id"] == mv["task_id"]


async def test_an_mvs_lyrics_are_made_up_in_the_language_of_its_prompt(client):
    assert (await client.post("/_emulator/demo", json={"seed": 2})).status_code == 200
    mv_id = next(t["task_id"] for t in (await client.get("/_emulator/tasks")).json()["tasks"] if t["type"] == "mv")
    mv = (await client.get(f"/ent/v2/one-click/mv/{mv_id}", headers={"Authorization": f"Token {DEMO_KEY}"})).json()
    shots = [j["mv_generate_video_input"] for r in mv["job_records"] for j in r["jobs"] if "mv_generate_video_input" in j]
    assert shots and all(s["lyric_text"] for s in shots)
    assert len({s["lyric_text"] for s in shots}) == len(shots)   # a line per shot

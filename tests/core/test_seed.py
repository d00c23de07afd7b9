"""--seed: the same seed gives the same ids, trace ids and generation seeds; no seed gives fresh ones."""

import httpx

from tests.conftest import AUTH
from viduemu.app import create_app
from viduemu.config import Settings

BODY = {"model": "viduq1", "images": ["https://example.com/a.png"], "prompt": "seeded"}


async def run(seed):
    app = create_app(Settings(clock="manual", seed=seed))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            tasks = [(await c.post("/ent/v2/img2video", json=BODY, headers=AUTH)).json() for _ in range(3)]
            error = (await c.get("/ent/v2/tasks/1/creations", headers=AUTH)).json()
            return [(t["task_id"], t["seed"]) for t in tasks], error["metadata"]["trace_id"]
    finally:
        await app.state.emu.aclose()


async def test_same_seed_same_ids_and_generation_seeds():
    first, second = await run(42), await run(42)
    assert first == second
    assert all(len(task_id) == 18 and task_id.isdigit() for task_id, _ in first[0])


async def test_different_or_no_seed_gives_different_ids():
    assert (await run(42))[0] != (await run(43))[0]
    assert (await run(None))[0] != (await run(None))[0]


async def test_reset_restarts_the_seeded_sequence():
    app = create_app(Settings(clock="manual", seed=7))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            first = (await c.post("/ent/v2/img2video", json=BODY, headers=AUTH)).json()["task_id"]
            await c.post("/_emulator/reset")
            again = (await c.post("/ent/v2/img2video", json=BODY, headers=AUTH)).json()["task_id"]
            assert first == again
    finally:
        await app.state.emu.aclose()

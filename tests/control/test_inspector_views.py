"""The inspector's read-only control endpoints, through the app (every answer checked against the
contract): the page and its files, accounts, tasks across accounts with their request, history
and callbacks, one journalled request with its body previews. Live sessions: tests/control/test_inspected_lives.py."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import AUTH, KEY, advance, assert_error
from tests.support.receiver import Receiver
from viduemu.config import Settings
from viduemu.core.journal import PREVIEW_BYTES

IMG = {"model": "viduq1", "images": ["https://example.com/a.png"], "prompt": "a red kite"}
OTHER = {"Authorization": "Token vda_other_key"}


async def create(client, headers=AUTH, **extra) -> dict:
    r = await client.post("/ent/v2/img2video", json={**IMG, **extra}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_inspector_page_and_its_files_are_served(client):
    r = await client.get("/_emulator/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/_emulator/inspector/app.js">' in r.text
    for name, kind in [("app.js", "text/javascript"), ("chart.js", "text/javascript"), ("inspector.css", "text/css")]:
        asset = await client.get(f"/_emulator/inspector/{name}")
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(kind), name
    # every module the page imports is served
    app_js = (await client.get("/_emulator/inspector/app.js")).text
    for module in ("util.js", "overview.js", "tasks.js", "lives.js", "requests.js", "faults.js"):
        assert f'"./{module}"' in app_js and (await client.get(f"/_emulator/inspector/{module}")).status_code == 200


@pytest.mark.parametrize("name", ["index.html", "..%2Finspect.py", "nothing.js", "routes.py"])
async def test_the_inspector_serves_only_its_own_files(client, name):
    assert_error(await client.get(f"/_emulator/inspector/{name}"), 404, "NotFound")


async def test_accounts_lists_every_account_with_its_balance(client):
    assert (await client.get("/_emulator/accounts")).json() == {"accounts": []}
    await client.put("/_emulator/accounts/vda_rich", json={"credits": 5000})
    await create(client)
    assert (await client.get("/_emulator/accounts")).json() == {"accounts": [
        {"api_key": "vda_rich", "credits": 5000, "entries": 1},
        {"api_key": KEY, "credits": 1000 - 80, "entries": 2}]}


async def test_tasks_lists_tasks_across_accounts_and_filters_them(client):
    mine = await create(client)
    other = await create(client, OTHER, model="viduq2-turbo", duration=5)
    await advance(client, 60)
    tasks = (await client.get("/_emulator/tasks")).json()["tasks"]
    assert [t["task_id"] for t in tasks] == [mine["task_id"], other["task_id"]]
    first = tasks[0]
    assert first["api_key"] == KEY and first["type"] == "img2video" and first["model"] == "viduq1"
    assert first["state"] == "success" and first["credits"] == 80 and first["err_code"] == ""
    assert [h["state"] for h in first["history"]] == ["created", "queueing", "processing", "success"]
    assert first["updated_at"] == first["history"][-1]["at"] > first["created_at"]
    creation = first["creations"][0]
    assert creation["url"].startswith("/_emulator/files/") and creation["url"].split("?")[0].endswith(".mp4")
    video = await client.get(creation["url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"

    by_key = (await client.get("/_emulator/tasks", params={"api_key": "vda_other_key"})).json()["tasks"]
    assert [t["task_id"] for t in by_key] == [other["task_id"]]
    by_model = (await client.get("/_emulator/tasks", params={"model": "viduq1", "state": "success"})).json()["tasks"]
    assert [t["task_id"] for t in by_model] == [mine["task_id"]]
    assert (await client.get("/_emulator/tasks", params={"state": "failed"})).json()["tasks"] == []


async def test_a_task_shows_its_request_history_and_signed_callbacks(client):
    async def journalled(n):
        for _ in range(300):
            body = (await client.get(f"/_emulator/tasks/{task['task_id']}")).json()
            if len(body["callbacks"]) >= n:
                return body
            await asyncio.sleep(0.01)
        raise AssertionError(f"fewer than {n} callback attempts journalled")

    with Receiver(statuses=[500]) as rx:
        task = await create(client, callback_url=rx.url + "/hook")
        await advance(client, 1)   # processing: the first delivery fails (500)
        await journalled(1)
        await advance(client, 5)   # its retry gets through
        await journalled(2)
        await advance(client, 30)  # success
        body = await journalled(3)
    assert body["request"] == {**body["request"], "model": "viduq1", "prompt": "a red kite",
                               "images": ["https://example.com/a.png"]}
    assert [(c["attempt"], c["status"]) for c in body["callbacks"]] == [(1, 500), (2, 200), (1, 200)]
    assert all(c["url"] == rx.url + "/hook" and c["headers"]["X-HMAC-SIGNATURE"] for c in body["callbacks"])
    assert [c["body"]["state"] for c in body["callbacks"]] == ["processing", "processing", "success"]


async def test_a_tasks_data_uri_input_shows_as_its_type_only(client):
    from tests.support.media import png

    task = await create(client, images=[png()])
    body = (await client.get(f"/_emulator/tasks/{task['task_id']}")).json()
    assert body["request"]["images"] == ["data:image/png"]


async def test_an_unknown_task_is_not_found(client):
    assert_error(await client.get("/_emulator/tasks/123456789012345678"), 404, "NotFound")


async def test_a_journalled_request_shows_both_bodies(client):
    r = await client.post("/ent/v2/img2video", json={"model": "viduq1", "prompt": "no image"}, headers=AUTH)
    assert r.status_code == 400
    trace_id = r.json()["metadata"]["trace_id"]
    entry = (await client.get(f"/_emulator/requests/{trace_id}")).json()
    assert entry["method"] == "POST" and entry["path"] == "/ent/v2/img2video" and entry["status"] == 400
    assert entry["reason"] == "FieldLacking" and entry["api_key"] == KEY
    assert entry["request_body"] == '{"model":"viduq1","prompt":"no image"}'
    assert entry["request_bytes"] == len(entry["request_body"])
    assert entry["response_body"] == r.text and entry["response_bytes"] == len(r.content)


async def test_a_large_body_is_kept_cut_with_its_size(client):
    prompt = "long " * 2000  # 10000 characters: more than the preview
    r = await client.post("/ent/v2/img2video", json={**IMG, "prompt": prompt}, headers=AUTH)
    trace_id = (await client.get("/_emulator/requests")).json()["requests"][-1]["trace_id"]
    entry = (await client.get(f"/_emulator/requests/{trace_id}")).json()
    assert len(entry["request_body"].encode()) == PREVIEW_BYTES and entry["request_bytes"] > 10000
    assert entry["response_bytes"] == len(r.content)


async def test_only_the_latest_bodies_are_kept_and_reset_forgets_them(client, emu):
    emu.core.bodies.keep = 2
    for _ in range(3):
        await client.get("/ent/v2/tasks/1/creations", headers=AUTH)
    first, *rest = (await client.get("/_emulator/requests")).json()["requests"]
    old = (await client.get(f"/_emulator/requests/{first['trace_id']}")).json()
    assert old["status"] == 404 and old["request_body"] is None and old["response_bytes"] is None
    for entry in rest:
        assert (await client.get(f"/_emulator/requests/{entry['trace_id']}")).json()["response_body"]
    await client.post("/_emulator/reset")
    assert_error(await client.get(f"/_emulator/requests/{rest[-1]['trace_id']}"), 404, "NotFound")
    assert emu.core.bodies.get(rest[-1]["trace_id"]) is None


class TestWithAdminToken:
    @pytest.fixture
    def settings(self) -> Settings:
        return Settings(clock="manual", seed=1234, admin_token="s3cret")

    async def test_the_page_needs_no_token_but_its_data_does(self, client):
        assert (await client.get("/_emulator/")).status_code == 200
        assert (await client.get("/_emulator/inspector/app.js")).status_code == 200
        for path in ("/_emulator/accounts", "/_emulator/tasks", "/_emulator/lives"):
            assert_error(await client.get(path), 401, "Unauthorized")
            assert (await client.get(path, headers={"Authorization": "Bearer s3cret"})).status_code == 200

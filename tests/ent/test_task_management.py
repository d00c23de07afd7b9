"""Task management: GET /ent/v2/tasks (filters, paging), POST /tasks/{id}/cancel, GET /credits."""

import base64
import json

import pytest

from tests.conftest import AUTH, KEY, advance, assert_error

IMAGE = "https://example.com/start.png"


async def create(client, model="viduq1", headers=AUTH, **extra) -> dict:
    body = {"model": model, "images": [IMAGE], "prompt": f"a {model} task", **extra}
    r = await client.post("/ent/v2/img2video", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def listing(client, params=None, headers=AUTH) -> dict:
    r = await client.get("/ent/v2/tasks", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_task_list_shows_own_tasks_newest_first_in_the_documented_shape(client):
    first = await create(client)
    await advance(client, 1)
    second = await create(client, model="vidu2.0", duration=8, resolution="720p")
    await create(client, headers={"Authorization": "Token vda_someone_else"})
    body = await listing(client)
    assert body["next_page_token"] == ""
    assert [t["id"] for t in body["tasks"]] == [second["task_id"], first["task_id"]]
    newest = body["tasks"][0]
    assert {k: newest[k] for k in ("model", "prompt", "images", "duration", "resolution", "aspect_ratio")} == {
        "model": "vidu2.0", "prompt": "a vidu2.0 task", "images": [IMAGE], "duration": 8,
        "resolution": "720p", "aspect_ratio": "16:9"}
    assert newest["state"] == "created" and newest["creations"] == []
    assert newest["key_id"].isdigit() and KEY not in newest["key_id"]


async def test_task_list_filters_by_state_ids_model_version_and_resolution(client):
    a = await create(client)                                     # viduq1 1080p
    b = await create(client, model="vidu2.0", resolution="720p")
    c = await create(client, model="vidu2.0", resolution="360p")
    assert (await client.post(f"/ent/v2/tasks/{c['task_id']}/cancel", headers=AUTH)).status_code == 200

    async def ids(params):
        return {t["id"] for t in (await listing(client, params))["tasks"]}

    assert await ids({"states": "failed"}) == {c["task_id"]}
    assert await ids([("states", "created"), ("states", "failed")]) == {a["task_id"], b["task_id"], c["task_id"]}
    assert await ids([("task_ids", a["task_id"]), ("task_ids", b["task_id"])]) == {a["task_id"], b["task_id"]}
    assert await ids({"task_ids": f"{a['task_id']},{c['task_id']}"}) == {a["task_id"], c["task_id"]}
    assert await ids({"model_versions": "q1"}) == {a["task_id"]}
    assert await ids({"model_versions": "2.0"}) == {b["task_id"], c["task_id"]}
    assert await ids({"model_versions": "vidu2.0", "resolutions": "720p"}) == {b["task_id"]}


async def test_task_list_default_window_is_the_last_seven_days(client):
    old = await create(client)
    await advance(client, 8 * 86400)
    recent = await create(client)
    assert [t["id"] for t in (await listing(client))["tasks"]] == [recent["task_id"]]
    body = await listing(client, {"created_at.from": "2000-01-01T00:00:00Z"})
    assert [t["id"] for t in body["tasks"]] == [recent["task_id"], old["task_id"]]
    assert (await listing(client, {"created_at.to": "2000-01-01T00:00:00Z"}))["tasks"] == []


async def test_task_list_pages_by_token_and_by_page_number(client):
    made = []
    for _ in range(5):
        made.append((await create(client))["task_id"])
        await advance(client, 1)
    newest_first = made[::-1]
    seen, token = [], None
    while True:
        params = {"paper.pagesz": 2, **({"pager.page_token": token} if token else {})}
        body = await listing(client, params)
        seen += [t["id"] for t in body["tasks"]]
        token = body["next_page_token"]
        if not token:
            break
    assert seen == newest_first
    assert [t["id"] for t in (await listing(client, {"paper.page": 1, "paper.pagesz": 2}))["tasks"]] == made[2:0:-1]
    # the doc's "paper" is probably a typo of "pager": both are read
    assert [t["id"] for t in (await listing(client, {"pager.page": 2, "pager.pagesz": 2}))["tasks"]] == made[:1]
    assert len((await listing(client))["tasks"]) == 5  # default page size 10


async def test_task_list_page_size_above_100_is_page_size_out_of_range(client):
    assert len((await listing(client, {"paper.pagesz": 100}))["tasks"]) == 0
    assert_error(await client.get("/ent/v2/tasks", params={"paper.pagesz": 101}, headers=AUTH),
                 400, "PageSizeOutOfRange", "paper.pagesz")
    assert_error(await client.get("/ent/v2/tasks", params={"pager.pagesz": -1}, headers=AUTH),
                 400, "PageSizeOutOfRange", "pager.pagesz")


@pytest.mark.parametrize("params, field", [
    ({"paper.pagesz": "ten"}, "paper.pagesz"),
    ({"paper.page": "-1"}, "paper.page"),
    ({"states": "done"}, "states"),
    ({"created_at.from": "yesterday"}, "created_at.from"),
    ({"pager.page_token": "not-a-token"}, "pager.page_token"),
])
async def test_task_list_rejects_bad_query_parameters(client, params, field):
    assert_error(await client.get("/ent/v2/tasks", params=params, headers=AUTH), 400, "FieldInvalid", field)


async def test_task_list_needs_a_token(client):
    assert_error(await client.get("/ent/v2/tasks"), 401, "Unauthorized")


@pytest.mark.parametrize("how", ["doc body", "empty object", "no body"])
async def test_cancel_accepts_the_documented_body_an_empty_object_or_none(client, how):
    task = await create(client)
    before = (await client.get("/ent/v2/credits", headers=AUTH)).json()["remains"][0]["credit_remain"]
    kwargs = {"doc body": {"json": {"id": task["task_id"]}}, "empty object": {"json": {}}, "no body": {}}[how]
    r = await client.post(f"/ent/v2/tasks/{task['task_id']}/cancel", headers=AUTH, **kwargs)
    assert r.status_code == 200 and r.json() == {}
    state = (await client.get(f"/ent/v2/tasks/{task['task_id']}/creations", headers=AUTH)).json()
    assert state["state"] == "failed" and state["err_code"] == "UserCancelled"
    after = (await client.get("/ent/v2/credits", headers=AUTH)).json()["remains"][0]["credit_remain"]
    assert after == before + task["credits"]


@pytest.mark.parametrize("content, reason, field", [
    (b"not json", "BadRequest", None),
    (b"[1, 2]", "BadRequest", None),
    (b'{"id": 5}', "FieldInvalid", "id"),
])
async def test_cancel_with_a_broken_body_changes_nothing(client, content, reason, field):
    task = await create(client)
    r = await client.post(f"/ent/v2/tasks/{task['task_id']}/cancel", content=content,
                          headers={**AUTH, "Content-Type": "application/json"})
    assert_error(r, 400, reason, field)
    assert (await client.get(f"/ent/v2/tasks/{task['task_id']}/creations", headers=AUTH)).json()["state"] == "created"


async def test_cancel_of_another_keys_task_is_task_not_found(client):
    task = await create(client)
    other = {"Authorization": "Token vda_someone_else"}
    assert_error(await client.post(f"/ent/v2/tasks/{task['task_id']}/cancel", headers=other), 404, "TaskNotFound")


async def test_credits_show_detail_adds_packages(client):
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 500})
    await create(client)
    plain = (await client.get("/ent/v2/credits", params={"show_detail": "false"}, headers=AUTH)).json()
    assert "packages" not in plain
    assert plain["remains"][0]["concurrency_limit"] == 5
    detail = (await client.get("/ent/v2/credits", params={"show_detail": "true"}, headers=AUTH)).json()
    remain = detail["remains"][0]["credit_remain"]
    [package] = detail["packages"]
    assert package["credit_remain"] == remain < 500 and package["credit_amount"] == 500
    assert package["type"] == "test" and package["concurrency"] == 5
    assert package["valid_from"] < package["valid_to"]
    assert_error(await client.get("/ent/v2/credits", params={"show_detail": "maybe"}, headers=AUTH),
                 400, "FieldInvalid", "show_detail")


def _unsigned(position) -> str:
    """A page token as this emulator issued them before issue 13: base64url of the JSON position."""
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path, name", [("/ent/v2/tasks", "pager.page_token"),
                                        ("/ent/v2/subjects", "next_page_token")])
@pytest.mark.parametrize("token", [
    base64.urlsafe_b64encode(b"[" * 5000).decode(),          # issue 13 #7: was a 500 RecursionError
    base64.urlsafe_b64encode(b"[" * 5000).decode() + "." + "0" * 64,
    _unsigned([4102444800.0, "999"]),                        # a forged position, the old scheme
    _unsigned(["999"]),
    "a" * 5000,                                              # far past any token issued
    "x." + "f" * 64,
])
async def test_a_page_token_not_issued_is_a_400_naming_the_field(client, path, name, token):
    assert_error(await client.get(path, params={name: token}, headers=AUTH), 400, "FieldInvalid", name)


async def test_a_page_token_is_good_only_for_the_listing_that_issued_it(client, emu):
    """Tokens are signed per query parameter: a subjects token is no tasks token, and a reset (a new
    secret) makes every earlier token worthless."""
    for _ in range(3):
        assert (await client.post("/ent/v2/text2video", json={"model": "viduq1", "prompt": "x"},
                                  headers=AUTH)).status_code == 200
    token = (await client.get("/ent/v2/tasks", params={"pager.pagesz": 1}, headers=AUTH)).json()["next_page_token"]
    assert token and len(token) < 200
    r = await client.get("/ent/v2/tasks", params={"pager.pagesz": 1, "pager.page_token": token}, headers=AUTH)
    assert r.status_code == 200 and len(r.json()["tasks"]) == 1
    assert_error(await client.get("/ent/v2/subjects", params={"next_page_token": token}, headers=AUTH),
                 400, "FieldInvalid", "next_page_token")
    assert (await client.post("/_emulator/reset")).status_code == 200
    assert_error(await client.get("/ent/v2/tasks", params={"pager.page_token": token}, headers=AUTH),
                 400, "FieldInvalid", "pager.page_token")

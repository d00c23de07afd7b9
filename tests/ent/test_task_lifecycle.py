"""Task lifecycle: created -> queueing -> processing -> success | failed, the 5-task limit, FIFO,
off-peak, cancel, refunds, and isolation between keys."""

import pytest

from tests.conftest import AUTH, KEY, advance, assert_error

BODY = {"model": "viduq1", "images": ["https://example.com/a.png"], "prompt": "a cat waves"}


async def create(client, headers=AUTH, **extra):
    r = await client.post("/ent/v2/img2video", json={**BODY, **extra}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def state(client, task_id, headers=AUTH):
    r = await client.get(f"/ent/v2/tasks/{task_id}/creations", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def balance(client, headers=AUTH):
    return (await client.get("/ent/v2/credits", headers=headers)).json()["remains"][0]["credit_remain"]


async def test_states_go_created_queueing_processing_success(client, emu):
    task = await create(client)
    assert task["state"] == "created"
    seen = [(await state(client, task["task_id"]))["state"]]
    for _ in range(8):
        await advance(client, 5)
        seen.append((await state(client, task["task_id"]))["state"])
    assert seen[0] == "created"
    assert "queueing" in seen or "processing" in seen
    assert seen[-1] == "success"
    order = ["created", "queueing", "processing", "success"]
    assert [s for s in order if s in seen] == [s for s in dict.fromkeys(seen)]


async def test_at_most_five_tasks_process_per_account_and_the_rest_queue_fifo(client, emu):
    ids = [(await create(client))["task_id"] for _ in range(7)]
    await advance(client, 2)
    states = [(await state(client, t))["state"] for t in ids]
    assert states == ["processing"] * 5 + ["queueing"] * 2
    credits = (await client.get("/ent/v2/credits", headers=AUTH)).json()["remains"][0]
    assert credits["concurrency_limit"] == 5 and credits["current_concurrency"] == 5
    assert credits["queue_count"] == 2
    await advance(client, emu.core.settings.task_seconds)
    states = [(await state(client, t))["state"] for t in ids]
    assert states == ["success"] * 5 + ["processing"] * 2


async def test_the_limit_is_per_account(client):
    other = {"Authorization": "Token vda_other"}
    mine = [(await create(client))["task_id"] for _ in range(5)]
    theirs = (await create(client, headers=other))["task_id"]
    await advance(client, 2)
    assert (await state(client, theirs, other))["state"] == "processing"
    assert [(await state(client, t))["state"] for t in mine] == ["processing"] * 5


async def test_credits_are_deducted_at_creation(client):
    before = await balance(client)
    task = await create(client)
    assert task["credits"] > 0
    assert await balance(client) == before - task["credits"]


async def test_another_keys_task_is_task_not_found(client):
    task = await create(client)
    other = {"Authorization": "Token vda_other"}
    assert_error(await client.get(f"/ent/v2/tasks/{task['task_id']}/creations", headers=other), 404, "TaskNotFound")
    assert_error(await client.post(f"/ent/v2/tasks/{task['task_id']}/cancel", json={}, headers=other),
                 404, "TaskNotFound")
    assert_error(await client.get("/ent/v2/tasks/123456789012345678/creations", headers=AUTH), 404, "TaskNotFound")


async def test_cancel_a_queued_task_refunds_with_user_cancelled(client):
    ids = [(await create(client))["task_id"] for _ in range(6)]
    await advance(client, 2)
    before = await balance(client)
    r = await client.post(f"/ent/v2/tasks/{ids[5]}/cancel", json={"id": ids[5]}, headers=AUTH)
    assert r.status_code == 200 and r.json() == {}
    cancelled = await state(client, ids[5])
    assert cancelled["state"] == "failed" and cancelled["err_code"] == "UserCancelled"
    assert await balance(client) == before + cancelled["credits"]


async def test_a_processing_normal_task_cannot_be_cancelled(client):
    task = await create(client)
    await advance(client, 2)
    before = await balance(client)
    body = assert_error(await client.post(f"/ent/v2/tasks/{task['task_id']}/cancel", json={}, headers=AUTH),
                        400, "BadRequest")
    assert body["message"] == "task state is scheduled, can not cancel"
    assert (await state(client, task["task_id"]))["state"] == "processing"
    assert await balance(client) == before


async def test_a_finished_task_cannot_be_cancelled(client):
    task = await create(client)
    await advance(client, 120)
    assert_error(await client.post(f"/ent/v2/tasks/{task['task_id']}/cancel", json={}, headers=AUTH),
                 400, "BadRequest")


async def test_an_off_peak_task_can_be_cancelled_while_processing(client, emu):
    task = await create(client, off_peak=True)
    await advance(client, emu.core.settings.offpeak_delay + 2)
    assert (await state(client, task["task_id"]))["state"] == "processing"
    before = await balance(client)
    assert (await client.post(f"/ent/v2/tasks/{task['task_id']}/cancel", json={}, headers=AUTH)).status_code == 200
    assert (await state(client, task["task_id"]))["err_code"] == "UserCancelled"
    assert await balance(client) == before + task["credits"]


async def test_an_off_peak_task_finishes_within_48_hours(client):
    task = await create(client, off_peak=True)
    await advance(client, 600)
    assert (await state(client, task["task_id"]))["state"] == "queueing"
    await advance(client, 48 * 3600)
    assert (await state(client, task["task_id"]))["state"] == "success"


async def test_an_off_peak_task_not_done_in_48_hours_is_cancelled_and_refunded(client):
    before = await balance(client)
    # Generation that would take 49 h (a task.finish delay on the virtual clock).
    await client.post("/_emulator/faults", json={"match": {"operation": "task.finish"},
                                                  "action": {"delay_ms": 49 * 3600 * 1000}, "times": 1})
    task = await create(client, off_peak=True)
    await advance(client, 48 * 3600 + 1)
    final = await state(client, task["task_id"])
    assert final["state"] == "failed" and final["err_code"] == "Canceled"
    assert await balance(client) == before


async def test_task_finish_fault_fails_the_task_with_that_err_code_and_refunds(client):
    before = await balance(client)
    await client.post("/_emulator/faults", json={"match": {"operation": "task.finish", "api_key": KEY},
                                                  "action": {"err_code": "CreationPolicyViolation"}, "times": 1})
    task = await create(client)
    await advance(client, 120)
    final = await state(client, task["task_id"])
    assert final["state"] == "failed" and final["err_code"] == "CreationPolicyViolation"
    assert final["creations"] == []
    assert await balance(client) == before
    second = await create(client)
    await advance(client, 120)
    assert (await state(client, second["task_id"]))["state"] == "success"


async def test_credit_insufficient_creates_nothing(client):
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 1})
    assert_error(await client.post("/ent/v2/img2video", json=BODY, headers=AUTH), 400, "CreditInsufficient")
    assert await balance(client) == 1
    assert (await client.get("/ent/v2/credits", headers=AUTH)).json()["remains"][0]["queue_count"] == 0


async def test_the_ledger_balances_after_a_mixed_run(client):
    ids = [(await create(client, off_peak=i % 2 == 0))["task_id"] for i in range(8)]
    await advance(client, 2)
    assert (await client.post(f"/ent/v2/tasks/{ids[6]}/cancel", json={}, headers=AUTH)).status_code == 200
    await advance(client, 3 * 3600)
    account = (await client.get(f"/_emulator/accounts/{KEY}")).json()
    finals = [await state(client, t) for t in ids]
    assert {f["state"] for f in finals} == {"success", "failed"}
    spent = sum(f["credits"] for f in finals if f["state"] == "success")
    assert account["credits"] == 1000 - spent
    assert sum(e["delta"] for e in account["ledger"]) == account["credits"]


@pytest.mark.parametrize("header", ["", "Bearer vda_x", "Token", "Token abc", "Token vda_", "Basic dmRhOng="])
async def test_missing_or_malformed_auth_is_unauthorized(client, header):
    headers = {"Authorization": header} if header else {}
    assert_error(await client.post("/ent/v2/img2video", json=BODY, headers=headers), 401, "Unauthorized")
    assert_error(await client.get("/ent/v2/credits", headers=headers), 401, "Unauthorized")

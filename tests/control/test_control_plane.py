"""The control plane under /_emulator/, in the exact shapes of ARCHITECTURE.md."""

from tests.conftest import AUTH, KEY, advance, assert_error


async def test_health_reports_version_and_clock(client):
    body = (await client.get("/_emulator/health")).json()
    assert body["status"] == "ok" and body["version"]
    assert body["clock"]["mode"] == "manual" and body["clock"]["speed"] == 1.0


async def test_manual_clock_moves_only_on_advance(client):
    before = (await client.get("/_emulator/clock")).json()
    again = (await client.get("/_emulator/clock")).json()
    assert again["now"] == before["now"]
    after = await advance(client, 90)
    assert after["now"] == before["now"] + 90 and after["mode"] == "manual"


async def test_advance_rejects_bad_seconds_in_the_envelope(client):
    for bad in (-1, "10", None, True):
        assert_error(await client.post("/_emulator/clock/advance", json={"seconds": bad}), 400, "FieldInvalid")


async def test_clock_mode_switch(client):
    body = (await client.put("/_emulator/clock", json={"mode": "speed", "speed": 60})).json()
    assert body["mode"] == "speed" and body["speed"] == 60
    assert_error(await client.put("/_emulator/clock", json={"mode": "warp"}), 400, "FieldInvalid", "mode")


async def test_accounts_put_and_get_with_ledger(client):
    r = await client.put("/_emulator/accounts/vda_alice", json={"credits": 250})
    assert r.status_code == 200
    body = (await client.get("/_emulator/accounts/vda_alice")).json()
    assert body["api_key"] == "vda_alice" and body["credits"] == 250
    assert sum(e["delta"] for e in body["ledger"]) == 250
    assert set(body["ledger"][0]) >= {"at", "delta", "reason", "ref"}
    assert_error(await client.put("/_emulator/accounts/vda_alice", json={"credits": -1}), 400, "FieldInvalid")
    assert_error(await client.get("/_emulator/accounts/vda_nobody"), 404, "NotFound")


async def test_first_use_of_a_key_creates_an_account_with_initial_credits(client):
    r = await client.get("/ent/v2/credits", headers=AUTH)
    assert r.status_code == 200
    assert r.json()["remains"][0]["credit_remain"] == 1000
    assert (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"] == 1000


async def test_reset_clears_everything(client):
    await client.put("/_emulator/accounts/vda_alice", json={"credits": 5})
    await client.post("/_emulator/faults", json={"match": {"operation": "task.finish"}, "action": {"err_code": "X"}})
    assert (await client.post("/_emulator/reset")).status_code == 200
    assert (await client.get("/_emulator/accounts/vda_alice")).status_code == 404
    assert (await client.get("/_emulator/faults")).json()["faults"] == []


async def test_unknown_paths_answer_not_found_in_the_envelope(client):
    assert_error(await client.get("/ent/v2/nothing-here", headers=AUTH), 404, "NotFound")


async def test_request_journal_lists_method_path_status_key_time(client):
    await client.get("/ent/v2/credits", headers=AUTH)
    await client.get("/ent/v2/credits")
    entries = (await client.get("/_emulator/requests")).json()["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in entries[-2:]] == [
        ("GET", "/ent/v2/credits", 200), ("GET", "/ent/v2/credits", 401)]
    assert entries[-2]["api_key"] == KEY and entries[-1]["reason"] == "Unauthorized"
    assert isinstance(entries[-1]["at"], float)


async def test_fault_http_status_applies_times_then_stops(client):
    rule = {"match": {"operation": "GET /ent/v2/credits"}, "action": {"status": 429, "reason": "TooManyRequests"},
            "times": 2}
    fault_id = (await client.post("/_emulator/faults", json=rule)).json()["id"]
    assert fault_id
    for _ in range(2):
        assert_error(await client.get("/ent/v2/credits", headers=AUTH), 429, "TooManyRequests")
    assert (await client.get("/ent/v2/credits", headers=AUTH)).status_code == 200
    assert (await client.get("/_emulator/faults")).json()["faults"] == []


async def test_fault_matches_contract_path_templates_and_api_key(client):
    rule = {"match": {"operation": "GET /ent/v2/tasks/{id}/creations", "api_key": "vda_other"},
            "action": {"status": 503, "reason": "InternalServiceFailure"}}
    fault_id = (await client.post("/_emulator/faults", json=rule)).json()["id"]
    assert_error(await client.get("/ent/v2/tasks/123/creations", headers=AUTH), 404, "TaskNotFound")
    other = {"Authorization": "Token vda_other"}
    assert_error(await client.get("/ent/v2/tasks/123/creations", headers=other), 503, "InternalServiceFailure")
    assert (await client.delete(f"/_emulator/faults/{fault_id}")).status_code == 200
    assert_error(await client.delete(f"/_emulator/faults/{fault_id}"), 404, "NotFound")


async def test_bad_fault_rules_are_refused(client):
    for bad in ([], {"match": {"operation": "FETCH /x"}, "action": {"status": 500}},
                {"match": {"operation": "task.finish"}, "action": {}},
                {"match": {"operation": "task.finish"}, "action": {"explode": True}},
                {"match": {"operation": "ws.conn_init"}, "action": {"error_code": "BOOM"}},
                {"match": {"operation": "task.finish"}, "action": {"err_code": "X"}, "times": 0}):
        r = await client.post("/_emulator/faults", json=bad)
        assert r.status_code == 400, (bad, r.text)
    assert (await client.get("/_emulator/faults")).json()["faults"] == []


async def test_openapi_is_served(client):
    doc = (await client.get("/_emulator/openapi.json")).json()
    assert doc["openapi"].startswith("3.1") and "/ent/v2/tasks/{task_id}/creations" in doc["paths"]

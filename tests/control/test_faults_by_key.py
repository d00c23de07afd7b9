"""A fault rule's ``match.api_key`` narrows every operation of that caller, Token and Bearer alike
(core/faults.py; docs/decisions.md, "Re-read of the first documents")."""

from __future__ import annotations

from tests.conftest import advance
from tests.support.media import png

AGG = {"model": "vidu20_img2video", "images": [png()], "prompt": "The astronaut waved."}
ENT = {"model": "viduq1", "images": [png()], "prompt": "a cat"}


def auth(scheme: str, key: str) -> dict:
    return {"Authorization": f"{scheme} {key}"}


async def add_rule(client, match: dict, action: dict) -> None:
    r = await client.post("/_emulator/faults", json={"match": match, "action": action})
    assert r.status_code == 200, r.text


async def test_a_task_finish_rule_matching_a_bearer_key_fails_only_that_keys_aggregator_task(client):
    await add_rule(client, {"operation": "task.finish", "api_key": "sk-faulty"}, {"err_code": "008005099"})
    faulty = (await client.post("/model/v1/generation", json=AGG, headers=auth("Bearer", "sk-faulty"))).json()
    fine = (await client.post("/model/v1/generation", json=AGG, headers=auth("Bearer", "sk-fine"))).json()
    await advance(client, 60)
    failed = (await client.get(f"/model/v1/generation/task/{faulty['id']}", headers=auth("Bearer", "sk-faulty"))).json()
    done = (await client.get(f"/model/v1/generation/task/{fine['id']}", headers=auth("Bearer", "sk-fine"))).json()
    assert failed["status"] == "failed" and failed["error"]["code"] == "008005099"
    assert done["status"] == "completed"
    ledger = (await client.get("/_emulator/accounts/sk-faulty")).json()["ledger"]
    assert ledger[-1]["reason"] == "refund:008005099" and ledger[-1]["ref"] == faulty["id"]


async def test_an_http_rule_matching_a_key_fires_for_bearer_and_token_callers_of_it_and_no_other(client):
    key = "vda_faulty"   # a Token key is vda_...; the same string serves as a Bearer key
    for operation in ("POST /model/v1/generation", "POST /ent/v2/img2video"):
        await add_rule(client, {"operation": operation, "api_key": key},
                       {"status": 429, "reason": "TooManyRequests"})
    for scheme, path, body in (("Bearer", "/model/v1/generation", AGG), ("Token", "/ent/v2/img2video", ENT)):
        hit = await client.post(path, json=body, headers=auth(scheme, key))
        assert hit.status_code == 429 and hit.json()["reason"] == "TooManyRequests", (scheme, hit.text)
        missed = await client.post(path, json=body, headers=auth(scheme, "vda_other"))
        assert missed.status_code == 200, (scheme, missed.text)
    rules = (await client.get("/_emulator/faults")).json()["faults"]
    assert [r["hits"] for r in rules] == [1, 1]

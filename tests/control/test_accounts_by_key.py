"""/_emulator/accounts/{api_key} governs the account that key spends from, whatever scheme the caller
uses: ``Token K`` (/ent/v2, /live/v1) and ``Bearer K`` (/model/v1) are one account (docs/decisions.md,
"Re-read of the first documents")."""

from __future__ import annotations

import pytest

from tests.conftest import advance
from tests.support.media import png
from viduemu.app import create_app
from viduemu.config import Settings
from viduemu.vidu.accounts import KEYED_AS_SENT, Account

AGG = {"model": "vidu20_img2video", "images": [png()], "prompt": "The astronaut waved."}


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


async def account(client, key: str) -> dict:
    r = await client.get(f"/_emulator/accounts/{key}")
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_bearer_key_spends_from_the_credits_put_for_its_string(client):
    await client.put("/_emulator/accounts/sk-test123", json={"credits": 500})
    r = await client.post("/model/v1/generation", json=AGG, headers=bearer("sk-test123"))
    assert r.status_code == 200, r.text
    task = r.json()
    await advance(client, 60)
    done = (await client.get(f"/model/v1/generation/task/{task['id']}", headers=bearer("sk-test123"))).json()
    spent = round(float(done["usage"]["cost"]) / 0.005)
    shown = await account(client, "sk-test123")
    assert shown["credits"] == 500 - spent and spent > 0
    assert shown["ledger"][-1] == {**shown["ledger"][-1], "delta": -spent, "ref": task["id"]}
    assert (await client.get("/_emulator/accounts/bearer:sk-test123")).status_code == 404   # no namespace


async def test_a_bearer_create_is_refused_credit_insufficient_when_the_put_credits_are_too_few(client):
    await client.put("/_emulator/accounts/sk-test123", json={"credits": 1})
    r = await client.post("/model/v1/generation", json=AGG, headers=bearer("sk-test123"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "403"
    journal = (await client.get("/_emulator/requests")).json()["requests"]
    assert journal[-1]["path"] == "/model/v1/generation" and journal[-1]["reason"] == "CreditInsufficient"
    assert (await account(client, "sk-test123"))["credits"] == 1


async def test_a_token_caller_of_the_same_string_sees_the_same_balance(client):
    # a Token key must be vda_... (the vendor's form), so the shared string is one
    key = "vda_shared"
    await client.put(f"/_emulator/accounts/{key}", json={"credits": 500})
    assert (await client.post("/model/v1/generation", json=AGG, headers=bearer(key))).status_code == 200
    remains = (await client.get("/ent/v2/credits", headers={"Authorization": f"Token {key}"})).json()["remains"][0]
    assert remains["credit_remain"] == (await account(client, key))["credits"] < 500
    accounts = [a["api_key"] for a in (await client.get("/_emulator/accounts")).json()["accounts"]]
    assert accounts.count(key) == 1 and not any(a.startswith("bearer:") for a in accounts)


@pytest.fixture
def state_settings(tmp_path) -> Settings:
    return Settings(clock="manual", seed=1234, state=str(tmp_path / "state.sqlite"), task_seconds=30)


async def test_a_state_with_legacy_bearer_accounts_loads_them_under_the_key_as_sent(state_settings):
    """States written before kept a Bearer key's account as ``bearer:<key>``: a restart hands it, and the
    records that name it, to the key (merged into the key's account when a Token caller had one)."""
    import httpx

    app = create_app(state_settings)
    emu = app.state.emu
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        task = (await c.post("/model/v1/generation", json=AGG, headers=bearer("sk-old"))).json()
        await c.put("/_emulator/accounts/vda_both", json={"credits": 100})
    old = emu.accounts.get("sk-old")
    with emu.core.store.atomic():   # written as the emulator wrote it before the change
        emu.core.store.delete("_meta", KEYED_AS_SENT)
        emu.accounts.table.put(Account("bearer:sk-old", old.credits, old.ledger))
        emu.accounts.table.delete("sk-old")
        emu.accounts.table.put(Account("bearer:vda_both", 30, []))
        record = emu.tasks.table.get(task["id"])
        record.api_key = "bearer:sk-old"
        emu.tasks.table.put(record)
    await emu.aclose()

    app = create_app(state_settings)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
            assert (await account(c, "sk-old"))["credits"] == old.credits
            again = await c.get(f"/model/v1/generation/task/{task['id']}", headers=bearer("sk-old"))
            assert again.status_code == 200 and again.json()["id"] == task["id"]
            both = await account(c, "vda_both")
            assert both["credits"] == 130 and both["ledger"][-1]["reason"] == "merged"
            assert not [a for a in (await c.get("/_emulator/accounts")).json()["accounts"]
                        if a["api_key"].startswith("bearer:")]
    finally:
        await app.state.emu.aclose()


async def test_a_bearer_key_spelled_like_a_legacy_account_stays_itself_across_restarts(state_settings):
    import httpx

    for step in ("create", "reset and create", "read"):
        app = create_app(state_settings)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
                if step.startswith("reset"):
                    assert (await c.post("/_emulator/reset")).status_code == 200
                if "create" in step:
                    await c.put("/_emulator/accounts/bearer:x", json={"credits": 400})
                    r = await c.post("/model/v1/generation", json=AGG, headers=bearer("bearer:x"))
                    assert r.status_code == 200, r.text
                if step == "read":
                    assert (await account(c, "bearer:x"))["credits"] < 400
                    assert (await c.get("/_emulator/accounts/x")).status_code == 404
        finally:
            await app.state.emu.aclose()

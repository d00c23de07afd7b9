"""GET /live/v1/lives (issue 15 §3): the caller's own sessions, newest first, paged by ``pager.page`` and
``pager.pagesz`` (wire notes §2.1, a 3P copy of the vendor's S1 page: ``?pager.page=0&pager.pagesz=10``).
Default 10, at most 100, pages from 0, a size of 0 is unset: docs/decisions.md "S1 extras (issue 15)".
(The ``client`` fixture checks every answer against contracts/openapi.yaml.)"""

from __future__ import annotations

import pytest

from tests.conftest import AUTH, KEY, advance, assert_error
from tests.live.test_live_create import body, created

LIVES = "/live/v1/lives"
OTHER = {"Authorization": "Token vda_other_key"}
DEFAULT_SIZE, MAX_SIZE = 10, 100   # docs/decisions.md: the 3P example's pagesz; GET /ent/v2/tasks' maximum


async def make(client, n: int, headers=AUTH) -> list[str]:
    """``n`` sessions one virtual second apart, oldest first."""
    ids = []
    for _ in range(n):
        ids.append((await created(client, body(), headers))["live"]["id"])
        await advance(client, 1)
    return ids


async def listed(client, headers=AUTH, **query) -> dict:
    r = await client.get(LIVES, params=query, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_list_holds_the_query_s_live_objects_newest_first(client):
    ids = await make(client, 3)
    page = await listed(client)
    assert [live["id"] for live in page["lives"]] == ids[::-1]
    assert page["total"] == 3
    one = (await client.get(f"{LIVES}/{ids[0]}", headers=AUTH)).json()["live"]
    assert page["lives"][-1] == one


async def test_an_account_without_sessions_lists_none(client):
    assert await listed(client) == {"lives": [], "total": 0}


async def test_the_default_page_size_is_10(client):
    await make(client, DEFAULT_SIZE + 2)
    page = await listed(client)
    assert len(page["lives"]) == DEFAULT_SIZE and page["total"] == DEFAULT_SIZE + 2


async def test_a_page_size_of_0_is_unset(client):
    await make(client, DEFAULT_SIZE + 1)
    assert len((await listed(client, **{"pager.pagesz": 0}))["lives"]) == DEFAULT_SIZE


async def test_pages_are_numbered_from_0_and_cover_every_session_once(client):
    ids = await make(client, 5)
    pages = [(await listed(client, **{"pager.page": p, "pager.pagesz": 2}))["lives"] for p in range(4)]
    assert [[live["id"] for live in page] for page in pages] == [ids[4:2:-1], ids[2:0:-1], ids[:1], []]


async def test_a_page_past_the_end_is_empty(client):
    await make(client, 1)
    assert await listed(client, **{"pager.page": 7}) == {"lives": [], "total": 1}


async def test_the_page_size_may_be_100(client):
    await make(client, 2)
    assert len((await listed(client, **{"pager.pagesz": MAX_SIZE}))["lives"]) == 2


async def test_another_key_s_sessions_are_not_listed(client):
    await make(client, 2, OTHER)
    mine = await make(client, 1)
    page = await listed(client)
    assert [live["id"] for live in page["lives"]] == mine and page["total"] == 1
    assert (await listed(client, OTHER))["total"] == 2


async def test_ended_sessions_are_listed_with_their_close_reason(client):
    [live_id] = await make(client, 1)
    r = await client.post(f"/_emulator/lives/{live_id}/hangup", json={"hangup_reason": "external"})
    assert r.status_code == 200, r.text
    [live] = (await listed(client))["lives"]
    assert live["status"] in ("ending", "ended") and live["hangup_reason"] == "external"


@pytest.mark.parametrize("size", [MAX_SIZE + 1, -1, 10_000])
async def test_a_page_size_out_of_1_to_100_is_refused(client, size):
    r = await client.get(LIVES, params={"pager.pagesz": size}, headers=AUTH)
    assert_error(r, 400, "PageSizeOutOfRange", "pager.pagesz")


@pytest.mark.parametrize("name,value", [("pager.pagesz", "ten"), ("pager.page", "x"), ("pager.page", "1.5"),
                                        ("pager.page", "")])
async def test_a_pager_value_that_is_not_an_integer_is_refused(client, name, value):
    assert_error(await client.get(LIVES, params={name: value}, headers=AUTH), 400, "FieldInvalid", name)


async def test_a_negative_page_is_refused(client):
    assert_error(await client.get(LIVES, params={"pager.page": -1}, headers=AUTH), 400, "FieldInvalid", "pager.page")


async def test_the_list_needs_a_key(client):
    r = await client.get(LIVES)
    assert r.status_code == 401, r.text


async def test_a_refused_list_changes_nothing(client, emu):
    await make(client, 1)
    before = emu.core.store.count("lives"), (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"]
    await client.get(LIVES, params={"pager.pagesz": MAX_SIZE + 1}, headers=AUTH)
    assert (emu.core.store.count("lives"), (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"]) == before

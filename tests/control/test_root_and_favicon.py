"""``GET /`` points a browser to the inspector and an API client to the contracts; the favicon is served
and never lands in the request journal."""

from __future__ import annotations


async def test_a_browser_asking_for_the_root_is_sent_to_the_inspector(client):
    r = await client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 302 and r.headers["location"] == "/_emulator/"


async def test_an_api_client_asking_for_the_root_gets_links_to_the_contracts(client):
    r = await client.get("/", headers={"Accept": "application/json"})
    assert r.status_code == 200
    assert r.json()["openapi"] == "/_emulator/openapi.json" and r.json()["inspector"] == "/_emulator/"
    assert (await client.get(r.json()["openapi"])).status_code == 200


async def test_the_favicon_is_served_and_never_journalled(client):
    r = await client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    journal = (await client.get("/_emulator/requests")).json()
    assert "/favicon.ico" not in str(journal)

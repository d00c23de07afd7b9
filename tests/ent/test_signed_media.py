"""Issue 13 #3: media URLs carry an unguessable signature and a 24-hour expiry on the virtual clock,
like the vendor's signed result URLs; the secret is the state's own, so URLs survive a restart."""

from __future__ import annotations

import httpx

from tests.conftest import AUTH, advance, assert_error
from tests.ent.test_outputs import FOX, finished
from viduemu.app import create_app
from viduemu.config import Settings

DAY = 24 * 3600


def local(url: str) -> str:
    return url.removeprefix("http://testserver")


async def test_a_guessed_media_url_is_refused_in_the_envelope(client):
    """The attack: with --seed the ids are predictable, so the path alone could be guessed."""
    [creation] = (await finished(client, FOX))["creations"]
    cover = local(creation["cover_url"])
    path, _, query = cover.partition("?")
    params = dict(p.split("=", 1) for p in query.split("&"))
    assert (await client.get(cover)).status_code == 200
    other = local(creation["url"]).split("?")[0]
    for guessed in (path,                                                           # no signature
                    f"{path}?expires={params['expires']}",
                    f"{path}?expires={params['expires']}&sig={'0' * 64}",          # a wrong one
                    f"{path}?expires={int(params['expires']) + DAY}&sig={params['sig']}",  # extended
                    f"{other}?{query}",                                            # another file's
                    f"{path}?expires=abc&sig={params['sig']}"):
        assert_error(await client.get(guessed), 403, "Forbidden")
        head = await client.head(guessed)
        assert head.status_code == 403


async def test_a_media_url_expires_after_24_hours_and_a_new_answer_signs_it_again(client):
    body = await finished(client, FOX)
    cover = local(body["creations"][0]["cover_url"])
    await advance(client, DAY - 60)
    assert (await client.get(cover)).status_code == 200
    await advance(client, 60)
    assert_error(await client.get(cover), 403, "Forbidden")
    again = (await client.get(f"/ent/v2/tasks/{body['id']}/creations", headers=AUTH)).json()
    fresh = local(again["creations"][0]["cover_url"])
    assert fresh != cover and (await client.get(fresh)).status_code == 200


async def test_a_signed_url_works_after_a_restart_with_state_and_not_after_a_reset(tmp_path):
    settings = Settings(clock="manual", seed=1234, state=str(tmp_path / "state.sqlite"))

    async def session():
        app = create_app(settings)
        return app, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    app, c = await session()
    try:
        cover = local((await finished(c, FOX))["creations"][0]["cover_url"])
    finally:
        await c.aclose()
        await app.state.emu.aclose()
    app, c = await session()
    try:
        assert (await c.get(cover)).status_code == 200       # the state's secret came back with it
        assert (await c.post("/_emulator/reset")).status_code == 200
        assert_error(await c.get(cover), 403, "Forbidden")  # a reset makes a new secret
    finally:
        await c.aclose()
        await app.state.emu.aclose()


async def test_every_answer_that_hands_out_media_signs_it(client):
    """The task list and the inspector's task view sign their URLs like the creations query."""
    body = await finished(client, FOX)
    listed = (await client.get("/ent/v2/tasks", headers=AUTH)).json()["tasks"][0]["creations"][0]
    inspected = (await client.get(f"/_emulator/tasks/{body['id']}")).json()["creations"][0]
    for url in (listed["url"], listed["cover_url"], inspected["cover_url"]):
        assert "&sig=" in url
    assert (await client.get(local(listed["cover_url"]))).status_code == 200
    assert (await client.get(inspected["cover_url"])).status_code == 200

"""A subject created with POST /ent/v2/subjects is usable by id in reference2video (same key only)."""

from tests.conftest import AUTH, advance, assert_error
from tests.support.media import png

OTHER = {"Authorization": "Token vda_someone_else"}


async def make_subject(client, headers=AUTH) -> str:
    r = await client.post("/ent/v2/subjects", json={"name": "hero", "images": [png(), png(300, 200)]},
                          headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["id"]


async def test_a_created_subject_is_usable_by_server_id_and_by_id(client):
    subject_id = await make_subject(client)
    for entry in ({"name": "1", "server_id": subject_id}, {"id": subject_id}):
        body = {"model": "viduq2", "subjects": [entry], "prompt": "[@1] walks into the sea"}
        r = await client.post("/ent/v2/reference2video", json=body, headers=AUTH)
        assert r.status_code == 200, r.text
        task_id = r.json()["task_id"]
        await advance(client, 120)
        done = (await client.get(f"/ent/v2/tasks/{task_id}/creations", headers=AUTH)).json()
        assert done["state"] == "success" and len(done["creations"]) == 1


async def test_another_keys_subject_is_refused_and_creates_nothing(client):
    subject_id = await make_subject(client, OTHER)
    before = (await client.get("/ent/v2/credits", headers=AUTH)).json()["remains"][0]["credit_remain"]
    body = {"model": "viduq2", "subjects": [{"name": "1", "server_id": subject_id}], "prompt": "[@1] waves"}
    assert_error(await client.post("/ent/v2/reference2video", json=body, headers=AUTH),
                 400, "FieldInvalid", "subjects.0.server_id")
    after = (await client.get("/ent/v2/credits", headers=AUTH)).json()["remains"][0]["credit_remain"]
    assert after == before

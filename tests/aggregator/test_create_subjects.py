"""The aggregator's vidu_create_subjects: a task whose output is the subject as parsable JSON text."""

import json

import pytest

from tests.aggregator.test_img2video import BEARER, refused
from tests.conftest import AUTH, advance
from tests.support.media import png


async def submit(client, **change):
    body = {"model": "vidu_create_subjects", "name": "hero", "images": [png(), png(300, 200)], **change}
    return await client.post("/model/v1/generation", json=body, headers=BEARER)


async def test_a_create_subjects_task_completes_with_the_subject_as_json_text(client):
    task = (await submit(client, voice_id="Tina")).json()
    assert task["status"] == "pending" and task["model"] == "vidu_create_subjects"
    await advance(client, 60)
    done = (await client.get(f"/model/v1/generation/task/{task['id']}", headers=BEARER)).json()
    assert done["status"] == "completed"
    content = done["output"][0]["content"][0]
    assert content["type"] == "text"
    subject = json.loads(content["text"])
    assert set(subject) >= {"id", "name", "images", "videos", "voice_id", "style", "description", "credits"}
    assert subject["name"] == "hero" and subject["voice_id"] == "Tina" and len(subject["images"]) == 2
    assert done["usage"]["cost"] == "0.0000"


@pytest.mark.parametrize("change,code", [
    ({"images": []}, "008005001"),
    ({"images": [png()] * 4}, "008005004"),
    ({"images": ["https://example.com/a.gif"]}, "008005004"),
    ({"name": ""}, "008005002"),
    ({"videos": ["https://example.com/a.mp4", "https://example.com/b.mp4"]}, "008005002"),
])
async def test_create_subjects_rules(client, change, code):
    refused(await submit(client, **change), code)


async def test_a_bearer_subject_is_not_in_the_token_keys_library(client):
    task = (await submit(client)).json()
    await advance(client, 60)
    done = (await client.get(f"/model/v1/generation/task/{task['id']}", headers=BEARER)).json()
    subject_id = json.loads(done["output"][0]["content"][0]["text"])["id"]
    listed = (await client.get("/ent/v2/subjects", headers=AUTH)).json()["subjects"]
    assert subject_id not in [s["id"] for s in listed]

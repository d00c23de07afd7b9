"""Issue 13 #8: a lone UTF-16 surrogate (the JSON escape ``\\ud800`` without its pair) is refused at the
input boundary (core/http.parse_json), a vendor-shaped 400 FieldInvalid naming the field, for every
body; the same body with real Unicode text (an emoji, an escaped surrogate *pair*) is accepted and
renders. docs/decisions.md, "Lone surrogates"."""

from __future__ import annotations

import json

import pytest

from tests.conftest import AUTH, KEY, advance, assert_error
from tests.support.media import png, wav

LONE, PAIR = "a\ud800b", "a\U0001F600b"     # json.dumps escapes both: "a\\ud800b", "a\\ud83d\\ude00b"
IMAGE = "https://example.com/a.png"
BEARER = {"Authorization": "Bearer vda_surrogates"}


def _cases():
    """(id, method, path, headers, body with a "{T}" marker in the text field, the field's name)."""
    return [
        ("text2video prompt", "POST", "/ent/v2/text2video", AUTH, {"model": "viduq1", "prompt": "{T}"}, "prompt"),
        ("img2video prompt", "POST", "/ent/v2/img2video", AUTH,
         {"model": "vidu2.0", "images": [IMAGE], "prompt": "{T}"}, "prompt"),
        ("start-end2video prompt", "POST", "/ent/v2/start-end2video", AUTH,
         {"model": "viduq1", "images": [IMAGE, IMAGE], "prompt": "{T}"}, "prompt"),
        ("reference2video prompt", "POST", "/ent/v2/reference2video", AUTH,
         {"model": "viduq1", "images": [IMAGE], "prompt": "{T}"}, "prompt"),
        ("reference2video subject name", "POST", "/ent/v2/reference2video", AUTH,
         {"model": "viduq2", "subjects": [{"name": "{T}", "images": [IMAGE]}], "prompt": "@1 cooks"},
         "subjects.0.name"),
        ("subject name", "POST", "/ent/v2/subjects", AUTH, {"name": "{T}", "images": [IMAGE]}, "name"),
        ("MV prompt", "POST", "/ent/v2/one-click/mv", AUTH,
         {"images": [png()], "audio_url": wav(10), "prompt": "{T}"}, "prompt"),
        ("live persona", "POST", "/live/v1/lives", AUTH,
         {"call_mode": "audio", "avatar": {"persona": "{T}", "image_uri": IMAGE}}, "avatar.persona"),
        ("live name", "POST", "/live/v1/lives", AUTH,
         {"call_mode": "audio", "avatar": {"persona": "A guide.", "name": "{T}", "image_uri": IMAGE}}, "avatar.name"),
        ("voice clone text", "POST", "/live/v1/voices/clone", AUTH,
         {"audio_url": wav(3), "voice": "brand01", "language": "zh", "text": "{T}"}, "text"),
        ("voice clone name", "POST", "/live/v1/voices/clone", AUTH,
         {"audio_url": wav(3), "voice": "{T}", "language": "zh"}, "voice"),
        ("aggregator prompt", "POST", "/model/v1/generation", BEARER,
         {"model": "vidu20_img2video", "images": [IMAGE], "prompt": "{T}"}, "prompt"),
        ("aggregator subject name", "POST", "/model/v1/generation", BEARER,
         {"model": "vidu_create_subjects", "name": "{T}", "images": [png()]}, "name"),
        ("fault rule (control plane)", "POST", "/_emulator/faults", {},
         {"match": "POST /ent/v2/text2video", "action": {"status": 500}, "note": "{T}"}, "note"),
    ]


CASES = _cases()


def _with(body, text: str):
    """``body`` with every "{T}" replaced by ``text``, as the raw JSON bytes a client would send."""
    raw = json.dumps(body).replace('"{T}"', json.dumps(text))
    return raw.encode("ascii")


async def _post(client, method, path, headers, content: bytes):
    return await client.request(method, path, content=content,
                                headers={**headers, "Content-Type": "application/json"})


@pytest.mark.parametrize(("method", "path", "headers", "body", "field"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
async def test_a_lone_surrogate_is_refused_naming_the_field(client, method, path, headers, body, field):
    r = await _post(client, method, path, headers, _with(body, LONE))
    if path.startswith("/model/"):   # the aggregator's dialect: its own envelope, "Parameter invalid"
        assert r.status_code == 400 and r.json()["error"]["code"] == "008005002", r.text
        assert f"invalid field: {field} (" in r.json()["error"]["error_message"]
        return
    assert_error(r, 400, "FieldInvalid", field)
    assert "surrogate" in r.json()["message"]


@pytest.mark.parametrize(("method", "path", "headers", "body"), [c[1:5] for c in CASES if c[0] != "fault rule (control plane)"],
                         ids=[c[0] for c in CASES if c[0] != "fault rule (control plane)"])
async def test_the_same_body_with_real_unicode_text_is_accepted(client, method, path, headers, body):
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 100000})
    r = await _post(client, method, path, headers, _with(body, PAIR))
    assert r.status_code == 200, r.text


async def test_a_lone_surrogate_in_a_key_is_refused_too(client):
    raw = b'{"model": "viduq1", "prompt": "fox", "x\\udc00": 1}'
    assert_error(await _post(client, "POST", "/ent/v2/text2video", AUTH, raw), 400, "FieldInvalid", "x\\udc00")


async def test_nothing_is_charged_for_a_refused_prompt_and_real_unicode_renders(client):
    before = (await client.get("/ent/v2/credits", headers=AUTH)).json()
    r = await _post(client, "POST", "/ent/v2/text2video", AUTH, _with({"model": "viduq1", "prompt": "{T}"}, LONE))
    assert_error(r, 400, "FieldInvalid", "prompt")
    assert (await client.get("/ent/v2/credits", headers=AUTH)).json() == before
    # The attack, with real text: the task succeeds and both media files render.
    r = await _post(client, "POST", "/ent/v2/text2video", AUTH, _with({"model": "viduq1", "prompt": "{T}"}, PAIR))
    assert r.status_code == 200, r.text
    await advance(client, 300)
    done = (await client.get(f"/ent/v2/tasks/{r.json()['task_id']}/creations", headers=AUTH)).json()
    assert done["state"] == "success", done
    [creation] = done["creations"]
    for url in (creation["url"], creation["cover_url"]):
        assert (await client.get(url)).status_code == 200

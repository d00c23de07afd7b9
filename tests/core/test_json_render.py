"""JSON answers: orjson for speed, the standard library for what orjson refuses; never a 500."""

import json

from viduemu.core.http import JSON


def test_answers_are_compact_utf8_json():
    body = JSON({"prompt": "雪の中の狐", "n": 1, "ok": True, "none": None}).body
    assert body == '{"prompt":"雪の中の狐","n":1,"ok":true,"none":null}'.encode()


def test_integers_beyond_64_bits_and_lone_surrogates_still_render():
    for content in ({"seed": 10**30}, {"prompt": "\ud800"}, {1: "non-string key"}):
        assert json.loads(JSON(content).body) == json.loads(json.dumps(content))


async def test_a_huge_seed_is_echoed_not_a_500(client):
    from tests.conftest import AUTH

    r = await client.post("/ent/v2/img2video", headers=AUTH,
                          json={"model": "viduq1", "images": ["https://example.com/a.png"], "seed": 10**30})
    assert r.status_code < 500, r.text

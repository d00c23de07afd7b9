"""Random JSON thrown at the generation endpoints never gets a 5xx, and every answer fits the contract."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import KEY
from tests.ent.support import create
from tests.support.media import png

KINDS = ["reference2video", "img2video", "text2video", "start-end2video"]
KEYS = ["model", "prompt", "images", "videos", "subjects", "duration", "seed", "aspect_ratio", "resolution",
        "movement_amplitude", "bgm", "audio", "audio_type", "style", "payload", "off_peak", "callback_url",
        "is_rec", "voice_id"]
MODELS = ["viduq3-mix", "viduq3-turbo", "viduq3", "viduq2-pro", "viduq2", "viduq1", "vidu2.0", "vidu1.5",
          "viduq2-turbo", "viduq2-pro-fast", "viduq1-classic", "x"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 20), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=8), st.sampled_from(MODELS + ["16:9", "4:3", "21:9", "5:1", "720p", "all",
                                                                    "https://e.com/a.png", png(), "0:1"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.sampled_from(["name", "id", "server_id",
                                                                                       "images", "videos"]),
                                                                      inner, max_size=3)), max_leaves=8)
# a valid body per endpoint with one to three fields replaced or added at random
GOOD = {
    "reference2video": {"model": "viduq2", "images": [png()], "prompt": "two friends"},
    "img2video": {"model": "viduq1", "images": [png()], "prompt": "wave"},
    "text2video": {"model": "viduq1", "prompt": "a cat"},
    "start-end2video": {"model": "viduq1", "images": [png(), png()], "prompt": "fly"},
}
changes = st.dictionaries(st.sampled_from(KEYS), values, min_size=1, max_size=3)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
async def test_random_bodies_never_answer_5xx(client, kind):
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 10**9})

    @settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(change=changes)
    def run(change):
        responses.append({**GOOD[kind], **change})

    responses: list = [GOOD[kind]]   # the unchanged body is accepted: the sweep starts from acceptance
    run()
    statuses = set()
    for body in responses:
        response = await create(client, kind, body)   # validates the answer against the contract
        assert response.status_code < 500, (body, response.text)
        statuses.add(response.status_code)
    assert statuses == {200, 400}, statuses   # the sweep reaches both the rule tables and acceptance

"""The generation rule tables and the price table agree: every accepted combination has a price; the extras
add what docs/decisions.md and the vendor documents say (expected figures written out, never read from
viduemu.ent.pricing)."""

import pytest

from viduemu.ent import pricing, rules


def combinations():
    for kind, endpoint in rules.ENDPOINTS.items():
        for form, table in (("images", endpoint.models), ("subjects", endpoint.subjects or {})):
            for model, rule in table.items():
                for duration in rule.durations:
                    for resolution in rule.resolutions_for(duration)[0]:
                        yield kind, form, model, duration, resolution


@pytest.mark.parametrize("kind,form,model,duration,resolution", list(combinations()))
def test_every_accepted_combination_has_a_positive_price(kind, form, model, duration, resolution):
    assert pricing.base_credits(model, duration, resolution) > 0


# (model, duration, resolution, credits): every row of the price table in docs/decisions.md ("Generation
# endpoints: pricing"), each figure written out from the line named, at 5 s unless the row is per duration.
TABLE = [
    # line 377 "| viduq3-pro, viduq3 | 540p 14/s, 720p 30/s, 1080p 32/s, 2K 40/s |" (viduq3 takes no 2K)
    ("viduq3-pro", 5, "540p", 70), ("viduq3-pro", 5, "720p", 150), ("viduq3-pro", 5, "1080p", 160),
    ("viduq3-pro", 5, "2K", 200),
    ("viduq3", 5, "540p", 70), ("viduq3", 5, "720p", 150), ("viduq3", 5, "1080p", 160),
    # line 378 "| viduq3-mix | 720p 30/s, 1080p 32/s |"
    ("viduq3-mix", 5, "720p", 150), ("viduq3-mix", 5, "1080p", 160),
    # line 379 "| viduq3-turbo | 540p 8/s, 720p 16/s, 1080p 20/s, 2K 24/s |"
    ("viduq3-turbo", 5, "540p", 40), ("viduq3-turbo", 5, "720p", 80), ("viduq3-turbo", 5, "1080p", 100),
    ("viduq3-turbo", 5, "2K", 120),
    # line 380 "| viduq2-pro | 540p 15/s, 720p 20/s, 1080p 40/s |"
    ("viduq2-pro", 5, "540p", 75), ("viduq2-pro", 5, "720p", 100), ("viduq2-pro", 5, "1080p", 200),
    # line 298 "(0 = automatic, echoed as 0, priced as 5 s)"
    ("viduq2-pro", 0, "720p", 100),
    # line 381 "| viduq2-turbo | 540p 8/s, 720p 10/s, 1080p 20/s |"
    ("viduq2-turbo", 5, "540p", 40), ("viduq2-turbo", 5, "720p", 50), ("viduq2-turbo", 5, "1080p", 100),
    # line 382 "| viduq2-pro-fast | 720p 8/s, 1080p 16/s |"
    ("viduq2-pro-fast", 5, "720p", 40), ("viduq2-pro-fast", 5, "1080p", 80),
    # line 383 "| viduq2 | 540p 8+2/s, 720p 10+4/s, 1080p 20+8/s |" (a base, then per second)
    ("viduq2", 1, "540p", 10), ("viduq2", 8, "540p", 24), ("viduq2", 5, "720p", 30), ("viduq2", 5, "1080p", 60),
    # line 384 "| viduq1, viduq1-classic | 16/s (5 s 1080p = 80) |"
    ("viduq1", 5, "1080p", 80), ("viduq1-classic", 5, "1080p", 80),
    # line 385 "| vidu2.0 | 4 s: 360p 20, 720p 40, 1080p 100; 8 s 720p 100 |"
    ("vidu2.0", 4, "360p", 20), ("vidu2.0", 4, "720p", 40), ("vidu2.0", 4, "1080p", 100), ("vidu2.0", 8, "720p", 100),
    # line 386 "| vidu1.5 | 4 s: 360p 40, 720p 100, 1080p 200; 8 s 720p 200 |"
    ("vidu1.5", 4, "360p", 40), ("vidu1.5", 4, "720p", 100), ("vidu1.5", 4, "1080p", 200), ("vidu1.5", 8, "720p", 200),
]


@pytest.mark.parametrize("model,duration,resolution,credits", TABLE,
                         ids=[f"{m}-{d}s-{r}" for m, d, r, _ in TABLE])
def test_each_row_of_the_price_table_is_the_documented_one(model, duration, resolution, credits):
    assert pricing.base_credits(model, duration, resolution) == credits


def test_the_documented_table_covers_every_priced_model():
    """A model added to the rules needs its row in docs/decisions.md and in TABLE above."""
    priced = {model for *_, model, _, _ in combinations()}
    assert priced <= {row[0] for row in TABLE}


@pytest.mark.parametrize("kind", list(rules.ENDPOINTS))
def test_defaults_are_accepted_values(kind):
    endpoint = rules.ENDPOINTS[kind]
    for table in (endpoint.models, endpoint.subjects or {}):
        for model, rule in table.items():
            assert rule.default_duration in rule.durations, model
            resolutions, default = rule.resolutions_for(rule.default_duration)
            assert default in resolutions, model


def test_extras():
    # The base: viduq2 5 s 720p = 10 + 4 x 5, docs/decisions.md line 383 "| viduq2 | ... 720p 10+4/s |"
    fields = {"model": "viduq2", "duration": 5, "resolution": "720p", "audio": False, "bgm": False}
    assert pricing.base_credits("viduq2", 5, "720p") == 30
    assert pricing.price(fields, False, {}) == 30
    # off-peak x0.5, rounded up: docs/decisions.md line 389 "off-peak x0.5 (302.ai q3 table), then rounded up";
    # vendor-docs/more/pricing.txt line 11 "Off-Peak 通常为常规价 50%"
    assert pricing.price(fields, True, {}) == 15
    # bgm +5: docs/decisions.md line 389 "bgm +5 where it takes effect (assumed)"
    assert pricing.price({**fields, "bgm": True}, False, {}) == 35
    # ... not on q2 at 9-10 s: vendor-docs/vidu-reference2video.txt line 312 "BGM does not take effect when the
    # duration of the q2 model is 9 or 10 seconds"; 10 + 4 x 10, the bgm not charged
    assert pricing.price({**fields, "bgm": True, "duration": 10}, False, {}) == 50
    # is_rec +10: vendor-docs/more/pricing.txt line 12 "is_rec=true 每个任务多消耗10积分"; decisions.md line 389
    assert pricing.price(fields, False, {"is_rec": True}) == 40
    # audio where it is off by default x1.5: docs/decisions.md line 388 "audio on a model whose audio is off by
    # default x1.5 (assumed)"
    assert pricing.price({**fields, "audio": True}, False, {"audio_default": False}) == 45
    # audio where it is on by default costs nothing more: viduq3 5 s 720p at 30/s, docs/decisions.md line 377
    # "| viduq3-pro, viduq3 | 540p 14/s, 720p 30/s, 1080p 32/s, 2K 40/s |"
    q3 = {"model": "viduq3", "duration": 5, "resolution": "720p", "audio": True, "bgm": False}
    assert pricing.price(q3, False, {"audio_default": True}) == 150

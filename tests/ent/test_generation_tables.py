"""The generation rule tables and the price table agree: every accepted combination has a price."""

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


@pytest.mark.parametrize("kind", list(rules.ENDPOINTS))
def test_defaults_are_accepted_values(kind):
    endpoint = rules.ENDPOINTS[kind]
    for table in (endpoint.models, endpoint.subjects or {}):
        for model, rule in table.items():
            assert rule.default_duration in rule.durations, model
            resolutions, default = rule.resolutions_for(rule.default_duration)
            assert default in resolutions, model


def test_extras():
    fields = {"model": "viduq2", "duration": 5, "resolution": "720p", "audio": False, "bgm": False}
    base = pricing.base_credits("viduq2", 5, "720p")
    assert pricing.price(fields, False, {}) == base
    assert pricing.price(fields, True, {}) == -(-base // 2)
    assert pricing.price({**fields, "bgm": True}, False, {}) == base + pricing.BGM_CREDITS
    assert pricing.price({**fields, "bgm": True, "duration": 10}, False, {}) == pricing.base_credits(
        "viduq2", 10, "720p")   # bgm does not take effect on q2 at 9-10 s
    assert pricing.price(fields, False, {"is_rec": True}) == base + pricing.IS_REC_CREDITS
    assert pricing.price({**fields, "audio": True}, False, {"audio_default": False}) > base
    q3 = {"model": "viduq3", "duration": 5, "resolution": "720p", "audio": True, "bgm": False}
    assert pricing.price(q3, False, {"audio_default": True}) == pricing.base_credits("viduq3", 5, "720p")

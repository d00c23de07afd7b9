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
    assert pricing.base_credits(kind, model, duration, resolution) > 0


# (kind, model, duration, resolution, credits): a figure per row of vendor-docs/more/pricing.txt ("P"), each
# written out from the line named (the price of a 1 s, 2 s, ... video; per second on the Q3 rows).
T2V, I2V, SE2V, R2V = "text2video", "img2video", "start-end2video", "reference2video"
TABLE = [
    # P line 17 "viduq3-pro   text2video / img2video / start-end2video (1–16s): 540P 9/5; 720P 20/10; 1080P 24/12"
    (T2V, "viduq3-pro", 5, "540p", 45), (I2V, "viduq3-pro", 5, "720p", 100), (SE2V, "viduq3-pro", 5, "1080p", 120),
    # ... 2K (WN §1.3, img2video) has no price in P: priced as 1080p (docs/decisions.md)
    (I2V, "viduq3-pro", 5, "2K", 120),
    # P line 18 "viduq3-pro   reference2video: 540P 7/4; 720P 12/6; 1080P 15/7"
    (R2V, "viduq3-pro", 5, "540p", 35), (R2V, "viduq3-pro", 5, "720p", 60), (R2V, "viduq3-pro", 5, "1080p", 75),
    # P line 19 "viduq3-turbo text/img/start-end (1–16s): 540P 7/4; 720P 11/6; 1080P 13/7"
    (T2V, "viduq3-turbo", 5, "540p", 35), (I2V, "viduq3-turbo", 5, "720p", 55), (SE2V, "viduq3-turbo", 5, "1080p", 65),
    (I2V, "viduq3-turbo", 5, "2K", 65),
    # P line 20 "viduq3-turbo reference2video: 540P 4/2; 720P 10/5; 1080P 13/7"
    (R2V, "viduq3-turbo", 5, "540p", 20), (R2V, "viduq3-turbo", 5, "720p", 50), (R2V, "viduq3-turbo", 5, "1080p", 65),
    # P line 21 "viduq3-pro-fast (img2video only, 1–16s): 720P 20/10; 1080P 25/13"
    (I2V, "viduq3-pro-fast", 5, "720p", 100), (I2V, "viduq3-pro-fast", 5, "1080p", 125),
    # P line 22 "viduq3-mix (reference2video only, 1–16s): 720P 24; 1080P 29"
    (R2V, "viduq3-mix", 5, "720p", 120), (R2V, "viduq3-mix", 5, "1080p", 145),
    # P line 23 "viduq3 (reference2video standard, 3–16s): 540P 7/4; 720P 12/6; 1080P 15/7"
    (R2V, "viduq3", 5, "540p", 35), (R2V, "viduq3", 5, "720p", 60), (R2V, "viduq3", 5, "1080p", 75),
    # P line 29 "viduq2-turbo img2video / start-end2video: 540P 起步 6, +2/s; 720P 起步 8 → 第 2 秒到 10，之后 +10/s;
    # 1080P 起步 35, +10/s"
    (I2V, "viduq2-turbo", 1, "540p", 6), (SE2V, "viduq2-turbo", 5, "540p", 14),
    (I2V, "viduq2-turbo", 1, "720p", 8), (I2V, "viduq2-turbo", 2, "720p", 10), (I2V, "viduq2-turbo", 3, "720p", 20),
    (SE2V, "viduq2-turbo", 5, "720p", 40), (I2V, "viduq2-turbo", 5, "1080p", 75),
    # P line 31 "viduq2-pro img2video / start-end2video: 540P 起步 8 → 第 2 秒 10，+5/s; 720P 起步 15, +10/s;
    # 1080P 起步 55, +15/s"
    (I2V, "viduq2-pro", 1, "540p", 8), (I2V, "viduq2-pro", 2, "540p", 10), (SE2V, "viduq2-pro", 5, "540p", 25),
    (I2V, "viduq2-pro", 5, "720p", 55), (SE2V, "viduq2-pro", 5, "1080p", 115),
    # P line 32 "viduq2-pro reference2video: 起步 20/30/85, 每秒 +5/+5/+10"
    (R2V, "viduq2-pro", 5, "540p", 40), (R2V, "viduq2-pro", 5, "720p", 50), (R2V, "viduq2-pro", 5, "1080p", 125),
    # docs/decisions.md "(0 = automatic, echoed as 0, priced as 5 s)"
    (R2V, "viduq2-pro", 0, "720p", 50),
    # P line 34 "viduq2-pro-fast (img2video / start-end2video): 720P 起步 8, +2/s; 1080P 起步 16, +4/s"
    (I2V, "viduq2-pro-fast", 5, "720p", 16), (SE2V, "viduq2-pro-fast", 5, "1080p", 32),
    # P line 35 "viduq2 text2video: 起步 10/15/20, 每秒 +2/+5/+10; reference2video: 起步 15/25/75, 每秒 +5/+5/+10"
    (T2V, "viduq2", 1, "540p", 10), (T2V, "viduq2", 5, "720p", 35), (T2V, "viduq2", 5, "1080p", 60),
    (R2V, "viduq2", 5, "540p", 35), (R2V, "viduq2", 5, "720p", 45), (R2V, "viduq2", 5, "1080p", 115),
    # plain viduq2 on img2video / start-end2video (M26 §2/§3) has no row in P: its text2video row (decisions.md)
    (I2V, "viduq2", 5, "720p", 35), (SE2V, "viduq2", 10, "1080p", 110),
    # P line 42 "Q1 (viduq1, viduq1-classic): 固定档：5s / 1080P / 80 credits"
    (T2V, "viduq1", 5, "1080p", 80), (I2V, "viduq1-classic", 5, "1080p", 80), (R2V, "viduq1", 5, "1080p", 80),
    (SE2V, "viduq1", 5, "1080p", 80), (SE2V, "viduq1-classic", 5, "1080p", 80), (I2V, "viduq1", 5, "1080p", 80),
    # P line 43 "vidu2.0: img2video 4s 360P 20/10, 720P 40/20, 1080P 100/50; 8s 720P 100/50; reference2video 4s
    # 360P 80/40, 720P 80/40; start-end2video same as img2video"
    (I2V, "vidu2.0", 4, "360p", 20), (I2V, "vidu2.0", 4, "720p", 40), (SE2V, "vidu2.0", 4, "1080p", 100),
    (SE2V, "vidu2.0", 8, "720p", 100), (R2V, "vidu2.0", 4, "360p", 80), (R2V, "vidu2.0", 4, "720p", 80),
    # P line 44 "(302.ai older table: vidu1.5 4s 360P 40, 720P 100, 1080P 200, 8s 720P 200 ...)"
    (T2V, "vidu1.5", 4, "360p", 40), (I2V, "vidu1.5", 4, "720p", 100), (SE2V, "vidu1.5", 4, "1080p", 200),
    (R2V, "vidu1.5", 8, "720p", 200),
]


@pytest.mark.parametrize("kind,model,duration,resolution,credits", TABLE,
                         ids=[f"{k}-{m}-{d}s-{r}" for k, m, d, r, _ in TABLE])
def test_each_row_of_the_price_table_is_the_documented_one(kind, model, duration, resolution, credits):
    assert pricing.base_credits(kind, model, duration, resolution) == credits


def test_the_documented_table_covers_every_priced_model():
    """A model added to an endpoint's rules needs its row in docs/decisions.md and in TABLE above."""
    priced = {(kind, model) for kind, _, model, _, _ in combinations()}
    assert priced <= {(row[0], row[1]) for row in TABLE}


@pytest.mark.parametrize("kind", list(rules.ENDPOINTS))
def test_defaults_are_accepted_values(kind):
    endpoint = rules.ENDPOINTS[kind]
    for table in (endpoint.models, endpoint.subjects or {}):
        for model, rule in table.items():
            assert rule.default_duration in rule.durations, model
            resolutions, default = rule.resolutions_for(rule.default_duration)
            assert default in resolutions, model


def test_extras():
    # The base: viduq2 text2video 5 s 720p, P line 35 "viduq2 text2video: 起步 10/15/20, 每秒 +2/+5/+10": 15 + 4 x 5
    fields = {"model": "viduq2", "duration": 5, "resolution": "720p", "audio": False, "bgm": False}
    assert pricing.price("text2video", fields, False, {}) == 35
    # off-peak 50%, rounded up: P line 11 "Off-Peak 通常为常规价 50%", line 9 "价格四舍五入向上取整"
    assert pricing.price("text2video", fields, True, {}) == 18
    # bgm costs nothing: P lists every surcharge (line 12) and bgm is not one (docs/decisions.md)
    assert pricing.price("text2video", {**fields, "bgm": True}, False, {}) == 35
    # is_rec +10, not discounted off-peak: P line 12 "is_rec=true 每个任务多消耗10积分" (a flat sum per task)
    assert pricing.price("text2video", fields, False, {"is_rec": True}) == 45
    assert pricing.price("text2video", fields, True, {"is_rec": True}) == 28
    # audio: P line 12 "img2video / reference2video 启用 audio=true 时额外 +15 credits" -- those two endpoints only
    assert pricing.price("text2video", {**fields, "audio": True}, False, {"audio_default": False}) == 35
    # viduq2 reference2video 720p 5 s: P line 35 "reference2video: 起步 15/25/75, 每秒 +5/+5/+10" = 45, + 15
    assert pricing.price("reference2video", {**fields, "audio": True}, False, {"audio_default": False}) == 60
    # audio where it is on by default costs nothing more: viduq3 reference2video 5 s 720p, P line 23 "720P 12/6"
    q3 = {"model": "viduq3", "duration": 5, "resolution": "720p", "audio": True, "bgm": False}
    assert pricing.price("reference2video", q3, False, {"audio_default": True}) == 60
    assert pricing.price("reference2video", q3, True, {"audio_default": True}) == 30

"""Credits of a generation task: a table per model x resolution (x duration), plus extras.

Vidu's pricing page is not among our sources; the figures come from reseller tables that quote
Vidu credits (1 credit = 0.005 USD, the rate ComfyUI's Vidu node shows) and are otherwise
assumptions. docs/decisions.md ("Tasks (/ent/v2) - pricing") lists each row's source.
The same table prices every endpoint (reference2video, img2video, text2video, start-end2video).
A one-click MV is priced per second of its audio (``mv_rate``).
"""

from __future__ import annotations

import math

# model -> resolution -> (base credits, credits per second of output)
RATES: dict[str, dict[str, tuple[int, int]]] = {
    "viduq3-pro":      {"540p": (0, 14), "720p": (0, 30), "1080p": (0, 32), "2K": (0, 40)},
    "viduq3":          {"540p": (0, 14), "720p": (0, 30), "1080p": (0, 32)},
    "viduq3-mix":      {"720p": (0, 30), "1080p": (0, 32)},
    "viduq3-turbo":    {"540p": (0, 8), "720p": (0, 16), "1080p": (0, 20), "2K": (0, 24)},
    "viduq2-pro":      {"540p": (0, 15), "720p": (0, 20), "1080p": (0, 40)},
    "viduq2-turbo":    {"540p": (0, 8), "720p": (0, 10), "1080p": (0, 20)},
    "viduq2-pro-fast": {"720p": (0, 8), "1080p": (0, 16)},
    "viduq2":          {"540p": (8, 2), "720p": (10, 4), "1080p": (20, 8)},
    "viduq1":          {"1080p": (0, 16)},
    "viduq1-classic":  {"1080p": (0, 16)},
}
# fixed-duration models: (model, duration, resolution) -> credits
FIXED: dict[tuple[str, int, str], int] = {
    ("vidu2.0", 4, "360p"): 20, ("vidu2.0", 4, "720p"): 40, ("vidu2.0", 4, "1080p"): 100,
    ("vidu2.0", 8, "720p"): 100,
    ("vidu1.5", 4, "360p"): 40, ("vidu1.5", 4, "720p"): 100, ("vidu1.5", 4, "1080p"): 200,
    ("vidu1.5", 8, "720p"): 200,
}
AUTO_DURATION_PRICED_AS = 5     # viduq2-pro duration 0 ("automatic") is priced as 5 s
AUDIO_FACTOR = 1.5              # audio on a model whose audio is off by default
BGM_CREDITS = 5                 # bgm=true where it takes effect
BGM_NO_EFFECT = {"viduq2": (9, 10)}   # VD: "BGM does not take effect when the duration of the q2 model is 9 or 10"
IS_REC_CREDITS = 10             # SUN: "启用推荐提示词后，每个任务多消耗10积分"
OFF_PEAK_FACTOR = 0.5           # off-peak costs half (302.ai q3 table), rounded up


def base_credits(model: str, duration: int, resolution: str) -> int:
    fixed = FIXED.get((model, duration, resolution))
    if fixed is not None:
        return fixed
    base, per_second = RATES[model][resolution]
    return base + per_second * (duration or AUTO_DURATION_PRICED_AS)


def price(fields: dict, off_peak: bool, facts: dict) -> int:
    model, duration = fields["model"], fields["duration"]
    credits = float(base_credits(model, duration, fields["resolution"]))
    if fields["audio"] and not facts.get("audio_default"):
        credits *= AUDIO_FACTOR
    if fields["bgm"] and duration not in BGM_NO_EFFECT.get(model, ()):
        credits += BGM_CREDITS
    if facts.get("is_rec"):
        credits += IS_REC_CREDITS
    if off_peak:
        credits *= OFF_PEAK_FACTOR
    return math.ceil(credits)


# One-click MV: credits per second of audio (rounded up), by resolution; lip_sync adds 4 per second
# ("After activation, 4 credits will be added per second"). See docs/decisions.md.
MV_CREDITS_PER_SECOND = {"540p": 8, "720p": 10, "1080p": 16}
MV_LIP_SYNC_PER_SECOND = 4


def mv_rate(fields: dict) -> int:
    """Credits per second of an MV's shots."""
    return MV_CREDITS_PER_SECOND[fields["resolution"]] + (MV_LIP_SYNC_PER_SECOND if fields["lip_sync"] else 0)


# == the operations beyond the four generation endpoints (docs/decisions.md, "Operations of issue 14") ====
# more/pricing.txt has no official figure for these: each row says where ours comes from.

# templates: fal (3P) "Standard templates ... $0.20, Premium ... $0.30, Advanced (live_photo) $0.50", at
# 1 credit = $0.005 (more/pricing.txt)
TEMPLATE_CREDITS = {"standard": 40, "premium": 60, "advanced": 100}
STORY_CREDITS = 100                   # no source: priced as an advanced template


# solutions (more/pricing.txt "Solutions", a 3P transcription of the official page): "One Click General Film:
# 1080P 40 credits/s ($0.2/s)；Edit Footage 同价；Edit Narration 10c/500 字；Edit BGM 2c/s；Compose 1c/call";
# "One Click AD-Film: 同 General Film 结构（1080P 40c/s）".
FILM_CREDITS_PER_SECOND = 40     # the film, and an edited storyboard ("Edit Footage 同价"): per second of it
NARRATION_CREDITS = (10, 500)    # 10 credits per 500 characters of the narration's text (begun)
BGM_CREDITS_PER_SECOND = 2       # per second of the music (the film's length)
COMPOSE_CREDITS = 1              # per call


def film_credits(seconds: int) -> int:
    return FILM_CREDITS_PER_SECOND * seconds


def edit_credits(kind: str, seconds: int, text: str) -> int:
    """An edit's price: a storyboard of ``seconds``, a narration of ``text``, or music of ``seconds``."""
    if kind == "generate_narration":
        credits, per = NARRATION_CREDITS
        return credits * max(1, math.ceil(len(text) / per))
    return (BGM_CREDITS_PER_SECOND if kind == "generate_bgm" else FILM_CREDITS_PER_SECOND) * seconds

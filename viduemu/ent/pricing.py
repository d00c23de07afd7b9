"""Credits of a generation task: a table per endpoint x model x resolution (x duration), plus extras.

Vidu's pricing page itself is not among our sources; the figures are vendor-docs/more/pricing.txt's
(P below), two third-party transcriptions of the official page ([EN-SUM], [CN-GO]) that agree
(1 credit = 0.005 USD). docs/decisions.md ("Generation endpoints: pricing") lists each row's source.
A one-click MV is priced per second of its audio (``mv_rate``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """A price by the second: ``steps`` are the credits of a 1 s, 2 s, ... video as the table writes them
    (P's Q2 "起步价" is the first), then ``per_second`` more for each further second. ``off_peak_per_second``:
    the Q3 tables' own off-peak rate (their videos cost that per second); None: half the regular price."""

    steps: tuple[int, ...]
    per_second: int
    off_peak_per_second: int | None = None

    def credits(self, seconds: int, off_peak: bool) -> int:
        if off_peak and self.off_peak_per_second is not None:
            return self.off_peak_per_second * seconds
        first = self.steps[min(seconds, len(self.steps)) - 1]
        regular = first + self.per_second * max(0, seconds - len(self.steps))
        return math.ceil(regular * OFF_PEAK_FACTOR) if off_peak else regular


def q3(regular: int, off_peak: int) -> Rate:
    """P's Q3 rows: "credits per second; regular / off-peak"."""
    return Rate((regular,), regular, off_peak)


def q2(first: int, per_second: int, *then: int) -> Rate:
    """P's Q2 rows: "起步 <first>" (then the listed 2nd-second price, if any), "+<per_second>/s"."""
    return Rate((first, *then), per_second)


OFF_PEAK_FACTOR = 0.5   # P line 11: "Off-Peak 通常为常规价 50%", rounded up ("价格四舍五入向上取整", line 9)

# P line 17 / 19: viduq3-pro, viduq3-turbo "text2video / img2video / start-end2video (1–16s)"; 2K (WN §1.3's
# img2video resolution) has no price anywhere: priced as 1080p (docs/decisions.md)
_Q3_PRO = {"540p": q3(9, 5), "720p": q3(20, 10), "1080p": q3(24, 12), "2K": q3(24, 12)}
_Q3_TURBO = {"540p": q3(7, 4), "720p": q3(11, 6), "1080p": q3(13, 7), "2K": q3(13, 7)}   # CN-GO: 720p 12
# P line 29, 31, 34: "img2video / start-end2video"
_Q2_TURBO = {"540p": q2(6, 2), "720p": q2(8, 10, 10), "1080p": q2(35, 10)}
_Q2_PRO = {"540p": q2(8, 5, 10), "720p": q2(15, 10), "1080p": q2(55, 15)}
_Q2_PRO_FAST = {"720p": q2(8, 2), "1080p": q2(16, 4)}
_Q2_T2V = {"540p": q2(10, 2), "720p": q2(15, 5), "1080p": q2(20, 10)}   # P line 35 "viduq2 text2video"
_IMAGE_DRIVEN = {   # img2video and start-end2video share one table (P: "img2video / start-end2video")
    "viduq3-pro": _Q3_PRO, "viduq3-turbo": _Q3_TURBO,
    "viduq2-pro-fast": _Q2_PRO_FAST, "viduq2-pro": _Q2_PRO, "viduq2-turbo": _Q2_TURBO,
    "viduq2": _Q2_T2V,   # plain viduq2 (M26 §2/§3 CN-SWAG) has no img2video price: its text2video one
}
RATES: dict[str, dict[str, dict[str, Rate]]] = {
    "text2video": {"viduq3-pro": _Q3_PRO, "viduq3-turbo": _Q3_TURBO, "viduq2": _Q2_T2V},
    "img2video": {
        **_IMAGE_DRIVEN,
        # P line 21 "viduq3-pro-fast (img2video only, 1–16s): 720P 20/10; 1080P 25/13" (CN-GO: 12, 15)
        "viduq3-pro-fast": {"720p": q3(20, 10), "1080p": q3(25, 13)},
    },
    "start-end2video": _IMAGE_DRIVEN,
    "reference2video": {
        "viduq3-pro": {"540p": q3(7, 4), "720p": q3(12, 6), "1080p": q3(15, 7)},       # P line 18
        "viduq3-turbo": {"540p": q3(4, 2), "720p": q3(10, 5), "1080p": q3(13, 7)},     # P line 20
        "viduq3-mix": {"720p": Rate((24,), 24), "1080p": Rate((29,), 29)},   # P line 22 ("不支持 Off-Peak": refused)
        "viduq3": {"540p": q3(7, 4), "720p": q3(12, 6), "1080p": q3(15, 7)},           # P line 23
        "viduq2-pro": {"540p": q2(20, 5), "720p": q2(30, 5), "1080p": q2(85, 10)},     # P line 32
        "viduq2": {"540p": q2(15, 5), "720p": q2(25, 5), "1080p": q2(75, 10)},         # P line 35
    },
}
# Fixed-duration models: kind -> (model, duration, resolution) -> credits (off-peak: half, as P lists them)
_Q1 = {("viduq1", 5, "1080p"): 80, ("viduq1-classic", 5, "1080p"): 80}   # P line 42 "5s / 1080P / 80 credits"
_V20 = {("vidu2.0", 4, "360p"): 20, ("vidu2.0", 4, "720p"): 40, ("vidu2.0", 4, "1080p"): 100,
        ("vidu2.0", 8, "720p"): 100}                                     # P line 43 "vidu2.0: img2video ..."
_V15 = {("vidu1.5", 4, "360p"): 40, ("vidu1.5", 4, "720p"): 100, ("vidu1.5", 4, "1080p"): 200,
        ("vidu1.5", 8, "720p"): 200}                                     # P line 44 (302.ai older table)
FIXED: dict[str, dict[tuple[str, int, str], int]] = {
    "text2video": {**_Q1, **_V15},
    "img2video": {**_Q1, **_V20, **_V15},
    "start-end2video": {**_Q1, **_V20, **_V15},                          # P: "start-end2video same as img2video"
    "reference2video": {**_Q1, ("vidu2.0", 4, "360p"): 80, ("vidu2.0", 4, "720p"): 80, **_V15},   # P line 43
}
AUTO_DURATION_PRICED_AS = 5     # viduq2-pro duration 0 ("automatic") is priced as 5 s
# P line 12: "img2video / reference2video 启用 audio=true 时额外 +15 credits" (Q2 generation: the models whose
# audio is off by default; a q3 price includes its audio)
AUDIO_CREDITS = {"img2video": 15, "reference2video": 15}
IS_REC_CREDITS = 10             # P line 12: "is_rec=true 每个任务多消耗10积分" (official create pages)


def base_credits(kind: str, model: str, duration: int, resolution: str, off_peak: bool = False) -> int:
    """The video's price on ``kind``'s table (off-peak: the table's off-peak figure)."""
    fixed = FIXED[kind].get((model, duration, resolution))
    if fixed is not None:
        return math.ceil(fixed * OFF_PEAK_FACTOR) if off_peak else fixed
    return RATES[kind][model][resolution].credits(duration or AUTO_DURATION_PRICED_AS, off_peak)


def price(kind: str, fields: dict, off_peak: bool, facts: dict) -> int:
    """The video's price, then the surcharges at their full price (off-peak discounts the video only)."""
    credits = base_credits(kind, fields["model"], fields["duration"], fields["resolution"], off_peak)
    if fields["audio"] and not facts.get("audio_default"):
        credits += AUDIO_CREDITS.get(kind, 0)
    if facts.get("is_rec"):
        credits += IS_REC_CREDITS
    return credits


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

# edits (more/pricing.txt). Extend & multiframe (302.ai, 3P; [EN-SUM] agrees for extend): "N积分起,每秒+M积分",
# read as RATES reads the q2 rows: N for the first second, M for each further one.
EDIT_RATES: dict[str, dict[str, tuple[int, int]]] = {   # model -> resolution -> (first second, each further one)
    "viduq2-turbo": {"540p": (10, 2), "720p": (15, 5), "1080p": (40, 10)},
    "viduq2-pro": {"540p": (15, 5), "720p": (30, 10), "1080p": (60, 15)},
}
# "Upscale Pro: 1080P / 2K / 4K / 8K = 10 / 20 / 40 / 160 credits per second" [EN-SUM], per second of the
# source (rounded up); the legacy upscale (no price anywhere) is priced as Upscale Pro to 1080p.
UPSCALE_PER_SECOND = {"1080p": 10, "2K": 20, "4K": 40, "8K": 160}


def edit_credits(model: str, resolution: str, seconds: int) -> int:
    """An extension's, or one multiframe segment's, price ("Smart Multi-Frame: aligned with the Q2 price of
    one segment of that resolution and duration": a multiframe task pays the sum of its segments')."""
    first, further = EDIT_RATES[model][resolution]
    return first + further * (seconds - 1)


def upscale_credits(resolution: str, seconds: float) -> int:
    return UPSCALE_PER_SECOND[resolution] * math.ceil(seconds - 1e-9)

# -- people (more/pricing.txt, 3P transcriptions of the official pricing page) ----------------------------------
LIP_SYNC_CREDITS = (20, 5)            # "Lip Sync: 每 5s 收 20 credits": 20 per started 5 s of output
DANCE_CREDITS_PER_SECOND = 10         # "Motion Sync (image2dance): 10 credits / s"
# "Digital Human Q2-turbo: 视频 120 credits；+Lip-sync 20/5s；+TTS 10/500 字" (Q2-pro: 视频 200 credits)
DIGITAL_HUMAN_VIDEO_CREDITS = {"viduq2-turbo": 120, "viduq2-pro": 200}
TTS_CREDITS = (10, 500)               # 10 per started 500 characters of text spoken
# "One Click Trending Replicate: 540/720/1080P = 12 / 16 / 20 credits/s"
REPLICATE_CREDITS_PER_SECOND = {"540p": 12, "720p": 16, "1080p": 20}


def per_started(amount: float, rate: tuple[int, int]) -> int:
    """``rate`` = (credits, per units): credits for every started block of units (at least one block)."""
    credits, per = rate
    return credits * max(1, math.ceil(amount / per))


def lip_sync_credits(seconds: float) -> int:
    return per_started(seconds, LIP_SYNC_CREDITS)


def digital_human_credits(model: str, seconds: float, text: str) -> int:
    tts = per_started(len(text), TTS_CREDITS) if text else 0
    return DIGITAL_HUMAN_VIDEO_CREDITS[model] + lip_sync_credits(seconds) + tts

# solutions (more/pricing.txt "Solutions", a 3P transcription of the official page): "One Click General Film:
# 1080P 40 credits/s ($0.2/s)；Edit Footage 同价；Edit Narration 10c/500 字；Edit BGM 2c/s；Compose 1c/call";
# "One Click AD-Film: 同 General Film 结构（1080P 40c/s）".
FILM_CREDITS_PER_SECOND = 40     # the film, and an edited storyboard ("Edit Footage 同价"): per second of it
NARRATION_CREDITS = (10, 500)    # 10 credits per 500 characters of the narration's text (begun)
BGM_CREDITS_PER_SECOND = 2       # per second of the music (the film's length)
COMPOSE_CREDITS = 1              # per call


def film_credits(seconds: int) -> int:
    return FILM_CREDITS_PER_SECOND * seconds


def film_edit_credits(kind: str, seconds: int, text: str) -> int:
    """An edit's price: a storyboard of ``seconds``, a narration of ``text``, or music of ``seconds``."""
    if kind == "generate_narration":
        credits, per = NARRATION_CREDITS
        return credits * max(1, math.ceil(len(text) / per))
    return (BGM_CREDITS_PER_SECOND if kind == "generate_bgm" else FILM_CREDITS_PER_SECOND) * seconds


# -- the prompt recommendation (issue 15) -------------------------------------------------------------------
# pricing.txt: "Prompt recommendation: 10 credits / 5 prompts": per 5 prompts answered, begun
RECOMMEND_CREDITS = (10, 5)


def recommend_credits(prompts: int) -> int:
    credits, per = RECOMMEND_CREDITS
    return credits * math.ceil(prompts / per)
# -- Images and audio (issue 15) ---------------------------------------------------------------------------
# more/pricing.txt "Image" [EN-SUM]: "viduq2 text2image (no reference): 1080P / 2K / 4K = 6 / 8 / 10 credits per
# image"; "viduq2 reference2image 1–3 images: 8 / 12 / 20; 4–7 images: 10 / 16 / 30"; "viduq1 reference2image
# 1080P (1–7 images): 20 credits per image". One image is made per task.
IMAGE_CREDITS: dict[tuple[str, int], dict[str, int]] = {   # (model, fewest images of the tier) -> resolution -> credits
    ("viduq2", 0): {"1080p": 6, "2K": 8, "4K": 10},
    ("viduq2", 1): {"1080p": 8, "2K": 12, "4K": 20},
    ("viduq2", 4): {"1080p": 10, "2K": 16, "4K": 30},
    ("viduq1", 1): {"1080p": 20},
}
# "Audio 1.0 text2audio: <5s 10 credits ($0.05); <10s 20 credits ($0.1)"; timing2audio the same (kapon, 3P).
# "<5s" read as below 5 s; 5 s up to the longest (10 s, "<10s" taken to include it) costs 20.
AUDIO_TASK_CREDITS = ((5.0, 10), (math.inf, 20))   # (below this many seconds, credits), first match


def image_credits(model: str, resolution: str, images: int) -> int:
    tier = max(low for m, low in IMAGE_CREDITS if m == model and low <= images)
    return IMAGE_CREDITS[(model, tier)][resolution]


def audio_credits(seconds: float) -> int:
    return next(credits for below, credits in AUDIO_TASK_CREDITS if seconds < below)
# "Text to Speech: 1 credit / 500 字符 ($0.05) [sic ...; $0.05 would be 10 credits]": 10 per started 500 characters,
# as digital-human's "+TTS 10/500 字" (TTS_CREDITS). "Voice Clone: 30 credits / voice"; the official voice-clone page:
# "The preview will incur standard TTS synthesis charges based on character count."
CLONE_CREDITS = 30


def tts_credits(text: str) -> int:
    return per_started(len(text), TTS_CREDITS)


def clone_credits(text: str) -> int:
    return CLONE_CREDITS + tts_credits(text)

"""Rule tables for the /ent/v2 generation endpoints: what a JSON schema cannot say.

One ``ModelRule`` row per model and endpoint (and per form of reference2video). The checks in
``checks.py`` read these rows; nothing model-specific lives anywhere else. Each row's source is
recorded in docs/decisions.md ("Tasks (/ent/v2) - generation rules").
Sources: VD = vendor-docs/vidu-reference2video.txt (the spec), SUN = the CN doc copy (wire notes
§1.3), MCP = shengshu-ai/vidu-mcp (a real client that must keep working).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from viduemu.vidu.inputs import MB

BASIC_RATIOS = ("16:9", "9:16", "1:1")
Q2_RATIOS = BASIC_RATIOS + ("3:4", "4:3")
ANY_RATIO = None          # any "W:H" within 1:4..4:1 (VD subjects form: "q2, q3 support any aspect ratio")
MAX_ANY_RATIO = 4.0

AUDIO_TYPES = {  # accepted spelling -> canonical echo (VD lists "All", "Speech_only", "Sound-effect_only")
    "all": "all", "All": "all",
    "speech_only": "speech_only", "Speech_only": "speech_only",
    "sound_effect_only": "sound_effect_only", "Sound-effect_only": "sound_effect_only",
}
DEFAULT_AUDIO_TYPE = "all"


@dataclass(frozen=True)
class ModelRule:
    durations: tuple[int, ...]
    default_duration: int
    resolutions: tuple[str, ...]
    default_resolution: str
    # durations whose resolutions differ from the row's: duration -> (resolutions, default)
    by_duration: dict[int, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    aspect_ratios: tuple[str, ...] | None = BASIC_RATIOS   # ANY_RATIO = any W:H
    images: tuple[int, int] | None = (1, 7)                # (min, max) count; None = images unwanted
    images_with_videos: tuple[int, int] | None = None      # counts when videos are given; None = videos unwanted
    audio_default: bool = False
    bgm: bool = True                                       # False: bgm=true is unwanted (q3)
    off_peak_audio: bool = False                           # off_peak only allowed when audio == this
    max_prompt: int = 2000
    subject_images: int = 7                                # subjects form: images over all subjects
    video_subjects: int = 0                                # subjects form: subjects with videos (library)
    inline_video_subjects: int = 0                         # ... of which given inline ("temporary")

    def resolutions_for(self, duration: int) -> tuple[tuple[str, ...], str]:
        return self.by_duration.get(duration, (self.resolutions, self.default_resolution))


def span(first: int, last: int) -> tuple[int, ...]:
    return tuple(range(first, last + 1))


Q_RES = ("540p", "720p", "1080p")

# q3 family: audio on by default, off-peak only with audio, no bgm, prompts up to 5000 (WN §1.3).
_Q3 = ModelRule(span(3, 16), 5, Q_RES, "720p", aspect_ratios=BASIC_RATIOS, audio_default=True, bgm=False,
                off_peak_audio=True, max_prompt=5000)
_Q2 = ModelRule(span(1, 10), 5, Q_RES, "720p", aspect_ratios=Q2_RATIOS)
_Q1 = ModelRule((5,), 5, ("1080p",), "1080p")
_V20 = ModelRule((4,), 4, ("360p", "720p"), "360p")
# vidu1.5 is not in VD but MCP offers it on every endpoint: 4 s (360p/720p/1080p) or 8 s (720p).
_V15 = ModelRule((4, 8), 4, ("360p", "720p", "1080p"), "360p", by_duration={8: (("720p",), "720p")},
                 images=(1, 3))

# POST /ent/v2/reference2video, images/videos form (VD second half).
REFERENCE_IMAGES: dict[str, ModelRule] = {
    "viduq3-mix": replace(_Q3, durations=span(1, 16), resolutions=("720p", "1080p"), audio_default=False),
    "viduq3-turbo": _Q3,
    "viduq3": _Q3,
    "viduq3-pro": _Q3,   # VD's duration/resolution lists name "viduq3-pro" where the model list says "viduq3"
    "viduq2-pro": replace(_Q2, durations=span(0, 10), images_with_videos=(0, 4), max_prompt=5000),
    "viduq2": replace(_Q2, max_prompt=5000),
    "viduq1": replace(_Q1, max_prompt=5000),
    "vidu2.0": replace(_V20, max_prompt=5000),
    "vidu1.5": replace(_V15, max_prompt=5000),
}

# POST /ent/v2/reference2video, subjects form (VD first half). viduq3-mix takes no subjects.
REFERENCE_SUBJECTS: dict[str, ModelRule] = {
    "viduq3-turbo": replace(_Q3, aspect_ratios=ANY_RATIO),
    "viduq3": replace(_Q3, aspect_ratios=ANY_RATIO),
    "viduq3-pro": replace(_Q3, aspect_ratios=ANY_RATIO),
    "viduq2-pro": replace(REFERENCE_IMAGES["viduq2-pro"], aspect_ratios=ANY_RATIO, subject_images=4,
                          video_subjects=2, inline_video_subjects=1),
    "viduq2": replace(REFERENCE_IMAGES["viduq2"], aspect_ratios=ANY_RATIO),
    "viduq1": REFERENCE_IMAGES["viduq1"],
    "vidu2.0": REFERENCE_IMAGES["vidu2.0"],
}
SUBJECTLESS_MODELS = ("viduq3-mix",)

# POST /ent/v2/img2video: exactly one image (SUN; q3 rows from WN §1.3 "q3 i2v 2K", assumed 1-16 s).
_ONE: dict[str, Any] = {"images": (1, 1)}
IMG2VIDEO: dict[str, ModelRule] = {
    "viduq3-pro": replace(_Q3, durations=span(1, 16), resolutions=Q_RES + ("2K",), **_ONE),
    "viduq3-turbo": replace(_Q3, durations=span(1, 16), resolutions=Q_RES + ("2K",), **_ONE),
    "viduq2-pro-fast": ModelRule(span(1, 10), 5, ("720p", "1080p"), "720p", **_ONE),
    "viduq2-pro": ModelRule(span(1, 10), 5, Q_RES, "720p", **_ONE),
    "viduq2-turbo": ModelRule(span(1, 10), 5, Q_RES, "720p", **_ONE),
    "viduq1": replace(_Q1, **_ONE),
    "viduq1-classic": replace(_Q1, **_ONE),
    "vidu2.0": ModelRule((4, 8), 4, ("360p", "720p", "1080p"), "360p", by_duration={8: (("720p",), "720p")},
                         **_ONE),
    "vidu1.5": replace(_V15, **_ONE),
}

# POST /ent/v2/start-end2video: exactly two images, start then end (SUN).
_TWO: dict[str, Any] = {"images": (2, 2)}
START_END2VIDEO: dict[str, ModelRule] = {
    "viduq2-pro-fast": ModelRule(span(1, 8), 5, ("720p", "1080p"), "720p", **_TWO),
    "viduq2-pro": ModelRule(span(1, 8), 5, Q_RES, "720p", **_TWO),
    "viduq2-turbo": ModelRule(span(1, 8), 5, Q_RES, "720p", **_TWO),
    "viduq1": replace(_Q1, **_TWO),
    "viduq1-classic": replace(_Q1, **_TWO),
    "vidu2.0": replace(IMG2VIDEO["vidu2.0"], **_TWO),
    "vidu1.5": replace(_V15, **_TWO),
}

# POST /ent/v2/text2video: no images (SUN; vidu1.5 from MCP; q3 rows assumed like reference2video).
_NONE: dict[str, Any] = {"images": None}
TEXT2VIDEO: dict[str, ModelRule] = {
    "viduq3-pro": replace(_Q3, durations=span(1, 16), aspect_ratios=Q2_RATIOS, **_NONE),
    "viduq3-turbo": replace(_Q3, durations=span(1, 16), aspect_ratios=Q2_RATIOS, **_NONE),
    "viduq2": replace(_Q2, **_NONE),
    "viduq1": replace(_Q1, **_NONE),
    "vidu1.5": replace(_V15, **_NONE),
}


@dataclass(frozen=True)
class Endpoint:
    task_type: str                       # the task's "type" on the wire
    models: dict[str, ModelRule]
    image_limit: int                     # decoded bytes of one base64 image
    subject_image_limit: int | None = None   # ... of one subject's image (the subjects form states its own)
    extra_echo: dict[str, str] = field(default_factory=dict)   # endpoint-specific echoed fields: default
    subjects: dict[str, ModelRule] | None = None
    same_size_images: tuple[float, float] | None = None   # pixel-area ratio bounds of image 0 / image 1
    ratio_from_image: bool = False       # default aspect_ratio follows the first frame (else 16:9)


ENDPOINTS: dict[str, Endpoint] = {
    # "character2video": the type a proxy capture shows for reference2video (WN §1.4).
    # images form: "The length of the base64 decode must be under 10MB"; the subjects form states no
    # decoded limit, only "The post body of the HTTP request should not exceed 20MB" (docs/decisions.md).
    "reference2video": Endpoint("character2video", REFERENCE_IMAGES, 10 * MB, subjects=REFERENCE_SUBJECTS,
                                subject_image_limit=20 * MB),
    "img2video": Endpoint("img2video", IMG2VIDEO, 20 * MB, ratio_from_image=True),
    "text2video": Endpoint("text2video", TEXT2VIDEO, 20 * MB, extra_echo={"style": "general"}),
    "start-end2video": Endpoint("start-end2video", START_END2VIDEO, 20 * MB, same_size_images=(0.8, 1.25),
                                ratio_from_image=True),
}


TASK_TYPES = frozenset(e.task_type for e in ENDPOINTS.values())   # the types of /ent/v2's generation tasks

# videos (viduq2-pro reference): at most 1 of 8 s or 2 of 5 s; images count 1 s each in a 13 s budget.
MAX_VIDEO_SECONDS = {1: 8.0, 2: 5.0}
REFERENCE_BUDGET_SECONDS = 13.0
DURATION_TOLERANCE = 0.1     # container rounding of any measured duration (docs/decisions.md)
VIDEO_LIMIT = 20 * MB        # decoded bytes of one base64 video (VD note 5)
DEFAULT_MOVEMENT = "auto"
DEFAULT_ASPECT_RATIO = "16:9"

# POST /ent/v2/subjects (wire notes §1.11)
SUBJECT_IMAGE_LIMIT = 20 * MB   # "byte length after base64 decode must be less than 20M"
SUBJECT_VIDEO_SECONDS = 5.0     # "Maximum 1 video of 5 seconds"
SUBJECT_OWNERSHIPS = ("private", "system")
SUBJECT_PAGE_DEFAULT, SUBJECT_PAGE_MAX = 20, 100   # "Query count, default 20, max 100"
SUBJECT_EDITABLE = ("name", "images", "videos", "voice_id", "style", "description")

# POST /ent/v2/one-click/mv (VD/vidu-one-click-mv.txt)
MV_IMAGE_LIMIT = 10 * MB          # "byte length after base64 decoding needs to be less than 10M"
MV_AUDIO_LIMIT = 20 * MB          # "... needs to be less than 20M"
MV_AUDIO_SECONDS = (10.0, 180.0)  # "at least 10 seconds and at most 180 seconds"
MV_UNMEASURED_AUDIO_SECONDS = 30  # an audio URL not fetched (offline) is taken as this long
MV_SHOT_SECONDS = 5               # shots are at most this long, and at least 3 s (models.split_shots)
MV_DEFAULTS = {"lip_sync": False, "lip_ref_url": "", "prompt": "", "aspect_ratio": "16:9", "resolution": "720p",
               "add_subtitle": False, "subtitle_color": "#FFFFFF", "srt_url": "", "language": ""}

# GET /ent/v2/tasks (wire notes §1.6, docs/decisions.md)
TASK_STATES = ("created", "queueing", "processing", "success", "failed")
LIST_WINDOW = 7 * 86400.0       # "default is 7 days"
LIST_PAGE_DEFAULT, LIST_PAGE_MAX = 10, 100
# The vendor's doc spells the pager "paper"; both spellings are read, the documented one first.
LIST_PAGE_PARAMS = (("paper.page", "pager.page"), ("paper.pagesz", "pager.pagesz"))

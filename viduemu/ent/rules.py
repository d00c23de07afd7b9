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
    extra_echo: dict[str, str] = field(default_factory=dict)   # endpoint-specific echoed fields: default
    subjects: dict[str, ModelRule] | None = None
    same_size_images: tuple[float, float] | None = None   # pixel-area ratio bounds of image 0 / image 1
    ratio_from_image: bool = False       # default aspect_ratio follows the first frame (else 16:9)


ENDPOINTS: dict[str, Endpoint] = {
    # "character2video": the type a proxy capture shows for reference2video (WN §1.4).
    "reference2video": Endpoint("character2video", REFERENCE_IMAGES, 10 * MB, subjects=REFERENCE_SUBJECTS),
    "img2video": Endpoint("img2video", IMG2VIDEO, 20 * MB, ratio_from_image=True),
    "text2video": Endpoint("text2video", TEXT2VIDEO, 20 * MB, extra_echo={"style": "general"}),
    "start-end2video": Endpoint("start-end2video", START_END2VIDEO, 20 * MB, same_size_images=(0.8, 1.25),
                                ratio_from_image=True),
}


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


# == the operations beyond the four generation endpoints (ent/operations.py) ===========================
# Sources: more/<operation>.txt of the vendor documents (OFF = an official page, 3P = third party); each
# judgement is in docs/decisions.md ("Operations of issue 14").

PAYLOAD_MAX = 1_048_576   # "transparent transmission parameters ... maximum length of 1048576 characters"

# -- templates (more/template2video.txt, more/template-story.txt) --------------------------------------------


@dataclass(frozen=True)
class TemplateRule:
    images: tuple[int, int] = (1, 1)               # fal (3P): "all other templates accept only 1 image"
    aspect_ratios: tuple[str, ...] = BASIC_RATIOS  # OFF: "Defaults to 16:9, accepted: 16:9 9:16 1:1"
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)   # "only for template X" fields
    duration: int = 4           # MCP: "Only when the final generated video duration is 4 seconds ..."
    tier: str = "standard"      # fal (3P): standard / premium / advanced, for the price


TEMPLATE_NAMES = (  # fal (3P) "Vidu Template to Video" options, plus names seen in clients (general, hugging, ...)
    "dreamy_wedding romantic_lift sweet_proposal couple_arrival cupid_arrow pet_lovers lunar_newyear hug kiss "
    "dynasty_dress wish_sender love_pose hair_swap youth_rewind morphlab live_photo emotionlab live_memory "
    "interaction christmas pet_finger eat_mushrooms beast_chase_library beast_chase_supermarket petal_scattered "
    "emoji_figure hair_color_change multiple_people_kissing beast_chase_amazon beast_chase_mountain "
    "balloonman_explodes_pro get_thinner jump2pool bodyshake jiggle_up shake_it_dance subject_3 pubg_winner_hit "
    "shake_it_down blueprint_supreme hip_twist motor_dance rat_dance kwok_dance leg_sweep_dance heeseung_march "
    "shake_to_max dame_un_grrr i_know lit_bounce wave_dance chill_dance hip_flicking sakura_season zongzi_wrap "
    "zongzi_drop dragonboat_shot rain_kiss child_memory couple_drop couple_walk flower_receive love_drop "
    "cheek_kiss carry_me blow_kiss love_fall french_kiss_8s workday_feels love_story bloom_magic ghibli "
    "minecraft box_me claw_me clayshot manga_meme quad_meme pixel_me clayshot_duo irasutoya american_comic "
    "simpsons_comic yayoi_kusama_style pop_art jojo_style slice_therapy balloon_flyaway flying paperman pinch "
    "bloom_doorobear gender_swap nap_me sexy_me spin360 smooth_shift paper_fall jump_to_cloud pilot "
    "sweet_dreams soul_depart punch_hit watermelon_hit split_stance_pet make_face break_glass "
    "split_stance_human covered_liquid_metal fluffy_plunge pet_belly_dance water_float relax_cut "
    "head_to_balloon cloning across_the_universe_jungle clothes_spinning_remnant across_the_universe_jurassic "
    "across_the_universe_moon fisheye_pet hitchcock_zoom cute_bangs earth_zoom_out fisheye_human drive_yacht "
    "virtual_singer earth_zoom_in aliens_coming drive_ferrari bjd_style virtual_fitting orbit zoom_in "
    "ai_outfit spin180 orbit_dolly orbit_dolly_fast auto_spin walk_forward outfit_show zoom_in_fast "
    "zoom_out_image zoom_out_startend muscling captain_america hulk cap_walk hulk_dive exotic_princess "
    "beast_companion cartoon_doll golden_epoch oscar_gala fashion_stride star_carpet flame_carpet frost_carpet "
    "mecha_x style_me tap_me saber_warrior pet2human graduation fishermen happy_birthday fairy_me ladudu_me "
    "ladudu_me_random squid_game superman grow_wings clevage fly_with_doraemon creatice_product_down pole_dance "
    "hug_from_behind creatice_product_up_cybercity creatice_product_up_bluecircuit creatice_product_up "
    "run_fast background_explosion hugging french_kiss general turn_into_zombie wednesdays_vibe shop_frame"
).split()
_TEMPLATE_EXCEPTIONS: dict[str, TemplateRule] = {
    "dynasty_dress": TemplateRule(images=(1, 2), tier="premium"),   # fal: "accept 1-2 images"
    "shop_frame": TemplateRule(images=(1, 2)),
    "wish_sender": TemplateRule(images=(3, 3)),                     # fal: "requires exactly 3 images"
    "lunar_newyear": TemplateRule(tier="premium"),
    "dreamy_wedding": TemplateRule(tier="premium"),
    "live_photo": TemplateRule(tier="advanced"),
    "french_kiss_8s": TemplateRule(duration=8),
    "exotic_princess": TemplateRule(extras={"area": (
        "auto", "denmark", "uk", "africa", "china", "mexico", "switzerland", "russia", "italy", "korea",
        "thailand", "india", "japan")}),
    "beast_companion": TemplateRule(extras={"beast": ("auto", "bear", "tiger", "elk", "snake", "lion", "wolf")}),
}
TEMPLATES: dict[str, TemplateRule] = {name: _TEMPLATE_EXCEPTIONS.get(name, TemplateRule()) for name in TEMPLATE_NAMES}
TEMPLATE_EXTRA_DEFAULT = "auto"        # area / beast: "Default: auto"
TEMPLATE_IMAGE_LIMIT = 10 * MB         # older page: "The length of the base64 decode must be under 10MB"
TEMPLATE_RESOLUTION = "720p"           # no page states it; the prompt recommendation names 360p/720p per template
TEMPLATE_MAX_PROMPT = 2000             # newer page: "with a maximum length of 2000 characters"

# POST /ent/v2/template-story (newer page's list); "The aspect ratio of the images must be 9:16", except
# one_shot: "The aspect ratio of one_shot is the same as the first input image".
STORIES = ("love_story", "workday_feels", "monkey_king", "pigsy", "monk_tang", "one_shot")
STORY_FREE_RATIO = ("one_shot",)
STORY_RATIO = "9:16"
STORY_RATIO_TOLERANCE = 0.02           # a 9:16 photo's ratio may be off by rounding (1080x1920, 720x1279)
STORY_IMAGES = (1, 1)                  # "An image to be used as the start frame of the generated video"
STORY_DURATION = 10                    # not documented: ours (docs/decisions.md)

# -- solutions: one-click films (more/ad-one-click.txt, more/general-one-click.txt) ------------------------
# ad-one-click: OFF = the EN create page; CN = the official CN full-flow guide (copy hosted by a 3P).
# general_one_click: no official page; 3P clients only (a playground's constants, a TS provider).


@dataclass(frozen=True)
class FilmRule:
    durations: tuple[int, int]           # whole seconds, both ends accepted
    default_duration: int
    aspect_ratios: tuple[str, ...]
    languages: tuple[str, ...] = ()      # () : the operation has no language field
    creative: bool = False               # takes CN's "creative" (realistic or creative film)


FILMS: dict[str, FilmRule] = {
    # OFF "Default value :15,available: 10 - 60"; CN "8～60s，默认为15s": the union (docs/decisions.md)
    # OFF/CN "Defaults to 16:9, accepted: 16:9 9:16 1:1"; "default zh available zh,en"; CN "creative ... 默认为false"
    "ad-one-click": FilmRule((8, 60), 15, BASIC_RATIOS, ("zh", "en"), creative=True),
    # 3P playground: "MIN_DURATION 1; MAX_DURATION 180; default duration 15; aspect ratio default 16:9"; the
    # ratios accepted are not stated: the MV's (docs/decisions.md)
    "general_one_click": FilmRule((1, 180), 15, ("16:9", "9:16", "1:1", "4:3", "3:4")),
}
FILM_IMAGES = (1, 7)            # OFF "Accepts 1-7 images"; 3P general: "MAX_IMAGES 7", "images (>=1)"
FILM_IMAGE_LIMIT = 50 * MB      # OFF "All images are limited to 50MB"
FILM_MAX_PROMPT = 2000          # OFF "with a maximum length of 2000 characters" (also an edit's prompt)
FILM_RESOLUTION = "1080p"       # the price is "1080P 40 credits/s"; no other resolution is offered
FILM_DEFAULT_LANGUAGE = "zh"    # OFF "default zh"
FILM_SHOT_SECONDS = 5           # storyboards of at most 5 s: the guide's 15 s film has 3 storyboards
# the sub tasks an edit makes (CN edit: "type ... generate_video / generate_narration / generate_bgm")
STORYBOARD, NARRATION, BGM, COMPOSE = "generate_video", "generate_narration", "generate_bgm", "compose"
EDIT_TYPES = (STORYBOARD, NARRATION, BGM)
# the tasks whose GET creations has the guide's query shape (CN: "progress", "watermarked_url")
FILM_TASK_TYPES = frozenset((*FILMS, STORYBOARD, NARRATION, BGM, COMPOSE))

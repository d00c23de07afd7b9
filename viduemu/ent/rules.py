"""Rule tables for the /ent/v2 generation endpoints: what a JSON schema cannot say.

One ``ModelRule`` row per model and endpoint (and per form of reference2video). The checks in
``checks.py`` read these rows; nothing model-specific lives anywhere else. Each row's source is
recorded in docs/decisions.md ("Tasks (/ent/v2) - generation rules").
Sources: VD = vendor-docs/vidu-reference2video.txt (the spec), SUN = the CN doc copy (wire notes
§1.3), MCP = shengshu-ai/vidu-mcp (a real client that must keep working), M26 = vendor-docs/more/models-2026.txt
(the q3-era tables; where they differ from the others a row accepts what either lists).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from viduemu.vidu.inputs import IMAGE_FORMATS, MB, WITH_BMP

BASIC_RATIOS = ("16:9", "9:16", "1:1")
Q2_RATIOS = BASIC_RATIOS + ("3:4", "4:3")
ANY_RATIO = None          # any "W:H" within 1:4..4:1, or "auto" (VD subjects form, M26 §4 images form)
MAX_ANY_RATIO = 4.0
AUTO_RATIO = "auto"       # M26 §4 "auto：根据输入图或视频自动推荐": the listed ratio nearest the first image
AUTO_RATIOS = ("1:1", "9:16", "16:9", "3:4", "4:3")   # M26 §4 "可选值如下：1:1、9:16、16:9、3:4、4:3"

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
    aspect_ratios: tuple[str, ...] | None = BASIC_RATIOS   # ANY_RATIO = any W:H, or auto
    images: tuple[int, int] | None = (1, 7)                # (min, max) count; None = images unwanted
    images_with_videos: tuple[int, int] | None = None      # counts when videos are given; None = videos unwanted
    audio_default: bool = False
    bgm: bool = True                                       # False: bgm=true is unwanted (q3 on reference2video)
    off_peak: bool = True                                  # False: off_peak=true is refused (viduq3-mix)
    off_peak_audio: bool = False                           # off_peak only allowed when audio == this
    sounds: bool = False                                   # takes reference sounds (q3 on reference2video)
    max_prompt: int = 2000
    subject_images: int = 7                                # subjects form: images over all subjects
    video_subjects: int = 0                                # subjects form: subjects with videos (library)
    inline_video_subjects: int = 0                         # ... of which given inline ("temporary")

    def resolutions_for(self, duration: int) -> tuple[tuple[str, ...], str]:
        return self.by_duration.get(duration, (self.resolutions, self.default_resolution))


def span(first: int, last: int) -> tuple[int, ...]:
    return tuple(range(first, last + 1))


Q_RES = ("540p", "720p", "1080p")

# M26 = vendor-docs/more/models-2026.txt (the q3-era tables; §1 text2video, §2 img2video, §3 start-end2video,
# §4 reference2video). Where it and the first documents differ, a row takes what EITHER accepts (the union):
# the emulator must not refuse what the real service accepts (docs/decisions.md, "q3-era tables").
# q3 family: audio on by default, off-peak only with audio, prompts up to 5000 (WN §1.3, M26 §1 "默认为true").
# bgm=true is accepted (M26 §1 "该参数在q3系列模型中不生效": no effect) except on reference2video (below).
_Q3 = ModelRule(span(1, 16), 5, Q_RES, "720p", aspect_ratios=BASIC_RATIOS, audio_default=True,
                off_peak_audio=True, max_prompt=5000)
_Q3_REF = replace(_Q3, durations=span(3, 16), aspect_ratios=ANY_RATIO, bgm=False, sounds=True)
_Q2 = ModelRule(span(1, 10), 5, Q_RES, "720p", aspect_ratios=Q2_RATIOS)
_Q1 = ModelRule((5,), 5, ("1080p",), "1080p")
_V20 = ModelRule((4,), 4, ("360p", "720p"), "360p")
# vidu1.5 is not in VD but MCP offers it on every endpoint: 4 s (360p/720p/1080p) or 8 s (720p).
_V15 = ModelRule((4, 8), 4, ("360p", "720p", "1080p"), "360p", by_duration={8: (("720p",), "720p")},
                 images=(1, 3))

# POST /ent/v2/reference2video, images/videos form (VD second half; M26 §4 CN-SWAG: models viduq3-mix, viduq3,
# viduq2-pro, viduq2, viduq1, vidu2.0, "q2、q3模型支持任意比例或 auto", sounds on q3, audio "默认为true").
REFERENCE_IMAGES: dict[str, ModelRule] = {
    # M26 §4 "viduq3-mix：默认5秒，可选1 - 16" (modelstream 3-16: the union is 1-16); "可选：720p、1080p";
    # no off-peak (more/pricing.txt "viduq3-mix ... 不支持 Off-Peak")
    "viduq3-mix": replace(_Q3_REF, durations=span(1, 16), resolutions=("720p", "1080p"), off_peak=False),
    "viduq3-turbo": _Q3_REF,
    "viduq3": _Q3_REF,     # M26 §4 "viduq3：默认5秒，可选3 - 16 ... 可选：540p、720p、1080p"
    "viduq3-pro": _Q3_REF,   # VD's duration/resolution lists name "viduq3-pro" where the model list says "viduq3"
    "viduq2-pro": replace(_Q2, durations=span(0, 10), aspect_ratios=ANY_RATIO, images_with_videos=(0, 4),
                          max_prompt=5000),
    "viduq2": replace(_Q2, aspect_ratios=ANY_RATIO, max_prompt=5000),
    "viduq1": replace(_Q1, max_prompt=5000),
    "vidu2.0": replace(_V20, max_prompt=5000),
    "vidu1.5": replace(_V15, max_prompt=5000),
}

# POST /ent/v2/reference2video, subjects form (VD first half). viduq3-mix takes no subjects.
REFERENCE_SUBJECTS: dict[str, ModelRule] = {
    "viduq3-turbo": _Q3_REF,
    "viduq3": _Q3_REF,
    "viduq3-pro": _Q3_REF,
    "viduq2-pro": replace(REFERENCE_IMAGES["viduq2-pro"], aspect_ratios=ANY_RATIO, subject_images=4,
                          video_subjects=2, inline_video_subjects=1),
    "viduq2": replace(REFERENCE_IMAGES["viduq2"], aspect_ratios=ANY_RATIO),
    "viduq1": REFERENCE_IMAGES["viduq1"],
    "vidu2.0": REFERENCE_IMAGES["vidu2.0"],
}
SUBJECTLESS_MODELS = ("viduq3-mix",)

# POST /ent/v2/img2video: exactly one image (SUN; M26 §2: q3 rows "viduq3-pro、viduq3-turbo 默认为 5，可选：1 - 16",
# "540p、720p、1080p"; 2K from WN §1.3 kept by the union rule).
_ONE: dict[str, Any] = {"images": (1, 1)}
IMG2VIDEO: dict[str, ModelRule] = {
    "viduq3-pro": replace(_Q3, resolutions=Q_RES + ("2K",), **_ONE),
    "viduq3-turbo": replace(_Q3, resolutions=Q_RES + ("2K",), **_ONE),
    # M26 §2 "viduq3-pro-fast -- img2video ONLY, 1–16 s, 720p/1080p" (3P); CN-SUM "audio default true"
    "viduq3-pro-fast": replace(_Q3, resolutions=("720p", "1080p"), **_ONE),
    "viduq2-pro-fast": ModelRule(span(1, 10), 5, ("720p", "1080p"), "720p", **_ONE),
    "viduq2-pro": ModelRule(span(1, 10), 5, Q_RES, "720p", **_ONE),
    "viduq2-turbo": ModelRule(span(1, 10), 5, Q_RES, "720p", **_ONE),
    # M26 §2 CN-SWAG "model 可选值：viduq2 、viduq1、viduq3-turbo、viduq3-pro"; "viduq2 默认5秒，可选：1-10"
    "viduq2": ModelRule(span(1, 10), 5, Q_RES, "720p", **_ONE),
    "viduq1": replace(_Q1, **_ONE),
    "viduq1-classic": replace(_Q1, **_ONE),
    "vidu2.0": ModelRule((4, 8), 4, ("360p", "720p", "1080p"), "360p", by_duration={8: (("720p",), "720p")},
                         **_ONE),
    "vidu1.5": replace(_V15, **_ONE),
}

# POST /ent/v2/start-end2video: exactly two images, start then end (SUN; M26 §3 CN-SWAG adds q3 and plain viduq2).
_TWO: dict[str, Any] = {"images": (2, 2)}
START_END2VIDEO: dict[str, ModelRule] = {
    # M26 §3 "viduq3-pro 、viduq3-turbo默认为 5，可选：1 - 16"; "1-16秒：默认 720p，可选：540p、720p、1080p"
    "viduq3-pro": replace(_Q3, **_TWO),
    "viduq3-turbo": replace(_Q3, **_TWO),
    "viduq2-pro-fast": ModelRule(span(1, 8), 5, ("720p", "1080p"), "720p", **_TWO),
    "viduq2-pro": ModelRule(span(1, 8), 5, Q_RES, "720p", **_TWO),
    "viduq2-turbo": ModelRule(span(1, 8), 5, Q_RES, "720p", **_TWO),
    # M26 §3 "viduq2 : 默认5秒，可选：1-10 [sic]" (the plain name only; its resolutions are cut: q2's)
    "viduq2": ModelRule(span(1, 10), 5, Q_RES, "720p", **_TWO),
    "viduq1": replace(_Q1, **_TWO),
    "viduq1-classic": replace(_Q1, **_TWO),
    "vidu2.0": replace(IMG2VIDEO["vidu2.0"], **_TWO),
    "vidu1.5": replace(_V15, **_TWO),
}

# POST /ent/v2/text2video: no images (M26 §1 CN-T2V-OFF: viduq3-turbo, viduq3-pro, viduq2, viduq1; "字符长度不能超过
# 5000 个字符" on every model; 3:4/4:3 "仅支持q2、q3系列模型"; vidu1.5 from MCP).
_NONE: dict[str, Any] = {"images": None, "max_prompt": 5000}
TEXT2VIDEO: dict[str, ModelRule] = {
    "viduq3-pro": replace(_Q3, aspect_ratios=Q2_RATIOS, **_NONE),
    "viduq3-turbo": replace(_Q3, aspect_ratios=Q2_RATIOS, **_NONE),
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


# videos (viduq2-pro reference): at most 1 of 8 s or 2 of 5 s; images count 1 s each in a 13 s budget.
MAX_VIDEO_SECONDS = {1: 8.0, 2: 5.0}
REFERENCE_BUDGET_SECONDS = 13.0
DURATION_TOLERANCE = 0.1     # container rounding of any measured duration (docs/decisions.md)
VIDEO_LIMIT = 20 * MB        # decoded bytes of one base64 video (VD note 5)
# sounds (M26 §4, q3 only): "最多支持上传 7个音频，每个音频时长最多20s"; "音频支持 mp3格式"; "base64 decode之后的
# 字节长度需要小于20M" (the count 1-7 is the contract's)
SOUND_SECONDS = 20.0
SOUND_LIMIT = 20 * MB
SOUND_FORMATS = {"mp3": "mp3"}
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

# -- edits: multiframe, extend, upscale-pro, upscale (more/multiframe.txt, extend.txt, upscale-pro.txt, upscale.txt)
EDIT_MODELS = ("viduq2-pro", "viduq2-turbo")   # OFF (multiframe, extend): "Accepted values:viduq2-pro viduq2-turbo"
EDIT_RESOLUTIONS = Q_RES                       # OFF: "Default is 720p. Available values: 540p, 720p, 1080p"
EDIT_DEFAULT_RESOLUTION = "720p"
EDIT_MAX_PROMPT = 2000                         # OFF (extend): "with a maximum length of 2000 characters"

# POST /ent/v2/multiframe
MULTIFRAME_SEGMENTS = (2, 9)       # OFF: "up to 9 frames ... at least 2 frames"; ComfyUI: image_settings 2-9 items
MULTIFRAME_DURATIONS = span(2, 7)  # OFF: "Default is 5s, valid range is 2–7s."
MULTIFRAME_DEFAULT_DURATION = 5
MULTIFRAME_START_LIMIT = 20 * MB   # start_image: "The post body ... should not exceed 20MB"
MULTIFRAME_KEY_LIMIT = 10 * MB     # key_image: "The length of the base64 decode must be under 10MB"
MULTIFRAME_RATIOS = Q2_RATIOS      # the output takes the start image's nearest q2 ratio (docs/decisions.md)

# POST /ent/v2/extend
EXTEND_DURATIONS = span(1, 7)      # OFF: "Extended duration, default 5 seconds, selectable from 1 to 7 s"
EXTEND_DEFAULT_DURATION = 5
EXTEND_SOURCE_SECONDS = (4.0, 60.0)   # OFF: "cannot be less than 4 seconds and cannot exceed 1 minute" (ComfyUI: 4-55)
EXTEND_IMAGES = (0, 1)             # OFF: "Only accepts 1 image"
EXTEND_IMAGE_LIMIT = 20 * MB       # OFF: "The post body of the HTTP request should not exceed 20MB"

# POST /ent/v2/upscale-new (upscale-pro)
UPSCALE_RESOLUTIONS = ("1080p", "2K", "4K", "8K")   # OFF: "Default is 1080p. Accept values: 1080p, 2K, 4K, 8K."
UPSCALE_DEFAULT_RESOLUTION = "1080p"
UPSCALE_MAX_SECONDS = 300.0        # OFF: "Maximum video duration: 300 seconds"
UPSCALE_MAX_FPS = 60.0             # OFF: "Frame rate must be below 60 FPS"
UPSCALE_SOURCE_LIMIT = 20 * MB     # a data: video's decoded bytes (the /ent/v2 request body limit)
# OFF: "Supported container formats: MP4, FLV, HLS, MXF, MOV, TS, WEBM, MKV" (extension -> our format name)
UPSCALE_FORMATS = {"mp4": "mp4", "mov": "mp4", "flv": "flv", "m3u8": "hls", "mxf": "mxf", "ts": "ts",
                   "webm": "mkv", "mkv": "mkv"}
# OFF: "The resolution must be higher than the original video resolution, otherwise the task will fail."
# The task fails with this documented code (no reason of its own is documented; docs/decisions.md).
UPSCALE_NOT_HIGHER = "FieldInvalid"

# POST /ent/v2/upscale (legacy)
LEGACY_UPSCALE_MODEL = "vidu1.0"   # OFF: "Accepted value: vidu1.0"
LEGACY_UPSCALE_SOURCE = 360        # OFF: "upscale only supports 360p resolution input" (the short side)
LEGACY_UPSCALE_TARGET = "1080p"    # 3P (older docs): "360p -> 1080p"

# a source video an offline emulator cannot measure (an unfetched URL): taken as this long and this large
UNMEASURED_VIDEO_SECONDS = 5.0
UNMEASURED_VIDEO_SIZE = (1280, 720)
# -- people: lip-sync, digital-human, image2dance, trending-replicate (ent/people.py) ------------------------
# Sources: more/lip-sync.txt (OFF table to `speed`; the rest 3P mirrors of the CN page), more/digital-human.txt
# (3P only), more/image2dance.txt (OFF, page slug motion-sync), more/trending-replicate.txt (OFF EN + CN guide).

GB = 1024 * MB


@dataclass(frozen=True)
class MediaRule:
    """An audio or video input's documented limits (a video's frame: ``sides``, ``max_ratio``)."""

    formats: dict[str, str]        # URL extension -> format (check_media's table)
    seconds: tuple[float, float]   # its duration, each end within DURATION_TOLERANCE
    max_bytes: int
    sides: tuple[int, int] = (0, 1 << 30)   # each side of the frame within
    max_ratio: float = 4.0                  # long side / short side at most


@dataclass(frozen=True)
class ImageRule:
    max_bytes: int
    formats: dict[str, str] = field(default_factory=lambda: dict(IMAGE_FORMATS))
    sides: tuple[int, int] = (0, 1 << 30)
    max_ratio: float = 4.0


_VIDEOS = {"mp4": "mp4", "mov": "mov", "avi": "avi"}
# "Supported video formats: mp4, mov, avi"; "Duration should be between 1 and 600 seconds"; "File size should
# not exceed 5GB, the requirement for single-sided pixels is between 360-4096"
LIP_SYNC_VIDEO = MediaRule(_VIDEOS, (1, 600), 5 * GB, sides=(360, 4096))
LIP_SYNC_VIDEO_CODECS = ("h264",)   # "The video itself requires an encoding format of H.264"
# "Supported formats: wav, mp3, wma, m4a, aac, ogg"; "greater than 1 second and less than 600 seconds"; "100MB"
LIP_SYNC_AUDIO = MediaRule({f: f for f in ("wav", "mp3", "wma", "m4a", "aac", "ogg")}, (1, 600), 100 * MB)
# "at least 4 characters and no more than 2000 characters (2-1000 Chinese characters or 4-2000 English
# characters)": a Chinese character counts twice
TEXT_LENGTH = (4, 2000)
WIDE_CHARACTER_WEIGHT = 2
LIP_SYNC_SPEED = (0.5, 2.0)     # 3P (hingnet, rivus): "语速 0.5–2，默认 1.0（仅文字驱动）"
LIP_SYNC_VOLUME = (0, 10)       # 3P: "音量 0–10，默认 0"
LIP_SYNC_DEFAULTS = {"speed": 1.0, "volume": 0}
PEOPLE_IMAGE_LIMIT = 50 * MB    # "All images are limited to 50MB" (trending-replicate); ref photos, digital humans
# A URL not fetched (offline) cannot be measured: taken as this long (docs/decisions.md)
UNMEASURED_SECONDS = 5.0
UNMEASURED_VIDEO = ("720p", "16:9")   # the frame of a lip-sync output whose source was not read

# The speaking rate of speech made from text (ours): characters per second, Chinese and other; `<#x#>` pauses
# ("x 为停顿时长(单位:秒),范围 [0.01, 99.99]") add x seconds; `speed` divides the whole.
SPEECH_RATE = {"wide": 4.0, "narrow": 15.0}
PAUSE_SECONDS = (0.01, 99.99)

# digital-human (3P Go adapter): "model/image[1]/prompt(≤2000)/audio_url 或 text+voice_id（audio_url 优先）/resolution";
# 3P SQL seed: "resolutions":["540p","720p","1080p"]; the adapter's default "720p"
DIGITAL_HUMAN_MODELS = ("viduq2-pro", "viduq2-turbo")
DIGITAL_HUMAN_RESOLUTIONS = ("540p", "720p", "1080p")
DIGITAL_HUMAN_DEFAULT_RESOLUTION = "720p"
PEOPLE_MAX_PROMPT = 2000        # digital-human (3P) and trending-replicate (OFF): "maximum length of 2000"

# image2dance (OFF): image "[200, 4096] pixels, and the aspect ratio is in the range of 1:3 to 3:1", "<= 5MB";
# video "MP4、AVI、MOV", "2~30s", "[200, 2048] pixels, with an aspect ratio ranging from 1:3 to 3:1", "<= 200MB"
DANCE_IMAGE = ImageRule(5 * MB, WITH_BMP, sides=(200, 4096), max_ratio=3.0)   # "JPG、JPEG、PNG、BMP、WEBP"
DANCE_VIDEO = MediaRule(_VIDEOS, (2, 30), 200 * MB, sides=(200, 2048), max_ratio=3.0)
DANCE_RESOLUTION = "720p"       # no resolution field: ours (docs/decisions.md)
DANCE_DEFAULT_RATIO = "9:16"    # an unread image and video: a dancer's portrait frame (ours)

# trending-replicate (OFF): "Supported formats: mp4,mov", "between 5s and 180s", "post body ... should not exceed
# 20MB"; images "Accepts 1-7 images"; aspect "Defaults to 16:9, accepted: 16:9 9:16 1:1,4:3,3:4";
# resolution "default 1080p enum:540p、720p、1080p"
REPLICATE_VIDEO = MediaRule({"mp4": "mp4", "mov": "mov"}, (5, 180), 20 * MB)
REPLICATE_IMAGES = (1, 7)
REPLICATE_RATIOS = Q2_RATIOS
REPLICATE_RESOLUTIONS = ("540p", "720p", "1080p")
REPLICATE_DEFAULTS = {"prompt": "", "aspect_ratio": "16:9", "resolution": "1080p", "remove_audio": False}
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


# -- uploads and the prompt recommendation (issue 15) -------------------------------------------------------
# file-uploads.txt: "Image requirements: aspect ratio must be less than 1:4 or 4:1, file size less than 10MB.
# Supported formats: "png", "webp", "jpeg", "jpg""
UPLOAD_LIMIT = 10 * MB
UPLOAD_FORMATS = {"png": "png", "webp": "webp", "jpeg": "jpeg", "jpg": "jpeg"}
UPLOAD_SCENES = ("vidu",)        # the only documented value of "scene" ('{"scene": "vidu"}')
# The example's put_url "expiring" at expires_at; no lifetime is printed: ours is an hour (docs/decisions.md)
UPLOAD_PUT_SECONDS = 3600
# The PUT's answer: 'x-amz-expiration: ... rule-id="delete-for-7-days"': an upload is usable for 7 days
UPLOAD_KEEP_SECONDS = 7 * 24 * 3600

# img2video-prompt-recommendation.txt: "images ... Currently supports only one image", "Max size: 50MB";
# type: EN "Enum values: template , img2video", CN adds "start_end2video", "e_commerce": the union
RECOMMEND_IMAGES = (1, 1)
RECOMMEND_IMAGE_LIMIT = 50 * MB
RECOMMEND_TYPES = ("template", "img2video", "start_end2video", "e_commerce")
RECOMMEND_COUNT = (1, 10)        # "count ... Default: 5  Range: 1~10"
RECOMMEND_DEFAULT_COUNT = 5
RECOMMEND_RESOLUTIONS = ("360p", "720p")   # "resolution ... Default: 360p  Enum: 360p,720p"
RECOMMEND_DEFAULT_RESOLUTION = "360p"
# -- Images and audio (issue 15) -------------------------------------------------------------------------
# reference2image (more/reference2image.txt, OFFICIAL): "viduq2: Supports input of 0 to 7 images. viduq1: Supports
# input of 1 to 7 images."; "viduq1:Default is 16:9, optional values:16:9,9:16,1:1, 3:4, 4:3"; "viduq2: ...
# 16:9,9:16,1:1, 3:4,4:3,21:9,2:3,3:2"; "auto: ... consistent with the first input images"; "viduq1: Default is
# 1080p, optional values:1080p"; "viduq2:Default is 1080p, optional values:1080p,2K,4K".


@dataclass(frozen=True)
class ImageModelRule:
    images: tuple[int, int]
    aspect_ratios: tuple[str, ...]
    resolutions: tuple[str, ...]


IMAGE_MODELS = {
    "viduq2": ImageModelRule((0, 7), Q2_RATIOS + ("21:9", "2:3", "3:2", AUTO_RATIO), ("1080p", "2K", "4K")),
    "viduq1": ImageModelRule((1, 7), Q2_RATIOS + (AUTO_RATIO,), ("1080p",)),
}
IMAGE_DEFAULT_RATIO = "16:9"          # "Default is 16:9" (both models); also what "auto" gives with no image
IMAGE_DEFAULT_RESOLUTION = "1080p"    # "Default is 1080p"
IMAGE_MAX_PROMPT = 2000               # "with a maximum length of 2000 characters"
IMAGE_INPUT_LIMIT = 50 * MB           # "Image size must not exceed 50MB"

# text2audio / timing2audio (more/text2audio.txt, timing2audio.txt, OFFICIAL): "model ... Available value: audio1.0";
# "Audio duration. Default: 10 seconds. Range: 2–10 seconds."; text2audio "Maximum length: 1500 characters";
# timing2audio "Max 1500 characters per event"; "from and to must be within [0, duration]"; 3P (kapon) "from < to".
AUDIO_MODELS = ("audio1.0",)
AUDIO_DURATION = (2.0, 10.0)
AUDIO_DEFAULT_DURATION = 10.0
AUDIO_MAX_PROMPT = 1500

# audio-tts (more/audio-tts.txt, OFFICIAL): "Length must be less than 10,000 characters"; "<#x#> ... range
# [0.01, 99.99]" (PAUSE_SECONDS); "voice_setting_speed ... default is 1.0 ... range [0.5, 2]"; "voice_setting_volume
# ... Range 0–10, default is 0"; "voice_setting_pitch ... Range [-12, 12], default 0"; emotions as listed.
TTS_MAX_TEXT = 9999
TTS_SETTINGS = {   # field -> (low, high, default)
    "voice_setting_speed": (0.5, 2.0, 1.0),
    "voice_setting_volume": (0, 10, 0),
    "voice_setting_pitch": (-12, 12, 0),
}
TTS_EMOTIONS = ("happy", "sad", "angry", "fearful", "disgusted", "surprised", "calm")
# audio-clone (more/audio-clone.txt, OFFICIAL): audio_url "Supported formats: mp3, m4a, wav. Duration: minimum 10
# seconds, maximum 5 minutes. File size must not exceed 20 MB."; voice_id "Length range: [8, 256]. Must start with an
# English letter. Allows numbers, letters, -, _. Must not end with -, _. ... duplicates will result in an error";
# prompt_audio_url "mp3, m4a, wav ... less than 8 seconds ... 20 MB"; text "within 1,000 characters".
CLONE_AUDIO = MediaRule({"mp3": "mp3", "m4a": "m4a", "wav": "wav"}, (10, 300), 20 * MB)
CLONE_PROMPT_AUDIO = MediaRule({"mp3": "mp3", "m4a": "m4a", "wav": "wav"}, (0, 8), 20 * MB)
VOICE_ID_PATTERN = r"[A-Za-z](?:[A-Za-z0-9_-]{6,254}[A-Za-z0-9])"   # 8-256 characters, the rules above
CLONE_MAX_TEXT = 1000

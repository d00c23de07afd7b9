"""The aggregator dialect's rules: its models, its error codes, and the translation of its body into
/ent/v2's terms.

``vidu_create_subjects`` is /ent/v2 subjects' create (name, images 1-3, videos <= 1 of 5 s,
voice_id), run as a task whose output is the subject as JSON text.

``vidu20_img2video`` is /ent/v2 img2video with model ``vidu2.0`` (the same rule rows: 4|8 s,
360p/720p/1080p at 4 s, 720p at 8 s), plus this dialect's own rules (exactly one image, prompt
<= 2000, off-peak temporarily unavailable, voice_id ignored without audio). A refusal carries the
dialect's 0080050xx code, chosen from the field the shared checks named (``CODE_BY_FIELD``).
"""

from __future__ import annotations

from viduemu.core.errors import ViduError

IMAGE_MISSING, PARAMETER_INVALID, STYLE_INVALID, IMAGE_INVALID = "008005001", "008005002", "008005003", "008005004"
DURATION_INVALID, RESOLUTION_INVALID = "008005005", "008005006"
GENERATION_FAILED, SERVICE_UNAVAILABLE = "008005098", "008005099"

# the first part of the field a shared check named -> the dialect's code
CODE_BY_FIELD = {"images": IMAGE_INVALID, "duration": DURATION_INVALID, "resolution": RESOLUTION_INVALID,
                 "style": STYLE_INVALID}
MESSAGES = {IMAGE_MISSING: "Image missing", PARAMETER_INVALID: "Parameter invalid", STYLE_INVALID: "Style invalid",
            IMAGE_INVALID: "Image invalid", DURATION_INVALID: "Duration invalid",
            RESOLUTION_INVALID: "Resolution invalid", GENERATION_FAILED: "Generation failed",
            SERVICE_UNAVAILABLE: "Service unavailable"}
USD_PER_CREDIT = 0.005   # docs/decisions.md
# a parameter -> the boolean it "only takes effect when" true; ignored (not refused) otherwise
EFFECTIVE_WITH = {"voice_id": "audio"}
IMG2VIDEO, CREATE_SUBJECTS = "vidu20_img2video", "vidu_create_subjects"
TYPES = (IMG2VIDEO, CREATE_SUBJECTS)   # the models, and the types of this dialect's tasks


class DialectError(Exception):
    """A refusal in this dialect: HTTP ``status`` with ``{"error": {"code", "error_message"}}``."""

    def __init__(self, code: str, detail: str, status: int = 400):
        super().__init__(detail)
        self.code, self.status = code, status
        self.message = f"{MESSAGES.get(code, code)}: {detail}" if code in MESSAGES else detail

    def body(self) -> dict:
        return {"error": {"code": self.code, "error_message": self.message}}

    @classmethod
    def of(cls, err: ViduError) -> "DialectError":
        field = (err.fields or "").split(".")[0]
        if field == "images" and err.reason == "FieldLacking":
            return cls(IMAGE_MISSING, err.message)
        return cls(CODE_BY_FIELD.get(field, PARAMETER_INVALID), err.message)


def img2video_body(body: dict) -> dict:
    """The /ent/v2 img2video body of a ``vidu20_img2video`` request, after this dialect's own rules."""
    images = body.get("images")
    if images is None or images == []:
        raise DialectError(IMAGE_MISSING, "images is required (exactly 1 image)")
    if not isinstance(images, list) or len(images) != 1:
        raise DialectError(IMAGE_INVALID, "images must hold exactly 1 image")
    if body.get("off_peak") is True:
        raise DialectError(PARAMETER_INVALID, "off_peak is temporarily unavailable")
    prompt = body.get("prompt", "")
    if isinstance(prompt, str) and len(prompt) > 2000:
        raise DialectError(PARAMETER_INVALID, "prompt must be at most 2000 characters")
    wm_position = body.get("wm_position", 3)
    if wm_position not in (1, 2, 3, 4) or isinstance(wm_position, bool):
        raise DialectError(PARAMETER_INVALID, "wm_position must be 1, 2, 3 or 4")
    return {**{k: v for k, v in effective(body).items() if k != "model"}, "model": "vidu2.0"}


def effective(body: dict) -> dict:
    """``body`` without the parameters whose condition (``EFFECTIVE_WITH``) is not met."""
    return {k: v for k, v in body.items() if k not in EFFECTIVE_WITH or body.get(EFFECTIVE_WITH[k]) is True}


def kept(ent_body: dict) -> dict:
    """What the task keeps of this dialect's own parameters (the shared checks keep /ent/v2's)."""
    return {k: ent_body[k] for k in EFFECTIVE_WITH if k in ent_body}

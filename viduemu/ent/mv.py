"""One-click MV (VD/vidu-one-click-mv.txt): create, query, edit a shot, compose.

Handlers parse, check (contract, then what a schema cannot say: image bytes, the audio's real
duration), price, and call ``MvEngine`` (mv_model.py); ``mv_view`` renders the documented shape.
"""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.routing import Route

from viduemu.core.errors import invalid
from viduemu.core.http import base_url, caller, emulator, endpoint, read_valid
from viduemu.core.inputs import AUDIO_FORMATS, MB, check_image, check_media, stored_form
from viduemu.core.media import FPS, Clip, resolution_size
from viduemu.ent.mv_model import KIND, MvEngine
from viduemu.ent.tasks import iso

PATH = "/ent/v2/one-click/mv"
ITEM, EDIT, COMPOSE = f"{PATH}/{{id}}", f"{PATH}/{{id}}/edit", f"{PATH}/{{id}}/compose"

IMAGE_MAX_DECODED = 10 * MB       # "byte length after base64 decoding needs to be less than 10M"
AUDIO_MAX_DECODED = 20 * MB       # "... needs to be less than 20M"
AUDIO_SECONDS = (10.0, 180.0)     # "at least 10 seconds and at most 180 seconds"
DURATION_SLACK = 0.05             # container rounding of a measured duration
UNMEASURED_AUDIO_SECONDS = 30     # an audio URL not fetched (offline) is taken as this long
SHOT_SECONDS = 5                  # shots are at most this long, and at least 3 s (see split_shots)

# Price in credits per second of audio (rounded up), by resolution; lip_sync adds 4 per second
# ("After activation, 4 credits will be added per second"). See docs/decisions.md.
CREDITS_PER_SECOND = {"540p": 8, "720p": 10, "1080p": 16}
LIP_SYNC_PER_SECOND = 4

DEFAULTS = {"lip_sync": False, "lip_ref_url": "", "prompt": "", "aspect_ratio": "16:9", "resolution": "720p",
            "add_subtitle": False, "subtitle_color": "#FFFFFF", "srt_url": "", "language": ""}


def rate(fields: dict) -> int:
    """Credits per second of this MV's shots."""
    return CREDITS_PER_SECOND[fields["resolution"]] + (LIP_SYNC_PER_SECOND if fields["lip_sync"] else 0)


def split_shots(seconds: int) -> list[int]:
    """Whole-second shot lengths summing to ``seconds``: as few shots as keep each <= 5 s, the
    longer ones first (10 -> [5, 5], 11 -> [4, 4, 3], 180 -> 36 x 5)."""
    count = math.ceil(seconds / SHOT_SECONDS)
    base, extra = divmod(seconds, count)
    return [base + 1] * extra + [base] * (count - extra)


def shot_inputs(fields: dict, seconds: int) -> list[dict]:
    lengths = split_shots(seconds)
    theme = fields["prompt"].strip() or "a music video following the song"
    return [{"duration": length, "prompt": f"Shot {i + 1} of {len(lengths)}: {theme}", "lyric_text": "",
             "signed_images": []} for i, length in enumerate(lengths)]


async def measure_audio(emu, value) -> tuple[float, bool]:
    """(seconds, measured?) of ``audio_url``: decoded from the data when we have bytes."""
    _, seconds = await check_media(value, "audio_url", "audio", AUDIO_FORMATS,
                                       max_decoded=AUDIO_MAX_DECODED, fetcher=emu.fetcher)
    if seconds is None:
        return float(UNMEASURED_AUDIO_SECONDS), False
    low, high = AUDIO_SECONDS
    if not low - DURATION_SLACK <= seconds <= high + DURATION_SLACK:
        raise invalid("audio_url", f"the audio is {seconds:.2f} s long; it must be {low:g}-{high:g} s")
    return seconds, True


# -- views ------------------------------------------------------------------------
def _url(base: str, path: str) -> str:
    return base + path if path else ""


def job_view(job: dict, base: str) -> dict:
    view = {"id": job["id"], "type": job["type"], "input": "", "output": "", "state": job["state"],
            "created_at": iso(job["created_at"]), "updated_at": iso(job["updated_at"]),
            "err_code": job["err_code"], "err_msg": job["err_msg"], "signed_url": _url(base, job["signed_url"])}
    if job["type"] == "generate_video":
        view["mv_generate_video_input"] = job["input"]
    view["index"] = job["index"]
    return view


def mv_view(mv: dict, base: str) -> dict:
    """The documented GET shape (also what a callback carries)."""
    return {"id": mv["id"], "type": "mv", "creator_id": mv["creator_id"], "state": mv["state"], "input": "",
            "job_records": [{"type": r["type"], "jobs": [job_view(j, base) for j in r["jobs"]],
                             "index": r["index"]} for r in mv["records"]],
            "created_at": iso(mv["created_at"]), "updated_at": iso(mv["updated_at"]),
            "err_code": mv["err_code"], "err_msg": mv["err_msg"], "signed_url": _url(base, mv["signed_url"])}


# -- handlers -----------------------------------------------------------------------
@endpoint
async def create(request: Request):
    emu = emulator(request)
    api_key = caller(request)
    body = await read_valid(request)
    for i, image in enumerate(body["images"]):
        await check_image(image, f"images.{i}", max_decoded=IMAGE_MAX_DECODED, fetcher=emu.fetcher)
    seconds, measured = await measure_audio(emu, body["audio_url"])
    fields = {**DEFAULTS, **{k: body[k] for k in DEFAULTS if k in body},
              "images": stored_form(body["images"]),
              "audio": {"url": stored_form(body["audio_url"]), "seconds": seconds, "measured": measured}}
    billed = math.ceil(seconds - DURATION_SLACK)
    mv = emu.mv.create(api_key, fields, shot_inputs(fields, billed), billed * rate(fields),
                       body.get("callback_url"))
    return {"id": mv["id"]}


@endpoint
async def get_mv(request: Request):
    emu = emulator(request)
    mv = emu.mv.get(caller(request), request.path_params["id"], by_job=True)
    return mv_view(mv, base_url(request))


@endpoint
async def edit(request: Request):
    emu = emulator(request)
    body = await read_valid(request)   # before the read of the MV: nothing may change it after
    mv = emu.mv.get(caller(request), request.path_params["id"])
    job = emu.mv.edit(mv, body["job_id"], body["prompt"], rate(mv["fields"]), body.get("callback_url"))
    return {"id": job["id"]}


@endpoint
async def compose(request: Request):
    emu = emulator(request)
    body = await read_valid(request)
    mv = emu.mv.get(caller(request), request.path_params["id"])
    job = emu.mv.compose(mv, body["job_ids"], body.get("callback_url"))
    return {"id": job["id"]}


def clip(emu, mv_id: str, job_id: str) -> Clip | None:
    """The clip a successful job's ``signed_url`` serves: its shot, or the shots it composes."""
    mv = emu.store.get(KIND, mv_id)
    found = mv and MvEngine.find_job(mv, job_id)
    if not found or found[1]["state"] != "success":
        return None
    job = found[1]
    # a compose job's sources are jobs of this MV: find_job finds them
    shots = [MvEngine.find_job(mv, source)[1] for source in job.get("sources", ())] or [job]  # type: ignore[index]
    width, height = resolution_size(mv["fields"]["resolution"], mv["fields"]["aspect_ratio"])
    return Clip(width, height, sum(s["input"]["duration"] for s in shots), FPS,
                " / ".join(s["input"]["prompt"] for s in shots if s["input"]["prompt"]) or mv["fields"]["prompt"],
                int(job_id) % 2**31)


def routes(emu, outputs, callbacks) -> list[Route]:
    emu.mv = MvEngine(emu, on_change=callbacks.on_mv_change)
    outputs.serve("mv", lambda mv_id, job_id: clip(emu, mv_id, job_id))
    return [Route(PATH, create, methods=["POST"]), Route(ITEM, get_mv, methods=["GET"]),
            Route(EDIT, edit, methods=["POST"]), Route(COMPOSE, compose, methods=["POST"])]

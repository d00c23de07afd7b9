"""Subjects (wire notes §1.11): a key's library of reusable characters for reference2video.

``POST /ent/v2/subjects`` creates one synchronously, ``GET`` lists them with real paging,
``PUT /ent/v2/subjects/{id}`` edits one. Each subject is the document
``store["subjects"][id] = {id, api_key, name, images, videos, voice_id, style, description,
created_at, updated_at}``; reference2video looks subjects up there by id, checking ``api_key``.
Another key's subject does not exist for the caller (404 ``NotFound``).
"""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request
from starlette.routing import Route

from viduemu.core.errors import ViduError, invalid
from viduemu.core.http import caller, emulator, endpoint, query_value, read_valid
from viduemu.core.inputs import MB, VIDEO_FORMATS, check_image, check_media

KIND = "subjects"
PATH, ITEM_PATH = "/ent/v2/subjects", "/ent/v2/subjects/{id}"
CREATE_CREDITS = 0              # see docs/decisions.md: no price is documented for a library entry
IMAGE_MAX_DECODED = 20 * MB     # "byte length after base64 decode must be less than 20M"
VIDEO_MAX_SECONDS = 5.0         # "Maximum 1 video of 5 seconds"
DURATION_SLACK = 0.05           # container rounding (an encoder's 5 s clip may probe as 5.02 s)
OWNERSHIPS = ("private", "system")
DEFAULT_COUNT, MAX_COUNT = 20, 100
EDITABLE = ("name", "images", "videos", "voice_id", "style", "description")


# -- checks -------------------------------------------------------------------
async def check_media_fields(emu, body: dict) -> None:
    """The image and video checks a JSON schema cannot make (format, size, duration)."""
    for i, image in enumerate(body.get("images") or ()):
        await check_image(image, f"images.{i}", max_decoded=IMAGE_MAX_DECODED, fetcher=emu.fetcher)
    for i, video in enumerate(body.get("videos") or ()):
        field = f"videos.{i}"
        _, seconds = await check_media(video, field, "video", VIDEO_FORMATS, fetcher=emu.fetcher)
        # An unfetched URL cannot be measured offline: it is accepted (docs/decisions.md).
        if seconds is not None and seconds > VIDEO_MAX_SECONDS + DURATION_SLACK:
            raise invalid(field, f"the video is {seconds:.2f} s; at most {VIDEO_MAX_SECONDS:g} s is supported")


def _owned(emu, api_key: str, subject_id: str) -> dict:
    subject = emu.store.get(KIND, subject_id)
    if subject is None or subject["api_key"] != api_key:
        raise ViduError("NotFound", f"subject not found: {subject_id}")
    return subject


# -- views --------------------------------------------------------------------
def _listed(subject: dict) -> dict:
    return {k: subject[k] for k in ("id", "name", "images", "videos", "voice_id", "style", "description")}


def created_view(subject: dict) -> dict:
    return {**_listed(subject), "credits": subject.get("credits", 0)}


def edited_view(subject: dict) -> dict:
    return {k: subject[k] for k in ("id", "name", "style", "description", "voice_id")}


# -- paging -------------------------------------------------------------------
def _token(subject_id: str) -> str:
    return base64.urlsafe_b64encode(f"after:{subject_id}".encode()).decode().rstrip("=")


def _after(token: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, ValueError):
        raw = ""
    if not raw.startswith("after:"):
        raise invalid("next_page_token", "not a token this API returned")
    return raw[len("after:"):]


def _count(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_COUNT
    try:
        count = int(raw)
    except ValueError:
        raise invalid("count", "an integer is expected") from None
    if not 1 <= count <= MAX_COUNT:
        raise ViduError("PageSizeOutOfRange", f"page size out of range: count must be 1..{MAX_COUNT}",
                        fields="count")
    return count


def _subject_ids(request: Request) -> set[str]:
    return {part.strip() for value in request.query_params.getlist("subject_ids")
            for part in value.split(",") if part.strip()}


# -- handlers -----------------------------------------------------------------
@endpoint
async def create(request: Request):
    emu = emulator(request)
    api_key = caller(request)
    body = await read_valid(request)
    await check_media_fields(emu, body)
    return created_view(make(emu, api_key, body))


def make(emu, api_key: str, body: dict) -> dict:
    """Store a new subject of a checked body (also the aggregator's vidu_create_subjects)."""
    now = emu.clock.now()
    subject = {"id": emu.ids.new_id(), "api_key": api_key, "name": body["name"], "images": body["images"],
               "videos": body.get("videos", []), "voice_id": body.get("voice_id", ""), "style": "",
               "description": "", "credits": CREATE_CREDITS, "created_at": now, "updated_at": now}
    with emu.store.atomic():
        if CREATE_CREDITS:
            emu.accounts.charge(api_key, CREATE_CREDITS, "subject", subject["id"])
        emu.store.put(KIND, subject["id"], subject)
    return subject


@endpoint
async def list_subjects(request: Request):
    emu = emulator(request)
    api_key = caller(request)
    ownership = query_value(request, "ownership") or "private"
    if ownership not in OWNERSHIPS:
        raise invalid("ownership", "expected system or private")
    count = _count(query_value(request, "count"))
    wanted = _subject_ids(request)
    # The emulator has no official (system) library: that listing is always empty.
    mine = [] if ownership == "system" else [
        s for s in reversed(list(emu.store.all(KIND)))
        if s["api_key"] == api_key and (not wanted or s["id"] in wanted)]
    start = 0
    if token := query_value(request, "next_page_token", empty_ok=True):
        after = _after(token)
        position = next((i for i, s in enumerate(mine) if s["id"] == after), None)
        if position is None:
            raise invalid("next_page_token", "not a token of this listing")
        start = position + 1
    page = mine[start:start + count]
    more = start + count < len(mine)
    return {"subjects": [_listed(s) for s in page], "next_page_token": _token(page[-1]["id"]) if more else "",
            "count": count}  # "Query count, default 20, max 100": the page size asked for


@endpoint
async def edit(request: Request):
    emu = emulator(request)
    api_key = caller(request)
    subject = _owned(emu, api_key, request.path_params["id"])
    body = await read_valid(request)
    await check_media_fields(emu, body)
    subject.update({k: body[k] for k in EDITABLE if k in body})
    subject["updated_at"] = emu.clock.now()
    emu.store.put(KIND, subject["id"], subject)
    return edited_view(subject)


def routes(emu) -> list[Route]:
    return [Route(PATH, create, methods=["POST"]), Route(PATH, list_subjects, methods=["GET"]),
            Route(ITEM_PATH, edit, methods=["PUT"])]

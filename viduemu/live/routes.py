"""/live/v1 handlers and the signaling route: parse, validate (contract, then rules), call the model."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route, WebSocketRoute

from viduemu.core.http import caller, emulator, endpoint, read_valid
from viduemu.core.inputs import AUDIO_FORMATS, MB, check_image, check_media, stored_form, thumbnail
from viduemu.live import signaling
from viduemu.live.sessions import Lives, create_view, view
from viduemu.live.voices import Voices

LIVES, LIVE, VOICES, CLONE = "/live/v1/lives", "/live/v1/lives/{live_id}", "/live/v1/voices", "/live/v1/voices/clone"
AVATAR_IMAGE_LIMIT = 20 * MB   # "base64 < 20 MB"
# A data URI just under 20 MB decoded is ~26.7 MB of base64: the body must admit it (with the
# persona, which has "no length limit"), so /live bodies may be larger than /ent's 20 MB.
BODY_LIMIT = 32 * MB
CLONE_AUDIO = {k: AUDIO_FORMATS[k] for k in ("mp3", "wav")}  # "audio_url (mp3/wav)"


@endpoint
async def create(request: Request):
    emu = emulator(request)
    api_key = caller(request)
    body = await read_valid(request, limit=BODY_LIMIT)
    avatar = body["avatar"]
    image = await check_image(avatar["image_uri"], "avatar.image_uri", max_decoded=AVATAR_IMAGE_LIMIT,
                              fetcher=emu.fetcher)
    stored = {"persona": avatar["persona"], "image_uri": stored_form(avatar["image_uri"]),
              "name": avatar.get("name", ""), "voice": emu.voices.resolve(api_key, avatar.get("voice"))}
    live = emu.lives.create(api_key, body["call_mode"], stored, picture=thumbnail(image.data or avatar["image_uri"]))
    return create_view(live)


@endpoint
async def get(request: Request):
    emu = emulator(request)
    return view(emu.lives.get(caller(request), request.path_params["live_id"]))


@endpoint
async def voices(request: Request):
    emu = emulator(request)
    return {"voices": [{"voice": v["voice"]} for v in emu.voices.clones(caller(request))]}


@endpoint
async def clone(request: Request):
    emu = emulator(request)
    api_key = caller(request)
    body = await read_valid(request, limit=BODY_LIMIT)
    await check_media(body["audio_url"], "audio_url", "audio", CLONE_AUDIO, fetcher=emu.fetcher)
    record = emu.voices.clone(api_key, body["voice"], stored_form(body["audio_url"]), body.get("language"),
                              body.get("text"))
    return {"voice": record["voice"]}


def install(emu) -> list:
    emu.lives = Lives(emu)
    emu.voices = Voices(emu)
    return [Route(LIVES, create, methods=["POST"]), Route(LIVE, get, methods=["GET"]),
            Route(VOICES, voices, methods=["GET"]), Route(CLONE, clone, methods=["POST"]),
            WebSocketRoute("/live/ws/live/connect", signaling.endpoint)]

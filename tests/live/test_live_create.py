"""POST /live/v1/lives and GET /live/v1/lives/{id}: every create rule of issue 3 §1, the exact
answers, and that a refused create changes nothing. (The ``client`` fixture checks every answer
against contracts/openapi.yaml.)"""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.conftest import AUTH, KEY, advance, assert_error
from tests.contract_guard import contract_checker
from tests.support.media import image_bytes, image_uri, png
from viduemu.app import create_app
from viduemu.cli import build_parser, settings_from
from viduemu.config import Settings
from viduemu.live.rules import SYSTEM_VOICES
from viduemu.vidu.accounts import creator_id

LIVES = "/live/v1/lives"
MB = 1024 * 1024
DROP = object()


def body(call_mode="audio", **avatar) -> dict:
    fields = {"persona": "A friendly guide.", "image_uri": png()}
    fields.update(avatar)
    return {"call_mode": call_mode, "avatar": {k: v for k, v in fields.items() if v is not DROP}}


def b64(mime: str, data: bytes) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def png_of_decoded_size(size: int) -> str:
    """A PNG data URI whose decoded bytes are exactly ``size`` long (a real header, zero padding)."""
    head = image_bytes("PNG")
    return b64("image/png", head + bytes(size - len(head)))


async def snapshot(client, emu, key: str = KEY) -> tuple:
    """What a refused request must leave untouched: balance, ledger, sessions, voices."""
    account = (await client.get(f"/_emulator/accounts/{key}")).json()
    return account.get("credits"), len(account.get("ledger", [])), emu.core.store.count("lives"), emu.core.store.count("voices")


async def create(client, payload, headers=AUTH) -> httpx.Response:
    return await client.post(LIVES, json=payload, headers=headers)


async def created(client, payload=None, headers=AUTH) -> dict:
    r = await create(client, payload or body(), headers)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
async def account(client):
    await client.get("/live/v1/voices", headers=AUTH)  # the account exists before any snapshot


# -- refused creates: (id, body, reason, field) ------------------------------------------
BAD = [
    ("call_mode-missing", {"avatar": body()["avatar"]}, "FieldLacking", "call_mode"),
    ("call_mode-other", body("audio_video"), "FieldInvalid", "call_mode"),
    ("call_mode-uppercase", body("VIDEO"), "FieldInvalid", "call_mode"),
    ("call_mode-empty", body(""), "FieldInvalid", "call_mode"),
    ("call_mode-not-a-string", body(1), "FieldInvalid", "call_mode"),
    ("avatar-missing", {"call_mode": "video"}, "FieldLacking", "avatar"),
    ("avatar-not-an-object", {"call_mode": "video", "avatar": "Mia"}, "FieldInvalid", "avatar"),
    ("avatar-null", {"call_mode": "video", "avatar": None}, "FieldInvalid", "avatar"),
    ("persona-missing", body(persona=DROP), "FieldLacking", "avatar.persona"),
    ("persona-empty", body(persona=""), "FieldLacking", "avatar.persona"),
    ("persona-not-a-string", body(persona=["kind"]), "FieldInvalid", "avatar.persona"),
    ("image_uri-missing", body(image_uri=DROP), "FieldLacking", "avatar.image_uri"),
    ("image_uri-empty", body(image_uri=""), "FieldLacking", "avatar.image_uri"),
    ("image_uri-blank", body(image_uri="   "), "FieldLacking", "avatar.image_uri"),
    ("image_uri-an-array", body(image_uri=[png()]), "FieldInvalid", "avatar.image_uri"),
    ("image_uri-two-in-an-array", body(image_uri=[png(), png()]), "FieldInvalid", "avatar.image_uri"),
    ("image_uri-not-url-or-data", body(image_uri="C:/avatars/mia.png"), "FieldInvalid", "avatar.image_uri"),
    ("image_uri-ftp", body(image_uri="ftp://example.com/mia.png"), "FieldInvalid", "avatar.image_uri"),
    ("image_uri-broken-base64", body(image_uri="data:image/png;base64,@@@"), "FieldInvalid", "avatar.image_uri"),
    ("image_uri-not-an-image", body(image_uri=b64("image/png", b"hello")), "ImageFormatInvalid",
     "avatar.image_uri"),
    ("image_uri-gif", body(image_uri=image_uri("GIF", mime="image/gif")), "ImageFormatInvalid",
     "avatar.image_uri"),
    ("image_uri-gif-declared-png", body(image_uri=image_uri("GIF", mime="image/png")), "ImageFormatInvalid",
     "avatar.image_uri"),
    ("image_uri-bmp", body(image_uri=image_uri("BMP", mime="image/bmp")), "ImageFormatInvalid",
     "avatar.image_uri"),
    ("image_uri-gif-url", body(image_uri="https://example.com/mia.gif"), "ImageFormatInvalid",
     "avatar.image_uri"),
    ("image_uri-text-mime", body(image_uri=b64("text/plain", image_bytes("PNG"))), "ImageFormatInvalid",
     "avatar.image_uri"),
    ("image_uri-under-128px", body(image_uri=png(127, 256)), "PageSizeOutOfRange", "avatar.image_uri"),
    ("image_uri-1-to-5", body(image_uri=png(128, 641)), "PageSizeOutOfRange", "avatar.image_uri"),
    ("image_uri-5-to-1", body(image_uri=png(641, 128)), "PageSizeOutOfRange", "avatar.image_uri"),
    ("name-not-a-string", body(name=7), "FieldInvalid", "avatar.name"),
    ("voice-unknown", body(voice="Tinaa"), "FieldInvalid", "avatar.voice"),
    ("voice-wrong-case", body(voice="tina"), "FieldInvalid", "avatar.voice"),
    ("voice-not-a-string", body(voice=3), "FieldInvalid", "avatar.voice"),
    ("voice-a-list", body(voice=["Tina"]), "FieldInvalid", "avatar.voice"),
    ("voice-null", body(voice=None), "FieldInvalid", "avatar.voice"),
]


@pytest.mark.parametrize("payload,reason,field", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
async def test_bad_create_is_a_400_naming_the_field_and_changes_nothing(client, emu, account, payload, reason,
                                                                        field):
    before = await snapshot(client, emu)
    assert_error(await create(client, payload), 400, reason, field)
    assert await snapshot(client, emu) == before


@pytest.mark.parametrize("raw", [b"[]", b'"video"', b"null", b"{call_mode: video", b""])
async def test_a_body_that_is_not_a_json_object_is_a_bad_request(client, emu, account, raw):
    before = await snapshot(client, emu)
    r = await client.post(LIVES, content=raw, headers={**AUTH, "Content-Type": "application/json"})
    assert_error(r, 400, "BadRequest")
    assert await snapshot(client, emu) == before


@pytest.mark.parametrize("headers", [{}, {"Authorization": "vda_test_key"}, {"Authorization": "Bearer vda_x"}])
async def test_create_without_a_token_is_401(client, emu, headers):
    assert_error(await create(client, body(), headers), 401, "Unauthorized")
    assert emu.core.store.count("lives") == 0


# -- accepted inputs -----------------------------------------------------------------------
@pytest.mark.parametrize("call_mode", ["audio", "video"])
async def test_call_mode_audio_and_video_are_accepted(client, call_mode):
    assert (await created(client, body(call_mode)))["live"]["call_mode"] == call_mode


@pytest.mark.parametrize("fmt,mime", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("JPEG", "image/jpg"),
                                      ("WEBP", "image/webp")])
async def test_avatar_image_png_jpg_jpeg_webp_data_uris_are_accepted(client, fmt, mime):
    await created(client, body(image_uri=image_uri(fmt, mime=mime)))


@pytest.mark.parametrize("url", ["https://example.com/mia.png", "https://example.com/mia.JPG",
                                 "http://example.com/a/mia.jpeg", "https://example.com/mia.webp",
                                 "https://example.com/avatar?id=7"])
async def test_avatar_image_urls_are_judged_by_extension_offline(client, url):
    await created(client, body(image_uri=url))


@pytest.mark.parametrize("size", [(128, 128), (128, 512), (512, 128)])
async def test_avatar_image_at_128_px_and_at_1_to_4_is_accepted(client, size):
    await created(client, body(image_uri=png(*size)))


async def test_avatar_image_data_uri_decoding_to_just_under_20_mb_is_accepted(client, emu):
    live = await created(client, body(image_uri=png_of_decoded_size(20 * MB - 1)))
    assert emu.core.store.get("lives", live["live"]["id"]) is not None


async def test_avatar_image_data_uri_decoding_to_20_mb_is_refused(client, emu, account):
    before = await snapshot(client, emu)
    assert_error(await create(client, body(image_uri=png_of_decoded_size(20 * MB))), 400, "PageSizeOutOfRange",
                 "avatar.image_uri")
    assert await snapshot(client, emu) == before


async def test_persona_has_no_length_limit(client):
    persona = "A patient tutor who explains things slowly. " * 5000  # 220 000 characters
    live = await created(client, body(persona=persona))
    assert (await client.get(f"{LIVES}/{live['live']['id']}", headers=AUTH)).json()["live"]["avatar"]["persona"] \
        == persona


@pytest.mark.parametrize("name", ["", "Mia", "小美", "x" * 20, "A rather long character name beyond twenty"])
async def test_avatar_name_is_optional_and_20_chars_is_only_a_recommendation(client, name):
    live = await created(client, body(name=name))
    assert (await client.get(f"{LIVES}/{live['live']['id']}", headers=AUTH)).json()["live"]["avatar"]["name"] == name


async def test_avatar_name_left_out_reads_back_empty(client):
    live = await created(client, body())
    assert (await client.get(f"{LIVES}/{live['live']['id']}", headers=AUTH)).json()["live"]["avatar"]["name"] == ""


async def test_platform_page_extras_are_accepted_and_ignored(client):
    # character_id, vad, llm, ... appear on a copy of the official page; clients may send them
    payload = {**body(), "character_id": "c1", "idle_timeout_seconds": 60, "vad": {"silence_ms": 500}}
    payload["avatar"]["greeting_instruction"] = "Say hi"
    await created(client, payload)


# -- voices ----------------------------------------------------------------------------------
async def voice_of(client, payload) -> str:
    live = await created(client, payload)
    return (await client.get(f"{LIVES}/{live['live']['id']}", headers=AUTH)).json()["live"]["avatar"]["voice"]


@pytest.mark.parametrize("voice", [DROP, ""])
async def test_empty_voice_means_tina(client, voice):
    assert await voice_of(client, body(voice=voice)) == "Tina"


@pytest.mark.parametrize("voice", ["Tina", "Liora Mira", "Ono Anna", "Eliška", "Chloe", "Kiki"])
async def test_system_voices_are_accepted(client, voice):
    assert await voice_of(client, body(voice=voice)) == voice


async def test_every_system_voice_of_the_wire_notes_is_accepted(client):
    assert len(SYSTEM_VOICES) == 56 and len(set(SYSTEM_VOICES)) == 56
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 10**6})
    for voice in SYSTEM_VOICES:
        assert await voice_of(client, body(voice=voice)) == voice


# -- minimum balance --------------------------------------------------------------------------
async def test_44_credits_is_credit_insufficient_and_nothing_is_created(client, emu):
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 44})
    before = await snapshot(client, emu)
    r = assert_error(await create(client, body()), 400, "CreditInsufficient")
    assert "45" in r["message"]
    assert await snapshot(client, emu) == before


async def test_45_credits_is_enough_and_creating_charges_nothing(client, emu):
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 45})
    await created(client, body())
    account = (await client.get(f"/_emulator/accounts/{KEY}")).json()
    assert account["credits"] == 45 and len(account["ledger"]) == 1 and emu.core.store.count("lives") == 1


async def test_bad_input_is_reported_before_the_balance(client):
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 0})
    assert_error(await create(client, body(voice="Nobody")), 400, "FieldInvalid", "avatar.voice")


# -- the create answer ------------------------------------------------------------------------
@pytest.mark.parametrize("call_mode,channel", [("video", "live-user-{}"), ("audio", "live-audio-{}")])
async def test_create_answer_is_exactly_the_documented_shape(client, emu, call_mode, channel):
    now = emu.core.clock.now()
    answer = await created(client, body(call_mode))
    assert set(answer) == {"live", "rtc"}
    live, rtc = answer["live"], answer["rtc"]
    assert set(live) == {"id", "status", "live_duration", "call_mode"}
    assert set(rtc) == {"app_id", "channel_id", "user_id", "token", "token_expire_at"}
    assert isinstance(live["id"], str) and live["id"].isdigit() and len(live["id"]) == 18
    assert live["status"] == "waiting" and live["call_mode"] == call_mode
    assert type(live["live_duration"]) is int and live["live_duration"] == 600
    assert rtc["channel_id"] == channel.format(live["id"])
    assert rtc["user_id"] == f"live-user-{creator_id(KEY)}-{live['id']}"
    assert isinstance(rtc["token_expire_at"], str) and rtc["token_expire_at"].isdigit()
    assert int(rtc["token_expire_at"]) == int(now + 3600)
    assert all(isinstance(v, str) and v for v in rtc.values())


async def test_the_token_is_bound_to_its_channel_and_user(client, emu):
    a, b = (await created(client))["rtc"], (await created(client))["rtc"]
    assert a["token"] != b["token"]
    claims = emu.live.sessions.token_claims(a["token"])
    assert (claims["channel_id"], claims["user_id"], claims["exp"]) == (a["channel_id"], a["user_id"],
                                                                         int(a["token_expire_at"]))
    forged = a["token"].split(".")[0] + "." + b["token"].split(".")[1]
    assert emu.live.sessions.token_claims(forged) is None


async def test_two_keys_get_different_creator_ids_in_user_id(client):
    mine = (await created(client))["rtc"]["user_id"]
    theirs = (await created(client, headers={"Authorization": "Token vda_other"}))["rtc"]["user_id"]
    assert mine.split("-")[2] == creator_id(KEY) and theirs.split("-")[2] == creator_id("vda_other")
    assert creator_id(KEY) != creator_id("vda_other")


async def with_settings(settings: Settings, contracts, run):
    app = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                     event_hooks={"response": [contract_checker(contracts)]}) as c:
            return await run(c)
    finally:
        await app.state.emu.aclose()


async def test_live_duration_follows_the_live_duration_flag(contracts):
    settings = settings_from(build_parser().parse_args(["serve", "--live-duration", "7200", "--clock", "manual"]),
                             environ={})
    answer = await with_settings(settings, contracts, created)
    assert answer["live"]["live_duration"] == 7200


# -- the query answer -------------------------------------------------------------------------
async def test_query_of_a_waiting_session(client, emu):
    created_at = emu.core.clock.now()
    live_id = (await created(client, body("video", name="Mia", voice="Serena",
                                          image_uri="https://example.com/mia.png")))["live"]["id"]
    r = await client.get(f"{LIVES}/{live_id}", headers=AUTH)
    assert r.status_code == 200
    live = r.json()["live"]
    assert live == {"id": live_id, "status": "waiting", "call_mode": "video", "live_duration": 600,
                    "billed_seconds": 0, "credits_cost": 0,
                    "avatar": {"persona": "A friendly guide.", "image_uri": "https://example.com/mia.png",
                               "name": "Mia", "voice": "Serena"},
                    "created_at": str(int(created_at)), "start_time": "0", "end_time": "0",
                    "trace_id": live["trace_id"]}
    assert isinstance(live["trace_id"], str) and len(live["trace_id"]) == 32


async def test_query_keeps_a_data_uri_image_as_its_type_only(client):
    live_id = (await created(client))["live"]["id"]
    live = (await client.get(f"{LIVES}/{live_id}", headers=AUTH)).json()["live"]
    assert live["avatar"]["image_uri"] == "data:image/png"


async def test_close_and_hangup_reason_appear_only_once_ended(client, emu, settings):
    live_id = (await created(client))["live"]["id"]
    live = (await client.get(f"{LIVES}/{live_id}", headers=AUTH)).json()["live"]
    assert "close_reason" not in live and "hangup_reason" not in live
    await advance(client, settings.live_idle_timeout)
    live = (await client.get(f"{LIVES}/{live_id}", headers=AUTH)).json()["live"]
    assert live["status"] in ("ending", "ended")
    assert live["close_reason"] == live["hangup_reason"] == "timeout"
    assert live["end_time"] != "0" and live["start_time"] == "0"
    assert (live["billed_seconds"], live["credits_cost"]) == (0, 0)


async def test_control_plane_hangup_reason_reads_back_as_close_reason(client):
    live_id = (await created(client))["live"]["id"]
    r = await client.post(f"/_emulator/lives/{live_id}/hangup", json={"hangup_reason": "audit_violation"})
    assert r.json() == {"live_id": live_id, "status": "ending", "hangup_reason": "audit_violation"}
    live = (await client.get(f"{LIVES}/{live_id}", headers=AUTH)).json()["live"]
    assert live["close_reason"] == live["hangup_reason"] == "audit_violation"


async def test_another_keys_session_is_403_forbidden(client, emu):
    live_id = (await created(client))["live"]["id"]
    r = await client.get(f"{LIVES}/{live_id}", headers={"Authorization": "Token vda_intruder"})
    assert_error(r, 403, "Forbidden")
    assert emu.core.store.get("lives", live_id)["status"] == "waiting"


@pytest.mark.parametrize("live_id", ["123456789012345678", "nope", "0"])
async def test_an_unknown_session_is_404(client, live_id):
    assert_error(await client.get(f"{LIVES}/{live_id}", headers=AUTH), 404, "NotFound")


async def test_query_without_a_token_is_401(client):
    live_id = (await created(client))["live"]["id"]
    assert_error(await client.get(f"{LIVES}/{live_id}"), 401, "Unauthorized")


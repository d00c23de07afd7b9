"""GET /live/v1/voices and POST /live/v1/voices/clone: the account's clones only, every clone rule,
the price after ten free clones, and a clone as ``avatar.voice`` for its own account only."""

from __future__ import annotations

import base64

import pytest

from tests.conftest import AUTH, KEY, assert_error
from tests.support.media import encoded_audio, png, wav

# docs/decisions.md line 494 "Voice clones: the first 10 per account are free, then 899 credits each"
FREE_CLONES = 10

VOICES, CLONE = "/live/v1/voices", "/live/v1/voices/clone"
OTHER = {"Authorization": "Token vda_other_key"}
MP3 = encoded_audio("mp3", 3)
DROP = object()


def clone_body(voice="brand01", **changes) -> dict:
    fields = {"audio_url": wav(3), "voice": voice, "language": "zh"}
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not DROP}


async def clone(client, payload, headers=AUTH):
    return await client.post(CLONE, json=payload, headers=headers)


async def cloned(client, voice="brand01", headers=AUTH, **changes) -> dict:
    r = await clone(client, clone_body(voice, **changes), headers)
    assert r.status_code == 200, r.text
    return r.json()


async def listed(client, headers=AUTH) -> list[str]:
    r = await client.get(VOICES, headers=headers)
    assert r.status_code == 200
    return [v["voice"] for v in r.json()["voices"]]


async def snapshot(client, emu, key: str = KEY) -> tuple:
    account = (await client.get(f"/_emulator/accounts/{key}")).json()
    return account.get("credits"), len(account.get("ledger", [])), emu.core.store.count("voices"), emu.core.store.count("lives")


def b64(mime: str, data: bytes) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def recoded(uri: str, mime: str) -> str:
    """The same bytes under another declared MIME type."""
    return f"data:{mime};base64," + uri.split(",", 1)[1]


@pytest.fixture
async def account(client):
    await client.get(VOICES, headers=AUTH)


# -- the list ----------------------------------------------------------------------------------
async def test_a_new_account_lists_no_voices(client):
    r = await client.get(VOICES, headers=AUTH)
    assert r.status_code == 200 and r.json() == {"voices": []}


async def test_only_clones_are_listed_oldest_first(client):
    await cloned(client, "zeta")
    await cloned(client, "alpha")
    assert await listed(client) == ["zeta", "alpha"]   # no system voice (Tina, ...) among them


async def test_clones_are_listed_for_their_own_account_only(client):
    await cloned(client, "mine")
    await cloned(client, "theirs", headers=OTHER)
    assert await listed(client) == ["mine"]
    assert await listed(client, OTHER) == ["theirs"]


async def test_voices_without_a_token_is_401(client):
    assert_error(await client.get(VOICES), 401, "Unauthorized")


# -- clone: accepted -----------------------------------------------------------------------------
async def test_clone_answers_the_voice_name(client):
    r = await clone(client, {"audio_url": MP3, "voice": "test20260630", "language": "zh"})
    assert r.status_code == 200 and r.json() == {"voice": "test20260630"}


@pytest.mark.parametrize("audio_url", [wav(3), MP3, recoded(wav(3), "audio/mpeg"), recoded(MP3, "audio/wav"),
                                       "https://example.com/sample.mp3", "https://example.com/s/sample.WAV",
                                       "https://example.com/sample?id=3"],
                         ids=["wav", "mp3", "wav-declared-mpeg", "mp3-declared-wav", "mp3-url", "wav-url",
                              "url-without-extension"])
async def test_mp3_and_wav_samples_are_accepted_sniffed_from_the_bytes(client, audio_url):
    await cloned(client, audio_url=audio_url)


@pytest.mark.parametrize("seconds", [0.5, 400])
async def test_no_sample_length_is_enforced(client, seconds):
    # the S1 sources give none (the 10 s - 5 min rule belongs to /ent/v2/audio-clone)
    await cloned(client, audio_url=wav(seconds, rate=1000))


async def test_language_and_text_are_optional(client):
    await cloned(client, language=DROP)
    await cloned(client, "second", text="The quick brown fox.")


async def test_a_voice_name_of_256_chars_and_long_text_are_accepted(client):
    await cloned(client, "v" * 256, language="zh-Hans-CN-x-private", text="Hello there. " * 1000)


async def test_the_same_name_may_be_cloned_by_another_account(client):
    await cloned(client, "shared")
    await cloned(client, "shared", headers=OTHER)


# -- clone: refused --------------------------------------------------------------------------------
BAD = [
    ("audio_url-missing", clone_body(audio_url=DROP), "FieldLacking", "audio_url"),
    ("audio_url-empty", clone_body(audio_url=""), "FieldLacking", "audio_url"),
    ("audio_url-not-a-string", clone_body(audio_url=["https://example.com/a.mp3"]), "FieldInvalid", "audio_url"),
    ("audio_url-not-url-or-data", clone_body(audio_url="sample.mp3"), "FieldInvalid", "audio_url"),
    ("audio_url-m4a-url", clone_body(audio_url="https://example.com/sample.m4a"), "FieldInvalid", "audio_url"),
    ("audio_url-aac-url", clone_body(audio_url="https://example.com/sample.aac"), "FieldInvalid", "audio_url"),
    ("audio_url-m4a-data", clone_body(audio_url=encoded_audio("ipod", 3)), "FieldInvalid", "audio_url"),
    ("audio_url-aac-data", clone_body(audio_url=encoded_audio("adts", 3)), "FieldInvalid", "audio_url"),
    ("audio_url-flac-data", clone_body(audio_url=recoded(encoded_audio("flac", 3), "audio/wav")), "FieldInvalid",
     "audio_url"),
    ("audio_url-not-audio", clone_body(audio_url=b64("audio/wav", b"RIFF....not a wave")), "FieldInvalid",
     "audio_url"),
    ("audio_url-an-image", clone_body(audio_url=png()), "FieldInvalid", "audio_url"),
    ("audio_url-broken-base64", clone_body(audio_url="data:audio/wav;base64,%%%"), "FieldInvalid", "audio_url"),
    ("voice-missing", clone_body(voice=DROP), "FieldLacking", "voice"),
    ("voice-empty", clone_body(voice=""), "FieldLacking", "voice"),
    ("voice-not-a-string", clone_body(voice=12), "FieldInvalid", "voice"),
    ("voice-a-system-voice", clone_body(voice="Tina"), "FieldInvalid", "voice"),
    ("voice-over-256-chars", clone_body(voice="v" * 257), "FieldInvalid", "voice"),
    ("language-not-a-string", clone_body(language=1), "FieldInvalid", "language"),
    ("text-not-a-string", clone_body(text={"a": 1}), "FieldInvalid", "text"),
]


@pytest.mark.parametrize("payload,reason,field", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
async def test_bad_clone_is_a_400_naming_the_field_and_changes_nothing(client, emu, account, payload, reason,
                                                                       field):
    before = await snapshot(client, emu)
    assert_error(await clone(client, payload), 400, reason, field)
    assert await snapshot(client, emu) == before
    assert await listed(client) == []


@pytest.mark.parametrize("raw", [b"[]", b"null", b"{voice", b""])
async def test_a_clone_body_that_is_not_a_json_object_is_a_bad_request(client, emu, account, raw):
    before = await snapshot(client, emu)
    r = await client.post(CLONE, content=raw, headers={**AUTH, "Content-Type": "application/json"})
    assert_error(r, 400, "BadRequest")
    assert await snapshot(client, emu) == before


async def test_a_voice_name_is_unique_per_account(client, emu):
    await cloned(client, "brand01")
    before = await snapshot(client, emu)
    assert_error(await clone(client, clone_body("brand01", audio_url=MP3)), 400, "FieldInvalid", "voice")
    assert await snapshot(client, emu) == before
    assert await listed(client) == ["brand01"]


async def test_clone_without_a_token_is_401(client, emu):
    assert_error(await clone(client, clone_body(), headers={}), 401, "Unauthorized")
    assert emu.core.store.count("voices") == 0


# -- price ---------------------------------------------------------------------------------------------
async def test_ten_clones_are_free_the_eleventh_costs_899(client):
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 2000})
    for n in range(FREE_CLONES):
        await cloned(client, f"free{n}")
    account = (await client.get(f"/_emulator/accounts/{KEY}")).json()
    assert account["credits"] == 2000 and len(account["ledger"]) == 1
    await cloned(client, "paid1")
    account = (await client.get(f"/_emulator/accounts/{KEY}")).json()
    assert account["credits"] == 2000 - 899
    assert account["ledger"][-1] | {"at": 0} == {"at": 0, "delta": -899, "reason": "voice_clone", "ref": "paid1",
                                                 "balance": 1101}
    await cloned(client, "paid2")
    assert (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"] == 2000 - 2 * 899
    assert len(await listed(client)) == 12


async def test_the_eleventh_clone_with_898_credits_is_credit_insufficient_and_nothing_is_created(client, emu):
    for n in range(FREE_CLONES):
        await cloned(client, f"free{n}")
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 898})
    before = await snapshot(client, emu)
    assert_error(await clone(client, clone_body("paid1")), 400, "CreditInsufficient")
    assert await snapshot(client, emu) == before
    assert "paid1" not in await listed(client)
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 899})
    await cloned(client, "paid1")
    assert (await client.get(f"/_emulator/accounts/{KEY}")).json()["credits"] == 0


async def test_free_clones_are_counted_per_account(client):
    for n in range(FREE_CLONES):
        await cloned(client, f"free{n}")
    await client.put("/_emulator/accounts/vda_other_key", json={"credits": 0})
    await cloned(client, "first", headers=OTHER)   # the other account's first clone is free
    assert (await client.get("/_emulator/accounts/vda_other_key")).json()["credits"] == 0


async def test_free_clones_need_no_credits(client):
    await client.put(f"/_emulator/accounts/{KEY}", json={"credits": 0})
    await cloned(client, "brand01")


# -- a clone as the session's voice ---------------------------------------------------------------------
def live_body(voice: str) -> dict:
    return {"call_mode": "audio", "avatar": {"persona": "A guide.", "image_uri": png(), "voice": voice}}


async def test_a_cloned_voice_is_accepted_as_avatar_voice_by_its_account(client):
    await cloned(client, "brand01")
    r = await client.post("/live/v1/lives", json=live_body("brand01"), headers=AUTH)
    assert r.status_code == 200, r.text
    live = (await client.get(f"/live/v1/lives/{r.json()['live']['id']}", headers=AUTH)).json()["live"]
    assert live["avatar"]["voice"] == "brand01"


async def test_another_accounts_clone_is_refused_as_avatar_voice(client, emu, account):
    await cloned(client, "brand01", headers=OTHER)
    before = await snapshot(client, emu)
    r = await client.post("/live/v1/lives", json=live_body("brand01"), headers=AUTH)
    assert_error(r, 400, "FieldInvalid", "avatar.voice")
    assert await snapshot(client, emu) == before


async def test_a_refused_clone_is_not_a_voice(client):
    await clone(client, clone_body("broken", audio_url="https://example.com/a.m4a"))
    assert_error(await client.post("/live/v1/lives", json=live_body("broken"), headers=AUTH), 400, "FieldInvalid",
                 "avatar.voice")


async def test_a_sample_data_uri_of_20_mb_decoded_is_refused(client, emu, account):
    before = await snapshot(client, emu)
    oversize = "data:audio/wav;base64," + "A" * (20 * 1024 * 1024 // 3 * 4 + 4)
    assert_error(await clone(client, clone_body(audio_url=oversize)), 400, "PageSizeOutOfRange", "audio_url")
    assert await snapshot(client, emu) == before

"""The WebRTC gateway through a plain aiortc client (not our helper): join with the rtc block of a
created session, receive the character's media, leave; every refusal in the vendor envelope."""

import asyncio
import time

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from tests.conftest import assert_error
from tests.support.signaling import conn_init

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def on_live_session(server, call_mode="video") -> dict:
    created = await server.create(call_mode)
    live_id = created["live"]["id"]
    if call_mode == "video":
        await server.advance(server.emu.core.settings.live_warmup)
    ws = await server.connect(live_id)
    assert (await conn_init(ws, live_id))["payload"]["conn_init_ack"]["success"] is True
    created["ws"] = ws
    return created


async def offer_pc(video=True):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("audio", direction="recvonly")
    if video:
        pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    return pc


def join_body(rtc: dict, sdp: str, **over) -> dict:
    return {"app_id": rtc["app_id"], "channel_id": rtc["channel_id"], "user_id": rtc["user_id"],
            "token": rtc["token"], "sdp": sdp, "type": "offer", **over}


async def join(server, rtc, pc) -> dict:
    tracks = {}
    pc.on("track", lambda track: tracks.setdefault(track.kind, track))
    r = await server.http.post("/_emulator/rtc/sdp", json=join_body(rtc, pc.localDescription.sdp))
    assert r.status_code == 200, r.text
    answer = r.json()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    answer["tracks"] = tracks
    return answer


async def count_frames(track, seconds: float) -> tuple[int, float | None, list]:
    frames, first, samples = 0, None, []
    started = time.monotonic()
    try:
        while time.monotonic() - started < seconds:
            frame = await asyncio.wait_for(track.recv(), seconds)
            frames += 1
            if first is None:
                first = time.monotonic() - started
            if track.kind == "video" and frames % 10 == 1:
                samples.append(bytes(frame.planes[0])[::97])  # a sparse sample of the luma plane
    except (asyncio.TimeoutError, MediaStreamError):
        pass
    return frames, first, samples


@pytest.mark.slow  # ~4 s of real-time media
async def test_a_plain_aiortc_client_receives_the_characters_video_and_audio(server):
    created = await on_live_session(server, "video")
    pc = await offer_pc()
    try:
        answer = await join(server, created["rtc"], pc)
        assert "a=candidate" in answer["sdp"]  # non-trickle: every candidate is in the answer
        bot_stream = created["rtc"]["user_id"].replace("live-user-", "live-bot-", 1)
        assert f"a=msid:{bot_stream} " in answer["sdp"]
        video, audio = answer["tracks"]["video"], answer["tracks"]["audio"]
        (v_count, v_first, samples), (a_count, _, _) = await asyncio.gather(count_frames(video, 4),
                                                                            count_frames(audio, 4))
        assert v_count >= 30 and a_count >= 50, (v_count, a_count)
        assert v_first is not None and v_first < 2.0
        assert len(set(samples)) > 1  # the picture changes
    finally:
        await pc.close()
        await created["ws"].close()


async def test_audio_mode_sends_no_video(server):
    created = await on_live_session(server, "audio")
    pc = await offer_pc(video=True)
    try:
        answer = await join(server, created["rtc"], pc)
        assert "video" not in answer["tracks"]
        a_count, _, _ = await count_frames(answer["tracks"]["audio"], 1.5)
        assert a_count >= 20
    finally:
        await pc.close()
        await created["ws"].close()


async def test_a_forged_token_is_refused(server):
    created = await server.create("audio")
    rtc = created["rtc"]
    pc = await offer_pc()
    try:
        forged = rtc["token"][:-4] + ("0000" if not rtc["token"].endswith("0000") else "1111")
        r = await server.http.post("/_emulator/rtc/sdp", json=join_body(rtc, pc.localDescription.sdp, token=forged))
        assert_error(r, 401, "Unauthorized")
    finally:
        await pc.close()


async def test_a_token_for_another_user_or_channel_is_forbidden(server):
    mine, theirs = await server.create("audio"), await server.create("audio")
    pc = await offer_pc()
    try:
        sdp = pc.localDescription.sdp
        r = await server.http.post("/_emulator/rtc/sdp", json=join_body(mine["rtc"], sdp,
                                                                        user_id=theirs["rtc"]["user_id"]))
        assert_error(r, 403, "Forbidden", "user_id")
        r = await server.http.post("/_emulator/rtc/sdp", json=join_body(mine["rtc"], sdp,
                                                                        channel_id=theirs["rtc"]["channel_id"]))
        assert_error(r, 403, "Forbidden", "channel_id")
    finally:
        await pc.close()


async def test_a_token_of_an_ended_session_is_forbidden(server):
    created = await server.create("audio")
    await server.http.post(f"/_emulator/lives/{created['live']['id']}/hangup", json={"hangup_reason": "user_end"})
    pc = await offer_pc()
    try:
        r = await server.http.post("/_emulator/rtc/sdp", json=join_body(created["rtc"], pc.localDescription.sdp))
        assert_error(r, 403, "Forbidden")
    finally:
        await pc.close()


@pytest.mark.parametrize("change,reason,field", [
    ({"sdp": "not an sdp"}, "FieldInvalid", "sdp"),
    ({"sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"}, "FieldInvalid", "sdp"),
    ({"type": "answer"}, "FieldInvalid", "type"),
    ({"token": ""}, "FieldLacking", "token"),
])
async def test_bad_offers_are_refused_in_the_envelope(server, change, reason, field):
    created = await server.create("audio")
    pc = await offer_pc()
    try:
        body = {**join_body(created["rtc"], pc.localDescription.sdp), **change}
        r = await server.http.post("/_emulator/rtc/sdp", json=body)
        assert_error(r, 400, reason, field)
        assert (await server.http.get("/_emulator/rtc/peers")).json()["peers"] == []
    finally:
        await pc.close()


async def test_joining_before_on_live_answers_but_media_waits_for_on_live(server):
    created = await server.create("audio")
    live_id = created["live"]["id"]
    pc = await offer_pc(video=False)
    try:
        answer = await join(server, created["rtc"], pc)
        audio = answer["tracks"]["audio"]
        before, _, _ = await count_frames(audio, 0.6)
        assert before == 0
        async with server.connect(live_id) as ws:
            await conn_init(ws, live_id)
            after, _, _ = await count_frames(audio, 1.0)
            assert after >= 10
    finally:
        await pc.close()


async def test_peers_per_channel_are_capped_with_429_and_leaving_frees_them(server):
    created = await server.create("audio")
    cap = server.emu.core.settings.rtc_max_peers
    pcs, peer_ids = [], []
    try:
        for _ in range(cap):
            pc = await offer_pc(video=False)
            pcs.append(pc)
            peer_ids.append((await join(server, created["rtc"], pc))["peer_id"])
        extra = await offer_pc(video=False)
        pcs.append(extra)
        r = await server.http.post("/_emulator/rtc/sdp", json=join_body(created["rtc"], extra.localDescription.sdp))
        assert_error(r, 429, "TooManyRequests")
        assert (await server.http.delete(f"/_emulator/rtc/sdp/{peer_ids[0]}")).status_code == 200
        assert_error(await server.http.delete(f"/_emulator/rtc/sdp/{peer_ids[0]}"), 404, "NotFound")
        assert len((await server.http.get("/_emulator/rtc/peers")).json()["peers"]) == cap - 1
    finally:
        for pc in pcs:
            await pc.close()


async def test_peers_per_api_key_are_capped_with_429_over_all_its_sessions(server):
    server.emu.core.settings.rtc_max_account_peers = 2  # the per-channel cap (10) is not what stops the third
    first, second = await server.create("audio"), await server.create("audio")
    other = await server.create("audio", headers={"Authorization": "Token vda_other_key"})
    pcs = []
    try:
        for rtc in (first["rtc"], second["rtc"]):
            pcs.append(await offer_pc(video=False))
            await join(server, rtc, pcs[-1])
        pcs.append(await offer_pc(video=False))
        r = await server.http.post("/_emulator/rtc/sdp", json=join_body(second["rtc"], pcs[-1].localDescription.sdp))
        body = assert_error(r, 429, "TooManyRequests")
        assert "one API key" in body["message"]
        await join(server, other["rtc"], pcs[-1])  # another key's session is not affected
        assert len((await server.http.get("/_emulator/rtc/peers")).json()["peers"]) == 3
    finally:
        for pc in pcs:
            await pc.close()


async def test_peers_over_every_key_are_capped_with_429(server):
    server.emu.core.settings.rtc_max_peers_total = 1   # keys are free: a server-wide cap bounds the memory
    first = await server.create("audio")
    other = await server.create("audio", headers={"Authorization": "Token vda_other_key"})
    pcs = [await offer_pc(video=False), await offer_pc(video=False)]
    try:
        await join(server, first["rtc"], pcs[0])
        r = await server.http.post("/_emulator/rtc/sdp", json=join_body(other["rtc"], pcs[1].localDescription.sdp))
        body = assert_error(r, 429, "TooManyRequests")
        assert "this server" in body["message"]
    finally:
        for pc in pcs:
            await pc.close()


async def test_concurrent_joins_cannot_pass_the_peer_cap_together(server):
    created = await server.create("audio")
    cap = server.emu.core.settings.rtc_max_peers
    pcs = [await offer_pc(video=False) for _ in range(cap + 3)]
    try:
        answers = await asyncio.gather(*(
            server.http.post("/_emulator/rtc/sdp", json=join_body(created["rtc"], pc.localDescription.sdp))
            for pc in pcs))
        assert sorted(r.status_code for r in answers) == [200] * cap + [429] * 3
    finally:
        for pc in pcs:
            await pc.close()


async def test_hangup_ends_the_tracks_and_closes_every_peer_of_the_session(server):
    created = await on_live_session(server, "audio")
    pc = await offer_pc(video=False)
    try:
        answer = await join(server, created["rtc"], pc)
        assert (await count_frames(answer["tracks"]["audio"], 0.5))[0] > 0
        r = await server.http.post(f"/_emulator/lives/{created['live']['id']}/hangup",
                                   json={"hangup_reason": "sip_closed"})
        assert r.status_code == 200

        async def no_peers():
            return (await server.http.get("/_emulator/rtc/peers")).json()["peers"] == []

        for _ in range(100):
            if await no_peers():
                break
            await asyncio.sleep(0.05)
        assert await no_peers()
        with pytest.raises((MediaStreamError, asyncio.TimeoutError)):
            for _ in range(200):
                await asyncio.wait_for(answer["tracks"]["audio"].recv(), 2)
    finally:
        await pc.close()
        await created["ws"].close()


async def open_peers(server) -> list:
    return (await server.http.get("/_emulator/rtc/peers")).json()["peers"]


async def eventually_no_peers(server, seconds: float) -> None:
    for _ in range(int(seconds / 0.05)):
        if not await open_peers(server):
            return
        await asyncio.sleep(0.05)
    assert await open_peers(server) == []


async def connected(pc) -> None:
    for _ in range(200):
        if pc.connectionState == "connected":
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"peer never connected: {pc.connectionState}")


async def test_join_leave_churn_leaves_no_peer_open(server):
    created = await on_live_session(server, "audio")
    try:
        for i in range(12):
            pc = await offer_pc(video=False)
            answer = await join(server, created["rtc"], pc)
            await connected(pc)
            if i % 2:
                assert (await server.http.delete(f"/_emulator/rtc/sdp/{answer['peer_id']}")).status_code == 200
            await pc.close()  # the other half vanish: the gateway notices the connection closing
        await eventually_no_peers(server, 5)
    finally:
        await created["ws"].close()


async def test_a_client_that_never_connects_is_dropped(server):
    server.emu.core.settings.rtc_connect_timeout = 0.5
    created = await server.create("audio")
    pc = await offer_pc(video=False)
    await join(server, created["rtc"], pc)
    await pc.close()  # gone before ICE even started
    await eventually_no_peers(server, 3)


@pytest.fixture
def live_settings():
    from viduemu.config import Settings

    return Settings(clock="manual", seed=99, heartbeat_wall_slack=0.2, log_level="warning", rtc_transcripts=True)


async def test_the_character_hears_the_callers_tone_and_answers_with_transcripts_on_the_socket(server):
    from tests.support.signaling import recv
    from viduemu.client.rtc import ToneTrack

    created = await on_live_session(server, "video")
    live_id, ws = created["live"]["id"], created["ws"]
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(ToneTrack(440, seconds=1.0, delay=0.3))     # 1 s of tone, then silence
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    try:
        answer = await join(server, created["rtc"], pc)
        drains = [asyncio.ensure_future(count_frames(t, 8)) for t in answer["tracks"].values()]
        character = server.emu.rtc.gateway.characters[live_id]
        seen = []
        for _ in range(400):
            seen.append(character.state)
            if character.state == "speaking":
                break
            await asyncio.sleep(0.02)
        assert "speaking" in seen and seen[0] == "listening"
        user, said = await recv(ws, 5), await recv(ws, 5)
        assert (user["type"], said["type"]) == (9, 10)
        assert user["payload"]["user_transcript"]["content"]
        assert said["payload"]["character_transcript"]["content"]
        for drain in drains:
            drain.cancel()
    finally:
        await pc.close()
        await ws.close()


async def test_audio_interrupted_on_the_socket_stops_the_characters_answer(server):
    """Type 7 from the session's client ends the answer at once (state, and silence on the viewer's
    audio); the same message from a socket that never sent conn_init is not the session's client."""
    from tests.rtc.support import wait_until
    from tests.support.signaling import send
    from viduemu.client.rtc import ToneTrack
    from viduemu.rtc.listen import level_dbfs

    created = await on_live_session(server, "audio")
    live_id, ws = created["live"]["id"], created["ws"]
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(ToneTrack(440, seconds=3.0, delay=0.3))     # 3 s of speech: a 3 s answer
    await pc.setLocalDescription(await pc.createOffer())
    heard: list[tuple[float, float]] = []                    # (wall time, dBFS) of the character's audio

    async def listen(track):
        try:
            while True:
                frame = await track.recv()
                heard.append((time.monotonic(), level_dbfs(frame)))
        except MediaStreamError:
            pass

    try:
        answer = await join(server, created["rtc"], pc)
        listening = asyncio.ensure_future(listen(answer["tracks"]["audio"]))
        character = server.emu.rtc.gateway.characters[live_id]
        assert await wait_until(lambda: character.state == "speaking", 8.0), "the character never answered"
        spoke_at = time.monotonic()
        async with server.connect(live_id) as stranger:     # connected, but no conn_init: not the client
            await send(stranger, 7, {}, 1, live_id)
            await asyncio.sleep(0.5)
            assert character.state == "speaking"
        await send(ws, 7, {}, 2, live_id)
        assert await wait_until(lambda: character.state == "listening", 0.5), "audio_interrupted was ignored"
        interrupted_at = time.monotonic()
        assert interrupted_at - spoke_at < 1.5                # the answer had 1.5 s or more to go
        await asyncio.sleep(spoke_at + 3.0 - time.monotonic())  # past where the answer would have ended
        assert character.state == "listening" and character.answers == 1
        loud = [t for t, level in heard if level > -35]
        assert [t for t in loud if spoke_at < t < interrupted_at], "the viewer never heard the answer"
        assert not [t for t in loud if t > interrupted_at + 0.5], "the viewer still hears the answer"
        journal = (await server.http.get(f"/_emulator/ws?live_id={live_id}")).json()["messages"]
        assert [e["message"]["type"] for e in journal if e["dir"] == "in"].count(7) == 2   # both journaled
        listening.cancel()
    finally:
        await pc.close()
        await ws.close()


def _old_scheme_token(claims: dict, secret: str) -> str:
    """A token as the emulator signed them before issue 13: HMAC keyed by ``viduemu-rtc:{seed}``."""
    import base64
    import hashlib
    import hmac
    import json
    body = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{body}.{hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:32]}"


async def test_a_token_forged_with_the_seed_is_refused(server):
    """Issue 13 #6: the old secret was ``viduemu-rtc:{seed}``; an attacker who knows the seed (or that
    there is none) could join a victim's channel. The secret is now random per state."""
    victim = await server.create("audio")
    rtc = victim["rtc"]
    claims = {"app_id": rtc["app_id"], "channel_id": rtc["channel_id"], "user_id": rtc["user_id"],
              "exp": int(time.time()) + 10**6}
    for secret in (f"viduemu-rtc:{server.emu.core.settings.seed}", "viduemu-rtc:None"):
        forged = _old_scheme_token(claims, secret)
        r = await server.http.post("/_emulator/rtc/sdp", json=join_body(rtc, "v=0", token=forged))
        assert_error(r, 401, "Unauthorized")


@pytest.mark.parametrize("claims", [
    {"exp": "soon"}, {"exp": None}, {"exp": float("nan")}, {"exp": True}, {"channel_id": None}, {"channel_id": 7}, {"user_id": []},
    "drop:exp", "drop:channel_id", "drop:app_id", ["a", "list"], "a string", 42, None,
])
async def test_malformed_claims_are_refused_401_never_500(server, claims):
    """Issue 13 #6: claims that would pass the signature (signed with the state's own secret here)
    but do not have the shape the gateway judges answer 401, not a 500 in ``Gateway._authorise``."""
    created = await server.create("audio")
    rtc = created["rtc"]
    good = {"app_id": rtc["app_id"], "channel_id": rtc["channel_id"], "user_id": rtc["user_id"],
            "exp": int(time.time()) + 10**6}
    if isinstance(claims, dict):
        payload: object = {**good, **claims}
    elif isinstance(claims, str) and claims.startswith("drop:"):
        payload = {k: v for k, v in good.items() if k != claims[5:]}
    else:
        payload = claims
    token = server.emu.core.signer.token("rtc-token", payload)
    r = await server.http.post("/_emulator/rtc/sdp", json=join_body(rtc, "v=0", token=token))
    assert_error(r, 401, "Unauthorized")

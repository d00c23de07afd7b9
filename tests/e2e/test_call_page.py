"""The browser call page (/_emulator/call/{live_id}) in headless Chromium with fake media devices,
against a real server on the real clock: the character's video decodes, the session goes on_live,
hang up ends it. Skips with a reason when /usr/bin/chromium is absent (``.ci/run`` installs it) or
the RTC gateway (``POST /_emulator/rtc/sdp``) is not in this build."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import AUTH, KEY
from tests.e2e.cdp import CHROMIUM, Browser
from tests.support.server import running
from viduemu.config import Settings

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent: install Debian's "
                                 "chromium package (apt-get install chromium) to run the browser tests")]

# The real clock: the page's NOT_READY backoff and the ending -> ended second are wall time.
# A 1 s warm-up makes the page's first conn_init answer NOT_READY (its retry comes 2 s later).
SETTINGS = Settings(clock="real", seed=7, live_warmup=1.0, log_level="warning")
SDP = "/_emulator/rtc/sdp"

VIDEO_FRAMES = """(async () => {
  const pc = window.viduCall && window.viduCall.pc;
  if (!pc) return 0;
  let n = 0;
  (await pc.getStats()).forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "video") n = r.framesDecoded || 0; });
  return n;
})()"""
AUDIO_PACKETS = """(async () => {
  let n = 0;
  (await window.viduCall.pc.getStats()).forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "audio") n = r.packetsReceived || 0; });
  return n;
})()"""
PAGE_STATE = """({session: viduCall.session, signaling: viduCall.signaling, media: viduCall.media, peerId: viduCall.peerId,
  error: viduCall.error, hungUp: viduCall.hungUp, log: viduCall.log,
  shown: document.getElementById("session").textContent,
  hangupDisabled: document.getElementById("hangup").disabled,
  formHidden: document.getElementById("key-form").hidden})"""


@pytest.fixture
async def server(contracts):
    async with running(SETTINGS, contracts) as srv:
        yield srv


async def gateway_present(srv) -> bool:
    """The route exists when another method on it is answered 405, not 404 (asked outside the
    contract-checking client: the contract need not describe that 405)."""
    async with httpx.AsyncClient(base_url=srv.base) as http:
        return (await http.get(SDP)).status_code != 404


async def eventually(probe, check, what: str, page, timeout: float = 20.0):
    """Poll ``probe()`` until ``check(value)``; on timeout fail with the page's own account."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if check(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            state = await page.evaluate(PAGE_STATE)
            raise AssertionError(f"timed out waiting for {what} (last {value!r});\npage log:\n"
                                 + "\n".join(state["log"]) + f"\nerrors: {page.errors}\nconsole: {page.console}")
        await asyncio.sleep(0.2)


async def session(srv, live_id: str) -> dict:
    return await srv.live(live_id)


async def test_call_page_shows_the_character_and_hang_up_ends_the_session(server):
    if not await gateway_present(server):
        pytest.skip(f"the RTC gateway is not in this build ({SDP} answers 404)")
    created = await server.create("video")
    live_id = created["live"]["id"]
    creator = created["rtc"]["user_id"].removeprefix("live-user-").rsplit("-", 1)[0]
    # One NOT_READY whatever the machine's speed (the 1 s warm-up alone may pass before the page asks).
    rule = {"match": {"operation": "ws.conn_init", "api_key": KEY}, "action": {"error_code": "NOT_READY"},
            "times": 1}
    assert (await server.http.post("/_emulator/faults", json=rule)).status_code == 200
    async with Browser.launch() as browser:
        page = await browser.page(f"{server.base}/_emulator/call/{live_id}#key={KEY}")
        await eventually(lambda: page.evaluate(VIDEO_FRAMES), lambda n: n and n > 0,
                         "the character's video decoded in the page (getStats framesDecoded > 0)", page)
        await eventually(lambda: session(server, live_id), lambda live: live["status"] == "on_live",
                         "the session on_live", page)
        assert await eventually(lambda: page.evaluate(AUDIO_PACKETS), lambda n: n and n > 0,
                                "the character's audio received", page)
        state = await eventually(lambda: page.evaluate(PAGE_STATE), lambda s: s["session"] == "on_live",
                                 "the page showing on_live", page)
        assert state["signaling"] == "on_live" and state["media"] == "connected" and state["peerId"]
        bot = f"live-bot-{creator}-{live_id}"
        assert await page.evaluate("viduCall.botStreams") == {"video": bot, "audio": bot}

        # The page retried its NOT_READY conn_init on a new socket, its seq_id counting on.
        messages = (await server.http.get("/_emulator/ws", params={"live_id": live_id})).json()["messages"]
        acks = [m["message"]["payload"]["conn_init_ack"] for m in messages
                if m["dir"] == "out" and m["message"].get("type") == 2]
        assert [a.get("error_code") for a in acks] == ["NOT_READY", None] and acks[-1]["success"] is True
        inits = [m["message"]["seq_id"] for m in messages if m["dir"] == "in" and m["message"].get("type") == 1]
        assert inits == sorted(set(inits)) and len(inits) == 2

        await page.evaluate('document.getElementById("hangup").click()')
        live = await eventually(lambda: session(server, live_id), lambda live: live["status"] == "ended",
                                "the session ended after hang up", page)
        assert live["hangup_reason"] == "user_end"
        state = await eventually(lambda: page.evaluate(PAGE_STATE), lambda s: s["media"] == "closed",
                                 "the page's peer connection closed", page)
        assert state["peerId"] is None and state["hangupDisabled"] and state["error"] is None
        assert await page.evaluate("viduCall.pc.connectionState") == "closed"
        assert page.errors == []


async def test_call_page_takes_the_key_from_its_form_and_hangs_up(server):
    """Without ``#key=`` the page asks for the key; hang up ends the session whether or not the RTC
    join got through (with no signaling socket open, the page opens one just to send the hangup)."""
    live_id = (await server.create("audio"))["live"]["id"]
    async with Browser.launch() as browser:
        page = await browser.page(f"{server.base}/_emulator/call/{live_id}")
        await eventually(lambda: page.evaluate(PAGE_STATE), lambda s: not s["formHidden"], "the key form", page)
        await page.evaluate(f'document.getElementById("key").value = "Token {KEY}";'
                            'document.getElementById("key-form").requestSubmit()')
        state = await eventually(lambda: page.evaluate(PAGE_STATE),
                                 lambda s: s["session"] and not s["hangupDisabled"], "the session shown", page)
        assert state["formHidden"] and state["shown"] in ("waiting", "on_live")
        await page.evaluate('document.getElementById("hangup").click()')
        live = await eventually(lambda: session(server, live_id), lambda live: live["status"] == "ended",
                                "the session ended after hang up", page)
        assert live["hangup_reason"] == "user_end"
        state = await eventually(lambda: page.evaluate(PAGE_STATE), lambda s: s["shown"].startswith("ended"),
                                 "the page showing ended", page)
        assert state["shown"] == "ended (user_end)" and state["media"] == "closed"
        assert page.errors == []


async def test_call_page_refuses_a_key_that_does_not_own_the_session(server):
    live_id = (await server.create("video"))["live"]["id"]
    async with Browser.launch() as browser:
        page = await browser.page(f"{server.base}/_emulator/call/{live_id}#key=vda_someone_else")
        state = await eventually(lambda: page.evaluate(PAGE_STATE), lambda s: s["error"], "the page's error", page)
        assert "403 Forbidden" in state["error"] and state["hangupDisabled"]
        assert state["peerId"] is None and state["signaling"] == "closed"
    # nothing happened to the session
    live = await server.live(live_id, headers=AUTH)
    assert live["status"] == "waiting"
    assert (await server.http.get("/_emulator/ws", params={"live_id": live_id})).json()["messages"] == []

"""Task callbacks, delivered over real HTTP to a receiver on 127.0.0.1 (wire notes §1.10)."""

from __future__ import annotations

import asyncio
import email.utils
import json
import re
import time

import pytest

from tests.conftest import AUTH, KEY, advance
from tests.support.receiver import Receiver, wait_for
from viduemu.client.signature import verify
from viduemu.config import Settings

IMG = {"model": "viduq1", "images": ["https://example.com/a.png"], "prompt": "x"}


@pytest.fixture
def settings() -> Settings:
    return Settings(clock="manual", seed=1234, task_seconds=30)


async def create(client, callback_url: str, **extra) -> dict:
    r = await client.post("/ent/v2/img2video", json={**IMG, "callback_url": callback_url, **extra}, headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


async def journal(client) -> list[dict]:
    return (await client.get("/_emulator/callbacks")).json()["callbacks"]


async def journal_len(client, n: int, timeout: float = 5.0) -> list[dict]:
    """The callback journal once it holds at least ``n`` attempts (polled, failing after ``timeout``).

    The emulator journals an attempt when it has the receiver's answer, i.e. after the receiver has
    seen the request: a test that waited on the receiver must still wait on the journal."""
    box = {}

    async def poll():
        box["entries"] = await journal(client)
        return len(box["entries"]) >= n

    deadline = time.monotonic() + timeout
    while not await poll():
        assert time.monotonic() < deadline, f"expected {n} journalled attempts, got {box['entries']}"
        await asyncio.sleep(0.01)
    return box["entries"]


async def test_callbacks_sent_on_processing_and_success_only_with_creations_body(client):
    with Receiver() as rx:
        task = await create(client, rx.url + "/hook?name=james&age=36")
        await advance(client, 1)  # created -> queueing -> processing
        await wait_for(lambda: len(rx.requests) == 1, what="processing callback")
        await advance(client, 30)
        await wait_for(lambda: len(rx.requests) == 2, what="success callback")
        await advance(client, 500)
        await asyncio.sleep(0.1)
        bodies = [r["body"] for r in rx.requests]
        assert [b["state"] for b in bodies] == ["processing", "success"]  # no created/queueing callbacks
        creations = (await client.get(f"/ent/v2/tasks/{task['task_id']}/creations", headers=AUTH)).text
        # The same structure as GET creations; media URLs use the emulator's configured base URL, each
        # signed when its answer was made (the callback's 500 virtual seconds before this GET).
        unsigned = re.compile(r"\?expires=[0-9]+&sig=[0-9a-f]{64}")
        assert json.loads(unsigned.sub("", json.dumps(bodies[1]))) == \
            json.loads(unsigned.sub("", creations.replace("http://testserver", "http://127.0.0.1:8000")))
        assert unsigned.search(bodies[1]["creations"][0]["url"])
        assert bodies[1]["creations"] and bodies[1]["creations"][0]["url"].startswith("http://127.0.0.1:8000/")
        assert bodies[0]["id"] == task["task_id"] and bodies[0]["err_code"] == "" and bodies[0]["credits"] == task["credits"] > 0
        assert all(r["method"] == "POST" and r["path"] == "/hook?name=james&age=36" for r in rx.requests)
        assert rx.requests[0]["headers"]["Content-Type"] == "application/json"


async def test_failed_task_callback_carries_err_code(client):
    await client.post("/_emulator/faults", json={"match": {"operation": "task.finish"},
                                                 "action": {"err_code": "CreationPolicyViolation"}, "times": 1})
    with Receiver() as rx:
        await create(client, rx.url + "/cb")
        await advance(client, 1)
        await advance(client, 30)
        await wait_for(lambda: len(rx.requests) == 2, what="failed callback")
        last = rx.requests[-1]["body"]
        assert last["state"] == "failed" and last["err_code"] == "CreationPolicyViolation"
        assert last["creations"] == []


async def test_cancelled_task_sends_failed_callback(client):
    with Receiver() as rx:
        task = await create(client, rx.url + "/cb", off_peak=True)
        assert (await client.post(f"/ent/v2/tasks/{task['task_id']}/cancel", headers=AUTH, json={})).status_code == 200
        await wait_for(lambda: len(rx.requests) == 1, what="failed callback")
        assert rx.requests[0]["body"]["state"] == "failed"
        assert rx.requests[0]["body"]["err_code"] == "UserCancelled"


async def test_signature_verifies_with_the_tasks_api_key(client, emu):
    with Receiver() as rx:
        url = rx.url + "/vidu/callback?name=james&age=36"
        await create(client, url)
        await advance(client, 1)
        await wait_for(lambda: rx.requests, what="callback")
        headers = rx.requests[0]["headers"]
        assert verify("POST", url, headers, KEY)
        assert not verify("POST", url, headers, "vda_someone_else")
        assert headers["X-HMAC-SIGNED-HEADERS"] == "Date;x-request-nonce"
        assert headers["X-HMAC-ALGORITHM"] == "hmac-sha256" and headers["X-HMAC-ACCESS-KEY"] == "vidu"
        # Date is GMT, from the virtual clock
        assert headers["Date"].endswith(" GMT")
        sent_at = email.utils.parsedate_to_datetime(headers["Date"]).timestamp()
        assert abs(sent_at - emu.core.clock.now()) < 1.0
        assert len(headers["x-request-nonce"]) == 36
        entry = (await journal_len(client, 1))[0]  # journalled once the receiver's answer is back
        assert entry["headers"]["X-HMAC-SIGNATURE"] == headers["X-HMAC-SIGNATURE"]


async def test_receiver_failing_twice_gives_three_attempts_on_the_virtual_clock(client):
    with Receiver(statuses=[500, 503]) as rx:
        task = await create(client, rx.url + "/cb")
        await advance(client, 1)
        first = (await journal_len(client, 1))[0]
        assert first["status"] == 500 and first["error"] and first["attempt"] == 1
        await advance(client, 4)
        await asyncio.sleep(0.05)
        assert len(rx.requests) == 1  # no retry before 5 virtual seconds
        await advance(client, 1)
        await journal_len(client, 2)
        await advance(client, 30)
        entries = [e for e in await journal_len(client, 3) if e["body"]["state"] == "processing"]
        assert [(e["attempt"], e["status"]) for e in entries] == [(1, 500), (2, 503), (3, 200)]
        assert entries[2]["error"] is None
        assert entries[1]["at"] - entries[0]["at"] == pytest.approx(5)
        assert entries[2]["at"] - entries[1]["at"] == pytest.approx(30)
        assert all(e["task_id"] == task["task_id"] and e["body"]["state"] == "processing" for e in entries)
        assert set(entries[0]) >= {"at", "task_id", "url", "headers", "body", "status", "error", "attempt"}
        # each attempt is freshly signed with its own nonce
        assert len({e["headers"]["x-request-nonce"] for e in entries}) == 3


async def test_receiver_down_gives_four_attempts_then_stops(client, refused_port):
    url = f"http://127.0.0.1:{refused_port}/cb"
    await create(client, url)
    await advance(client, 1)
    await journal_len(client, 1)
    for n, wait in ((2, 5), (3, 30), (4, 120)):
        await advance(client, wait)
        await journal_len(client, n)
    # then the success callback, queued behind, gets its own 4 attempts
    for n in (5, 6, 7, 8):
        await advance(client, 3600)
        await journal_len(client, n)
    await advance(client, 3600)
    await asyncio.sleep(0.1)
    entries = await journal(client)
    assert [(e["body"]["state"], e["attempt"]) for e in entries] == [
        ("processing", 1), ("processing", 2), ("processing", 3), ("processing", 4),
        ("success", 1), ("success", 2), ("success", 3), ("success", 4)]
    assert all(e["status"] is None and e["error"] for e in entries)


async def test_callbacks_of_one_task_arrive_in_order(client, emu):
    emu.core.settings.task_seconds = 3  # the task succeeds while its processing callback awaits a retry
    with Receiver(statuses=[500]) as rx:
        await create(client, rx.url + "/cb")
        await advance(client, 1)
        await wait_for(lambda: len(rx.requests) == 1)
        await journal_len(client, 1)
        await advance(client, 3)  # success now; processing is still due for a retry at +5
        await asyncio.sleep(0.05)
        assert len(rx.requests) == 1
        await advance(client, 2)
        await wait_for(lambda: len(rx.requests) == 3, what="retry then success")
        assert [r["body"]["state"] for r in rx.requests] == ["processing", "processing", "success"]


async def test_slow_receiver_does_not_slow_requests(client):
    with Receiver(delay=1.0) as rx:
        task = await create(client, rx.url + "/cb")
        started = time.perf_counter()
        await advance(client, 1)  # starts the processing delivery
        r = await client.get(f"/ent/v2/tasks/{task['task_id']}/creations", headers=AUTH)
        elapsed = time.perf_counter() - started
        assert r.status_code == 200 and r.json()["state"] == "processing"
        assert elapsed < 0.5, elapsed
        assert await journal(client) == []  # the delivery is still in flight
        entries = await journal_len(client, 1, timeout=5)
        assert entries[0]["status"] == 200


async def test_reset_drops_pending_callbacks(client, refused_port):
    url = f"http://127.0.0.1:{refused_port}/cb"
    await create(client, url)
    await advance(client, 1)
    await journal_len(client, 1)
    await client.post("/_emulator/reset")
    await advance(client, 3600)
    await asyncio.sleep(0.1)
    assert await journal(client) == []


async def test_an_unusable_callback_url_fails_its_attempts_without_harm(client):
    task = await create(client, "http://127.0.0.1:1/unreachable")  # nothing listens on port 1
    await advance(client, 1)
    entries = await journal_len(client, 1)
    assert entries[0]["status"] is None and entries[0]["error"]
    r = await client.get(f"/ent/v2/tasks/{task['task_id']}/creations", headers=AUTH)
    assert r.status_code == 200 and r.json()["state"] == "processing"


@pytest.mark.slow
def test_served_emulator_delivers_callbacks_on_its_running_clock():
    import httpx

    from viduemu.background import BackgroundEmulator

    with Receiver() as rx, BackgroundEmulator(clock="speed", speed=100, task_seconds=30) as server:
        url = rx.url + "/cb?x=1"
        r = httpx.post(server.base_url + "/ent/v2/img2video", json={**IMG, "callback_url": url}, headers=AUTH)
        assert r.status_code == 200
        deadline = time.monotonic() + 10
        while len(rx.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [q["body"]["state"] for q in rx.requests] == ["processing", "success"]
        assert all(verify("POST", url, q["headers"], KEY) for q in rx.requests)


async def test_one_click_mv_reports_its_states_to_its_callback_url_signed(client):
    from tests.support.media import png, wav
    from viduemu.client.signature import verify

    with Receiver() as rx:
        body = {"images": [png()], "audio_url": wav(10), "callback_url": rx.url + "/mv-hook"}
        r = await client.post("/ent/v2/one-click/mv", json=body, headers=AUTH)
        assert r.status_code == 200, r.text
        mv_id = r.json()["id"]
        await advance(client, 1)
        await wait_for(lambda: len(rx.requests) == 1, what="processing callback")
        await advance(client, 60)
        await wait_for(lambda: len(rx.requests) == 2, what="success callback")
        states = [q["body"]["state"] for q in rx.requests]
        assert states == ["processing", "success"]
        final = rx.requests[-1]["body"]
        assert final["id"] == mv_id and final["type"] == "mv" and final["signed_url"]
        assert all(verify("POST", rx.url + "/mv-hook", q["headers"], AUTH["Authorization"].split()[1])
                   for q in rx.requests)


async def test_success_queued_while_the_processing_callback_is_in_flight_is_still_sent(client):
    """The task reaches success while the receiver is still answering its processing callback: the
    success callback queued meanwhile must not be lost when the first delivery settles."""
    with Receiver(delay=0.5) as rx:
        await create(client, rx.url + "/hook")
        await advance(client, 1)                  # processing: its callback goes out, the receiver dawdles
        await asyncio.sleep(0.1)
        await advance(client, 30)                 # success, queued behind the attempt in flight
        await wait_for(lambda: len(rx.requests) == 2, timeout=5, what="both callbacks")
        assert [r["body"]["state"] for r in rx.requests] == ["processing", "success"]


# -- the receiver address policy (--callback-allow) ------------------------------------------------
def recording_network(emu) -> list:
    """Replace the callbacks' network by one that records every request it is asked to send."""
    import httpx

    sent: list = []

    def network(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(200)

    emu.callbacks.transport = httpx.MockTransport(network)
    return sent


async def test_a_callback_to_the_cloud_metadata_address_is_refused_without_a_connection(client, emu):
    sent = recording_network(emu)
    await create(client, "http://169.254.169.254/latest/meta-data/iam")
    await advance(client, 1)
    entries = await journal_len(client, 1)
    assert entries[0]["status"] is None and entries[0]["attempt"] == 1
    assert entries[0]["error"].startswith("refused by --callback-allow public: 169.254.169.254")
    assert "cloud-metadata" in entries[0]["error"] and "no request sent" in entries[0]["error"]
    await advance(client, 3600)  # no retries: the success callback is refused once too
    await asyncio.sleep(0.1)
    entries = await journal(client)
    assert [(e["body"]["state"], e["attempt"]) for e in entries] == [("processing", 1), ("success", 1)]
    assert sent == []


async def test_link_local_and_embedded_metadata_receivers_are_refused_by_name_too(client, emu):
    sent = recording_network(emu)

    async def resolve(host, port):
        return {"meta.test": ["93.184.216.34", "::ffff:169.254.169.254"]}[host]

    emu.callbacks.resolve = resolve
    for url in ("http://meta.test/cb", "http://[fe80::1]/cb", "http://[64:ff9b::a9fe:a9fe]/cb", "http://0.0.0.0:80/"):
        await create(client, url)
    await advance(client, 1)
    entries = await journal_len(client, 4)
    assert all(e["error"].startswith("refused by --callback-allow public") for e in entries), entries
    assert any("meta.test is ::ffff:169.254.169.254" in e["error"] for e in entries)
    assert sent == []


async def test_callback_allow_loopback_refuses_a_private_receiver_and_allows_loopback(client, emu):
    emu.core.settings.callback_allow = "loopback"
    with Receiver() as rx:
        await create(client, "http://10.255.255.1/cb")  # never connected: refused before
        await create(client, rx.url + "/cb")
        await advance(client, 1)
        await wait_for(lambda: len(rx.requests) == 1, what="loopback callback")
        entries = await journal_len(client, 2)
        refused = [e for e in entries if e["url"].startswith("http://10.")]
        delivered = [e for e in entries if e["url"].startswith(rx.url)]
        assert len(refused) == 1 and refused[0]["status"] is None
        assert refused[0]["error"].startswith("refused by --callback-allow loopback: 10.255.255.1 (private)")
        assert delivered[0]["status"] == 200 and delivered[0]["error"] is None


async def test_callback_allow_private_refuses_a_public_receiver(client, emu):
    sent = recording_network(emu)
    emu.core.settings.callback_allow = "private"
    await create(client, "https://webhook.example/cb")
    emu.callbacks.resolve = lambda host, port: _addresses(["93.184.216.34"])
    await advance(client, 1)
    entries = await journal_len(client, 1)
    assert entries[0]["error"].startswith("refused by --callback-allow private: webhook.example is 93.184.216.34")
    assert sent == []


async def _addresses(addresses):
    return addresses


async def test_by_default_public_receivers_get_the_request_at_the_checked_address(client, emu):
    seen: list = []
    import httpx

    def network(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers["host"], request.extensions.get("sni_hostname")))
        return httpx.Response(200)

    emu.callbacks.transport = httpx.MockTransport(network)
    emu.callbacks.resolve = lambda host, port: _addresses(["93.184.216.34"])
    await create(client, "https://webhook.example/cb")
    await advance(client, 1)
    entries = await journal_len(client, 1)
    assert entries[0]["status"] == 200 and entries[0]["url"] == "https://webhook.example/cb"
    assert seen == [("93.184.216.34", "webhook.example", "webhook.example")]


async def test_by_default_a_named_loopback_receiver_still_gets_signed_callbacks(client, emu):
    async def resolve(host, port):
        return {"receiver.test": ["127.0.0.1"]}[host]

    emu.callbacks.resolve = resolve
    with Receiver() as rx:
        url = f"http://receiver.test:{rx.port}/hook?x=1"
        await create(client, url)
        await advance(client, 1)
        await wait_for(lambda: rx.requests, what="callback")
        request = rx.requests[0]
        assert request["headers"]["Host"] == f"receiver.test:{rx.port}" and request["path"] == "/hook?x=1"
        assert verify("POST", url, request["headers"], KEY)  # signed for the URL as given

"""``viduemu proxy`` and ``viduemu replay`` end to end: a second emulator (or a tiny off-contract app) as the
stand-in upstream on a real socket, the proxy in front of it (in-process, or the real CLI as a subprocess)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.process import ROOT
from tests.support.receiver import free_port
from viduemu.background import BackgroundEmulator
from viduemu.config import Settings
from viduemu.proxy import NotRecorded, load, recorded_transport
from viduemu.proxy.forward import Proxy
from viduemu.proxy.replay import replay

KEY = "vda_proxy_secret_key"
AUTH = {"Authorization": f"Token {KEY}"}
LIVE = {"call_mode": "audio", "avatar": {"persona": "A friendly guide.", "image_uri": "https://example.com/a.png"}}


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """``app`` served by uvicorn on a free 127.0.0.1 port in a thread; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws_per_message_deflate=False))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One proxied session against a real emulator upstream: a task created and queried, a live session
    created and its WebSocket used. Yields (recording dir, what the client saw)."""
    record = tmp_path_factory.mktemp("rec")
    seen = {}
    with BackgroundEmulator(Settings(clock="manual", seed=3, log_level="warning")) as upstream, \
            serving(Proxy(upstream.base_url, record, record / "drift.json").app()) as proxy:
        with httpx.Client(base_url=proxy, headers=AUTH) as http:
            created = http.post("/ent/v2/text2video", json={"model": "viduq1", "prompt": "a fox", "duration": 5})
            seen["created"] = created.json()
            seen["query"] = http.get(f"/ent/v2/tasks/{created.json()['task_id']}/creations").json()
            seen["refused"] = http.post("/ent/v2/text2video", json={"model": "viduq1"})
            live = http.post("/live/v1/lives", json=LIVE).json()

        async def signaling():
            url = f"{proxy.replace('http', 'ws', 1)}/live/ws/live/connect?live_id={live['live']['id']}"
            async with websockets.connect(url, additional_headers=AUTH) as ws:
                await ws.send(json.dumps({"type": 1, "live_id": live["live"]["id"], "seq_id": 1,
                                          "payload": {"conn_init": {"version": 1}}}))
                return json.loads(await asyncio.wait_for(ws.recv(), 5))

        async def without_key():
            url = f"{proxy.replace('http', 'ws', 1)}/live/ws/live/connect?live_id={live['live']['id']}"
            with pytest.raises(websockets.InvalidStatus) as refused:
                await websockets.connect(url)
            return refused.value.response.status_code

        seen["conn_init"] = asyncio.run(signaling())
        seen["ws_refused"] = asyncio.run(without_key())
        seen["live"] = live
    return record, seen


def test_the_proxy_forwards_http_and_the_websocket_with_the_callers_key(session):
    record, seen = session
    assert seen["created"]["state"] == "created"
    assert seen["query"]["id"] == seen["created"]["task_id"]
    assert seen["refused"].status_code == 400 and seen["refused"].json()["reason"] == "FieldLacking"
    assert seen["conn_init"]["type"] == 2  # the upstream's answer to conn_init, through the proxy
    assert seen["ws_refused"] == 401  # the upstream's refusal of a handshake, passed on as it came


def test_an_unreachable_upstream_is_a_502_in_the_envelope_not_a_500():
    with serving(Proxy(f"http://127.0.0.1:{free_port()}").app()) as proxy:
        answer = httpx.get(f"{proxy}/ent/v2/credits", headers=AUTH)
    assert answer.status_code == 502 and answer.json()["reason"] == "ProxyUpstreamUnreachable"


def test_an_on_contract_upstream_leaves_a_report_of_the_callers_own_mistakes_only(session):
    record, _ = session
    report = json.loads((record / "drift.json").read_text())
    assert report["upstream"].startswith("http://127.0.0.1:")
    assert [(d["operation"], d["kind"]) for d in report["drift"]] == [("POST /ent/v2/text2video", "request")]
    assert "FieldLacking" in report["drift"][0]["observed"]
    assert (record / "drift.json.txt").read_text().startswith("1 difference(s) from the contracts:")


def test_the_recording_holds_every_exchange_with_keys_redacted(session):
    record, seen = session
    exchanges = load(record)
    assert [(e["kind"], e.get("method"), e["status"]) for e in exchanges] == [
        ("http", "POST", 200), ("http", "GET", 200), ("http", "POST", 400), ("http", "POST", 200), ("ws", None, 101),
        ("ws", None, 401)]
    text = (record / "exchanges.jsonl").read_text()
    assert KEY not in text
    assert exchanges[0]["request_headers"]["authorization"] == "Token REDACTED"
    ws = exchanges[-2]
    assert [m["direction"] for m in ws["messages"]][:2] == ["receive", "send"]
    assert ws["messages"][1]["json"]["type"] == 2


def test_redaction_covers_tokens_api_keys_and_signed_urls():
    from viduemu.proxy.recording import encode_body, redact_headers

    body = encode_body(json.dumps({"token": "t0k", "api_key": "k3y", "signature": "abc",
                                   "url": "https://cdn/x.mp4?expires=1&sig=deadbeef"}).encode(), "application/json")
    assert body["json"] == {"token": "REDACTED", "api_key": "REDACTED", "signature": "REDACTED",
                            "url": "https://cdn/x.mp4?expires=1&sig=REDACTED"}
    assert redact_headers({"Authorization": "Bearer abc", "X-Signature": "s"}) == {
        "authorization": "Bearer REDACTED", "x-signature": "REDACTED"}


def test_replay_reports_request_by_request_against_a_fresh_emulator(session, tmp_path):
    record, seen = session
    report = replay(record, seed=3)
    lines = report.text().splitlines()
    assert lines[0].startswith(f"replay of {record}: 6 exchange(s)")
    # the recorded task id is mapped to the emulator's own: the query finds the replayed task
    assert [(e.request.split()[0], e.recorded_status, e.emulator_status) for e in report.exchanges[:4]] == [
        ("POST", 200, 200), ("GET", 200, 200), ("POST", 400, 400), ("POST", 200, 200)]
    assert report.exchanges[4].note.startswith("not replayed")
    report.write(tmp_path / "replay.json")
    assert json.loads((tmp_path / "replay.json").read_text())["exchanges"][0]["request"] == "POST /ent/v2/text2video"


def test_the_cli_replay_prints_the_parity_report_writes_it_and_fails_on_a_difference(session, tmp_path):
    record, _ = session
    result = subprocess.run([sys.executable, "-m", "viduemu", "replay", str(record), "--seed", "3", "--report",
                             str(tmp_path / "parity.json")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "#1 POST /ent/v2/text2video: real 200, emulator 200: same" in result.stdout, result.stderr
    assert "#5 WebSocket /live/ws/live/connect: real 101, emulator None: not replayed" in result.stdout
    report = json.loads((tmp_path / "parity.json").read_text())
    assert result.returncode == (1 if report["differences"] else 0)
    assert (tmp_path / "parity.json.txt").read_text() in result.stdout


def test_replay_names_a_difference_in_status_reason_and_fields(tmp_path):
    line = {"n": 1, "at": 0, "kind": "http", "method": "POST", "path": "/ent/v2/text2video", "query": "",
            "request_headers": {"content-type": "application/json"},
            "request_body": {"json": {"model": "viduq1", "prompt": "ok", "duration": 5}},
            "status": 400, "response_headers": {},
            "response_body": {"json": {"code": 400, "reason": "FieldUnwanted", "message": "m"}}}
    (tmp_path / "exchanges.jsonl").write_text(json.dumps(line) + "\n")
    report = replay(tmp_path)
    assert [(d.kind, d.where, d.recorded, d.emulator) for d in report.exchanges[0].differences] == [
        ("status", "status", "400", "200"), ("reason", "reason", "FieldUnwanted", "None")]


def test_a_recording_answers_as_fixtures_through_an_httpx_transport(session):
    record, seen = session
    with httpx.Client(transport=recorded_transport(record), base_url="https://api.vidu.com") as http:
        assert http.post("/ent/v2/text2video", json={}).json() == seen["created"]
        assert http.post("/ent/v2/text2video", json={}).status_code == 400  # the second recorded answer
        assert http.get(f"/ent/v2/tasks/{seen['created']['task_id']}/creations").json() == seen["query"]
        with pytest.raises(NotRecorded, match="GET /ent/v2/credits"):
            http.get("/ent/v2/credits")


async def test_a_recording_answers_an_async_client_too(session):
    record, seen = session
    async with httpx.AsyncClient(transport=recorded_transport(record), base_url="https://api.vidu.com") as http:
        answer = (await http.post("/live/v1/lives", json={})).json()
    assert answer["rtc"].pop("token") == "REDACTED"  # what the recording holds: the RTC token redacted
    assert answer == {**seen["live"], "rtc": {k: v for k, v in seen["live"]["rtc"].items() if k != "token"}}


# -- the real CLI, against an upstream that answers off the contract ---------------------------------
def off_contract_upstream(hits: list[str]) -> Starlette:
    async def creations(request):
        hits.append(request.url.path)
        return JSONResponse({"id": request.path_params["task_id"], "state": "exploded", "err_code": "",
                             "credits": 0, "creations": []})
    return Starlette(routes=[Route("/ent/v2/tasks/{task_id}/creations", creations)])


@contextlib.contextmanager
def proxy_process(*args: str) -> Iterator[tuple[str, list[str]]]:
    port, output = free_port(), []
    proc = subprocess.Popen([sys.executable, "-m", "viduemu", "proxy", "--port", str(port), *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True).start()
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert proc.poll() is None, "".join(output)
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}", output
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_cli_proxy_names_an_off_contract_answer_in_the_drift_report_as_it_happens(tmp_path):
    hits, elsewhere = [], []
    with serving(off_contract_upstream(hits)) as upstream, serving(off_contract_upstream(elsewhere)) as other, \
            proxy_process("--upstream", upstream, "--record", str(tmp_path)) as (proxy, output):
        # urllib, not httpx: the suite's contract guard would refuse the off-contract answer in the client
        request = urllib.request.Request(f"{proxy}/ent/v2/tasks/42/creations", headers=AUTH)
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.loads(answer.read())["state"] == "exploded"  # forwarded as it came
        report = json.loads((tmp_path / "drift.json").read_text())  # written before the answer went back
        # an absolute-form request target naming another server still goes to the upstream only
        with socket.create_connection(("127.0.0.1", int(proxy.rsplit(":", 1)[1]))) as raw:
            raw.sendall(f"GET {other}/ent/v2/tasks/7/creations HTTP/1.1\r\nHost: {other[7:]}\r\n"
                        "Connection: close\r\n\r\n".encode())
            while raw.recv(65536):
                pass
    [drift] = report["drift"]
    assert drift["operation"] == "GET /ent/v2/tasks/{task_id}/creations" and drift["kind"] == "schema"
    assert "state" in drift["detail"] and "exploded" in drift["detail"]
    text = (tmp_path / "drift.json.txt").read_text()
    assert "GET /ent/v2/tasks/{task_id}/creations [schema]" in text
    assert hits == ["/ent/v2/tasks/42/creations", "/ent/v2/tasks/7/creations"] and elsewhere == []
    assert KEY not in (tmp_path / "exchanges.jsonl").read_text()
    assert "proxy on http://127.0.0.1:" in "".join(output)


def test_the_proxy_needs_no_pytest():
    code = "import sys; sys.modules['pytest'] = None; import viduemu.proxy.forward, viduemu.proxy.replay"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_the_cli_proxy_binds_loopback_unless_told_other_machines_may_use_it():
    result = subprocess.run([sys.executable, "-m", "viduemu", "proxy", "--upstream", "http://127.0.0.1:9",
                             "--host", "0.0.0.0"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "--allow-remote-clients" in result.stderr

"""Logs that explain a failure (issue 16 §3): one line per request, WebSocket opens and closes, failed
callback attempts at warning, JSON lines for machines; read from a real server's log."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx
import pytest
import websockets

from tests.conftest import AUTH, KEY
from tests.support.process import ServeProcess
from tests.support.receiver import Receiver
from tests.support.server import running
from tests.support.signaling import conn_init, recv, send
from viduemu.config import Settings

SHORT_KEY = f"{KEY[:6]}…{KEY[-2:]}"


def access(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "viduemu.access"]


async def eventually(condition, what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"never saw {what}"
        await asyncio.sleep(0.01)


def test_json_log_format_gives_one_parsable_line_per_request_and_a_warning_per_failed_callback():
    proc = ServeProcess("--log-format", "json", "--clock", "manual", "--callback-allow", "loopback").start()
    try:
        with Receiver(statuses=[500]) as rx:
            r = httpx.post(proc.url + "/ent/v2/img2video", json={"model": "viduq1"}, headers=AUTH)
            assert r.status_code == 400
            trace_id = r.json()["metadata"]["trace_id"]
            hook = rx.url + "/hook"
            made = httpx.post(proc.url + "/ent/v2/text2video", headers=AUTH,
                              json={"model": "viduq1", "prompt": "a cat", "callback_url": hook})
            assert made.status_code == 200, made.text
            httpx.post(proc.url + "/_emulator/clock/advance", json={"seconds": 1})  # processing: a callback
            deadline = time.monotonic() + 5
            while "receiver answered HTTP 500" not in "".join(proc.output):
                assert time.monotonic() < deadline, "".join(proc.output)
                time.sleep(0.02)
    finally:
        output = proc.stop()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # uvicorn's own lines are JSON too
    mine = [line for line in lines if line.get("trace_id") == trace_id]
    assert len(mine) == 1, output
    line = mine[0]
    assert (line["level"], line["method"], line["path"], line["status"], line["reason"]) == \
        ("info", "POST", "/ent/v2/img2video", 400, "FieldLacking")
    assert line["key"] == SHORT_KEY and KEY not in output
    assert isinstance(line["duration_ms"], float)
    failed = [line for line in lines if line["logger"] == "viduemu.callbacks"]
    assert [(f["level"], f["url"], f["status"], f["error"]) for f in failed] == \
        [("warning", hook, 500, "receiver answered HTTP 500")]
    # the callback's own HTTP request (httpx) and uvicorn's access log stay below info
    assert not [line for line in lines if line["logger"].startswith(("httpx", "httpcore", "uvicorn.access"))]


async def test_a_failing_request_is_one_info_line_naming_reason_trace_and_short_key(caplog, contracts):
    caplog.set_level(logging.INFO)
    async with running(Settings(clock="manual", log_level="info"), contracts) as srv:
        r = await srv.http.post("/ent/v2/text2video", json={"model": "viduq1", "prompt": ""}, headers=AUTH)
        assert r.status_code == 400
    lines = [rec for rec in access(caplog) if rec.fields.get("trace_id") == r.json()["metadata"]["trace_id"]]
    assert len(lines) == 1
    assert lines[0].getMessage() == "POST /ent/v2/text2video 400"
    assert lines[0].fields["reason"] == "FieldLacking" and lines[0].fields["key"] == SHORT_KEY


async def test_a_websocket_logs_its_open_and_its_close_with_code_and_hangup_reason(caplog, contracts):
    caplog.set_level(logging.INFO)
    async with running(Settings(clock="manual", log_level="info"), contracts) as srv:
        live_id = (await srv.create())["live"]["id"]
        async with srv.connect(live_id) as ws:
            await conn_init(ws, live_id)
            await send(ws, 5, {"hangup": {"hangup_reason": "user_end"}}, 2, live_id)
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                await recv(ws)
        await eventually(lambda: any(r.fields.get("event") == "close" for r in access(caplog)), "the close")
    ws_lines = [r.fields for r in access(caplog) if r.fields.get("live_id") == live_id]
    assert [f["event"] for f in ws_lines] == ["open", "close"]
    assert ws_lines[0]["key"] == SHORT_KEY
    assert (ws_lines[1]["code"], ws_lines[1]["reason"], ws_lines[1]["hangup_reason"]) == (1000, "hung up", "user_end")


async def test_every_failed_callback_attempt_is_a_warning_naming_the_url_and_the_error(caplog, contracts,
                                                                                      refused_port):
    caplog.set_level(logging.INFO)
    hook = f"http://127.0.0.1:{refused_port}/hook"
    async with running(Settings(clock="manual", log_level="info", callback_allow="loopback"), contracts) as srv:
        r = await srv.http.post("/ent/v2/text2video", headers=AUTH,
                                json={"model": "viduq1", "prompt": "a cat", "callback_url": hook})
        assert r.status_code == 200, r.text
        await srv.advance(1)  # processing: the first callback, refused
        await eventually(lambda: any(r.levelno == logging.WARNING and r.name == "viduemu.callbacks"
                                     for r in caplog.records), "a callback warning")
    warning = next(r for r in caplog.records if r.name == "viduemu.callbacks" and r.levelno == logging.WARNING)
    assert hook in warning.getMessage() and warning.fields["url"] == hook
    assert warning.fields["attempt"] == 1 and "Connect" in warning.fields["error"]


async def test_a_forced_hangup_logs_the_close_with_the_servers_hangup_reason(caplog, contracts):
    caplog.set_level(logging.INFO)
    async with running(Settings(clock="manual", log_level="info"), contracts) as srv:
        live_id = (await srv.create())["live"]["id"]
        async with srv.connect(live_id) as ws:
            await conn_init(ws, live_id)
            r = await srv.http.post(f"/_emulator/lives/{live_id}/hangup", json={"hangup_reason": "audit_violation"})
            assert r.status_code == 200, r.text
            assert (await recv(ws))["type"] == 6
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                await recv(ws)
        await eventually(lambda: any(r.fields.get("event") == "close" for r in access(caplog)), "the close")
    close = next(r.fields for r in access(caplog) if r.fields.get("event") == "close")
    assert (close["code"], close["hangup_reason"]) == (1000, "audit_violation")

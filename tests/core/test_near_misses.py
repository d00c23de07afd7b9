"""Near-misses (issue 16 §4): a field the operation does not declare is ignored and the answer says so
(Viduemu-Warning, the request journal), ``--strict`` refuses it with FieldUnwanted; a 404 on a
vendor-looking path names the nearest operation; a WebSocket authorised by query parameter is warned about."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.conftest import AUTH, KEY, assert_error
from tests.support.process import ServeProcess
from tests.support.server import running
from viduemu.app import create_app
from viduemu.config import Settings

MISSPELT = {"model": "viduq1", "prompt": "ok", "durration": 5}


async def journalled(client: httpx.AsyncClient, trace_id: str) -> dict:
    entries = (await client.get("/_emulator/requests")).json()["requests"]
    return next(e for e in entries if e["trace_id"] == trace_id)


async def test_a_misspelt_field_is_ignored_and_the_answer_and_the_journal_say_so(client):
    r = await client.post("/ent/v2/text2video", json=MISSPELT, headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.headers["Viduemu-Warning"] == "ignored fields: durration"
    assert r.json()["duration"] == 5  # the default, not the misspelt value
    trace_id = (await client.get("/_emulator/requests")).json()["requests"][-1]["trace_id"]
    assert (await journalled(client, trace_id))["warnings"] == ["ignored fields: durration"]


async def test_a_request_with_only_declared_fields_carries_no_warning(client):
    r = await client.post("/ent/v2/text2video", json={"model": "viduq1", "prompt": "ok", "duration": 5},
                          headers=AUTH)
    assert r.status_code == 200 and "Viduemu-Warning" not in r.headers
    assert "warnings" not in (await client.get("/_emulator/requests")).json()["requests"][-1]


async def test_strict_refuses_an_undeclared_field_with_field_unwanted_naming_it(contracts):
    app = create_app(Settings(clock="manual", strict=True))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            r = await client.post("/ent/v2/text2video", json={**MISSPELT, "colour": "red"}, headers=AUTH)
            assert_error(r, 400, "FieldUnwanted", "durration, colour")
            assert r.json()["message"] == "unwanted field: durration, colour"
            ok = await client.post("/ent/v2/text2video", json={"model": "viduq1", "prompt": "ok"}, headers=AUTH)
            assert ok.status_code == 200, ok.text
    finally:
        await app.state.emu.aclose()


async def test_an_allow_list_operation_refuses_an_undeclared_field_without_strict(client):
    r = await client.post("/ent/v2/lip-sync", headers=AUTH, json={
        "video_url": "https://example.com/v.mp4", "audio_url": "https://example.com/a.mp3", "model": "x"})
    assert_error(r, 400, "FieldUnwanted", "model")


async def test_a_field_name_with_control_characters_is_escaped_in_the_header(client):
    r = await client.post("/ent/v2/text2video", json={"model": "viduq1", "prompt": "ok", "a\r\nb": 1, "dé": 2},
                          headers=AUTH)
    assert r.status_code == 200
    assert r.headers["Viduemu-Warning"] == "ignored fields: a\\r\\nb, d\\u00e9"


@pytest.mark.parametrize(("method", "path", "meant"), [
    ("POST", "/ent/v2/img2vide", "POST /ent/v2/img2video"),
    ("POST", "/ent/v2/image2video", "POST /ent/v2/img2video"),
    ("GET", "/ent/v2/tasks/123/creation", "GET /ent/v2/tasks/{task_id}/creations"),
    ("POST", "/live/v1/live", "POST /live/v1/lives"),
])
async def test_a_404_on_a_vendor_looking_path_names_the_nearest_operation(client, method, path, meant):
    r = await client.request(method, path, json={}, headers=AUTH)
    body = assert_error(r, 404, "NotFound")
    assert body["message"] == f"not found; did you mean {meant}?"


@pytest.mark.parametrize("path", ["/robots.txt", "/ent/v2/" + "x" * 300, "/ent/v2/quite/unlike/anything/else"])
async def test_a_404_elsewhere_stays_a_plain_not_found(client, path):
    assert assert_error(await client.get(path), 404, "NotFound")["message"] == "not found"


async def test_websocket_authorised_by_query_parameter_is_accepted_with_a_warning(caplog, contracts):
    caplog.set_level(logging.INFO)
    async with running(Settings(clock="manual", log_level="info"), contracts) as srv:
        live_id = (await srv.create())["live"]["id"]
        async with srv.connect(live_id, headers={}, query=f"&authorization=Token%20{KEY}"):
            pass
        journal = (await srv.http.get("/_emulator/ws", params={"live_id": live_id})).json()["messages"]
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "viduemu.signaling"]
    assert len(warned) == 1 and "unsupported" in warned[0].getMessage() and live_id in warned[0].getMessage()
    assert "authorization by query parameter" in journal[0]["warnings"][0]
    assert KEY not in "".join(r.getMessage() for r in caplog.records if r.name.startswith("viduemu"))


def test_serve_strict_refuses_a_misspelt_field_through_the_real_cli():
    proc = ServeProcess("--strict").start()
    try:
        r = httpx.post(proc.url + "/ent/v2/text2video", json=MISSPELT, headers=AUTH)
    finally:
        proc.stop()
    assert_error(r, 400, "FieldUnwanted", "durration")

"""Issue 13 #4: no web page can drive the control plane, nor read it (or the vendor API) by DNS rebinding.

- a ``Host`` the server is not known by is refused 403 on every request over its socket (the control
  plane, the vendor API, the signaling WebSocket); loopback names and addresses, the bound host and
  ``--allowed-host`` names are answered (core/hosts.py);
- a control-plane request from another ``Origin``, or a state-changing one with a body that is not
  ``application/json``, is refused; the vendor API answers such requests as the vendor's would.
"""

from __future__ import annotations

import asyncio
import base64
import os

import httpx
import pytest

from tests.conftest import AUTH, assert_error
from tests.support.server import running
from viduemu.config import Settings

FAULT = {"match": {"operation": "task.finish"}, "action": {"err_code": "CreationPolicyViolation"}, "times": 1}


# -- Host (DNS rebinding), over a real socket ---------------------------------------------------------

@pytest.mark.parametrize("host", ["rebind.attacker.example", "attacker.example:{port}", "127.0.0.1.nip.io",
                                  "10.0.0.5", "localhost.attacker.example"])
async def test_a_foreign_host_is_refused_on_the_control_plane_and_the_vendor_api(server, host):
    host = host.format(port=server.port)
    accounts = await server.http.get("/_emulator/accounts", headers={"Host": host})
    assert_error(accounts, 403, "Forbidden")
    assert "--allowed-host" in accounts.json()["message"]
    assert_error(await server.http.get("/ent/v2/credits", headers={**AUTH, "Host": host}), 403, "Forbidden")
    assert_error(await server.http.post("/_emulator/reset", headers={"Host": host}), 403, "Forbidden")


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST.:{port}", "127.0.0.2",
                                  "[::1]:{port}", "localhost"])
async def test_loopback_names_and_addresses_are_answered(server, host):
    r = await server.http.get("/_emulator/accounts", headers={"Host": host.format(port=server.port)})
    assert r.status_code == 200, r.text


async def _handshake(port: int, host: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    nonce = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /live/ws/live/connect?live_id=1 HTTP/1.1\r\nHost: {host}\r\n"
                  f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {nonce}\r\n"
                  f"Sec-WebSocket-Version: 13\r\nAuthorization: Token vda_ws_host\r\n\r\n").encode())
    try:
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    finally:
        writer.close()


async def test_the_signaling_websocket_refuses_a_foreign_host(server):
    assert (await _handshake(server.port, "rebind.attacker.example")).startswith(b"HTTP/1.1 403")
    # the same handshake with a loopback Host reaches the signaling handler (no such live: its own 404)
    assert (await _handshake(server.port, f"127.0.0.1:{server.port}")).startswith(b"HTTP/1.1 404")


async def test_allowed_hosts_are_answered_and_others_still_refused(contracts):
    settings = Settings(clock="manual", seed=7, log_level="warning", allowed_host=("emu.test", "Box.LAN"))
    async with running(settings, contracts) as srv:
        for host in ("emu.test", f"emu.test:{srv.port}", "box.lan"):
            assert (await srv.http.get("/ent/v2/credits", headers={**AUTH, "Host": host})).status_code == 200
        assert_error(await srv.http.get("/ent/v2/credits", headers={**AUTH, "Host": "other.test"}), 403, "Forbidden")


def test_the_in_process_app_has_no_socket_to_rebind(client):
    """``httpx.ASGITransport`` users (docs/client.md: base_url http://viduemu) keep any host name:
    the check guards the socket (cli.server_config)."""
    assert client.base_url.host == "testserver"


# -- Origin and content type on the control plane (any transport) ------------------------------------

async def test_a_text_plain_post_from_another_origin_is_refused(client):
    r = await client.post("/_emulator/faults", content=b'{"match": {"operation": "task.finish"}, '
                          b'"action": {"fail": "InternalServiceFailure"}}',
                          headers={"Content-Type": "text/plain", "Origin": "http://attacker.example"})
    assert_error(r, 403, "Forbidden")
    assert (await client.get("/_emulator/faults")).json()["faults"] == []


@pytest.mark.parametrize("origin", ["http://attacker.example", "null", "http://testserver:8080",
                                    "https://testserver", "http://localhost"])
@pytest.mark.parametrize("call", [("POST", "/_emulator/reset"), ("POST", "/_emulator/clock/advance"),
                                  ("GET", "/_emulator/accounts"), ("DELETE", "/_emulator/faults/f1")])
async def test_every_control_call_from_another_origin_is_refused(client, origin, call):
    method, path = call
    body = {"seconds": 1} if path.endswith("advance") else None
    r = await client.request(method, path, json=body, headers={"Origin": origin})
    assert_error(r, 403, "Forbidden")


async def test_a_state_changing_call_with_a_body_needs_json(client):
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        r = await client.post("/_emulator/faults", content=b'{"match": {}}', headers={"Content-Type": content_type})
        assert_error(r, 415, "UnsupportedMediaType")
    r = await client.post("/_emulator/clock/advance", content=b'{"seconds": 1}')  # no content type at all
    assert_error(r, 415, "UnsupportedMediaType")
    assert (await client.get("/_emulator/faults")).json()["faults"] == []


async def test_same_origin_and_originless_calls_still_work(client):
    """The inspector and call page (same origin, JSON bodies, body-less POSTs) and curl-like clients."""
    own = {"Origin": "http://testserver"}
    assert (await client.post("/_emulator/faults", json=FAULT, headers=own)).status_code == 200
    assert (await client.post("/_emulator/reset", headers=own)).status_code == 200
    assert (await client.post("/_emulator/reset")).status_code == 200  # body-less, no Origin: not a page
    r = await client.post("/_emulator/clock/advance", json={"seconds": 1},
                          headers={**own, "Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200, r.text


async def test_the_vendor_api_answers_other_origins_as_the_vendor_would(client):
    r = await client.get("/ent/v2/credits", headers={**AUTH, "Origin": "http://attacker.example"})
    assert r.status_code == 200, r.text
    r = await client.post("/ent/v2/text2video", content=b"{}", headers={**AUTH, "Origin": "http://attacker.example",
                                                                         "Content-Type": "text/plain"})
    assert r.status_code == 400, r.text  # the contract's answer, not a cross-site refusal


async def test_media_urls_stay_embeddable_by_other_origins(client):
    """Public control routes (media handed to vendor clients, the pages' static files) keep no Origin rule."""
    r = await client.get("/_emulator/", headers={"Origin": "http://localhost:3000"})
    assert r.status_code == 200


def test_allowed_host_reads_the_environment_comma_separated():
    from viduemu.cli import build_parser, settings_from

    settings = settings_from(build_parser().parse_args(["serve"]), {"VIDUEMU_ALLOWED_HOST": "a.test, b.test"})
    assert settings.allowed_host == ("a.test", "b.test")
    settings = settings_from(build_parser().parse_args(["serve", "--allowed-host", "c.test", "--allowed-host",
                                                        "d.test"]), {"VIDUEMU_ALLOWED_HOST": "a.test"})
    assert settings.allowed_host == ("c.test", "d.test")


def test_the_cli_flag_reaches_the_socket():
    from tests.support.process import ServeProcess

    with ServeProcess("--allowed-host", "emu.test", env={"VIDUEMU_ALLOWED_HOST": ""}) as proc:
        with httpx.Client(base_url=proc.url, timeout=5) as http:
            assert http.get("/_emulator/health", headers={"Host": "emu.test"}).status_code == 200
            assert http.get("/_emulator/health", headers={"Host": "evil.test"}).status_code == 403

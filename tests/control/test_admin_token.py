"""--admin-token T: the control plane under /_emulator/ needs ``Authorization: Bearer T``; bound to
an address other than loopback, ``viduemu serve`` will not start without it (or --insecure-admin)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from tests.conftest import AUTH, assert_error
from tests.support.process import ROOT
from tests.support.receiver import free_port
from viduemu.cli import build_parser, settings_from
from viduemu.config import Settings

# What docs/control-plane.md says stays open without the admin token: media URLs handed to vendor
# clients, and the call page's and the inspector's static files.
PUBLIC_PREFIXES = ("/_emulator/files/", "/_emulator/call/", "/_emulator/inspector/")
PUBLIC_PAGES = ("/_emulator/",)

ADMIN = {"Authorization": "Bearer s3cret"}


@pytest.fixture
def settings() -> Settings:
    return Settings(clock="manual", seed=1234, admin_token="s3cret")


async def test_control_plane_refuses_callers_without_the_admin_token(client):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}, AUTH):
        assert_error(await client.get("/_emulator/health", headers=headers), 401, "Unauthorized")
        assert_error(await client.post("/_emulator/clock/advance", json={"seconds": 5}, headers=headers),
                     401, "Unauthorized")
        assert_error(await client.put("/_emulator/accounts/vda_x", json={"credits": 1}, headers=headers),
                     401, "Unauthorized")
    # nothing moved
    assert (await client.get("/_emulator/accounts/vda_x", headers=ADMIN)).status_code == 404


async def test_control_plane_answers_with_the_admin_token(client):
    assert (await client.get("/_emulator/health", headers=ADMIN)).json()["status"] == "ok"
    r = await client.post("/_emulator/clock/advance", json={"seconds": 5}, headers=ADMIN)
    assert r.status_code == 200


async def test_vendor_api_and_media_files_do_not_need_the_admin_token(client):
    assert (await client.get("/ent/v2/credits", headers=AUTH)).status_code == 200
    # media URLs handed out in creations[] stay reachable by any client holding a signed URL (not 401);
    # without the URL's signature, 403 (issue 13 #3)
    assert_error(await client.get("/_emulator/files/tasks/nothing.mp4"), 403, "Forbidden")


async def test_without_admin_token_the_control_plane_is_open(client, emu):
    emu.core.settings.admin_token = None
    assert (await client.get("/_emulator/health")).status_code == 200


async def test_every_control_plane_route_needs_the_admin_token(app, client):
    """Each /_emulator route and method, with path parameters filled in, answers 401 without the token
    (the public ones: media files, the call page's and the inspector's static files, docs/control-plane.md)."""
    checked = 0
    for route in app.routes:
        if not route.path.startswith("/_emulator/") or route.path.startswith(PUBLIC_PREFIXES) \
                or route.path in PUBLIC_PAGES:
            continue
        path = re.sub(r"\{[^}]+\}", "x1", route.path)
        for method in sorted(route.methods - {"HEAD"}):
            r = await client.request(method, path, json={} if method in ("POST", "PUT") else None)
            assert_error(r, 401, "Unauthorized")
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "192.168.1.20", "example.com"])
def test_a_non_loopback_host_needs_the_admin_token_or_insecure_admin(host):
    with pytest.raises(SystemExit) as info:
        serve_settings(["--host", host])
    assert "--admin-token" in str(info.value) and "--insecure-admin" in str(info.value)
    assert serve_settings(["--host", host, "--admin-token", "T"]).admin_token == "T"
    assert serve_settings(["--host", host, "--insecure-admin"]).insecure_admin is True
    assert serve_settings(["--host", host], {"VIDUEMU_ADMIN_TOKEN": "T"}).admin_token == "T"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_a_loopback_host_needs_no_admin_token(host):
    assert serve_settings(["--host", host]).admin_token is None


def test_serve_on_a_non_loopback_host_without_admin_token_refuses_to_start():
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "viduemu", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode != 0
    assert "--admin-token" in proc.stderr and "serving" not in proc.stdout
    assert time.perf_counter() - started < 20


def serve_settings(argv: list[str], environ: dict | None = None) -> Settings:
    return settings_from(build_parser().parse_args(["serve", *argv]), environ or {})

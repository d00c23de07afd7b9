"""--admin-token T: the control plane under /_emulator/ needs ``Authorization: Bearer T``."""

from __future__ import annotations

import pytest

from tests.conftest import AUTH, assert_error
from viduemu.config import Settings

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
    # media URLs handed out in creations[] stay reachable by any client (unknown file: 404, not 401)
    assert_error(await client.get("/_emulator/files/tasks/nothing.mp4"), 404, "NotFound")


async def test_without_admin_token_the_control_plane_is_open(client, emu):
    emu.settings.admin_token = None
    assert (await client.get("/_emulator/health")).status_code == 200

"""What the full schemathesis run (scripts/schemathesis_full.sh) found, each pinned by a test.

Where the contract was too loose it was tightened to the vendor's documents; where the emulator
answered differently from the contract (a 500, a missing header, a value the schema allows refused
or one it forbids accepted) the emulator was fixed.
"""

from __future__ import annotations

import pytest

from tests.conftest import AUTH, assert_error
from viduemu.client.signature import verify


async def test_a_405_lists_every_method_of_the_path_in_allow(client):
    # RFC 9110: the Allow header of a 405 names the methods the resource has; the routes are one per
    # method, so the router's own header named only the first route's.
    r = await client.delete("/_emulator/clock")
    assert r.status_code == 405
    assert set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "PUT"}
    r = await client.patch("/ent/v2/subjects", headers=AUTH)
    assert r.status_code == 405 and {"GET", "POST"} <= set(r.headers["allow"].replace(" ", "").split(","))


async def test_a_non_ascii_rtc_token_is_refused_not_a_500(client):
    body = {"app_id": "a", "channel_id": "c", "user_id": "u", "sdp": "v=0", "type": "offer",
            "token": "ü.R\U0001f50cå"}
    assert_error(await client.post("/_emulator/rtc/sdp", json=body), 401, "Unauthorized")


def test_a_non_ascii_callback_signature_does_not_verify():
    assert verify("POST", "http://h/cb", {"X-HMAC-SIGNATURE": "ü=", "Date": "x"}, "secret") is False


async def test_a_fault_status_may_be_an_integral_number(client):
    # JSON Schema's integer (the contract) counts 503.0 as one
    r = await client.post("/_emulator/faults", json={"match": {"operation": "GET /ent/v2/credits"},
                                                     "action": {"status": 503.0}, "times": 1.0})
    assert r.status_code == 200, r.text
    assert r.json()["action"]["status"] == 503 and r.json()["times"] == 1
    r = await client.get("/ent/v2/credits", headers=AUTH)
    assert r.status_code == 503 and r.json()["code"] == 503


async def test_a_fault_reason_needs_a_status(client):
    r = await client.post("/_emulator/faults", json={"match": {"operation": "ws.conn_init"},
                                                     "action": {"reason": "BadRequest"}})
    assert_error(r, 400, "FieldLacking", "action.status")


@pytest.mark.parametrize("credits, status", [(5.0, 200), (2**63 - 1, 200), (2**63, 400), (2.5e32, 400), (-1, 400)])
async def test_account_credits_are_an_int64(client, credits, status):
    r = await client.put("/_emulator/accounts/vda_int64", json={"credits": credits})
    assert r.status_code == status, r.text
    if status == 200:
        assert r.json()["credits"] == int(credits) and isinstance(r.json()["credits"], int)


@pytest.mark.parametrize("speed", [None, 0, 1.6941304190433579e+308])
async def test_a_null_zero_or_overflowing_clock_speed_is_refused(client, speed):
    # 1.7e308 took the virtual time to infinity: every clock reading became null
    assert_error(await client.put("/_emulator/clock", json={"mode": "speed", "speed": speed}), 400,
                 "FieldInvalid", "speed")
    assert (await client.get("/_emulator/clock")).json()["mode"] == "manual"  # nothing changed


@pytest.mark.parametrize("value", ["", "2025-01-01", "2025-01-01T00:00:00", "2025-13-01T00:00:00Z"])
async def test_task_list_times_are_rfc3339(client, value):
    r = await client.get("/ent/v2/tasks", params={"created_at.to": value}, headers=AUTH)
    assert_error(r, 400, "FieldInvalid", "created_at.to")


async def test_task_list_takes_lowercase_and_offset_rfc3339_times(client):
    for value in ("2025-01-01t00:00:00z", "2025-01-01T08:00:00.5+08:00"):
        r = await client.get("/ent/v2/tasks", params={"created_at.to": value}, headers=AUTH)
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("path, params, field", [
    ("/ent/v2/subjects", [("count", "5"), ("count", "")], "count"),
    ("/ent/v2/subjects", [("count", "")], "count"),
    ("/ent/v2/subjects", [("ownership", "")], "ownership"),
    ("/ent/v2/credits", [("show_detail", "")], "show_detail"),
    ("/ent/v2/tasks", [("paper.pagesz", "")], "paper.pagesz"),
    ("/ent/v2/tasks", [("states", "")], "states"),
    ("/ent/v2/tasks", [("pager.page", "1"), ("pager.page", "2")], "pager.page"),
    ("/ent/v2/tasks", [("paper.page", "1"), ("pager.page", "true")], "pager.page"),  # an alias too
])
async def test_an_empty_or_repeated_scalar_query_parameter_is_refused(client, path, params, field):
    # a number, a boolean or an enum given empty is no value of its type, as the vendor's gateway parses it
    assert_error(await client.get(path, params=params, headers=AUTH), 400, "FieldInvalid", field)


async def test_an_empty_page_token_is_the_first_page(client):
    for path, name in (("/ent/v2/subjects", "next_page_token"), ("/ent/v2/tasks", "pager.page_token")):
        assert (await client.get(path, params={name: ""}, headers=AUTH)).status_code == 200


async def test_the_control_plane_hangup_takes_only_documented_reasons(client):
    assert_error(await client.post("/_emulator/lives/1/hangup", json={"hangup_reason": ""}), 400,
                 "FieldInvalid", "hangup_reason")

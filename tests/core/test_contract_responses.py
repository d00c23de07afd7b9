"""Contracts.validate_response catches answers the contract does not describe."""

import json

import pytest

from viduemu.core.contracts import Contracts, ContractViolation

JSON = {"content-type": "application/json"}
TRACE = "04e5c2fe159ff7c574acd0424e78c35f"


@pytest.fixture(scope="module")
def contracts():
    return Contracts()


def envelope(status, reason, **meta):
    return json.dumps({"code": status, "reason": reason, "message": "m",
                       "metadata": {"trace_id": TRACE, **meta}}).encode()


def creations(**changes):
    body = {"state": "success", "err_code": "", "credits": 4, "payload": "",
            "creations": [{"id": "1", "url": "http://x/v.mp4", "cover_url": "http://x/c.jpg"}], **changes}
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


def test_the_vendor_example_answers_pass(contracts):
    contracts.validate_response("GET", "/ent/v2/tasks/123/creations", 200,
                                {"Content-Type": "application/json; charset=utf-8"}, creations())
    contracts.validate_response("POST", "/ent/v2/tasks/1/cancel", 400, JSON, envelope(400, "BadRequest"))
    contracts.validate_response("POST", "/ent/v2/tasks/1/cancel", 200, JSON, b"{}")


@pytest.mark.parametrize("body, where", [
    (creations(creations=None), "'creations' is a required property"),
    (creations(state="done"), "body at state"),
    (creations(credits="4"), "body at credits"),
    (creations(creations=[{"id": "1", "url": "u"}]), "'cover_url' is a required property"),
])
def test_a_wrong_shape_is_a_violation(contracts, body, where):
    with pytest.raises(ContractViolation, match=where):
        contracts.validate_response("GET", "/ent/v2/tasks/123/creations", 200, JSON, body)


def test_an_error_must_be_the_vendor_envelope_with_code_equal_to_status(contracts):
    with pytest.raises(ContractViolation, match="trace_id"):
        contracts.validate_response("GET", "/ent/v2/credits", 401, JSON,
                                    json.dumps({"code": 401, "reason": "Unauthorized", "message": "m",
                                                "metadata": {}}).encode())
    with pytest.raises(ContractViolation, match="differs from the HTTP status"):
        contracts.validate_response("GET", "/ent/v2/credits", 429, JSON, envelope(400, "TooManyRequests"))
    with pytest.raises(ContractViolation, match="not JSON"):
        contracts.validate_response("GET", "/ent/v2/credits", 500, JSON, b"Internal Server Error")


def test_a_content_type_the_operation_does_not_declare_is_a_violation(contracts):
    with pytest.raises(ContractViolation, match="content type 'text/plain'"):
        contracts.validate_response("GET", "/ent/v2/credits", 200, {"content-type": "text/plain"}, b"ok")
    contracts.validate_response("GET", "/_emulator/files/tasks/1/video.mp4", 200,
                                {"content-type": "video/mp4"}, b"\x00\x00\x00\x18ftypmp42")
    with pytest.raises(ContractViolation, match="content type 'video/webm'"):
        contracts.validate_response("GET", "/_emulator/files/tasks/1/video.webm", 200,
                                    {"content-type": "video/webm"}, b"\x1aE\xdf\xa3")


def test_undescribed_paths_may_only_answer_not_found(contracts):
    contracts.validate_response("GET", "/ent/v2/nothing-here", 404, JSON, envelope(404, "NotFound"))
    with pytest.raises(ContractViolation, match="does not describe"):
        contracts.validate_response("GET", "/ent/v2/nothing-here", 200, JSON, b"{}")
    # a documented path with an undocumented method: 405 in the envelope only
    contracts.validate_response("DELETE", "/ent/v2/credits", 405, JSON, envelope(405, "MethodNotAllowed"))
    with pytest.raises(ContractViolation, match="does not describe"):
        contracts.validate_response("DELETE", "/ent/v2/credits", 200, JSON, b"{}")


def test_a_status_without_a_documented_response_is_a_violation(contracts, monkeypatch):
    op = contracts.document["paths"]["/ent/v2/credits"]["get"]
    monkeypatch.setitem(op, "responses", {"200": op["responses"]["200"]})
    with pytest.raises(ContractViolation, match="status 404 is not among"):
        contracts.validate_response("GET", "/ent/v2/credits", 404, JSON, envelope(404, "NotFound"))


def test_literal_paths_win_over_templates_and_file_names_span_segments(contracts):
    assert contracts.match_path("/ent/v2/tasks") == "/ent/v2/tasks"
    assert contracts.match_path("/ent/v2/tasks/42/cancel") == "/ent/v2/tasks/{task_id}/cancel"
    assert contracts.match_path("/_emulator/files/tasks/42/cover.jpg") == "/_emulator/files/{name}"
    assert contracts.match_path("/ent/v2/tasks/42/creations/extra") is None


def test_operations_enumerates_every_method_and_path(contracts):
    ops = {(method, path) for method, path, _ in contracts.operations()}
    assert {("GET", "/ent/v2/tasks"), ("POST", "/ent/v2/tasks/{task_id}/cancel"), ("GET", "/ent/v2/credits"),
            ("PUT", "/_emulator/clock"), ("DELETE", "/_emulator/faults/{fault_id}")} <= ops

"""contracts/asyncapi.yaml and its validator (viduemu.core.asyncapi): the live signaling messages.

"receive" = a frame a client sends to the server, "send" = a frame the server sends (the document
describes the server). The frames below are the vendor's own (websocket-protocol.md, the node
quickstart's server.js, the S1 page) unless a test says otherwise.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viduemu.core.asyncapi import AsyncApi, MessageViolation, default, validate

LIVE = "969824102288199680"
REASONS = ["user_end", "timeout", "audit_violation", "credit_insufficient", "sip_closed", "provider_closed",
           "sip_reconnect_timeout", "client_reconnect_timeout", "prepared_sip_disconnected", "owner_taken_over",
           "owner_lease_lost", "ai_output_closed", "external"]


def ack(**fields) -> dict:
    return {"type": 2, "live_id": LIVE, "seq_id": 1, "payload": {"conn_init_ack": fields}}


def violation(direction: str, message) -> MessageViolation:
    with pytest.raises(MessageViolation) as caught:
        validate(direction, message)
    return caught.value


# -- the document ---------------------------------------------------------------------------------

def test_document_is_asyncapi_3_with_the_live_channel():
    doc = default().document
    assert doc["asyncapi"] == "3.0.0"
    assert doc["channels"]["live"]["address"] == "/live/ws/live/connect"
    query = doc["channels"]["live"]["bindings"]["ws"]["query"]
    assert query["required"] == ["live_id"] and "authorization" in query["properties"]
    schemes = doc["components"]["securitySchemes"]
    assert (schemes["tokenHeader"]["in"], schemes["tokenHeader"]["name"]) == ("header", "Authorization")
    assert (schemes["tokenQuery"]["in"], schemes["tokenQuery"]["name"]) == ("query", "authorization")


def test_every_operation_points_at_messages_of_its_channel():
    doc = default().document
    channel_messages = {f"#/channels/live/messages/{name}" for name in doc["channels"]["live"]["messages"]}
    for name, op in doc["operations"].items():
        assert op["action"] in ("send", "receive"), name
        assert op["channel"] == {"$ref": "#/channels/live"}, name
        assert {m["$ref"] for m in op["messages"]} <= channel_messages, name


def test_message_types_by_direction():
    assert default().types("receive") == {1: "conn_init", 5: "hangup", 7: "audio_interrupted", 99: "text_msg"}
    assert default().types("send") == {0: "error", 2: "conn_init_ack", 6: "force_hangup",
                                       9: "user_transcript", 10: "character_transcript"}


def test_every_example_in_the_document_is_valid_in_its_direction():
    api = default()
    directions = {}
    for op in api.document["operations"].values():
        for ref in op["messages"]:
            directions[ref["$ref"].rsplit("/", 1)[1]] = op["action"]
    checked = 0
    for key, message in api.document["components"]["messages"].items():
        for example in message["examples"]:
            assert validate(directions[key], example["payload"]) == message["name"], example["name"]
            checked += 1
    assert checked >= 10


def test_the_contract_can_be_loaded_from_another_path(tmp_path):
    copy = tmp_path / "asyncapi.yaml"
    copy.write_text(default().path.read_text(encoding="utf-8"), encoding="utf-8")
    assert AsyncApi(copy).validate("receive", {"type": 7, "seq_id": 3, "payload": {}}) == "audio_interrupted"


# -- client -> server -----------------------------------------------------------------------------

def test_quickstart_conn_init_and_hangup_frames_are_valid():
    # exactly what examples/node-quickstart/server.js sends (sendConnInit, sendHangup)
    assert validate("receive", {"type": 1, "live_id": LIVE, "seq_id": 1,
                                "payload": {"conn_init": {"version": 1}}}) == "conn_init"
    assert validate("receive", {"type": 5, "live_id": LIVE, "seq_id": 2,
                                "payload": {"hangup": {"hangup_reason": "user_end"}}}) == "hangup"


def test_conn_init_without_live_id_is_valid_as_on_the_s1_page():
    assert validate("receive", {"type": 1, "seq_id": 1, "payload": {"conn_init": {"version": 1}}}) == "conn_init"


def test_conn_id_is_allowed_on_every_frame():
    assert validate("receive", {"type": 1, "live_id": LIVE, "seq_id": 1, "conn_id": "app-conn-1",
                                "payload": {"conn_init": {"version": 1}}}) == "conn_init"
    assert validate("send", {**ack(success=True), "conn_id": "app-conn-1"}) == "conn_init_ack"


def test_conn_init_version_must_be_1():
    v = violation("receive", {"type": 1, "seq_id": 1, "payload": {"conn_init": {"version": 2}}})
    assert (v.code, v.name, v.type, v.path) == ("INVALID_MESSAGE", "conn_init", 1, "payload.conn_init.version")
    assert "conn_init (type 1)" in str(v) and "payload.conn_init.version" in str(v)


@pytest.mark.parametrize("frame, path", [
    ({"type": 1, "payload": {"conn_init": {"version": 1}}}, "seq_id"),
    ({"type": 1, "seq_id": 1}, "payload"),
    ({"type": 1, "seq_id": 1, "payload": {}}, "payload.conn_init"),
    ({"type": 1, "seq_id": 1, "payload": {"conn_init": {}}}, "payload.conn_init.version"),
    ({"type": 1, "seq_id": "1", "payload": {"conn_init": {"version": 1}}}, "seq_id"),
    ({"type": 1, "seq_id": 1, "live_id": 123, "payload": {"conn_init": {"version": 1}}}, "live_id"),
    ({"type": 1, "seq_id": 1, "live_id": "", "payload": {"conn_init": {"version": 1}}}, "live_id"),
    ({"type": 1, "seq_id": 1, "payload": {"conn_init": {"version": 1, "x": 1}}}, "payload.conn_init.x"),
    ({"type": 1, "seq_id": 1, "extra": True, "payload": {"conn_init": {"version": 1}}}, "extra"),
])
def test_conn_init_wrong_shapes_name_the_field(frame, path):
    v = violation("receive", frame)
    assert (v.code, v.path) == ("INVALID_MESSAGE", path)


def test_client_hangup_takes_a_documented_reason():
    for reason in REASONS:
        assert validate("receive", {"type": 5, "seq_id": 2, "payload": {"hangup": {"hangup_reason": reason}}})
    v = violation("receive", {"type": 5, "seq_id": 2, "payload": {"hangup": {"hangup_reason": "bored"}}})
    assert v.path == "payload.hangup.hangup_reason"
    v = violation("receive", {"type": 5, "seq_id": 2, "payload": {"hangup": {}}})
    assert v.path == "payload.hangup.hangup_reason"


def test_audio_interrupted_payload_is_empty():
    assert validate("receive", {"type": 7, "live_id": LIVE, "seq_id": 3, "payload": {}}) == "audio_interrupted"
    assert violation("receive", {"type": 7, "seq_id": 3, "payload": {"now": True}}).path == "payload.now"


def test_text_msg_needs_msg_id_content_and_millisecond_timestamp():
    frame = {"type": 99, "live_id": LIVE, "seq_id": 4,
             "payload": {"text_msg": {"msg_id": "client-msg-1", "content": "Hello", "timestamp": 1710000000000}}}
    assert validate("receive", frame) == "text_msg"
    for field in ("msg_id", "content", "timestamp"):
        broken = json.loads(json.dumps(frame))
        del broken["payload"]["text_msg"][field]
        assert violation("receive", broken).path == f"payload.text_msg.{field}"
    broken = json.loads(json.dumps(frame))
    broken["payload"]["text_msg"]["timestamp"] = "1710000000000"
    assert violation("receive", broken).path == "payload.text_msg.timestamp"


def test_server_messages_are_not_client_messages():
    v = violation("receive", ack(success=True))
    assert (v.code, v.type, v.path) == ("UNKNOWN_TYPE", 2, "type")
    assert "1 conn_init" in str(v)  # names what a client may send
    v = violation("send", {"type": 1, "seq_id": 1, "payload": {"conn_init": {"version": 1}}})
    assert (v.code, v.type) == ("UNKNOWN_TYPE", 1)


@pytest.mark.parametrize("type_", [None, "1", True, 1.5, 3, 4, 8, 100, -1, 2**70])
def test_missing_or_unknown_types(type_):
    frame = {"seq_id": 1, "payload": {}} if type_ is None else {"type": type_, "seq_id": 1, "payload": {}}
    v = violation("receive", frame)
    assert (v.code, v.path) == ("UNKNOWN_TYPE", "type")


@pytest.mark.parametrize("frame", [[], "conn_init", 1, None, [{"type": 1}]])
def test_a_frame_that_is_not_an_object(frame):
    assert violation("receive", frame).code == "INVALID_JSON"


def test_direction_must_be_send_or_receive():
    with pytest.raises(ValueError, match="send.*receive"):
        validate("client", {"type": 1})


# -- server -> client -----------------------------------------------------------------------------

def test_conn_init_ack_forms_from_the_vendor_docs():
    assert validate("send", {"type": 2, "payload": {"conn_init_ack": {"success": True}}}) == "conn_init_ack"
    for code in ("NOT_READY", "LIVE_CONN_INIT_FAILED"):
        assert validate("send", {"type": 2, "payload": {"conn_init_ack": {"success": False, "error_code": code}}})
        assert validate("send", ack(success=False, error_code=code, error_msg="live sip endpoint not ready",
                                    server_timestamp=1710000000))


def test_conn_init_ack_flat_form_is_not_the_vendors():
    # the quickstart reads payload.conn_init_ack.success: a flat payload would look like a failure to it
    v = violation("send", {"type": 2, "payload": {"success": False, "error_code": "NOT_READY"}})
    assert (v.name, v.path) == ("conn_init_ack", "payload.conn_init_ack")


def test_conn_init_ack_failure_needs_a_documented_error_code():
    assert violation("send", ack(success=False)).path == "payload.conn_init_ack.error_code"
    assert violation("send", ack(success=False, error_code="BUSY")).path == "payload.conn_init_ack.error_code"


def test_conn_init_ack_success_carries_no_error():
    v = violation("send", ack(success=True, error_code="NOT_READY"))
    assert v.path == "payload.conn_init_ack.error_code" and "success is true" in str(v)
    assert violation("send", ack(success=True, error_msg="x")).path == "payload.conn_init_ack.error_msg"


@pytest.mark.parametrize("success", ["true", 1, None])
def test_conn_init_ack_success_is_a_boolean(success):
    assert violation("send", ack(success=success)).path == "payload.conn_init_ack.success"


def test_forced_hangup_with_every_documented_reason():
    for reason in REASONS:
        assert validate("send", {"type": 6, "payload": {"hangup": {"hangup_reason": reason}}}) == "force_hangup"
    assert violation("send", {"type": 6, "payload": {"hangup": {"hangup_reason": "bye"}}}).path == \
        "payload.hangup.hangup_reason"
    assert violation("send", {"type": 6, "payload": {"hangup_reason": "timeout"}}).path == "payload.hangup"


def test_transcripts_need_content():
    assert validate("send", {"type": 9, "payload": {"user_transcript": {"content": "Hi"}}}) == "user_transcript"
    assert validate("send", {"type": 10, "payload": {"character_transcript": {"content": "Hello!", "final": True}}})
    assert violation("send", {"type": 9, "payload": {"user_transcript": {}}}).path == "payload.user_transcript.content"
    assert violation("send", {"type": 10, "payload": {"user_transcript": {"content": "x"}}}).path == \
        "payload.character_transcript"


def test_error_frame_codes_are_the_validators_codes():
    codes = default().document["components"]["schemas"]["ErrorFrame"]["properties"]["payload"]["properties"][
        "error"]["properties"]["code"]["enum"]
    assert {"INVALID_JSON", "UNKNOWN_TYPE", "INVALID_MESSAGE"} <= set(codes)
    for code in codes:
        assert validate("send", {"type": 0, "live_id": LIVE, "seq_id": 0,
                                 "payload": {"error": {"code": code, "message": "named field"}}}) == "error"
    assert violation("send", {"type": 0, "payload": {"error": {"code": "OOPS", "message": "x"}}}).path == \
        "payload.error.code"
    assert violation("send", {"type": 0, "payload": {"error": {"code": "INVALID_JSON"}}}).path == \
        "payload.error.message"


def test_server_frames_need_type_and_payload_only():
    assert validate("send", {"type": 6, "payload": {"hangup": {"hangup_reason": "timeout"}}})
    assert violation("send", {"type": 6}).path == "payload"
    assert violation("send", {"type": 6, "seq_id": "3", "payload": {"hangup": {"hangup_reason": "timeout"}}}).path \
        == "seq_id"


# -- robustness -----------------------------------------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12)
FRAME = st.fixed_dictionaries({"type": st.sampled_from([0, 1, 2, 5, 6, 7, 9, 10, 99]) | st.integers()},
                              optional={"seq_id": JSON, "live_id": JSON, "payload": JSON, "conn_id": JSON})


@settings(max_examples=300, deadline=None, database=None)
@given(direction=st.sampled_from(["send", "receive"]), frame=FRAME | JSON)
def test_any_json_value_is_judged_without_other_errors(direction, frame):
    try:
        name = validate(direction, frame)
    except MessageViolation as v:
        assert v.code in ("INVALID_JSON", "UNKNOWN_TYPE", "INVALID_MESSAGE") and str(v)
    else:
        assert name in default().types(direction).values()


# -- served by the control plane ------------------------------------------------------------------

async def test_asyncapi_is_served_as_json(client):
    r = await client.get("/_emulator/asyncapi.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.json() == json.loads(json.dumps(default().document))


def test_document_matches_the_official_asyncapi_3_schema():
    """Against the AsyncAPI 3.0.0 JSON Schema of @asyncapi/specs (``npm pack @asyncapi/specs``, then
    ASYNCAPI_SPEC=package/schemas/3.0.0-without-$id.json); skipped without it (not kept here)."""
    import os
    from pathlib import Path

    from jsonschema import Draft7Validator

    spec = os.environ.get("ASYNCAPI_SPEC")
    if not spec or not Path(spec).is_file():
        pytest.skip("set ASYNCAPI_SPEC to the AsyncAPI 3.0.0 JSON Schema to check the document's structure")
    validator = Draft7Validator(json.loads(Path(spec).read_text(encoding="utf-8")))
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(default().document)]
    assert not errors, errors

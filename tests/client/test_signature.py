"""The vendor's callback signature algorithm, checked against the wire notes' test vector (§1.10)."""

from viduemu.client.signature import sign, signing_string, verify

URL = "http://127.0.0.1:8080/vidu/callback?name=james&age=36"
HEADERS = {"Date": "Tue, 06 May 2025 12:09:42 GMT", "x-request-nonce": "123e4567-e89b-12d3-a456-426614174000",
           "X-HMAC-SIGNED-HEADERS": "Date;x-request-nonce"}
EXPECTED_STRING = ("POST\n/vidu/callback\nname=james&age=36\nvidu\nTue, 06 May 2025 12:09:42 GMT\n"
                   "Date:Tue, 06 May 2025 12:09:42 GMT\nx-request-nonce:123e4567-e89b-12d3-a456-426614174000\n")
EXPECTED_SIGNATURE = "9JZa1ZLjkWVos5QQzjjviqAsFE1L9yQw/LsnAXZFIjo="


def test_signing_string_is_the_documented_example():
    assert signing_string("POST", URL, HEADERS) == EXPECTED_STRING


def test_signature_matches_the_wire_notes_test_vector():
    assert sign("POST", URL, HEADERS, "test-secret-key") == EXPECTED_SIGNATURE


def test_verify_accepts_the_vector_and_rejects_tampering():
    signed = {**HEADERS, "X-HMAC-SIGNATURE": EXPECTED_SIGNATURE}
    assert verify("POST", URL, signed, "test-secret-key")
    # header names are case-insensitive on the wire
    assert verify("POST", URL, {k.upper(): v for k, v in signed.items()}, "test-secret-key")
    assert not verify("POST", URL, signed, "another-key")
    assert not verify("POST", URL.replace("age=36", "age=37"), signed, "test-secret-key")
    assert not verify("POST", URL, {**signed, "x-request-nonce": "other"}, "test-secret-key")
    assert not verify("POST", URL, HEADERS, "test-secret-key")  # no signature at all


def test_empty_path_signs_as_slash_and_missing_query_as_empty():
    s = signing_string("post", "http://h:1", {"Date": "D", "X-HMAC-SIGNED-HEADERS": "Date"})
    assert s == "POST\n/\n\nvidu\nD\nDate:D\n"

"""Limits a client meets on the wire of a real server (uvicorn with `viduemu serve`'s own config):
body size while streaming, header size, and how long a request may take to arrive."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace

import pytest

from tests.conftest import AUTH, KEY
from tests.support.server import running
from viduemu.config import Settings

TIMEOUT = 1.0  # --request-timeout of these servers: slow-client tests stay quick
TIMER_STEP = 0.001  # the server's loop (uvloop) keeps timers in whole milliseconds: one may fire that much early


@pytest.fixture
def settings() -> Settings:
    return Settings(clock="manual", seed=7, log_level="warning", request_timeout=TIMEOUT)


@pytest.fixture
async def srv(settings, contracts):
    async with running(settings, contracts) as s:
        yield s


async def read_response(reader) -> tuple[int, dict, bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    headers = {k.lower(): v for k, v in headers.items()}
    body = await asyncio.wait_for(reader.readexactly(int(headers.get("content-length", 0))), 5)
    return int(lines[0].split()[1]), headers, body


def envelope(status: int, body: bytes) -> dict:
    answer = json.loads(body)
    assert answer["code"] == status and answer["reason"] == "BadRequest", answer
    assert answer["message"] and len(answer["metadata"]["trace_id"]) == 32
    return answer


async def prompt_answers(srv, n: int = 10) -> float:
    """The slowest of ``n`` health calls while something else goes on (seconds)."""
    slowest = 0.0
    for _ in range(n):
        started = time.perf_counter()
        assert (await srv.http.get("/_emulator/health")).status_code == 200
        slowest = max(slowest, time.perf_counter() - started)
        await asyncio.sleep(0.02)
    return slowest


# -- headers ------------------------------------------------------------------------------------
async def test_request_headers_over_64_kib_are_refused_431_in_the_vendor_envelope(srv):
    for headers in ([f"X-Big: {'a' * 70_000}"], [f"X-H{i}: {'b' * 30}" for i in range(3000)]):
        reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
        writer.write(("GET /ent/v2/credits HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "\r\n".join(headers) + "\r\n\r\n").encode())
        status, head, body = await read_response(reader)
        assert status == 431 and head["connection"] == "close"
        assert "65536 bytes" in envelope(431, body)["message"]
        assert await asyncio.wait_for(reader.read(), 5) == b""  # and the connection is closed
        writer.close()
    # headers just under the limit pass
    r = await srv.http.get("/ent/v2/credits", headers={**AUTH, "X-Pad": "p" * 60_000})
    assert r.status_code == 200


async def test_endless_headers_are_cut_off_without_being_buffered(srv):
    """A client streaming 50 MB of one header is answered once the limit passes, not at the end."""
    reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
    writer.write(b"GET /ent/v2/credits HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endless: ")
    sent = 0
    with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
        while sent < 50 * 1024 * 1024:
            writer.write(b"z" * 65536)
            await writer.drain()
            sent += 65536
        raise AssertionError("the server read 50 MB of headers")
    assert sent < 8 * 1024 * 1024
    writer.close()
    assert await prompt_answers(srv, 3) < 1


# -- slow clients -------------------------------------------------------------------------------
async def test_a_client_dripping_headers_cannot_hold_the_server_and_is_cut_off_after_request_timeout(srv):
    started = time.perf_counter()  # before connecting: the server (its own thread) counts from the accept
    reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)

    async def drip():
        for byte in b"GET /ent/v2/credits HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token vda_slow_slow_slow\r\n":
            if writer.is_closing() or reader.at_eof():
                return
            writer.write(bytes([byte]))
            await asyncio.sleep(0.05)

    dripping = asyncio.ensure_future(drip())
    assert await prompt_answers(srv) < 0.5  # others are answered promptly meanwhile
    status, _, body = await read_response(reader)
    assert status == 408 and "1 s" in envelope(408, body)["message"]
    assert TIMEOUT - TIMER_STEP <= time.perf_counter() - started < TIMEOUT + 1.5
    dripping.cancel()
    writer.close()


async def test_a_client_dripping_its_body_is_cut_off_after_request_timeout_and_nothing_is_created(srv):
    body = json.dumps({"model": "viduq1", "prompt": "a cat"}).encode()
    started = time.perf_counter()  # before connecting: the server (its own thread) counts from the accept
    reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
    writer.write(b"POST /ent/v2/text2video HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token " + KEY.encode() +
                 b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))

    async def drip():
        for byte in body[:-1]:  # never the last byte
            if writer.is_closing() or reader.at_eof():
                return
            writer.write(bytes([byte]))
            await asyncio.sleep(0.05)

    dripping = asyncio.ensure_future(drip())
    assert await prompt_answers(srv) < 0.5
    status, _, answer = await read_response(reader)
    assert status == 408 and envelope(408, answer)
    assert TIMEOUT - TIMER_STEP <= time.perf_counter() - started < TIMEOUT + 1.5
    assert await asyncio.wait_for(reader.read(), 5) == b""
    dripping.cancel()
    writer.close()
    assert srv.emu.core.store.count("tasks") == 0
    account = (await srv.http.get(f"/_emulator/accounts/{KEY}")).json()
    assert account["credits"] == 1000


async def test_an_idle_connection_is_closed_after_request_timeout(srv):
    reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
    status, _, _ = await read_response(reader)
    assert status == 408
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()


async def test_a_slow_request_within_request_timeout_is_answered(srv):
    reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
    for part in (b"GET /ent/v2/credits HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"Authorization: Token vda_a\r\n", b"\r\n"):
        writer.write(part)
        await asyncio.sleep(0.2)
    status, _, _ = await read_response(reader)
    assert status == 200
    # the deadline applies to each request of a kept-alive connection anew
    await asyncio.sleep(TIMEOUT * 0.6)
    writer.write(b"GET /ent/v2/credits HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token vda_a\r\n\r\n")
    status, _, _ = await read_response(reader)
    assert status == 200
    writer.close()


async def test_websocket_connections_are_not_subject_to_request_timeout(srv):
    live = await srv.create("audio")
    async with srv.connect(live["live"]["id"]) as ws:
        await asyncio.sleep(TIMEOUT + 0.5)
        await ws.send(json.dumps({"type": 1, "seq_id": 1, "payload": {"conn_init": {"version": 1}}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == 2


# -- the body, while streaming ------------------------------------------------------------------
async def test_ent_body_over_20_mb_is_refused_413_while_streaming_and_creates_nothing(settings, contracts):
    async with running(replace(settings, request_timeout=60), contracts) as srv:
        async def chunks():  # no Content-Length: only the stream can tell
            yield b'{"model": "viduq1", "prompt": "' + b"p" * (1 << 20)
            for _ in range(25):
                yield b"p" * (1 << 20)
            yield b'"}'

        r = await srv.http.post("/ent/v2/text2video", content=chunks(), headers=AUTH)
        assert r.status_code == 413
        assert envelope(413, r.content)["message"] == "request body too large: the limit is 20 MB"
        declared = await srv.http.post("/ent/v2/text2video", headers={**AUTH, "Content-Length": str(21 << 20)},
                                       content=b"{}" + b" " * ((21 << 20) - 2))
        assert declared.status_code == 413
        assert srv.emu.core.store.count("tasks") == 0
        assert (await srv.http.get(f"/_emulator/accounts/{KEY}")).json()["credits"] == 1000

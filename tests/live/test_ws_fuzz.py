"""The signaling WebSocket under 10,000 random frames (hypothesis), over real connections.

One fuzzed session takes the frames in batches on a few open connections (each new connection
starts as a real client would, with conn_init); another session, on another key, is on_live on its
own connection the whole time. Every frame is answered as the contract says (an ack for a valid
conn_init, nothing for a valid audio_interrupted / text_msg (nobody joined the RTC channel: no character
answers), an error message (type 0) for anything
else, close 1009 for a frame over 64 KiB), every server message matches contracts/asyncapi.yaml, no
handler logs an error, and the other session carries on untouched: on_live, answering conn_init,
its pings and 6 s deductions on time.

Hypothesis generates in a worker thread while the server runs on the test's event loop; each batch
is sent there with ``run_coroutine_threadsafe``. Shrinking is off (the server's state moves on
between examples, so a shrunk batch would not replay the same way); a failure names its batch.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from dataclasses import dataclass, field

import pytest
import websockets
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import ClientConnection
from websockets.frames import Opcode

from tests.conftest import KEY
from tests.support.signaling import RawClient, conn_init, recv, send, until
from viduemu.core import asyncapi

FUZZ_KEY, OTHER_KEY = "vda_fuzz", "vda_bystander"
MAX_FRAME = 64 * 1024
BATCH, BATCHES = 50, 200                # 10,000 random frames
CONNECTIONS = 3                         # fuzzed connections of the one session, used in turn
SENTINEL_TYPE, SENTINEL_SEQ = 4242, 10**9  # an unknown type: its error echoes the seq_id and ends a batch
SECONDS_PER_BATCH = 1                   # the clock moves on while the fuzz runs: pings, billing ticks

ENVELOPE = ["type", "live_id", "seq_id", "payload", "conn_id"]
PAYLOAD_KEYS = ["conn_init", "version", "hangup", "hangup_reason", "text_msg", "msg_id", "content", "timestamp",
                "audio_interrupted", "conn_init_ack", "success", "error", "code", "message"]
TYPES = [0, 1, 2, 5, 6, 7, 9, 10, 99, 3, 4, 8, 100, -1, 2**31, 2**63, 2**64 + 1, -(2**70)]

# -- strategies ---------------------------------------------------------------------------------
unicode_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)  # surrogates too
huge_ints = st.one_of(st.integers(min_value=2**63), st.integers(max_value=-(2**63)),
                      st.sampled_from([10**300, -(10**1000), 2**4096]))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), huge_ints, st.floats(), unicode_text,
                    st.sampled_from(PAYLOAD_KEYS + ENVELOPE))
keys = st.one_of(st.sampled_from(ENVELOPE + PAYLOAD_KEYS), unicode_text)
json_values = st.recursive(scalars, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(keys, kids, max_size=3),
                           max_leaves=8)


@st.composite
def envelopes(draw):
    """Objects built from the envelope's field names, each present or not, with random values."""
    frame = {}
    for name in ENVELOPE:
        if draw(st.booleans()):
            frame[name] = draw(st.sampled_from(TYPES) if name == "type" and draw(st.booleans()) else json_values)
    if "payload" in frame and draw(st.booleans()):
        frame["payload"] = draw(st.dictionaries(st.sampled_from(PAYLOAD_KEYS), json_values, max_size=3))
    return frame


def _valid(live_id: str) -> st.SearchStrategy:
    return st.sampled_from([
        {"type": 1, "live_id": live_id, "seq_id": 1, "payload": {"conn_init": {"version": 1}}},
        {"type": 7, "live_id": live_id, "seq_id": 2, "payload": {}},
        {"type": 99, "seq_id": 3, "payload": {"text_msg": {"msg_id": "m1", "content": "héllo 👋", "timestamp": 1}}},
    ])


@st.composite
def wrong_payloads(draw, live_id: str):
    """A valid message with one thing wrong: a field missing, added, or of another value or type."""
    message = json.loads(json.dumps(draw(_valid(live_id) | st.just(
        {"type": 5, "live_id": live_id, "seq_id": 4, "payload": {"hangup": {"hangup_reason": "user_end"}}}))))
    node, path = message, []
    while isinstance(node, dict) and node and draw(st.booleans()):
        name = draw(st.sampled_from(sorted(node)))
        if not isinstance(node[name], dict):
            break
        node, path = node[name], path + [name]
    how = draw(st.sampled_from(["drop", "add", "change"]))
    if how == "drop" and node:
        del node[draw(st.sampled_from(sorted(node)))]
    elif how == "add" or not node:
        node[draw(keys)] = draw(json_values)
    else:
        node[draw(st.sampled_from(sorted(node)))] = draw(json_values)
    return message


def _deep(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


@st.composite
def frames(draw, live_id: str, other_id: str):
    """One frame to send: ``str`` (text frame) or ``bytes`` (binary frame)."""
    kind = draw(st.sampled_from(["text"] * 3 + ["json"] * 3 + ["envelope"] * 6 + ["wrong"] * 6 + ["valid"] * 2
                                + ["binary"] * 2 + ["huge_int", "deep", "boundary"]
                                + ["oversize"] * (1 if draw(st.integers(0, 15)) == 0 else 0)))
    if kind in ("json", "envelope", "wrong", "valid"):
        return _json_frame(draw, kind, live_id, other_id)
    return _raw_frame(draw, kind, live_id)


def _raw_frame(draw, kind: str, live_id: str):
    """A frame of one of the kinds that are not a drawn JSON value: text, binary, huge_int, deep, boundary,
    oversize."""
    if kind == "text":
        return draw(st.text(st.characters(codec="utf-8"), max_size=40))
    if kind == "binary":
        return draw(st.binary(max_size=64) | st.builds(lambda m: json.dumps(m).encode(), _valid(live_id)))
    if kind == "huge_int":   # more digits than Python parses (4300), or just past 64 bits
        digits = draw(st.sampled_from([20, 400, 4301, 20_000]))
        return draw(st.sampled_from(['{"type": 1, "seq_id": %s, "payload": {"conn_init": {"version": 1}}}',
                                     '{"type": %s, "seq_id": 1, "payload": {}}', "%s"])) % ("9" * digits)
    if kind == "deep":       # shallow enough to parse, or far past the recursion limit
        depth = draw(st.sampled_from([50, 300, 900, 990, 5_000, 30_000]))
        return draw(st.sampled_from([_deep(depth), '{"type": 99, "payload": ' + _deep(depth) + "}",
                                     '{"a":' * depth + "1" + "}" * depth]))
    if kind == "boundary":   # exactly at the 64 KiB cap: taken, and answered
        return '"' + "x" * (MAX_FRAME - 2) + '"'
    assert kind == "oversize", kind
    size = MAX_FRAME + draw(st.sampled_from([1, 1000, 200_000]))
    return draw(st.sampled_from(["x" * size, b"\0" * size, '{"type": 1, "junk": "' + "é" * (size // 2) + '"}']))


def _json_frame(draw, kind: str, live_id: str, other_id: str) -> str:
    """The text of a drawn JSON value: any value, an envelope, a wrong payload or a valid message."""
    if kind == "json":
        value = draw(json_values)
    elif kind == "envelope":
        value = draw(envelopes())
        if "live_id" in value and draw(st.booleans()):
            value["live_id"] = draw(st.sampled_from([live_id, other_id]))  # even the other session's id
    elif kind == "wrong":
        value = draw(wrong_payloads(live_id))
    else:
        value = draw(_valid(live_id))
    if _is_hangup(value):    # a valid hangup would end the fuzzed session: tried once, at the end
        value["seq_id"] = "not a number"
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate goes on the wire as a \\ud800 escape
        text = json.dumps(value)
    return text


def _is_hangup(value) -> bool:
    try:
        return asyncapi.validate("receive", value) == "hangup"
    except (asyncapi.MessageViolation, RecursionError):
        return False


# -- what the server must answer ---------------------------------------------------------------
def expected(frame) -> tuple[str, object]:
    """("close", 1009) | ("ack", seq_id) | ("none", None) | ("error", seq_id or None)."""
    data = frame.encode() if isinstance(frame, str) else frame
    if len(data) > MAX_FRAME:
        return "close", 1009
    if isinstance(frame, bytes):
        return "error", None
    try:
        message = json.loads(frame)
    except (ValueError, RecursionError):
        return "error", None
    seq_id = message.get("seq_id") if isinstance(message, dict) and type(message.get("seq_id")) is int else None
    try:
        name = asyncapi.validate("receive", message)
    except (asyncapi.MessageViolation, RecursionError):
        return "error", seq_id
    return ("ack", seq_id) if name == "conn_init" else ("none", None)


class PingCounter(ClientConnection):
    """A `websockets` client connection that counts the pings it receives (and answers them, as usual)."""

    pings = 0

    def process_event(self, event) -> None:
        if getattr(event, "opcode", None) is Opcode.PING:  # (the handshake response comes here too)
            self.pings += 1
        super().process_event(event)


@dataclass
class Fuzz:
    server: object
    live_id: str
    other_id: str
    conns: list = field(default_factory=lambda: [None] * CONNECTIONS)
    attached: int | None = None        # which connection holds the session (its last successful conn_init)
    replaced: set = field(default_factory=set)
    batches: int = 0
    frames: int = 0
    replies: int = 0
    closes: dict = field(default_factory=dict)

    def connect(self, slot: int):
        compression = "deflate" if slot % 2 else None
        return self.server.connect(self.live_id, headers={"Authorization": f"Token {FUZZ_KEY}"},
                                   max_size=None, ping_interval=None, compression=compression)

    async def open(self, slot: int):
        ws = await self.connect(slot)
        ack = await conn_init(ws, self.live_id)  # a real client's first frame
        assert ack["payload"] == {"conn_init_ack": {"success": True}}, ack
        self._succeeded(slot)
        self.conns[slot] = ws
        return ws

    def _succeeded(self, slot: int) -> None:
        if self.attached is not None and self.attached != slot:
            self.replaced.add(self.attached)  # the server closes it with 4001
        self.attached = slot
        self.replaced.discard(slot)

    async def batch(self, batch: list) -> None:
        slot = self.batches % CONNECTIONS
        self.batches += 1
        context = f"batch {self.batches} on connection {slot}: {batch!r:.3000}"
        if slot in self.replaced:   # another connection's conn_init took the session: this one is closed
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                await recv(self.conns[slot], timeout=5)
            self._closed(slot, self.conns[slot].close_code, {4001}, context)
        while batch:               # an oversize frame closes the connection: the rest goes on a new one
            ws = self.conns[slot] or await self.open(slot)
            cut = next((i for i, f in enumerate(batch) if expected(f)[0] == "close"), len(batch))
            await self._exchange(ws, batch[:cut], context)
            if cut < len(batch):    # everything before it answered: now the oversize frame
                await ws.send(batch[cut])
                self.frames += 1
                with pytest.raises(websockets.exceptions.ConnectionClosed):
                    await recv(ws, timeout=5)
                self._closed(slot, ws.close_code, {1009}, context)
            batch = batch[cut + 1:]
        await self.server.advance(SECONDS_PER_BATCH)

    async def _exchange(self, ws, batch: list, context: str) -> None:
        """Send the frames and a sentinel; check every answer up to the sentinel's."""
        sentinel = SENTINEL_SEQ + self.batches
        for frame in batch:
            await ws.send(frame)
            self.frames += 1
        await ws.send(json.dumps({"type": SENTINEL_TYPE, "seq_id": sentinel, "payload": {}}))
        received = []
        while True:
            message = await recv(ws, timeout=10)   # validated against asyncapi "send"
            if message["type"] == 0 and message.get("seq_id") == sentinel:
                break
            received.append(message)
        self.replies += len(received)
        answers = [w for w in map(expected, batch) if w[0] in ("ack", "error")]
        assert len(received) == len(answers), f"{len(received)} replies for {len(answers)} frames; {context}"
        for (what, seq_id), message in zip(answers, received, strict=True):
            if what == "ack":
                assert message["type"] == 2 and message["payload"]["conn_init_ack"]["success"] is True, context
                self._succeeded(self.conns.index(ws))
            else:
                assert message["type"] == 0 and message["payload"]["error"]["message"], context
            assert message["live_id"] == self.live_id, context
            if seq_id is not None:
                assert message["seq_id"] == seq_id, context

    def _closed(self, slot: int, code, allowed: set, context: str) -> None:
        self.closes[code] = self.closes.get(code, 0) + 1
        assert code in allowed, f"closed with {code} (expected {allowed}); {context}"
        self.conns[slot] = None
        if self.attached == slot:
            self.attached = None
        self.replaced.discard(slot)


class ErrorLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def whole_journal(monkeypatch):
    """10,000 fuzzed frames overflow the journal's in-memory window; this test reads the other
    session's messages of the whole run back from it."""
    monkeypatch.setattr("viduemu.core.store.JOURNAL_WINDOW", 100_000)


@pytest.mark.slow   # ~20 s: 10,000 frames, and hypothesis generating them
async def test_the_signaling_socket_survives_10000_random_frames_and_other_sessions_carry_on(whole_journal, server):
    errors = ErrorLog()
    watched = [logging.getLogger(name) for name in ("viduemu", "uvicorn", "uvicorn.error", "asyncio")]
    for logger in watched:
        logger.addHandler(errors)
    try:
        await _fuzz(server, errors)
    finally:
        for logger in watched:
            logger.removeHandler(errors)


async def _fuzz(server, errors: ErrorLog) -> None:
    for key in (FUZZ_KEY, OTHER_KEY):
        assert (await server.http.put(f"/_emulator/accounts/{key}", json={"credits": 100_000})).status_code == 200
    live_id = (await server.create(headers={"Authorization": f"Token {FUZZ_KEY}"}))["live"]["id"]
    other_id = (await server.create(headers={"Authorization": f"Token {OTHER_KEY}"}))["live"]["id"]
    other = await server.connect(other_id, headers={"Authorization": f"Token {OTHER_KEY}"}, ping_interval=None,
                                 create_connection=PingCounter)
    assert (await conn_init(other, other_id))["payload"]["conn_init_ack"]["success"] is True
    started = server.emu.core.clock.now()

    fuzz = Fuzz(server, live_id, other_id)
    loop = asyncio.get_running_loop()

    @settings(max_examples=BATCHES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.lists(frames(live_id, other_id), min_size=BATCH, max_size=BATCH))
    def run(batch):
        asyncio.run_coroutine_threadsafe(fuzz.batch(batch), loop).result(timeout=60)

    await asyncio.to_thread(run)
    assert fuzz.frames >= 10_000, fuzz
    assert fuzz.replies > 5_000 and fuzz.closes.get(1009, 0) > 10, fuzz  # the fuzz did reach both paths

    # The server is healthy, and the fuzzed session itself is still on_live.
    assert (await server.http.get("/_emulator/health")).json()["status"] == "ok"
    assert (await server.live(live_id, headers={"Authorization": f"Token {FUZZ_KEY}"}))["status"] == "on_live"

    # The other session: still on_live on its first connection, still answering conn_init, its pings and
    # its 6 s deductions (and nothing else) on time.
    other_headers = {"Authorization": f"Token {OTHER_KEY}"}
    elapsed = server.emu.core.clock.now() - started
    assert other.close_code is None
    assert (await conn_init(other, other_id, seq_id=2))["payload"] == {"conn_init_ack": {"success": True}}
    live = await server.live(other_id, headers=other_headers)
    assert live["status"] == "on_live"
    assert other.pings >= int(elapsed // 5) - 1, (other.pings, elapsed)
    ledger = (await server.credits(OTHER_KEY))["ledger"]
    assert [e["delta"] for e in ledger if e["delta"] < 0] == [-9] * int(elapsed // 6)
    assert {e["ref"] for e in ledger if e["delta"] < 0} == {other_id}
    assert live["credits_cost"] == 9 * int(elapsed // 6)
    journal = (await server.http.get(f"/_emulator/ws?live_id={other_id}")).json()["messages"]
    assert not [e for e in journal if "close" in e["message"]]
    assert [e["message"]["type"] for e in journal if e["dir"] == "out"] == [2, 2]

    # The fuzzed session still ends the documented way: a hangup closes with 1000, and after that
    # conn_init is LIVE_CONN_INIT_FAILED with close 1000.
    ws = fuzz.conns[fuzz.attached] if fuzz.attached is not None else await fuzz.open(0)
    await send(ws, 5, {"hangup": {"hangup_reason": "user_end"}}, 7, live_id)
    with pytest.raises(websockets.exceptions.ConnectionClosed):
        await recv(ws)
    assert ws.close_code == 1000
    async with fuzz.connect(0) as ws:
        ack = await conn_init(ws, live_id)
        assert ack["payload"]["conn_init_ack"]["error_code"] == "LIVE_CONN_INIT_FAILED"
        with pytest.raises(websockets.exceptions.ConnectionClosed):
            await recv(ws)
        assert ws.close_code == 1000
    for ws in fuzz.conns:
        if ws is not None:
            await ws.close()
    assert (await server.live(other_id, headers=other_headers))["status"] == "on_live"
    await other.close()

    # Every message the server sent, as journaled, matches the contract; no handler logged an error.
    r = await server.http.get("/_emulator/ws")
    assert r.status_code == 200, r.text[:2000]
    for entry in r.json()["messages"]:
        if entry["dir"] == "out" and "type" in entry["message"]:
            asyncapi.validate("send", entry["message"])
    gc.collect()  # "Task exception was never retrieved" is logged when the task is collected
    await asyncio.sleep(0.1)
    assert not errors.records, [errors.format(r) for r in errors.records]


# -- below the JSON: broken WebSocket framing on a bare socket -------------------------------------
def _frame(opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0, mask: bool = True,
           length: int | None = None) -> bytes:
    """One client frame, built by hand (``length`` lies about the payload's size when given)."""
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | rsv << 4 | opcode])
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 2**16:
        head += bytes([bit | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([bit | 127]) + n.to_bytes(8, "big")
    if not mask:
        return head + payload
    key = b"\x01\x02\x03\x04"
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


CONN_INIT = json.dumps({"type": 1, "seq_id": 1, "payload": {"conn_init": {"version": 1}}}).encode()

BROKEN = {  # what the client sends -> the close code the server must answer with
    "invalid UTF-8 in a text frame": (_frame(0x1, b'{"type": 1, "x": "\xff\xfe"}'), 1007),
    "an unmasked frame": (_frame(0x1, CONN_INIT, mask=False), 1002),
    "a reserved opcode": (_frame(0x3, b"hello"), 1002),
    "RSV1 without an extension": (_frame(0x1, CONN_INIT, rsv=4), 1002),
    "a continuation with no message started": (_frame(0x0, b"more"), 1002),
    "a ping with a 126-byte payload": (_frame(0x9, b"p" * 126), 1002),
    "a fragmented control frame": (_frame(0x9, b"ping", fin=False), 1002),
    "a close frame with code 999": (_frame(0x8, (999).to_bytes(2, "big")), 1002),
    "a close frame with invalid UTF-8 in its reason": (_frame(0x8, (1000).to_bytes(2, "big") + b"\xff"), 1007),
    "a text message over 64 KiB in fragments": (_frame(0x1, b"x" * 40_000, fin=False) + _frame(0x0, b"x" * 40_000), 1009),
    "a header announcing 2**63 - 1 bytes": (_frame(0x2, b"", length=2**63 - 1), 1009),
    "garbage": (b"\xff" * 64, 1002),
}


async def _close_code(client, timeout: float = 5.0) -> int | None:
    """Read server frames until a close frame; its code (None if the TCP connection just ended)."""
    data = b""
    async def more():
        nonlocal data
        chunk = await asyncio.wait_for(client.reader.read(65536), timeout)
        data += chunk
        return bool(chunk)
    while True:
        while len(data) < 2:
            if not await more():
                return None
        n, at = data[1] & 0x7F, 2
        if n == 126:
            while len(data) < 4 and await more():
                pass
            n, at = int.from_bytes(data[2:4], "big"), 4
        while len(data) < at + n:
            if not await more():
                return None
        opcode, payload, data = data[0] & 0x0F, data[at:at + n], data[at + n:]
        if opcode == 0x8:
            return int.from_bytes(payload[:2], "big")


@pytest.mark.parametrize("case", list(BROKEN))
async def test_broken_framing_is_closed_with_a_clear_code_and_nothing_else_is_touched(server, case):
    errors = ErrorLog()
    watched = [logging.getLogger(name) for name in ("viduemu", "uvicorn", "uvicorn.error", "asyncio")]
    for logger in watched:
        logger.addHandler(errors)
    try:
        other_id = (await server.create())["live"]["id"]
        other = await server.connect(other_id)
        assert (await conn_init(other, other_id))["payload"]["conn_init_ack"]["success"] is True
        live_id = (await server.create())["live"]["id"]
        client = await RawClient.open(server.port, live_id, KEY)
        data, code = BROKEN[case]
        client.writer.write(data)
        assert await _close_code(client) == code
        client.close()
        await server.advance(16)   # pings, a billing tick: the other session carries on
        assert (await server.http.get("/_emulator/health")).status_code == 200
        assert (await conn_init(other, other_id, seq_id=2))["payload"]["conn_init_ack"]["success"] is True
        assert (await server.live(other_id))["status"] == "on_live"
        await other.close()
    finally:
        for logger in watched:
            logger.removeHandler(errors)
    gc.collect()
    assert not errors.records, [errors.format(r) for r in errors.records]


async def test_a_client_sending_invalid_utf8_does_not_log_a_server_error(server):
    errors = ErrorLog()
    logging.getLogger("uvicorn").addHandler(errors)
    try:
        live_id = (await server.create())["live"]["id"]
        client = await RawClient.open(server.port, live_id, KEY)
        client.writer.write(BROKEN["invalid UTF-8 in a text frame"][0])
        assert await _close_code(client) == 1007
        client.close()
    finally:
        logging.getLogger("uvicorn").removeHandler(errors)
    assert not errors.records, [errors.format(r) for r in errors.records]


async def test_the_ws_journal_still_renders_after_deeply_nested_frames(server):
    live_id = (await server.create())["live"]["id"]
    async with server.connect(live_id) as ws:
        for depth in range(900, 1000, 5):   # deep, yet shallow enough for the server to parse some
            await ws.send('{"type": 99, "payload": ' + _deep(depth) + "}")
            assert (await recv(ws))["type"] == 0
    r = await server.http.get(f"/_emulator/ws?live_id={live_id}")
    assert r.status_code == 200 and len(r.json()["messages"]) == 40


async def test_a_conn_init_sent_in_fragments_is_answered(server):
    live_id = (await server.create())["live"]["id"]
    client = await RawClient.open(server.port, live_id, KEY)
    client.writer.write(_frame(0x1, CONN_INIT[:5], fin=False) + _frame(0x9, b"mid-message ping")
                        + _frame(0x0, CONN_INIT[5:20], fin=False) + _frame(0x0, CONN_INIT[20:]))
    async def on_live():
        return (await server.live(live_id))["status"] == "on_live"

    await until(on_live, what="on_live")
    client.close()

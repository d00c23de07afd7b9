"""Random input at every HTTP operation of the contract: never a 5xx, every 4xx in the vendor envelope.

The operations are enumerated from contracts/openapi.yaml, so an operation added to the contract is
fuzzed without touching this file. Bodies are random JSON objects (half of the time built from the
operation's own property names and enum values, so they get past the first checks), JSON that is not
an object, random bytes, or nothing; path parameters and query strings are random too. Every answer
also goes through the contract check of ``tests/conftest.py``; nothing may be logged as an error (by a
handler, a timer the fuzz armed, or the event loop), and health answers afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import AUTH
from tests.contract_guard import contract_checker
from viduemu.app import create_app
from viduemu.config import Settings
from viduemu.core.contracts import Contracts

CONTRACTS = Contracts()
OPERATIONS = CONTRACTS.operations()
EXAMPLES = 40

scalars = (st.none() | st.booleans() | st.integers(min_value=-2**63, max_value=2**64) | st.floats()
           | st.text(max_size=30))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=10)
segment = st.text(st.characters(categories=("L", "N"), include_characters="-_.~"), min_size=1, max_size=24)


def _schema_properties(schema: dict, depth: int = 0) -> dict[str, dict]:
    """The property schemas of a request body (one level of $ref and allOf followed)."""
    if "$ref" in schema and depth < 3:
        return _schema_properties(CONTRACTS._deref(schema), depth + 1)
    props = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []) + schema.get("oneOf", []) + schema.get("anyOf", []):
        props.update(_schema_properties(part, depth + 1))
    return props


def _near_miss_values(schema: dict):
    """Values close to what a property accepts (its enum members) mixed with anything at all."""
    schema = CONTRACTS._deref(schema)
    enum = schema.get("enum") or ([schema["const"]] if "const" in schema else None)
    return st.sampled_from(enum) | json_values if enum else json_values


def bodies(op: dict):
    media = (op.get("requestBody") or {}).get("content", {}).get("application/json", {})
    props = _schema_properties(media.get("schema", {}))
    shaped = st.fixed_dictionaries({}, optional={name: _near_miss_values(s) for name, s in props.items()}) \
        if props else st.dictionaries(st.text(max_size=10), json_values, max_size=5)
    return st.one_of(
        shaped.map(lambda d: json.dumps(d).encode()),
        st.dictionaries(st.text(max_size=10), json_values, max_size=5).map(lambda d: json.dumps(d).encode()),
        json_values.filter(lambda v: not isinstance(v, dict)).map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=200),
        st.just(b""),
    )


def queries(op: dict):
    names = [p["name"] for p in map(CONTRACTS._deref, op.get("parameters", [])) if p.get("in") == "query"]
    keys = st.sampled_from(names) | st.text(max_size=10) if names else st.text(max_size=10)
    return st.lists(st.tuples(keys, st.text(max_size=20) | st.integers().map(str)), max_size=5)


class ErrorLog(logging.Handler):
    """Every ERROR (an unhandled exception included) logged by the app or the event loop."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())

    @contextlib.contextmanager
    def watching(self):
        loggers = [logging.getLogger(name) for name in ("viduemu", "asyncio", "uvicorn.error")]
        for logger in loggers:
            logger.addHandler(self)
        try:
            yield self
        finally:
            for logger in loggers:
                logger.removeHandler(self)


def fill(template: str, values: list[str]) -> str:
    parts, out = template.split("/"), []
    for part in parts:
        out.append(values.pop() if part.startswith("{") and values else part)
    return "/".join(out)


@pytest.mark.parametrize("method, template, op", OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_random_input_never_breaks_an_operation(method, template, op):
    loop = asyncio.new_event_loop()
    app = create_app(Settings(clock="manual", seed=7))
    emu = app.state.emu
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                               event_hooks={"response": [contract_checker(CONTRACTS)]})
    n_params = template.count("{")

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(body=bodies(op), query=queries(op), params=st.lists(segment, min_size=n_params, max_size=n_params),
           authorised=st.booleans())
    def one(body, query, params, authorised):
        key = {"Authorization": "Bearer fuzz-key"} if template.startswith("/model/") else AUTH
        headers = {"Content-Type": "application/json", **(key if authorised else {})}
        url = fill(template, list(params))
        response = loop.run_until_complete(
            client.request(method, url, params=query, content=body if method != "GET" else None, headers=headers))
        assert response.status_code < 500, (url, body, response.text)
        if response.status_code >= 400:
            error = response.json()
            if template.startswith("/model/"):  # the aggregator dialect's own error shape
                assert error["error"]["code"] and error["error"]["error_message"]
            else:
                assert error["code"] == response.status_code and error["reason"] and error["metadata"]["trace_id"]
        for fault in emu.core.faults.list():  # a fuzzed fault rule must not steer the examples that follow
            emu.core.faults.remove(fault.id)

    errors = ErrorLog()
    loop.set_exception_handler(lambda _loop, context: errors.records.append(context.get("message")))
    try:
        with errors.watching():
            one()
            loop.run_until_complete(client.post("/_emulator/clock/advance", json={"seconds": 86400}))  # timers too
        health = loop.run_until_complete(client.get("/_emulator/health"))
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert not errors.records, errors.records  # nothing went wrong out of sight (timers, tasks)
    finally:
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(emu.aclose())
        loop.close()


def test_every_contract_operation_is_fuzzed():
    """The list above comes from the contract itself; it must not be empty or miss the core calls."""
    fuzzed = {f"{m} {p}" for m, p, _ in OPERATIONS}
    assert {"GET /ent/v2/tasks/{task_id}/creations", "POST /ent/v2/tasks/{task_id}/cancel",
            "GET /ent/v2/tasks", "GET /ent/v2/credits", "POST /_emulator/faults"} <= fuzzed

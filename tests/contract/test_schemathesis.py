"""Schemathesis against the app in-process (ASGI), positive and negative cases from the contract.

Checks: no 5xx, documented status codes, documented content types, bodies matching their schemas.
Only ``POST /_emulator/faults`` is left out: a generated fault rule may legitimately ask the emulator
to answer 5xx (or to delay) on every later call.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from tests.conftest import AUTH
from viduemu.app import create_app
from viduemu.config import Settings

APP = create_app(Settings(clock="manual", seed=99))
schema = schemathesis.openapi.from_asgi("/_emulator/openapi.json", APP).exclude(
    path="/_emulator/faults", method="POST")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_app_conforms_to_its_contract(case):
    # a copy: the call adds its own headers to the dict it is given (user-agent, connection: keep-alive,
    # ...), which would leak into every later test using AUTH (a WebSocket upgrade then fails)
    headers = dict(AUTH) if case.operation.path.startswith("/ent/") else {}
    case.call_and_validate(headers=headers, checks=CHECKS)

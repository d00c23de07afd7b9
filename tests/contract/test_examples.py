"""Every request example in contracts/openapi.yaml is one the emulator accepts: the examples are
documentation, and schemathesis's examples phase sends them."""

from __future__ import annotations

import pytest

from tests.conftest import AUTH
from viduemu.core.contracts import Contracts

EXAMPLES = [(method.upper(), path, op["requestBody"]["content"]["application/json"]["example"])
            for path, item in Contracts().document["paths"].items()
            for method, op in item.items()
            if isinstance(op, dict) and "example" in op.get("requestBody", {}).get("content", {}).get("application/json", {})]
# Examples that act on something made earlier (a creation, a film, its jobs): on a fresh emulator they pass
# the contract and are refused only because that thing does not exist, with the reason naming it.
NEEDS_EARLIER = {
    "/ent/v2/upscale": (404, "CreationNotFound"),
    "/ent/v2/ad-one-click/edit": (404, "TaskNotFound"),
    "/ent/v2/ad-one-click/compose": (404, "TaskNotFound"),
    "/ent/v2/one-click/general_one_click/{id}/edit": (404, "TaskNotFound"),
    "/ent/v2/one-click/general_one_click/{id}/compose": (404, "TaskNotFound"),
    "/tools/v2/files/uploads/{id}/finish": (404, "NotFound"),   # an upload made and PUT before
    "/tools/v2/files/uploads/finish": (404, "NotFound"),
}
HEADERS = {"/ent/": AUTH, "/tools/": AUTH, "/live/": AUTH, "/model/": {"Authorization": "Bearer vda_examples"}, "/_emulator/": {}}


def test_the_contract_has_examples_for_the_main_operations():
    assert {path for _, path, _ in EXAMPLES} >= {"/ent/v2/img2video", "/ent/v2/text2video", "/ent/v2/reference2video",
                                                  "/ent/v2/start-end2video", "/live/v1/lives", "/model/v1/generation"}


@pytest.mark.parametrize(("method", "path", "example"), EXAMPLES, ids=[f"{m} {p}" for m, p, _ in EXAMPLES])
async def test_example_is_accepted(client, method, path, example):
    status, reason = NEEDS_EARLIER.get(path, (200, None))
    path = path.replace("{api_key}", "vda_demo").replace("{id}", "100000000000000001")
    headers = next(h for prefix, h in HEADERS.items() if path.startswith(prefix))
    r = await client.request(method, path, json=example, headers=headers)
    assert r.status_code == status, r.text
    assert reason is None or r.json()["reason"] == reason, r.text

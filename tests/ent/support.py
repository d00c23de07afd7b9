"""Helpers for the ent tests: creating generation tasks (every answer checked against the contract),
state snapshots, rule-table rows, and a response-vs-contract check (subjects, MV). Media: tests/support/media.py."""

from __future__ import annotations

import functools

import yaml
from jsonschema import Draft202012Validator

from tests.conftest import AUTH, KEY, advance, assert_error
from viduemu.core.contracts import Contracts, contract_path

URL_IMAGE = "https://example.com/ref.png"
PLENTY = 10**9


# -- the contract -------------------------------------------------------------
_CONTRACTS = Contracts()


def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}",
                                 "components": _CONTRACTS.document["components"]})


TASK_CREATED = _validator("GenTaskCreated")
ERROR = _validator("Error")


async def create(client, kind: str, body: dict, headers=AUTH):
    """POST a generation request; every answer is checked against the contract."""
    response = await client.post(f"/ent/v2/{kind}", json=body, headers=headers)
    schema = TASK_CREATED if response.status_code == 200 else ERROR
    schema.validate(response.json())
    return response


async def created(client, kind: str, body: dict) -> dict:
    response = await create(client, kind, body)
    assert response.status_code == 200, response.text
    return response.json()


async def state_of(client, emu, key: str = KEY) -> tuple:
    """What a refused request must leave untouched: balance, ledger, tasks, successful creates."""
    account = (await client.get(f"/_emulator/accounts/{key}")).json()
    journal = (await client.get("/_emulator/requests")).json()["requests"]
    ok_creates = sum(1 for e in journal if e["method"] == "POST" and e["status"] == 200)
    return account.get("credits"), len(account.get("ledger", [])), emu.core.store.count("tasks"), ok_creates


async def check_model_row(client, kind: str, body, row) -> None:
    """One rule-table row: (model, durations accepted, refused, default, resolutions accepted, refused,
    default). ``body(model, **fields)`` builds an otherwise valid request for ``kind``."""
    model, ok, bad, default, res_ok, res_bad, res_default = row
    task = await created(client, kind, body(model))
    assert (task["duration"], task["resolution"]) == (default, res_default)
    for duration in ok:
        assert (await created(client, kind, body(model, duration=duration)))["duration"] == duration
    for duration in bad:
        assert_error(await create(client, kind, body(model, duration=duration)), 400, "FieldInvalid", "duration")
    for resolution in res_ok:
        assert (await created(client, kind, body(model, resolution=resolution)))["resolution"] == resolution
    for resolution in res_bad:
        assert_error(await create(client, kind, body(model, resolution=resolution)), 400, "FieldInvalid",
                     "resolution")


@functools.lru_cache(maxsize=1)
def _contract() -> dict:
    return yaml.safe_load(contract_path("openapi.yaml").read_text(encoding="utf-8"))


def assert_contract(response, method: str, path: str) -> dict:
    """The response body matches the contract's schema for this operation and status."""
    doc = _contract()
    responses = doc["paths"][path][method.lower()]["responses"]
    spec = responses.get(str(response.status_code)) or responses["default"]
    if "$ref" in spec:
        spec = doc["components"]["responses"][spec["$ref"].rsplit("/", 1)[-1]]
    schema = spec["content"]["application/json"]["schema"]
    body = response.json()
    Draft202012Validator({**schema, "components": doc["components"]}).validate(body)
    return body


# -- the operations beyond the generation endpoints (issue 14) --------------------------------------------
async def op_create(client, name: str, body: dict, headers=AUTH):
    """POST /ent/v2/<name>; the answer (success or error) is checked against the operation's contract."""
    response = await client.post(f"/ent/v2/{name}", json=body, headers=headers)
    assert_contract(response, "POST", f"/ent/v2/{name}")
    return response


async def op_created(client, name: str, body: dict) -> dict:
    response = await op_create(client, name, body)
    assert response.status_code == 200, response.text
    return response.json()


async def finish(client, task_id: str, seconds: float = 120) -> dict:
    """Let the task run on the manual clock; its creations answer."""
    await advance(client, seconds)
    response = await client.get(f"/ent/v2/tasks/{task_id}/creations", headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


async def output_media(client, creations: dict) -> dict:
    """The first creation's video read back with PyAV: size, duration, and its audio stream if any."""
    import io

    import av

    assert creations["state"] == "success", creations
    video = await client.get(creations["creations"][0]["url"])
    assert video.status_code == 200, video.text
    with av.open(io.BytesIO(video.content)) as container:
        stream = container.streams.video[0]
        audio = container.streams.audio
        return {"size": (stream.width, stream.height), "duration": float(stream.duration * stream.time_base),
                "audio": [a.codec_context.name for a in audio],
                "audio_duration": float(audio[0].duration * audio[0].time_base) if audio else None}

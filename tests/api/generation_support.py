"""Helpers for the generation-endpoint tests: small real media made in-test, state snapshots,
and contract validation of every answer."""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import av
import pytest
from jsonschema import Draft202012Validator
from PIL import Image

from tests.conftest import AUTH, KEY, assert_error
from viduemu.core.contracts import Contracts


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


@lru_cache(maxsize=None)
def png(width: int = 256, height: int = 256, color=(200, 40, 40)) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return _data_uri("image/png", buf.getvalue())


@lru_cache(maxsize=None)
def image_bytes(fmt: str, width: int = 256, height: int = 256) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buf, fmt)
    return buf.getvalue()


def image_uri(fmt: str, width: int = 256, height: int = 256, mime: str | None = None) -> str:
    return _data_uri(mime or f"image/{fmt.lower()}", image_bytes(fmt, width, height))


@lru_cache(maxsize=None)
def mp4(seconds: float, fps: int = 4) -> str:
    """A real (tiny, grey) H.263/MPEG-4 video of ``seconds`` as a data URI."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width = stream.height = 128
        stream.pix_fmt = "yuv420p"
        for _ in range(int(seconds * fps)):
            frame = av.VideoFrame(128, 128, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([128]) * plane.buffer_size)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return _data_uri("video/mp4", buf.getvalue())


URL_IMAGE = "https://example.com/ref.png"
PLENTY = 10**9


@pytest.fixture
async def plenty_of_credits(client):
    """Rule tests create many tasks; give the test key enough credits (import to use, autouse there)."""
    r = await client.put(f"/_emulator/accounts/{KEY}", json={"credits": PLENTY})
    assert r.status_code == 200

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

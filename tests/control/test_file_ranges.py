"""Issue 13 #10: byte ranges on the media URLs (``/_emulator/files/...``) and the control plane's pages:
valid ranges answer 206, a range wholly past the end 416 with ``Content-Range: bytes */N``, a malformed
one the vendor envelope (400 BadRequest) - never Starlette's plain text."""

from __future__ import annotations

import pytest

from tests.conftest import AUTH, advance, assert_error

FOX = {"model": "vidu2.0", "images": ["https://example.com/a.png"], "prompt": "A fox", "duration": 4,
       "resolution": "360p"}


@pytest.fixture
async def media(client) -> tuple[str, bytes]:
    """The URL of a finished task's cover, and its bytes."""
    r = await client.post("/ent/v2/img2video", json=FOX, headers=AUTH)
    assert r.status_code == 200, r.text
    await advance(client, 120)
    done = (await client.get(f"/ent/v2/tasks/{r.json()['task_id']}/creations", headers=AUTH)).json()
    url = done["creations"][0]["cover_url"]
    full = await client.get(url)
    assert full.status_code == 200 and len(full.content) > 100
    return url, full.content


@pytest.mark.parametrize(("header", "part"), [
    ("bytes=0-9", slice(0, 10)),
    ("bytes=5-", slice(5, None)),
    ("bytes=-7", slice(-7, None)),
    ("bytes=10-10", slice(10, 11)),
    ("bytes=0-99999999", slice(0, None)),     # a last byte past the end is cut to the file
    ("BYTES = 2-3", slice(2, 4)),
])
async def test_a_valid_range_answers_206_with_those_bytes(client, media, header, part):
    url, data = media
    r = await client.get(url, headers={"Range": header})
    assert r.status_code == 206, r.text
    assert r.content == data[part]
    start = part.start if part.start is None or part.start >= 0 else len(data) + part.start
    start = start or 0
    assert r.headers["content-range"] == f"bytes {start}-{start + len(data[part]) - 1}/{len(data)}"


async def test_several_ranges_answer_a_multipart_206(client, media):
    url, data = media
    r = await client.get(url, headers={"Range": "bytes=0-1, 4-5"})
    assert r.status_code == 206 and r.headers["content-type"].startswith("multipart/byteranges")
    assert data[0:2] in r.content and data[4:6] in r.content


@pytest.mark.parametrize("header", ["bytes=99999999-", "bytes=99999999-100000000", "bytes=-0",
                                    "bytes=99999999-, 99999998-"])
async def test_an_unsatisfiable_range_is_a_416_naming_the_size(client, media, header):
    url, data = media
    r = await client.get(url, headers={"Range": header})
    assert_error(r, 416, "RangeNotSatisfiable")
    assert r.headers["content-range"] == f"bytes */{len(data)}"


@pytest.mark.parametrize("header", ["bytes=5-1", "bytes=abc", "bytes=", "bytes=-", "bytes=1-2-3", "items=0-1",
                                    "0-1", "bytes=0-1,,2-3", "bytes=\u0661-2", "bytes=" + ",".join(["0-1"] * 17)])
async def test_a_malformed_range_is_a_vendor_400(client, media, header):
    url, _ = media
    r = await client.get(url, headers={"Range": header.encode()})
    assert_error(r, 400, "BadRequest")
    assert "Range" in r.json()["message"]


async def test_the_control_plane_pages_judge_ranges_the_same_way(client):
    assert_error(await client.get("/_emulator/", headers={"Range": "bytes=5-1"}), 400, "BadRequest")

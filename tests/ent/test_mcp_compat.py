"""The vendor's MCP server for Vidu (shengshu-ai/vidu-mcp @3dac293) works unmodified against viduemu.

We replay the requests it sends, byte for byte where it matters, and read the answers the way it
reads them (vidu_mcp/client.py ``_make_request``, vidu_mcp/server.py tools and ``query_video``):

- every request: ``Authorization: Token <key>`` and ``Content-Type: application/json`` (on GETs
  too: it is a session header), bodies encoded by ``requests`` (``json.dumps`` defaults);
- ``response.raise_for_status()`` first, then ``response.json()``; a 2xx body whose ``code`` is
  not null is an error (``401`` -> auth error) reported with ``message`` and ``metadata.trace_id``;
- create: ``task_id`` must be truthy; then GET ``/ent/v2/tasks/{task_id}/creations`` up to 30 times,
  20 s apart: ``state == "failed"`` stops, ``state == "success"`` reads ``creations[0].url``
  (``.get("creations", [{}])[0].get("url")``), anything else keeps polling.

Tests for the tools whose endpoints are not on every branch yet (text2video, reference2video,
start-end2video) reuse these helpers with more rows.
"""

from __future__ import annotations

import base64
import io
import json

import pytest

from tests.conftest import KEY, advance

MCP_HEADERS = {  # what a requests.Session with the MCP's header update sends
    "Authorization": f"Token {KEY}",
    "Content-Type": "application/json",
    "User-Agent": "python-requests/2.32.3",
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
}
POLL_INTERVAL = 20   # seconds between polls (query_video: retry_interval)
MAX_POLLS = 30       # query_video: max_retries ("10 minutes total")
PROMPT = "a red fox runs through fresh snow at dawn"


def png_bytes(size: int = 256) -> bytes:
    from PIL import Image

    img = Image.new("RGB", (size, size))
    img.putdata([(x, y, (x + y) % 256) for y in range(size) for x in range(size)])
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def local_file_image(data: bytes) -> str:
    """util.del_input_image: a local file becomes ``data:image/jpeg;base64,...`` whatever its format."""
    return f"data:image/jpeg;base64,{base64.b64encode(data).decode('utf-8')}"


def mcp_payload(tool: str, images: list[str]) -> tuple[str, dict]:
    """(path, body) a tool builds from its default arguments (server.py)."""
    common = {"seed": 0, "movement_amplitude": "auto", "bgm": False}
    if tool == "text2video":  # generate_text_to_video
        return "/ent/v2/text2video", {"model": "viduq1", "style": "general", "prompt": PROMPT, "duration": 5,
                                      "seed": 0, "aspect_ratio": "16:9", "resolution": "1080p",
                                      "movement_amplitude": "auto", "bgm": False}
    if tool == "img2video":  # generate_img_to_video
        return "/ent/v2/img2video", {"model": "viduq1", "images": images[:1], "prompt": "", "duration": 5,
                                     **common, "resolution": "1080p"}
    if tool == "reference2video":  # generate_reference2video_to_video
        return "/ent/v2/reference2video", {"model": "vidu2.0", "images": images, "prompt": PROMPT, "duration": 4,
                                           "seed": 0, "aspect_ratio": "16:9", "resolution": "720p",
                                           "movement_amplitude": "auto", "bgm": False}
    if tool == "start-end2video":  # generate_startend2video_to_video
        return "/ent/v2/start-end2video", {"model": "viduq1", "images": images[:2], "prompt": "", "duration": 5,
                                           **common, "resolution": "1080p"}
    if tool == "template2video":  # generate_template_to_video (area/beast never sent: `is` comparison)
        return "/ent/v2/template2video", {"template": "hug", "images": images[:1], "prompt": "", "seed": 0,
                                          "aspect_ratio": "", "bgm": False}
    raise ValueError(tool)


class McpError(Exception):
    """What the MCP client would raise (ViduRequestError / ViduAuthError)."""


def mcp_read(response) -> dict:
    """client._make_request after the request: raise_for_status, json, the ``code`` check."""
    if response.status_code >= 400:
        raise McpError(f"Request failed: {response.status_code}")
    data = response.json()
    assert isinstance(data, dict), data
    if data.get("code") is not None:
        raise McpError(f"API Error: {data.get('message')} Trace-Id: {data.get('metadata', {}).get('trace_id')}")
    return data


async def mcp_post(client, path: str, body: dict, headers: dict = MCP_HEADERS) -> dict:
    # requests' json= is json.dumps(body, allow_nan=False) with the default separators.
    return mcp_read(await client.post(path, content=json.dumps(body, allow_nan=False).encode(), headers=headers))


async def mcp_create(client, tool: str, images: list[str]) -> str:
    path, body = mcp_payload(tool, images)
    task_id = (await mcp_post(client, path, body)).get("task_id")
    assert task_id and isinstance(task_id, str), "Failed to get task_id from response"
    return task_id


async def mcp_poll(client, task_id: str) -> tuple[dict, int]:
    """query_video's loop up to a terminal state: (the last answer, polls used); time moves 20 s a poll."""
    for attempt in range(1, MAX_POLLS + 1):
        data = mcp_read(await client.get(f"/ent/v2/tasks/{task_id}/creations", headers=MCP_HEADERS))
        assert isinstance(data.get("state"), str), data
        if data["state"] in ("failed", "success"):
            return data, attempt
        await advance(client, POLL_INTERVAL)
    raise AssertionError(f"task {task_id} not finished after {MAX_POLLS} polls {POLL_INTERVAL} s apart")


def mcp_video_url(answer: dict) -> str:
    """query_video on ``success``: ``creations[0].url`` must be a non-empty string."""
    creations = answer.get("creations", [{}])
    assert isinstance(creations, list) and creations, "Missing creation_url in success response"
    assert isinstance(creations[0], dict)
    url = creations[0].get("url")
    assert isinstance(url, str) and url.startswith(("http://", "https://")), answer
    return url


@pytest.fixture
def images() -> list[str]:
    return [local_file_image(png_bytes()), "https://example.com/images/fox-end.png"]


TOOLS = ("text2video", "img2video", "reference2video", "start-end2video", "template2video")


# every MCP tool is replayed, template2video included (issue 14).
READY_TOOLS = list(TOOLS)


@pytest.mark.parametrize("tool", READY_TOOLS)
async def test_mcp_create_answer_has_a_task_id_and_no_code(client, images, tool):
    path, body = mcp_payload(tool, images)
    response = await client.post(path, content=json.dumps(body).encode(), headers=MCP_HEADERS)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert "code" not in answer  # any non-null `code` on a 2xx answer is an error to the MCP client
    assert isinstance(answer["task_id"], str) and answer["task_id"]


@pytest.mark.parametrize("tool", READY_TOOLS)
async def test_mcp_polling_reaches_success_within_its_ten_minutes(client, images, tool):
    task_id = await mcp_create(client, tool, images)
    answer, polls = await mcp_poll(client, task_id)
    assert answer["state"] == "success", answer
    assert polls * POLL_INTERVAL <= 600
    video = await client.get(mcp_video_url(answer))   # creations[0].url, read without a guard
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"   # an MP4 file


async def test_mcp_sees_a_failed_task_as_failed(client, images):
    rule = {"match": {"operation": "task.finish"}, "action": {"err_code": "InternalServiceFailure"}, "times": 1}
    assert (await client.post("/_emulator/faults", json=rule)).status_code == 200
    answer, _ = await mcp_poll(client, await mcp_create(client, "img2video", images))
    assert answer["state"] == "failed"


async def test_mcp_local_png_labelled_image_jpeg_is_accepted(client):
    # del_input_image labels every local file image/jpeg; the format is sniffed from the bytes.
    task_id = await mcp_create(client, "img2video", [local_file_image(png_bytes(300))])
    assert task_id


async def test_mcp_get_with_json_content_type_and_no_body_is_fine(client, images):
    task_id = await mcp_create(client, "img2video", images)
    data = mcp_read(await client.get(f"/ent/v2/tasks/{task_id}/creations", headers=MCP_HEADERS))
    assert data["state"] in ("created", "queueing", "processing")
    assert "code" not in data


AUTH_CHECKED = [(f"/ent/v2/{tool}", "POST") for tool in READY_TOOLS] + [
    ("/ent/v2/tasks/123456789012345678/creations", "GET")]


@pytest.mark.parametrize("path, method", AUTH_CHECKED)
@pytest.mark.parametrize("authorization", ["Token not-a-vidu-key", "Bearer vda_test_key", ""])
async def test_mcp_error_path_bad_key_is_401_with_code_401(client, images, path, method, authorization):
    """The MCP's auth branch: HTTP 401 (raise_for_status), and a body with code 401, message, trace_id."""
    headers = {**MCP_HEADERS, "Authorization": authorization}
    if method == "POST":
        tool = next(t for t in TOOLS if mcp_payload(t, images)[0] == path)
        response = await client.post(path, content=json.dumps(mcp_payload(tool, images)[1]).encode(),
                                     headers=headers)
    else:
        response = await client.get(path, headers=headers)
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["code"] == 401 and isinstance(body["code"], int)
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["metadata"]["trace_id"], str) and body["metadata"]["trace_id"]
    with pytest.raises(McpError):
        mcp_read(response)


async def test_mcp_error_path_unknown_task_is_an_error_with_a_trace_id(client):
    response = await client.get("/ent/v2/tasks/123456789012345678/creations", headers=MCP_HEADERS)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == 404 and body["message"] and body["metadata"]["trace_id"]

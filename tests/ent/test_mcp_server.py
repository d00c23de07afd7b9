"""The vendor's MCP server (shengshu-ai/vidu-mcp), unmodified, runs all five of its tools against a real
viduemu server: started as its README says (``python -m vidu_mcp.server`` with VIDU_API_KEY and
VIDU_API_HOST), driven over stdio by the MCP client library, each tool answering the JSON it builds
from a successful task (``task_id``, ``status``, ``video_url``). The server is imported from a fetched
copy of the repository (tests/support/vendor.py); without one, or without the ``mcp`` package, these
tests skip. tests/ent/test_mcp_compat.py replays the same requests byte for byte in-process.
"""

from __future__ import annotations

import json
import os
import sys

import httpx
import pytest

from tests.support import vendor
from tests.support.media import image_bytes
from viduemu.background import BackgroundEmulator

pytestmark = pytest.mark.slow
KEY = "vda_mcp_server_test"
PROMPT = "a red fox runs through fresh snow at dawn"


@pytest.fixture(scope="module")
def mcp_folder(tmp_path_factory):
    pytest.importorskip("mcp", reason="the vendor's MCP server needs the mcp package (the test extra)")
    repo = vendor.MCP.locate()
    if repo is None:
        pytest.skip(vendor.MCP.skip_reason())
    return vendor.export(repo, "vidu_mcp", tmp_path_factory.mktemp("vendor")).parent


@pytest.fixture(scope="module")
def emulator():
    # A fast clock and no processing time: a task finishes a tenth of a millisecond after its creation, before the
    # server's first poll (it sleeps 20 s between polls, in real time).
    with BackgroundEmulator(clock="speed", speed=10_000, task_seconds=0) as running:
        yield running


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    """Local image files: the server turns a path into a data URI (util.del_input_image)."""
    folder = tmp_path_factory.mktemp("frames")
    paths = [folder / "start.png", folder / "end.png"]
    for path in paths:
        path.write_bytes(image_bytes("png", 320, 320))
    return [str(path) for path in paths]


TOOLS = {  # tool -> arguments a user would give
    "generate_text_to_video": lambda f: {"prompt": PROMPT},
    "generate_img_to_video": lambda f: {"image": f[0], "prompt": PROMPT},
    "generate_reference2video_to_video": lambda f: {"images": f, "prompt": PROMPT},
    "generate_startend2video_to_video": lambda f: {"images": f},
    "generate_template_to_video": lambda f: {"template": "hug", "images": f[:1]},
}


async def _call_tools(mcp_folder, base_url: str, calls: dict) -> tuple[set[str], dict[str, tuple[str, int]]]:
    """(the tools offered, each call's text and the status of a download of the video it reports)"""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=sys.executable, args=["-m", "vidu_mcp.server"], cwd=str(mcp_folder),
                                   env={**os.environ, "PYTHONPATH": str(mcp_folder), "VIDU_API_KEY": KEY,
                                        "VIDU_API_HOST": base_url, "FASTMCP_LOG_LEVEL": "WARNING"})
    answers = {}
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        offered = {tool.name for tool in (await session.list_tools()).tools}
        for name, arguments in calls.items():
            result = await session.call_tool(name, arguments)
            text = "".join(part.text for part in result.content if part.type == "text")
            # downloaded at once: the URL is signed on the fast clock
            status = httpx.get(json.loads(text)["video_url"]).status_code if text.startswith("{") else 0
            answers[name] = (text, status)
    return offered, answers


async def test_all_five_tools_make_a_video_the_server_reports(mcp_folder, emulator, frames):
    assert httpx.put(f"{emulator.base_url}/_emulator/accounts/{KEY}", json={"credits": 100_000}).status_code == 200
    offered, answers = await _call_tools(mcp_folder, emulator.base_url,
                                         {name: make(frames) for name, make in TOOLS.items()})
    assert set(TOOLS) <= offered
    for name, (text, download) in answers.items():
        assert not text.startswith("Error"), f"{name}: {text}"
        result = json.loads(text)   # query_video's JSON: the task succeeded and has a creation URL
        assert result["status"] == "success" and download == 200, (name, result, download)


async def test_a_refused_request_reaches_the_user_as_the_servers_error_text(mcp_folder, emulator, frames):
    _, answers = await _call_tools(mcp_folder, emulator.base_url,
                                   {"generate_template_to_video": {"template": "no_such_template", "images": frames[:1]}})
    text, _ = answers["generate_template_to_video"]
    assert text.startswith("Error") and "400" in text

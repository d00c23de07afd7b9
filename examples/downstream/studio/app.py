"""The app's two features, written against the Vidu client; the client is passed in, so tests (and
the real deployment) choose where it points."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

from viduemu.client import AsyncViduClient, LiveConnection, ViduClient


class ClipFailed(Exception):
    """Vidu could not make the clip; the message is its err_code."""


def make_clip(client: ViduClient, prompt: str, *, model: str = "viduq1", poll_every: float = 2.0) -> str:
    """Generate a clip from ``prompt`` and return the video's URL once it is ready."""
    task = client.text2video(model=model, prompt=prompt)
    done = client.wait_for_task(task["task_id"], interval=poll_every, timeout=900)
    if done["state"] == "failed":
        raise ClipFailed(done.get("err_code") or "unknown")
    return done["creations"][0]["url"]


async def call(client: AsyncViduClient, base_url: str, api_key: str, *, persona: str, image_uri: str,
               seconds: float, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> dict:
    """An audio call of about ``seconds`` with a character; returns the ended session (cost, reason)."""
    created = await client.create_live(call_mode="audio", avatar={"persona": persona, "image_uri": image_uri})
    live_id = created["live"]["id"]
    async with LiveConnection(base_url, api_key, live_id, sleep=sleep) as connection:
        await sleep(seconds)
        await connection.hangup()   # a no-op if the service already hung up (e.g. credits ran out)
    for _ in range(60):   # the session settles its bill, then reads "ended"
        live = (await client.get_live(live_id))["live"]
        if live["status"] == "ended":
            return live
        await sleep(1)
    raise TimeoutError(f"live session {live_id} did not end")

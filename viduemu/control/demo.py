"""Demo data (``serve --demo``, ``POST /_emulator/demo``): a realistic history for one account, made by
driving the real API in-process (every request passes the contract, the rules and the prices; the clock
moves the records through their lifecycle), so every view of it is consistent.

What is asked comes from the contract's own request examples (rules are data: a new operation with an
example joins the demo by itself); the text people write (prompts, names, personas) comes from Faker in
several locales, seeded: the same seed gives the same demo.
"""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import httpx

from viduemu.core.errors import ViduError

DEMO_KEY = "vda_demo_gallery"
LOCALES = ("en_US", "zh_CN", "ja_JP", "fr_FR", "de_DE")
# Documented reasons a task fails with (../shared/vendor-docs/more/error-code.txt), one failed task each.
FAILURES = ("CreationPolicyViolation", "AuditSubmitIllegal", "ImageDownloadFailure")
# Examples that need something made first, or make no task: the demo makes those its own way.
NOT_A_TASK = ("/ent/v2/upscale", "/ent/v2/subjects", "/ent/v2/img2video-prompt-recommendation",
              "/ent/v2/audio-tts", "/ent/v2/audio-clone")
IN_FLIGHT = 8          # tasks left moving at the end: 5 processing (the account's limit), the rest queueing
ROUND_SECONDS = 3 * 3600.0  # virtual time between rounds: the history spreads over hours
ON_AIR_SECONDS = (42, 96)   # the finished sessions' time on_live (then a second to hang up): billed 44 s and 98 s
SIGNALING = "/live/ws/live/connect"


def _faker(seed: int):
    from faker import Faker  # imported on first use: loading its providers takes a moment

    fake = Faker(list(LOCALES))
    fake.seed_instance(seed)
    return fake


def task_examples(document: dict) -> list[tuple[str, dict]]:
    """(path, example) of every /ent/v2 operation that makes a task from its example alone."""
    found = []
    for path, item in document["paths"].items():
        example = (item.get("post") or {}).get("requestBody", {}).get("content", {}) \
            .get("application/json", {}).get("example")
        if (example is not None and path.startswith("/ent/v2/") and "{" not in path
                and path not in NOT_A_TASK and not path.endswith(("/edit", "/compose"))):
            found.append((path, example))
    return found


class Demo:
    def __init__(self, http: httpx.AsyncClient, seed: int, admin_token: str | None) -> None:
        self.http, self.fake, self.turn = http, _faker(seed), 0
        self.admin = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        self.made: dict[str, int] = {}

    def locale(self) -> str:
        self.turn += 1
        return LOCALES[self.turn % len(LOCALES)]

    def text(self, words: int = 12) -> str:
        return self.fake[self.locale()].sentence(nb_words=words)

    def with_text(self, example: dict) -> dict:
        body = copy.deepcopy(example)
        if isinstance(body.get("prompt"), str):
            body["prompt"] = self.text()
        return body

    async def call(self, method: str, path: str, body: Any = None) -> dict:
        control = path.startswith("/_emulator/")
        r = await self.http.request(method, path, json=body, headers=self.admin if control else None)
        if r.status_code != 200:
            # e.g. a fault rule in place, or a clock that cannot advance: said, never a 500
            raise ViduError("BadRequest", f"the demo stopped part-way: {method} {path} answered {r.status_code} "
                            f"{r.text[:300]}", status=409)
        if not control:
            self.made[path] = self.made.get(path, 0) + 1
        return r.json() if r.content else {}

    async def on_air(self, app: Any, live_id: str, seconds: float) -> None:
        """A session on the air for ``seconds`` of the clock, then hung up by its client: the signaling
        WebSocket driven in-process (conn_init, the clock, a type-5 hangup), so the engine bills it as it
        bills any session. An in-process socket has no heartbeats (live/signaling.py)."""
        inbox: asyncio.Queue[dict] = asyncio.Queue()
        outbox: asyncio.Queue[dict] = asyncio.Queue()
        scope = {"type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "http_version": "1.1",
                 "path": SIGNALING, "raw_path": SIGNALING.encode(), "query_string": f"live_id={live_id}".encode(),
                 "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Token {DEMO_KEY}".encode())],
                 "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1), "subprotocols": [], "extensions": {}}

        def frame(kind: int, seq: int, payload: dict) -> dict:
            return {"type": "websocket.receive",
                    "text": json.dumps({"type": kind, "live_id": live_id, "seq_id": seq, "payload": payload})}

        async def answered(kind: str) -> dict:
            message = await asyncio.wait_for(outbox.get(), 10)
            if message["type"] != kind:
                raise ViduError("BadRequest", f"the demo's live session {live_id} was refused: {message}",
                                status=409)
            return message

        await inbox.put({"type": "websocket.connect"})
        socket = asyncio.ensure_future(app(scope, inbox.get, outbox.put))
        try:
            await answered("websocket.accept")
            await inbox.put(frame(1, 1, {"conn_init": {"version": 1}}))
            await answered("websocket.send")   # conn_init_ack: on_live from here
            await self.advance(seconds)
            await inbox.put(frame(5, 2, {"hangup": {"hangup_reason": "user_end"}}))
            await self.advance(1)
        finally:
            await inbox.put({"type": "websocket.disconnect", "code": 1000})
            await asyncio.wait_for(socket, 10)

    async def advance(self, seconds: float) -> None:
        await self.call("POST", "/_emulator/clock/advance", {"seconds": seconds})

    async def tasks(self, examples: list[tuple[str, dict]]) -> list[str]:
        made = [await self.call("POST", path, self.with_text(example)) for path, example in examples]
        return [m["task_id"] for m in made if "task_id" in m]


async def fill(app: Any, seed: int, document: dict, admin_token: str | None = None) -> dict:
    """Fill ``DEMO_KEY``'s account through ``app`` (in-process); what was made, by path."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1",
                                 headers={"Authorization": f"Token {DEMO_KEY}"}, timeout=60) as http:
        demo = Demo(http, seed, admin_token)
        await demo.call("PUT", f"/_emulator/accounts/{DEMO_KEY}", {"credits": 1_000_000})
        examples = task_examples(document)
        # 1. a finished history: every kind succeeds, a few fail with documented reasons, one is cancelled
        await demo.tasks(examples)
        for i in range(2):
            await demo.call("POST", "/ent/v2/subjects", {"name": demo.fake[demo.locale()].first_name(),
                                                         "images": [f"https://example.com/subject-{i}.png"]})
        await demo.call("POST", "/ent/v2/one-click/mv",
                        {"images": ["https://example.com/band.png"], "audio_url": "https://example.com/song.mp3",
                         "prompt": demo.text()})
        for i in range(2):
            await demo.call("POST", "/ent/v2/audio-clone", {"audio_url": f"https://example.com/voice-{i}.mp3",
                                                            "voice_id": f"demo-voice-{i + 1:02d}",
                                                            "text": demo.text(8)})
        for i in range(3):   # two finished sessions with bills, one never connected
            persona = f"{demo.fake[demo.locale()].name()}, {demo.fake['en_US'].job()}. {demo.text(10)}"
            live = await demo.call("POST", "/live/v1/lives", {
                "call_mode": "audio" if i < len(ON_AIR_SECONDS) else "video",
                "avatar": {"persona": persona, "image_uri": f"https://example.com/avatar-{i}.png"}})
            if i < len(ON_AIR_SECONDS):
                await demo.on_air(app, live["live"]["id"], ON_AIR_SECONDS[i])
            else:
                await demo.call("POST", f"/_emulator/lives/{live['live']['id']}/hangup",
                                {"hangup_reason": "user_end"})
        await demo.advance(ROUND_SECONDS)
        for reason in FAILURES:
            await demo.call("POST", "/_emulator/faults", {"match": {"operation": "task.finish", "api_key": DEMO_KEY},
                                                          "action": {"err_code": reason}, "times": 1})
            await demo.tasks(examples[:1])
            await demo.advance(ROUND_SECONDS)
        cancelled = await demo.tasks(examples[:1])
        await demo.call("POST", f"/ent/v2/tasks/{cancelled[0]}/cancel", {})
        await demo.advance(ROUND_SECONDS)
        # 2. work still moving: processing (up to the account's limit) and queueing
        await demo.tasks([examples[i % len(examples)] for i in range(IN_FLIGHT)])
        await demo.advance(1)
    return {"api_key": DEMO_KEY, "seed": seed, "made": demo.made}

"""Ways to reach the emulator from the thin client, for tests that run every method through each:

- ``Background``: viduemu in a thread of its own (own event loop) behind a real uvicorn socket, so a
  blocking ``ViduClient`` (or a docs example) can call it; ``ThreadedASGITransport`` reaches the same
  app in-process, without the socket (httpx has no sync ASGI transport).
- ``Target``: one client (sync or async) and the emulator's control plane, with ``call`` recording
  which public methods a test used.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx

from viduemu.background import BackgroundEmulator


class Background(BackgroundEmulator):
    """The emulator in a thread of its own (``with`` starts and stops it), plus in-process access."""

    @property
    def base(self) -> str:
        return self.base_url

    def transport(self) -> "ThreadedASGITransport":
        return ThreadedASGITransport(self.app, self.loop)


class ThreadedASGITransport(httpx.BaseTransport):
    """A sync httpx transport that runs each request through ``httpx.ASGITransport`` on ``loop``
    (another thread's): in-process, no socket."""

    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop):
        self.asgi, self.loop = httpx.ASGITransport(app=app), loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()

        async def forward() -> httpx.Response:
            response = await self.asgi.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content,
                                  request=request)

        return asyncio.run_coroutine_threadsafe(forward(), self.loop).result(30)


def public_methods(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_") and callable(getattr(cls, name))}


@dataclass
class Target:
    """A client of one kind plus the control plane of the emulator it talks to."""

    kind: str
    client: Any
    control: Callable[..., Any]   # (method, path, json=None) -> httpx.Response, sync or async
    used: set[str] = field(default_factory=set)

    async def call(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        self.used.add(name)
        result = getattr(self.client, name)(*args, **kwargs)
        return await result if inspect.isawaitable(result) else result

    async def ctl(self, method: str, path: str, json: Any = None) -> httpx.Response:
        result = self.control(method, path, json=json)
        return await result if inspect.isawaitable(result) else result

    async def advance(self, seconds: float) -> None:
        assert (await self.ctl("POST", "/_emulator/clock/advance", {"seconds": seconds})).status_code == 200

    def sleeper(self) -> Callable[[float], Any]:
        """A ``sleep`` for ``wait_for_task`` that moves the manual clock instead of waiting."""
        if self.kind.startswith("async"):
            return self.advance
        return lambda seconds: self.control("POST", "/_emulator/clock/advance", json={"seconds": seconds})

    async def close(self) -> None:
        await self.call("aclose" if self.kind.startswith("async") else "close")

"""``Target``: one client (sync or async) and the emulator's control plane, with ``call`` recording
which public methods a test used, for tests that run every method through each way of reaching the
emulator (the servers come from tests/support/server.py)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx


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

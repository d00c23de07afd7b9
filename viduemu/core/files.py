"""Media files served under ``/_emulator/files/``: areas register resolvers by prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Awaitable, Callable

# name (the part after the prefix) -> (file on disk, media type), rendering it first if needed;
# None = no such file. Async, so that a resolver can render in a thread without blocking the loop.
Resolver = Callable[[str], Awaitable["tuple[Path, str] | None"]]


class Files:
    def __init__(self) -> None:
        self._resolvers: dict[str, Resolver] = {}

    def register(self, prefix: str, resolver: Resolver) -> None:
        self._resolvers[prefix] = resolver

    async def resolve(self, name: str) -> tuple[Path, str] | None:
        prefix, _, rest = name.partition("/")
        resolver = self._resolvers.get(prefix)
        return await resolver(rest) if resolver and rest else None

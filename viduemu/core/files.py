"""Media files served under ``/_emulator/files/``: areas register resolvers by prefix."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Awaitable, Callable

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable, Response

from viduemu.core.errors import ViduError
from viduemu.core.http import error_response

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


class RangeMalformed(ValueError):
    """A ``Range`` header that is not a byte-range set (RFC 9110 §14.1.2), or one with last < first."""


class RangeUnsatisfiable(ValueError):
    """No range of the set overlaps the file (RFC 9110 §15.5.17: 416, ``Content-Range: bytes */N``)."""


MAX_RANGES = 16                          # more is refused as malformed (a multipart answer per range)
_POSITION = re.compile(r"[0-9]{1,19}")   # ASCII digits only (str.isdigit also takes other scripts)


def byte_ranges(header: str, size: int) -> list[tuple[int, int]]:
    """The satisfiable ranges of a ``Range`` header as sorted, merged ``(start, end)`` pairs (end
    exclusive) of a file of ``size`` bytes; RangeMalformed or RangeUnsatisfiable."""
    unit, equals, spec = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        raise RangeMalformed("only 'bytes=' ranges are served")
    ranges: list[tuple[int, int]] = []
    parts = spec.split(",")
    if len(parts) > MAX_RANGES:
        raise RangeMalformed(f"at most {MAX_RANGES} ranges")
    for part in parts:
        first, dash, last = (s.strip() for s in part.strip().partition("-"))
        if not dash or not (first or last) or any(p and not _POSITION.fullmatch(p) for p in (first, last)):
            raise RangeMalformed(f"{part.strip()!r} is not first-last, first- or -suffix")
        if first:
            start = int(first)
            if last and int(last) < start:
                raise RangeMalformed(f"{part.strip()!r}: the last byte is before the first")
            if start < size:
                ranges.append((start, min(int(last) + 1, size) if last else size))
        elif int(last) > 0 and size > 0:
            ranges.append((max(size - int(last), 0), size))
    if not ranges:
        raise RangeUnsatisfiable(size)
    ranges.sort()
    merged = [ranges[0]]
    for start, end in ranges[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class _RangedFile(FileResponse):
    """A FileResponse whose ranges are read by ``byte_ranges`` (already judged by ``serve``)."""

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        try:
            return byte_ranges(http_range, file_size)
        except RangeUnsatisfiable:
            raise RangeNotSatisfiable(file_size) from None
        except RangeMalformed as err:
            raise MalformedRangeHeader(str(err)) from None


async def serve(request: Request, path: Path, media_type: str) -> Response:
    """A file, with byte ranges (206); a malformed ``Range`` is a 400 BadRequest and an unsatisfiable one
    a 416 with ``Content-Range: bytes */N``, both in the error envelope (not Starlette's plain text)."""
    header = request.headers.get("range")
    if header is not None and request.method in ("GET", "HEAD"):
        size = (await anyio.to_thread.run_sync(os.stat, path)).st_size
        try:
            byte_ranges(header, size)
        except RangeUnsatisfiable:
            response = error_response(request, ViduError(
                "RangeNotSatisfiable", f"no byte of the range is within the file's {size} bytes"))
            response.headers["Content-Range"] = f"bytes */{size}"
            return response
        except RangeMalformed as err:
            raise ViduError("BadRequest", f"malformed Range header: {err}") from None
    return _RangedFile(path, media_type=media_type)

"""Fetching remote media URLs when ``--fetch-urls`` is on (``emu.fetcher``).

An async callable ``(url, field) -> bytes``: http(s) only, redirects followed, the whole download
capped in time (``fetch_timeout``) and in size (``fetch_max_bytes``, enforced while streaming so an
oversize file is never buffered). A non-2xx answer, a timeout or a network error is the vendor's
``ImageDownloadFailure`` naming the field; a file over the cap is ``PageSizeOutOfRange``.
"""

from __future__ import annotations

import asyncio
import urllib.parse

from viduemu.core.errors import ViduError

MAX_REDIRECTS = 5


class Fetcher:
    def __init__(self, timeout: float, max_bytes: int):
        self.timeout, self.max_bytes = timeout, max_bytes
        self._client = None

    async def __call__(self, url: str, field: str) -> bytes:
        import httpx

        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ViduError("FieldInvalid", f"invalid field: {field} (only http(s) URLs can be fetched)",
                            fields=field)
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=True, max_redirects=MAX_REDIRECTS)
        try:
            async with asyncio.timeout(self.timeout):
                async with self._client.stream("GET", url) as response:
                    if not 200 <= response.status_code < 300:
                        raise _failure(field, f"the server answered HTTP {response.status_code}")
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > self.max_bytes:
                        raise self._too_big(field)
                    chunks, size = [], 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise self._too_big(field)
                        chunks.append(chunk)
                    return b"".join(chunks)
        except TimeoutError:
            raise _failure(field, f"no complete answer within {self.timeout:g} s") from None
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            raise _failure(field, type(exc).__name__) from None

    def _too_big(self, field: str) -> ViduError:
        return ViduError("PageSizeOutOfRange", f"{field}: the file is larger than "
                         f"{self.max_bytes // (1024 * 1024)} MB", fields=field)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _failure(field: str, why: str) -> ViduError:
    return ViduError("ImageDownloadFailure", f"image download failure: {field} ({why})", fields=field)

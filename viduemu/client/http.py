"""A thin client for the Vidu API (and viduemu): one method per vendor operation, sync and async.

    client = ViduClient(api_key="vda_...", base_url="http://127.0.0.1:8000")
    task = client.img2video(model="viduq1", images=["https://..."], prompt="a cat waves")
    done = client.wait_for_task(task["task_id"])

Methods take the vendor's fields as keyword arguments and return the decoded JSON. A vendor error
raises ``ViduError`` (``.status``, ``.reason``, ``.message``, ``.trace_id``, ``.body``); 429 and 5xx
answers are retried with backoff (``retries``, ``backoff``), as the vendor's own clients do.
``sleep`` is how the client waits (retry backoff, ``wait_for_task`` intervals): against a
manual-clock emulator pass one that advances the emulator's clock, and waiting is instant.
``transport`` takes any httpx transport (e.g. ``httpx.ASGITransport(app)`` for in-process use).
Imports nothing from the server side of viduemu.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any, Awaitable, Callable

import httpx

DEFAULT_BASE_URL = "https://api.vidu.com"
DONE = ("success", "failed")


class ViduError(Exception):
    """An error answer of the API, in the vendor's envelope."""

    def __init__(self, status: int, body: Any):
        self.status, self.body = status, body
        envelope = body if isinstance(body, dict) else {}
        self.reason: str = str(envelope.get("reason", ""))
        self.message: str = str(envelope.get("message", body if isinstance(body, str) else ""))
        self.trace_id: str = str((envelope.get("metadata") or {}).get("trace_id", ""))
        super().__init__(f"{status} {self.reason}: {self.message}")


class TaskTimeout(ViduError):
    """``wait_for_task`` ran out of time; ``.body`` is the last answer seen."""


class _Operations:
    """Every vendor operation, once, for both clients (``_call`` is sync or async)."""

    def _call(self, method: str, path: str, *, json: dict | None = None, params: dict | None = None) -> Any:
        raise NotImplementedError

    # -- generation ----------------------------------------------------------------------
    def reference2video(self, **fields: Any) -> Any:
        """``POST /ent/v2/reference2video`` (subjects form or images/videos form)."""
        return self._call("POST", "/ent/v2/reference2video", json=fields)

    def img2video(self, **fields: Any) -> Any:
        """``POST /ent/v2/img2video``."""
        return self._call("POST", "/ent/v2/img2video", json=fields)

    def text2video(self, **fields: Any) -> Any:
        """``POST /ent/v2/text2video``."""
        return self._call("POST", "/ent/v2/text2video", json=fields)

    def start_end2video(self, **fields: Any) -> Any:
        """``POST /ent/v2/start-end2video``."""
        return self._call("POST", "/ent/v2/start-end2video", json=fields)

    # -- tasks -------------------------------------------------------------------------------
    def get_task(self, task_id: str) -> Any:
        """``GET /ent/v2/tasks/{id}/creations``: state, err_code, credits, creations."""
        return self._call("GET", f"/ent/v2/tasks/{task_id}/creations")

    def cancel_task(self, task_id: str) -> Any:
        """``POST /ent/v2/tasks/{id}/cancel``."""
        return self._call("POST", f"/ent/v2/tasks/{task_id}/cancel", json={"id": task_id})

    def list_tasks(self, **query: Any) -> Any:
        """``GET /ent/v2/tasks`` with the vendor's query filters (e.g. ``**{"paper.pagesz": 10}``)."""
        return self._call("GET", "/ent/v2/tasks", params=query)

    def credits(self, show_detail: bool = False) -> Any:
        """``GET /ent/v2/credits``."""
        return self._call("GET", "/ent/v2/credits", params={"show_detail": "true" if show_detail else "false"})

    # -- subjects ------------------------------------------------------------------------------
    def create_subject(self, **fields: Any) -> Any:
        """``POST /ent/v2/subjects``."""
        return self._call("POST", "/ent/v2/subjects", json=fields)

    def list_subjects(self, **query: Any) -> Any:
        """``GET /ent/v2/subjects``."""
        return self._call("GET", "/ent/v2/subjects", params=query)

    def update_subject(self, subject_id: str, **fields: Any) -> Any:
        """``PUT /ent/v2/subjects/{id}``."""
        return self._call("PUT", f"/ent/v2/subjects/{subject_id}", json=fields)

    # -- one-click MV ----------------------------------------------------------------------------
    def mv_create(self, **fields: Any) -> Any:
        """``POST /ent/v2/one-click/mv``."""
        return self._call("POST", "/ent/v2/one-click/mv", json=fields)

    def mv_get(self, mv_id: str) -> Any:
        """``GET /ent/v2/one-click/mv/{id}``."""
        return self._call("GET", f"/ent/v2/one-click/mv/{mv_id}")

    def mv_edit(self, mv_id: str, **fields: Any) -> Any:
        """``POST /ent/v2/one-click/mv/{id}/edit``."""
        return self._call("POST", f"/ent/v2/one-click/mv/{mv_id}/edit", json=fields)

    def mv_compose(self, mv_id: str, **fields: Any) -> Any:
        """``POST /ent/v2/one-click/mv/{id}/compose``."""
        return self._call("POST", f"/ent/v2/one-click/mv/{mv_id}/compose", json=fields)

    # -- S1 live -----------------------------------------------------------------------------------
    def create_live(self, **fields: Any) -> Any:
        """``POST /live/v1/lives``."""
        return self._call("POST", "/live/v1/lives", json=fields)

    def get_live(self, live_id: str) -> Any:
        """``GET /live/v1/lives/{live_id}``."""
        return self._call("GET", f"/live/v1/lives/{live_id}")

    def list_voices(self) -> Any:
        """``GET /live/v1/voices``: the account's cloned voices."""
        return self._call("GET", "/live/v1/voices")

    def clone_voice(self, **fields: Any) -> Any:
        """``POST /live/v1/voices/clone``."""
        return self._call("POST", "/live/v1/voices/clone", json=fields)


def _settings(api_key: str | None, base_url: str | None) -> tuple[str, str]:
    key = api_key or os.environ.get("VIDU_API_KEY", "")
    key = key.removeprefix("Token ").strip()
    return key, (base_url or os.environ.get("VIDU_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _decode(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if response.status_code >= 400:
        raise ViduError(response.status_code, body)
    return body


class ViduClient(_Operations):
    """The synchronous client (see the module docstring)."""

    def __init__(self, api_key: str | None = None, base_url: str | None = None, *,
                 transport: httpx.BaseTransport | None = None, timeout: float = 30.0, retries: int = 2,
                 backoff: float = 1.0, sleep: Callable[[float], Any] = time.sleep):
        key, self.base_url = _settings(api_key, base_url)
        self.api_key, self.retries, self.backoff, self.sleep = key, retries, backoff, sleep
        self._http = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout,
                                  headers={"Authorization": f"Token {key}"})

    def _call(self, method: str, path: str, *, json: dict | None = None, params: dict | None = None) -> Any:
        for attempt in range(self.retries + 1):
            response = self._http.request(method, path, json=json, params=params)
            if not _retryable(response.status_code) or attempt == self.retries:
                return _decode(response)
            self.sleep(self.backoff * 2 ** attempt)

    def wait_for_task(self, task_id: str, *, timeout: float = 600.0, interval: float = 5.0,
                      sleep: Callable[[float], Any] | None = None) -> Any:
        """Poll ``get_task`` until ``success`` or ``failed``; ``TaskTimeout`` after ``timeout`` s of
        sleeping (on ``sleep``, by default the client's own)."""
        sleep = sleep or self.sleep
        waited = 0.0
        while True:
            task = self.get_task(task_id)
            if task.get("state") in DONE:
                return task
            if waited >= timeout:
                raise TaskTimeout(408, task)
            sleep(interval)
            waited += interval

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "ViduClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncViduClient(_Operations):
    """The asynchronous client: the same methods, awaited."""

    def __init__(self, api_key: str | None = None, base_url: str | None = None, *,
                 transport: httpx.AsyncBaseTransport | None = None, timeout: float = 30.0, retries: int = 2,
                 backoff: float = 1.0, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep):
        key, self.base_url = _settings(api_key, base_url)
        self.api_key, self.retries, self.backoff, self.sleep = key, retries, backoff, sleep
        self._http = httpx.AsyncClient(base_url=self.base_url, transport=transport, timeout=timeout,
                                       headers={"Authorization": f"Token {key}"})

    async def _call(self, method: str, path: str, *, json: dict | None = None,
                    params: dict | None = None) -> Any:
        for attempt in range(self.retries + 1):
            response = await self._http.request(method, path, json=json, params=params)
            if not _retryable(response.status_code) or attempt == self.retries:
                return _decode(response)
            await self.sleep(self.backoff * 2 ** attempt)

    async def wait_for_task(self, task_id: str, *, timeout: float = 600.0, interval: float = 5.0,
                            sleep: Callable[[float], Awaitable[Any]] | None = None) -> Any:
        """Poll ``get_task`` until ``success`` or ``failed`` (waiting on ``sleep``, by default the
        client's own)."""
        sleep = sleep or self.sleep
        waited = 0.0
        while True:
            task = await self.get_task(task_id)
            if task.get("state") in DONE:
                return task
            if waited >= timeout:
                raise TaskTimeout(408, task)
            await sleep(interval)
            waited += interval

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncViduClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

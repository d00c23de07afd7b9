"""A thin client for the Vidu API (and viduemu): one method per vendor operation, sync and async.

    client = ViduClient(api_key="vda_...", base_url="http://127.0.0.1:8000")
    task = client.img2video(model="viduq1", images=["https://..."], prompt="a cat waves")
    done = client.wait_for_task(task["task_id"])

Methods take the vendor's fields as keyword arguments and return the decoded JSON. A vendor error
raises ``ViduError`` (``.status``, ``.reason``, ``.message``, ``.trace_id``, ``.fields``, ``.body``);
429 and 5xx answers are retried with exponential backoff (``retries``, ``backoff``: 1 -> 2 -> 4 s by
default, as the vendor's own CLI does). ``sleep`` is how a client waits (retry backoff,
``wait_for_task`` polls): against a manual-clock emulator pass one that advances the emulator's
clock, and waiting takes no time. ``transport`` takes any httpx transport (e.g.
``httpx.ASGITransport(app)`` for in-process use with ``AsyncViduClient``). Imports nothing from the
server side of viduemu. See docs/client.md.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Coroutine, Generic, Mapping, TypeVar, cast

import httpx

DEFAULT_BASE_URL = "https://api.vidu.com"
"""Where the clients go when neither ``base_url`` nor ``VIDU_BASE_URL`` says otherwise."""

DONE = ("success", "failed")
"""The task states ``wait_for_task`` stops at."""

JSON = dict[str, Any]
R = TypeVar("R")


class ViduError(Exception):
    """An error answer of the API, in the vendor's envelope
    ``{"code", "reason", "message", "metadata": {"trace_id", "fields"}}``.

    ``status`` is the HTTP status, ``reason`` the vendor's error code (e.g. ``FieldLacking``),
    ``message`` its text, ``trace_id`` the request's trace id (from the body, else the
    ``x-md-trace-id`` header), ``fields`` the field(s) named by a validation error ("" if none) and
    ``body`` the decoded answer (a string when it was not JSON)."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None):
        self.status, self.body = status, body
        envelope = body if isinstance(body, dict) else {}
        found = envelope.get("metadata")
        metadata: dict[str, Any] = found if isinstance(found, dict) else {}
        self.reason: str = str(envelope.get("reason", ""))
        self.message: str = str(envelope.get("message", body if isinstance(body, str) else ""))
        self.trace_id: str = str(metadata.get("trace_id") or (headers or {}).get("x-md-trace-id", ""))
        self.fields: str = str(metadata.get("fields", ""))
        super().__init__(f"{status} {self.reason}: {self.message}")


class TaskTimeout(TimeoutError):
    """``wait_for_task`` slept ``timeout`` seconds and the task is still not done.

    ``task_id`` is the task, ``task`` the last creations answer seen (its ``state`` says where it is)."""

    def __init__(self, task_id: str, task: JSON, waited: float):
        self.task_id, self.task, self.waited = task_id, task, waited
        super().__init__(f"task {task_id} still {task.get('state')!r} after {waited:g} s")


class _Operations(Generic[R]):
    """Every vendor operation, once, for both clients: ``_call`` returns the answer (``ViduClient``)
    or a coroutine of it (``AsyncViduClient``), so ``R`` is ``JSON`` or ``Coroutine[..., JSON]``."""

    base_url: str
    api_key: str

    def _call(self, method: str, path: str, *, json: JSON | None = None, params: JSON | None = None) -> R:
        raise NotImplementedError

    # -- generation ----------------------------------------------------------------------
    def reference2video(self, **fields: Any) -> R:
        """``POST /ent/v2/reference2video``: the subjects form (``subjects=[{"id", "images", ...}]``)
        or the images/videos form; answers the created task (``task_id``, ``state``, ...)."""
        return self._call("POST", "/ent/v2/reference2video", json=fields)

    def img2video(self, **fields: Any) -> R:
        """``POST /ent/v2/img2video``: one start image (``images=[url or data URI]``) to a video."""
        return self._call("POST", "/ent/v2/img2video", json=fields)

    def text2video(self, **fields: Any) -> R:
        """``POST /ent/v2/text2video``: a video from ``prompt``."""
        return self._call("POST", "/ent/v2/text2video", json=fields)

    def start_end2video(self, **fields: Any) -> R:
        """``POST /ent/v2/start-end2video``: two images (first and last frame) to a video."""
        return self._call("POST", "/ent/v2/start-end2video", json=fields)

    # -- templates -------------------------------------------------------------------------------
    def template(self, **fields: Any) -> R:
        """``POST /ent/v2/template``: a template effect (``template``, ``images``, ...) applied to images."""
        return self._call("POST", "/ent/v2/template", json=fields)

    def template2video(self, **fields: Any) -> R:
        """``POST /ent/v2/template2video``: the older path of ``template`` (the vendor's MCP server calls it)."""
        return self._call("POST", "/ent/v2/template2video", json=fields)

    def template_story(self, **fields: Any) -> R:
        """``POST /ent/v2/template-story``: a story (``story``) from one 9:16 start frame (``images``)."""
        return self._call("POST", "/ent/v2/template-story", json=fields)

    # -- tasks -------------------------------------------------------------------------------
    def get_task(self, task_id: str) -> R:
        """``GET /ent/v2/tasks/{id}/creations``: ``state``, ``err_code``, ``credits``, ``creations``."""
        return self._call("GET", f"/ent/v2/tasks/{task_id}/creations")

    def cancel_task(self, task_id: str) -> R:
        """``POST /ent/v2/tasks/{id}/cancel`` (body ``{"id": task_id}``, as the vendor's example);
        answers ``{}``. Only a task that has not started processing can be cancelled."""
        return self._call("POST", f"/ent/v2/tasks/{task_id}/cancel", json={"id": task_id})

    def list_tasks(self, **query: Any) -> R:
        """``GET /ent/v2/tasks`` with the vendor's query filters, e.g. ``**{"paper.pagesz": 10}``."""
        return self._call("GET", "/ent/v2/tasks", params=query)

    def credits(self, show_detail: bool = False) -> R:
        """``GET /ent/v2/credits``: ``remains`` (and ``packages`` with ``show_detail=True``)."""
        return self._call("GET", "/ent/v2/credits", params={"show_detail": "true" if show_detail else "false"})

    # -- subjects ------------------------------------------------------------------------------
    def create_subject(self, **fields: Any) -> R:
        """``POST /ent/v2/subjects``: a reusable subject (``name``, ``images``, ...) for reference2video."""
        return self._call("POST", "/ent/v2/subjects", json=fields)

    def list_subjects(self, **query: Any) -> R:
        """``GET /ent/v2/subjects`` with the vendor's query parameters."""
        return self._call("GET", "/ent/v2/subjects", params=query)

    def update_subject(self, subject_id: str, **fields: Any) -> R:
        """``PUT /ent/v2/subjects/{id}``: change the fields given."""
        return self._call("PUT", f"/ent/v2/subjects/{subject_id}", json=fields)

    # -- one-click MV ----------------------------------------------------------------------------
    def mv_create(self, **fields: Any) -> R:
        """``POST /ent/v2/one-click/mv``: a music video from ``images`` and ``audio_url``; answers ``{"id"}``."""
        return self._call("POST", "/ent/v2/one-click/mv", json=fields)

    def mv_get(self, mv_id: str) -> R:
        """``GET /ent/v2/one-click/mv/{id}``: the MV's state and ``job_records``."""
        return self._call("GET", f"/ent/v2/one-click/mv/{mv_id}")

    def mv_edit(self, mv_id: str, **fields: Any) -> R:
        """``POST /ent/v2/one-click/mv/{id}/edit``: regenerate one job (``job_id``, ``prompt``, ...)."""
        return self._call("POST", f"/ent/v2/one-click/mv/{mv_id}/edit", json=fields)

    def mv_compose(self, mv_id: str, **fields: Any) -> R:
        """``POST /ent/v2/one-click/mv/{id}/compose``: compose the final video from ``job_ids``."""
        return self._call("POST", f"/ent/v2/one-click/mv/{mv_id}/compose", json=fields)

    # -- edits: multiframe, extend, upscale ------------------------------------------------------------
    def multiframe(self, **fields: Any) -> R:
        """``POST /ent/v2/multiframe``: a video from ``start_image`` through 2-9 ``image_settings`` key frames."""
        return self._call("POST", "/ent/v2/multiframe", json=fields)

    def extend(self, **fields: Any) -> R:
        """``POST /ent/v2/extend``: a video (``video_url`` or ``video_creation_id``) extended by ``duration`` s."""
        return self._call("POST", "/ent/v2/extend", json=fields)

    def upscale_new(self, **fields: Any) -> R:
        """``POST /ent/v2/upscale-new`` (upscale-pro): a video upscaled to ``upscale_resolution``."""
        return self._call("POST", "/ent/v2/upscale-new", json=fields)

    def upscale(self, **fields: Any) -> R:
        """``POST /ent/v2/upscale`` (legacy): a 360p creation (``model="vidu1.0"``, ``creation_id``) upscaled."""
        return self._call("POST", "/ent/v2/upscale", json=fields)

    # -- people: lip-sync, digital human, motion sync, trending replicate ------------------------------
    def lip_sync(self, **fields: Any) -> R:
        """``POST /ent/v2/lip-sync``: ``video_url`` re-voiced with ``audio_url``, or ``text`` spoken in
        ``voice_id``; only the documented fields are accepted (others: FieldUnwanted)."""
        return self._call("POST", "/ent/v2/lip-sync", json=fields)

    def digital_human(self, **fields: Any) -> R:
        """``POST /ent/v2/digital-human``: one portrait (``image``, a string) speaking ``audio_url`` or ``text``."""
        return self._call("POST", "/ent/v2/digital-human", json=fields)

    def image2dance(self, **fields: Any) -> R:
        """``POST /ent/v2/image2dance`` (motion sync): the person of ``image_url`` dancing ``video_url``'s moves."""
        return self._call("POST", "/ent/v2/image2dance", json=fields)

    def trending_replicate(self, **fields: Any) -> R:
        """``POST /ent/v2/trending-replicate``: ``video_url`` redone with ``images`` (products, models)."""
        return self._call("POST", "/ent/v2/trending-replicate", json=fields)
    # -- solutions: one-click films -----------------------------------------------------------------------
    def ad_one_click(self, **fields: Any) -> R:
        """``POST /ent/v2/ad-one-click``: an ad film from ``images``; answers ``task_id`` (a task: poll it
        with ``get_task``)."""
        return self._call("POST", "/ent/v2/ad-one-click", json=fields)

    def ad_one_click_get(self, task_id: str) -> R:
        """``GET /ent/v2/ad-one-click/{id}``: the film's ``data_records`` (storyboards, narration, bgm,
        compositions)."""
        return self._call("GET", f"/ent/v2/ad-one-click/{task_id}")

    def ad_one_click_edit(self, **fields: Any) -> R:
        """``POST /ent/v2/ad-one-click/edit``: a new storyboard video, narration or bgm (``ad_one_click_task_id``,
        ``type``, ``storyboard_video_index``, ``prompt``); answers ``sub_task_id``."""
        return self._call("POST", "/ent/v2/ad-one-click/edit", json=fields)

    def ad_one_click_compose(self, **fields: Any) -> R:
        """``POST /ent/v2/ad-one-click/compose``: a new film (``ad_one_click_task_id``, ``video_task_ids``,
        ``bgm_task_id``, ``narration_task_id``); answers ``compose_sub_task_id``."""
        return self._call("POST", "/ent/v2/ad-one-click/compose", json=fields)

    def general_one_click(self, **fields: Any) -> R:
        """``POST /ent/v2/one-click/general_one_click``: a general film from ``images``; answers ``task_id``
        (and ``id``)."""
        return self._call("POST", "/ent/v2/one-click/general_one_click", json=fields)

    def general_one_click_get(self, film_id: str) -> R:
        """``GET /ent/v2/one-click/general_one_click/{id}``: the film's ``job_records`` (the MV's shape)."""
        return self._call("GET", f"/ent/v2/one-click/general_one_click/{film_id}")

    def general_one_click_edit(self, film_id: str, **fields: Any) -> R:
        """``POST /ent/v2/one-click/general_one_click/{id}/edit``: regenerate one job (``job_id``, ``prompt``)."""
        return self._call("POST", f"/ent/v2/one-click/general_one_click/{film_id}/edit", json=fields)

    def general_one_click_compose(self, film_id: str, **fields: Any) -> R:
        """``POST /ent/v2/one-click/general_one_click/{id}/compose``: a new film from ``job_ids``."""
        return self._call("POST", f"/ent/v2/one-click/general_one_click/{film_id}/compose", json=fields)

    # -- images and audio (issue 15) -----------------------------------------------------------------------
    def reference2image(self, **fields: Any) -> R:
        """``POST /ent/v2/reference2image``: an image (a task; its creation's ``url`` is a PNG) from ``prompt``
        and 0-7 ``images`` (none: text-to-image, viduq2)."""
        return self._call("POST", "/ent/v2/reference2image", json=fields)

    def text2audio(self, **fields: Any) -> R:
        """``POST /ent/v2/text2audio``: sound effects or music (a task; an MP3) from ``prompt``, 2-10 s."""
        return self._call("POST", "/ent/v2/text2audio", json=fields)

    def timing2audio(self, **fields: Any) -> R:
        """``POST /ent/v2/timing2audio``: sound events (``timing_prompts``: ``from``, ``to``, ``prompt``) on a
        timeline (a task; an MP3)."""
        return self._call("POST", "/ent/v2/timing2audio", json=fields)

    def audio_tts(self, **fields: Any) -> R:
        """``POST /ent/v2/audio-tts``: speech from ``text`` in ``voice_setting_voice_id``; synchronous, the
        answer's ``file_url`` is the MP3 (no task)."""
        return self._call("POST", "/ent/v2/audio-tts", json=fields)

    def audio_clone(self, **fields: Any) -> R:
        """``POST /ent/v2/audio-clone``: a voice (``voice_id``) cloned from ``audio_url``; synchronous, the
        answer's ``demo_audio`` says ``text`` in it (no task)."""
        return self._call("POST", "/ent/v2/audio-clone", json=fields)

    # -- S1 live -----------------------------------------------------------------------------------
    def create_live(self, **fields: Any) -> R:
        """``POST /live/v1/lives``: a live session (``call_mode``, ``avatar``, ...); the answer holds
        ``live`` and the ``rtc`` block. Go live with ``LiveConnection``."""
        return self._call("POST", "/live/v1/lives", json=fields)

    def get_live(self, live_id: str) -> R:
        """``GET /live/v1/lives/{live_id}``: the session's ``status``, ``hangup_reason``, ``credits_cost``."""
        return self._call("GET", f"/live/v1/lives/{live_id}")

    def list_lives(self, **query: Any) -> R:
        """``GET /live/v1/lives``: the key's own sessions, newest first, e.g. ``**{"pager.pagesz": 20}``;
        the answer holds ``lives`` (the shape ``get_live`` answers in ``live``) and ``total``."""
        return self._call("GET", "/live/v1/lives", params=query)

    def list_voices(self) -> R:
        """``GET /live/v1/voices``: the account's cloned voices."""
        return self._call("GET", "/live/v1/voices")

    def clone_voice(self, **fields: Any) -> R:
        """``POST /live/v1/voices/clone``: a voice (``voice``, ``audio_url``) for live sessions."""
        return self._call("POST", "/live/v1/voices/clone", json=fields)

    # -- uploads and the prompt recommendation (issue 15) ----------------------------------------------
    def create_upload(self, scene: str = "vidu") -> R:
        """``POST /tools/v2/files/uploads``: ``{id, put_url, expires_at}`` (step 1; ``upload`` does all three)."""
        return self._call("POST", UPLOADS, json={"scene": scene})

    def finish_upload(self, upload_id: str, etag: str) -> R:
        """``PUT /tools/v2/files/uploads/{id}/finish``: ``{"uri": "ssupload:?id=..."}`` (step 3)."""
        return self._call("PUT", f"{UPLOADS}/{upload_id}/finish", json={"etag": etag})

    def img2video_prompt_recommendation(self, **fields: Any) -> R:
        """``POST /ent/v2/img2video-prompt-recommendation``: prompts for an image (``images``, ``type``,
        ``count``, ``resolution``), answered at once."""
        return self._call("POST", "/ent/v2/img2video-prompt-recommendation", json=fields)


UPLOADS = "/tools/v2/files/uploads"
_IMAGE_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"RIFF": "image/webp"}


def _image(source: bytes | str | os.PathLike[str]) -> tuple[bytes, str]:
    """The bytes to upload (given, or read from a path) and their Content-Type, sniffed."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    kind = next((mime for magic, mime in _IMAGE_TYPES.items() if data.startswith(magic)), "application/octet-stream")
    return data, kind


def _put_request(http: httpx.Client | httpx.AsyncClient, put_url: str, data: bytes, kind: str) -> httpx.Request:
    """The PUT to a presigned URL: its signature is the credential, so no Authorization header goes with it."""
    request = http.build_request("PUT", put_url, content=data, headers={"Content-Type": kind})
    request.headers.pop("Authorization", None)
    return request


def _etag(response: httpx.Response) -> str:
    if response.status_code >= 400:
        _decode(response)   # raises the ViduError
    return response.headers["etag"]


def _settings(api_key: str | None, base_url: str | None) -> tuple[str, str]:
    key = (api_key or os.environ.get("VIDU_API_KEY", "")).strip().removeprefix("Token ").strip()
    if not key:
        raise ValueError("no API key: pass api_key= or set VIDU_API_KEY")
    return key, (base_url or os.environ.get("VIDU_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _decode(response: httpx.Response) -> JSON:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if response.status_code >= 400:
        raise ViduError(response.status_code, body, response.headers)
    return cast(JSON, body)  # the API answers a success with a JSON object


class ViduClient(_Operations[JSON]):
    """The synchronous client: one method per vendor operation (see the module docstring).

    ``api_key`` (``vda_...`` or ``Token vda_...``) falls back to ``VIDU_API_KEY``; ``base_url`` to
    ``VIDU_BASE_URL``, then ``https://api.vidu.com``. ``transport`` is any ``httpx.BaseTransport``.
    A 429 or 5xx answer is retried up to ``retries`` times, sleeping ``backoff * 2**attempt`` s."""

    def __init__(self, api_key: str | None = None, base_url: str | None = None,
                 transport: httpx.BaseTransport | None = None, timeout: float = 30.0, *, retries: int = 3,
                 backoff: float = 1.0, sleep: Callable[[float], Any] = time.sleep):
        self.api_key, self.base_url = _settings(api_key, base_url)
        self.retries, self.backoff, self.sleep = retries, backoff, sleep
        self._http = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout,
                                  headers={"Authorization": f"Token {self.api_key}"})

    def _call(self, method: str, path: str, *, json: JSON | None = None, params: JSON | None = None) -> JSON:
        attempt = 0
        while True:
            response = self._http.request(method, path, json=json, params=params)
            if not _retryable(response.status_code) or attempt >= self.retries:
                return _decode(response)
            self.sleep(self.backoff * 2 ** attempt)
            attempt += 1

    def wait_for_task(self, task_id: str, timeout: float = 600.0, interval: float = 5.0, *,
                      sleep: Callable[[float], Any] | None = None) -> JSON:
        """Poll ``get_task`` every ``interval`` s until the task is ``success`` or ``failed`` and
        return that answer (a failed task is returned, not raised: read its ``err_code``).

        Raises ``TaskTimeout`` once ``timeout`` seconds of sleeping have passed. It waits on ``sleep``,
        by default the client's own (see the module docstring)."""
        sleep = sleep or self.sleep
        waited = 0.0
        while True:
            task = self.get_task(task_id)
            if task.get("state") in DONE:
                return task
            if waited >= timeout:
                raise TaskTimeout(task_id, task, waited)
            sleep(interval)
            waited += interval

    def upload(self, source: bytes | str | os.PathLike[str]) -> str:
        """An image (bytes, or a file's path) through the three upload steps; its ``ssupload:?id=...`` URI,
        usable as any image input."""
        data, kind = _image(source)
        made = self.create_upload()
        etag = _etag(self._http.send(_put_request(self._http, made["put_url"], data, kind)))
        return str(self.finish_upload(made["id"], etag)["uri"])

    def close(self) -> None:
        """Close the connection pool (``with ViduClient(...) as client:`` does it for you)."""
        self._http.close()

    def __enter__(self) -> "ViduClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncViduClient(_Operations[Coroutine[Any, Any, JSON]]):
    """The asynchronous client: the same methods and options as ``ViduClient``, awaited.

    ``transport`` is any ``httpx.AsyncBaseTransport``, e.g. ``httpx.ASGITransport(app)``."""

    def __init__(self, api_key: str | None = None, base_url: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, timeout: float = 30.0, *, retries: int = 3,
                 backoff: float = 1.0, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep):
        self.api_key, self.base_url = _settings(api_key, base_url)
        self.retries, self.backoff, self.sleep = retries, backoff, sleep
        self._http = httpx.AsyncClient(base_url=self.base_url, transport=transport, timeout=timeout,
                                       headers={"Authorization": f"Token {self.api_key}"})

    async def _call(self, method: str, path: str, *, json: JSON | None = None,
                    params: JSON | None = None) -> JSON:
        attempt = 0
        while True:
            response = await self._http.request(method, path, json=json, params=params)
            if not _retryable(response.status_code) or attempt >= self.retries:
                return _decode(response)
            await self.sleep(self.backoff * 2 ** attempt)
            attempt += 1

    async def wait_for_task(self, task_id: str, timeout: float = 600.0, interval: float = 5.0, *,
                            sleep: Callable[[float], Awaitable[Any]] | None = None) -> JSON:
        """Poll ``get_task`` every ``interval`` s until ``success`` or ``failed`` (see
        ``ViduClient.wait_for_task``), waiting on ``sleep`` (a coroutine function), by default the
        client's own."""
        sleep = sleep or self.sleep
        waited = 0.0
        while True:
            task = await self.get_task(task_id)
            if task.get("state") in DONE:
                return task
            if waited >= timeout:
                raise TaskTimeout(task_id, task, waited)
            await sleep(interval)
            waited += interval

    async def upload(self, source: bytes | str | os.PathLike[str]) -> str:
        """``ViduClient.upload``, awaited: the image's ``ssupload:?id=...`` URI."""
        data, kind = _image(source)
        made = await self.create_upload()
        etag = _etag(await self._http.send(_put_request(self._http, made["put_url"], data, kind)))
        return str((await self.finish_upload(made["id"], etag))["uri"])

    async def aclose(self) -> None:
        """Close the connection pool (``async with AsyncViduClient(...) as client:`` does it for you)."""
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncViduClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

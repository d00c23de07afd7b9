"""The outputs of finished work: creations filled on success, media rendered on first download.

On success a task gets one creation whose ``url`` / ``cover_url`` point under
``/_emulator/files/tasks/<task_id>/<creation_id>.<suffix>`` (``KINDS``: a video and its cover, an image,
an audio file) and a ``media`` record of what the
render needs (``fill``). ``resolver(lookup)`` serves the clips a lookup finds (tasks, MV jobs). Nothing is
rendered at success: the first download renders in a worker thread (the event loop keeps serving)
and caches the file under a content key, so concurrent first downloads render once and identical
clips share one file. The cache is ``--media-dir`` (VIDUEMU_MEDIA_DIR), else
``<state file>.media/`` with ``--state``, else a temporary directory removed on close.

Inputs a render needs later (an MV's song, a source video) are kept there too, under ``blobs/``, named
by their content (``keep``). A task's sound follows its request (``SOUNDS``, docs/decisions.md "Sound").
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from viduemu.core.context import Core
from viduemu.core.files import Resolver
from viduemu.vidu import voice
from viduemu.vidu.lives import DEFAULT_VOICE
from viduemu.vidu.media import AUTO_DURATION, FPS, MEDIA_TYPES, Clip, Sound, Source, render, resolution_size
from viduemu.vidu.tasks import Task, TaskFailed

PREFIX = "tasks"
DEFAULT_RESOLUTION = "1080p"   # for task kinds whose fields carry none
DEFAULT_ASPECT_RATIO = "16:9"


BLOBS = "blobs"


# the kind of a task's output -> the suffixes of its creation's (url, cover_url); None: no cover_url file
# (an image is its own cover; an audio file has none: "", docs/decisions.md "Images and audio")
KINDS: dict[str, tuple[str, str | None]] = {"video": (".mp4", ".jpg"), "image": (".png", ".png"),
                                            "audio": (".mp3", None)}


def plan(width: int, height: int, duration: float, prompt: str, seed: int, *, sound: Sound | None = None,
         source: Source | None = None, fails: str = "", kind: str = "video") -> dict:
    """What a task's output will be (``Task.plan``, then ``Task.media``: the stored form of its ``Clip``);
    ``fails``: the reason it will fail with instead (a documented failure the request already determines);
    ``kind``: a key of ``KINDS`` (an image is a still of the clip, an audio file its sound)."""
    media = asdict(Clip(width, height, duration, FPS, prompt, seed, sound=sound, source=source))
    extra = {"fails": fails} if fails else {}
    return {**media, **extra, **({"kind": kind} if kind != "video" else {})}


def _speech(fields: dict, seed: int) -> Sound:
    """The voice of the first subject given one (inline, as the request had it), else the default."""
    voice_id = next((s["voice_id"] for s in fields.get("subjects") or () if s.get("voice_id")), DEFAULT_VOICE)
    return Sound("speech", seed, pitch=voice.pitch(voice_id))


# (request field, the sound it asks for), first match wins: speech over music (docs/decisions.md "Sound")
SOUNDS: tuple[tuple[str, Callable[[dict, int], Sound]], ...] = (
    ("audio", _speech),
    ("bgm", lambda fields, seed: Sound("music", seed)),
)


def task_sound(fields: dict) -> Sound | None:
    """The sound a request asks for; None: a silent video."""
    seed = fields.get("seed") or 0
    return next((make(fields, seed) for name, make in SOUNDS if fields.get(name)), None)


# ("<owner id>", "<file id>", ".<suffix>") -> the clip to render, or None when there is no such finished file
Lookup = Callable[[str, str, str], "Clip | None"]


class Outputs:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._dir: Path | None = None
        self._temporary = False
        self._rendering: dict[Path, asyncio.Future] = {}

    def resolver(self, lookup: Lookup) -> Resolver:
        """What serves ``/_emulator/files/<prefix>/<owner>/<file>.<suffix>`` for the clips ``lookup`` finds."""

        async def resolve(name: str) -> tuple[Path, str] | None:
            owner, _, file_name = name.partition("/")
            file_id, _, ext = file_name.rpartition(".")
            suffix = f".{ext}"
            clip = lookup(owner, file_id, suffix) if suffix in MEDIA_TYPES else None
            if clip is None:
                return None
            path = self._directory() / f"{clip.key()}{suffix}"
            if not path.exists():
                await self._render_once(clip, suffix, path)
            return path, MEDIA_TYPES[suffix]

        return resolve

    def fill(self, task: Task) -> None:
        """Give a succeeding task its creation and the record its media will be rendered from: its plan
        when the creating request decided one (``TaskFailed`` when the plan is to fail), else its fields'."""
        fields, planned = task.fields, task.plan
        if planned and planned.get("fails"):
            raise TaskFailed(planned["fails"])
        kind = "video"
        if planned:
            kind = planned.get("kind", kind)
            task.media = {k: v for k, v in planned.items() if k != "kind"}
        else:
            width, height = resolution_size(fields.get("resolution") or DEFAULT_RESOLUTION,
                                            fields.get("aspect_ratio") or DEFAULT_ASPECT_RATIO)
            task.media = plan(width, height, fields.get("duration") or AUTO_DURATION, fields.get("prompt") or "",
                              fields.get("seed") or 0, sound=task_sound(fields))
        task_id, creation_id = task.task_id, self.core.ids.new_id()
        base = f"/_emulator/files/{PREFIX}/{task_id}/{creation_id}"
        url, cover = KINDS[kind]
        task.creations = [{"id": creation_id, "url": f"{base}{url}", "cover_url": f"{base}{cover}" if cover else ""}]

    @staticmethod
    def task_clip(task: Task | None, creation_id: str, suffix: str) -> Clip | None:
        """The clip of a successful task's creation when it has a file of this suffix, or None."""
        name = f"/{creation_id}{suffix}"
        if (task is None or task.state != "success" or task.media is None
                or not any(c["id"] == creation_id and name in (c["url"][-len(name):], c["cover_url"][-len(name):])
                           for c in task.creations)):
            return None
        return Clip.from_media(task.media)

    # -- kept inputs -----------------------------------------------------------------
    async def keep(self, data: bytes, suffix: str) -> str:
        """Keep an input a render will need (written once, atomically, off the event loop); its key."""
        key = f"{hashlib.sha256(data).hexdigest()[:32]}{suffix}"
        await asyncio.to_thread(_write_once, self.blobs() / key, data)
        return key

    def blobs(self) -> Path:
        return self._directory() / BLOBS

    # -- rendering and the cache -------------------------------------------------
    async def _render_once(self, clip: Clip, suffix: str, path: Path) -> None:
        pending = self._rendering.get(path)
        if pending is None:
            pending = asyncio.ensure_future(asyncio.to_thread(render, clip, suffix, path, self.blobs()))
            self._rendering[path] = pending
            pending.add_done_callback(lambda _: self._rendering.pop(path, None))
        # shielded: a client that goes away does not cancel the render others may be waiting on
        await asyncio.shield(pending)

    def _directory(self) -> Path:
        if self._dir is None:
            settings = self.core.settings
            if settings.media_dir:
                self._dir = Path(settings.media_dir)
            elif settings.state:
                self._dir = Path(f"{settings.state}.media")
            else:
                self._dir, self._temporary = Path(tempfile.mkdtemp(prefix="viduemu-media-")), True
            (self._dir / BLOBS).mkdir(parents=True, exist_ok=True)
        return self._dir

    async def close(self) -> None:
        await asyncio.gather(*self._rendering.values(), return_exceptions=True)
        if self._temporary and self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir, self._temporary = None, False


def _write_once(path: Path, data: bytes) -> None:
    if path.exists():
        return
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(partial, path)
    except BaseException:
        os.unlink(partial)
        raise

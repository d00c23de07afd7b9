"""The /ent/v2 area: generation tasks, task management, subjects, one-click MV and one-click films."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from starlette.routing import BaseRoute

from viduemu.core.area import Area
from viduemu.core.context import Core
from viduemu.core.files import Resolver
from viduemu.core.records import Table
from viduemu.ent import operations, routes
from viduemu.ent.models import Film, Mv, MvChanged, MvEngine, Speech, Subjects
from viduemu.ent.outputs import Outputs
from viduemu.ent.uploads import Uploads
from viduemu.ent.views import creations_view, mv_view
from viduemu.vidu.accounts import Accounts
from viduemu.vidu.callbacks import NOTIFY_STATES, Callbacks
from viduemu.vidu.fetch import Fetcher
from viduemu.vidu.inputs import Sources
from viduemu.vidu.media import FPS, Clip, Sound, resolution_size
from viduemu.vidu.tasks import TaskChanged, TaskEngine, TaskSucceeding


def _shot_starts(mv: Mv) -> list[float]:
    """Where each shot starts in the song: the sum of the earlier shots' durations."""
    lengths = [record["jobs"][0]["input"]["duration"] for record in sorted(mv.shots(), key=lambda r: r["index"])]
    return [float(sum(lengths[:i])) for i in range(len(lengths))]


class EntArea(Area):
    def __init__(self, core: Core, accounts: Accounts, tasks: TaskEngine, callbacks: Callbacks,
                 fetcher: Fetcher | None) -> None:
        self.core, self.accounts, self.tasks, self.callbacks = core, accounts, tasks, callbacks
        self.subjects = Subjects(core)
        self.mv = MvEngine(core, accounts)
        self.films = Table(core.store, Film)   # one-click films' trees (ent/solutions.py)
        self.speeches = Table(core.store, Speech)   # audio-tts / audio-clone answers (ent/audio.py)
        self.outputs = Outputs(core)
        self.uploads = Uploads(core, self.outputs)
        # what every media check reads URL inputs through: remote URLs, and the caller's uploads
        self.fetcher = Sources(fetcher, self.uploads.read)
        core.events.subscribe(TaskSucceeding, self._task_succeeding)
        core.events.subscribe(TaskChanged, self._task_changed)
        core.events.subscribe(MvChanged, self._mv_changed)

    def owns(self, task_type: str) -> bool:
        return task_type in operations.TASK_TYPES

    # -- what other parts tell us ------------------------------------------------------------
    def _task_succeeding(self, event: TaskSucceeding) -> None:
        if self.owns(event.task.type):
            self.outputs.fill(event.task)

    def _task_changed(self, event: TaskChanged) -> None:
        task = event.task
        if task.callback_url and self.owns(task.type) and task.state in NOTIFY_STATES:
            self.callbacks.notify(task.task_id, task.api_key, task.callback_url,
                                  creations_view(task, self.core.linker(self.core.settings.base_url), self.core.clock.now()))

    def _mv_changed(self, event: MvChanged) -> None:
        """The MV's own changes go to its callback_url; an edit or compose job that was given a
        callback_url of its own reports there. The body is the MV's GET shape."""
        mv = event.mv
        job = mv.job(event.job_id) if event.job_id is not None else None
        if job is not None and not job.get("callback_url"):
            return
        ref, state, url = (job["id"], job["state"], job["callback_url"]) if job else (mv.id, mv.state, mv.callback_url)
        if state in NOTIFY_STATES:
            self.callbacks.notify(ref, mv.api_key, url, mv_view(mv, self.core.linker(self.core.settings.base_url)))

    # -- media ------------------------------------------------------------------------------------
    def _mv_clip(self, mv_id: str, job_id: str, suffix: str) -> Clip | None:
        """The clip a successful job's ``signed_url`` serves: its shot, or the shots it composes, with
        the song from where its first shot starts in it (docs/decisions.md "Sound")."""
        mv = self.mv.find(mv_id)
        job = mv.job(job_id) if mv is not None else None
        if mv is None or job is None or job["state"] != "success":
            return None
        shots = [s for s in (mv.job(source) for source in job.get("sources", ())) if s is not None] or [job]
        width, height = resolution_size(mv.fields["resolution"], mv.fields["aspect_ratio"])
        seed = int(job_id) % 2**31
        blob = mv.fields["audio"].get("blob", "")
        starts = _shot_starts(mv)
        sound = Sound("file", blob=blob, offset=starts[shots[0]["index"]]) if blob else Sound("music", seed)
        return Clip(width, height, sum(s["input"]["duration"] for s in shots), FPS,
                    " / ".join(s["input"]["prompt"] for s in shots if s["input"]["prompt"]) or mv.fields["prompt"],
                    seed, sound=sound)

    def _speech_clip(self, task_id: str, file_id: str, suffix: str) -> Clip | None:
        speech = self.speeches.get(task_id)
        if speech is None or file_id != task_id or suffix != ".mp3":
            return None
        return Clip.from_media(speech.media)

    # -- the Area protocol --------------------------------------------------------------------------
    def routes(self) -> Sequence[BaseRoute]:
        return routes.routes(self)

    def files(self) -> Mapping[str, Resolver]:
        return {"tasks": self.outputs.resolver(lambda task_id, creation_id, suffix:
                                               Outputs.task_clip(self.tasks.find(task_id), creation_id, suffix)),
                "mv": self.outputs.resolver(self._mv_clip),
                "speech": self.outputs.resolver(self._speech_clip)}

    def resume(self) -> None:
        self.mv.resume()

    def reset(self) -> None:
        self.mv.reset()

    async def aclose(self) -> None:
        await self.outputs.close()

"""The records and engines of /ent/v2 beside generation tasks (vidu/tasks.py): subjects, one-click MV and
the films of the solutions (ad-one-click, general_one_click: ``Film``, the tree of a film's tasks).

**Subjects** (wire notes §1.11): a key's library of reusable characters for reference2video, made
synchronously; another key's subject does not exist for the caller.

**One-click MV**: an MV is a set of shots (``generate_video`` jobs) and composites (``compose`` jobs).
The MV record holds everything: its state, its price, its input, and its ``records``: one record per
shot (``{"type": "generate_video", "index": i, "jobs": [...]}``, the shot's history, oldest first) and
one compose record (``{"type": "compose", "index": 0, ...}``). Lifecycle on the virtual clock (every
timer looks the MV and job up by id, so ``resume`` re-arms them from stored state after a restart):

- creation: the MV and its shots are ``created``; the first compose job waits for the shots.
- ``START_AFTER`` s later each shot starts (``processing``, and so does the MV) and finishes
  ``settings.task_seconds`` later; when every first shot is ``success``, the first compose job
  runs for ``COMPOSE_SECONDS`` and its success makes the MV ``success``.
- a ``task.finish`` fault rule (taken as each job finishes, as for tasks) fails that job; a failed
  first job fails the MV, which is refunded. An edit or a later compose failing is refunded its own price.
- edit adds a ``generate_video`` job to a shot's history; compose adds a ``compose`` job built from
  the given shot jobs. The MV's ``signed_url`` is that of its newest successful composite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

from viduemu.core.context import Core
from viduemu.core.errors import REASONS, ViduError, invalid
from viduemu.core.records import Record, Table
from viduemu.vidu.accounts import Accounts, creator_id
from viduemu.vidu.tasks import TERMINAL, finish_outcome, refund

START_AFTER = 1.0          # virtual seconds an MV job stays "created"
COMPOSE_SECONDS = 10.0     # virtual seconds a compose job spends "processing"



class Job(TypedDict, total=False):
    """One job of an MV, held inside the MV record's ``records`` (``Mv.job``)."""
    id: str
    type: str                  # "generate_video" (a shot) | "compose"
    index: int                 # the shot's index (0 for compose)
    state: str
    created_at: float
    updated_at: float
    err_code: str
    err_msg: str
    signed_url: str            # where its video is served, once it succeeded
    start_at: float | None
    finish_at: float | None
    first: bool                # one of the MV's first jobs (its failure fails the MV)
    credits: int               # what it was charged (an edit), refunded if it fails
    callback_url: str | None
    input: dict[str, Any]      # a shot's mv_generate_video_input
    sources: list[str]         # a compose job's shot jobs


# -- subjects ----------------------------------------------------------------------------------
@dataclass
class Subject(Record):
    KIND = "subjects"
    KEY = "id"

    id: str
    api_key: str
    name: str
    images: list[Any]
    created_at: float
    updated_at: float
    videos: list[Any] = field(default_factory=list)
    voice_id: str = ""
    style: str = ""
    description: str = ""


class Subjects:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.table = Table(core.store, Subject)

    def make(self, api_key: str, body: dict[str, Any]) -> Subject:
        """Store a new subject of a checked body (also the aggregator's vidu_create_subjects). Free: no
        price is documented for a library entry (docs/decisions.md)."""
        now = self.core.clock.now()
        return self.table.put(Subject(id=self.core.ids.new_id(), api_key=api_key, name=body["name"],
                                      images=body["images"], videos=body.get("videos", []),
                                      voice_id=body.get("voice_id", ""), created_at=now, updated_at=now))

    def owned(self, api_key: str, subject_id: str) -> Subject | None:
        subject = self.table.get(subject_id)
        return subject if subject is not None and subject.api_key == api_key else None

    def get(self, api_key: str, subject_id: str) -> Subject:
        subject = self.owned(api_key, subject_id)
        if subject is None:
            raise ViduError("NotFound", f"subject not found: {subject_id}")
        return subject

    def newest_first(self, api_key: str) -> list[Subject]:
        return [s for s in reversed(list(self.table.all())) if s.api_key == api_key]

    def edit(self, subject: Subject, changes: dict[str, Any]) -> Subject:
        for name, value in changes.items():
            setattr(subject, name, value)
        subject.updated_at = self.core.clock.now()
        return self.table.put(subject)


# -- one-click films (ent/solutions.py) ------------------------------------------------------------------
@dataclass
class Film(Record):
    """The tree of a one-click film: every part is a task of the generic engine (its state, price, outputs
    and callbacks are the task's); this record only says which task is which part, oldest first."""
    KIND = "films"
    KEY = "id"

    id: str                       # the film task's id
    api_key: str
    kind: str                     # the film task's type: "ad-one-click" | "general_one_click"
    storyboards: list[list[str]]  # per storyboard, its generate_video tasks (the first made with the film)
    narrations: list[str]         # generate_narration tasks
    bgms: list[str]               # generate_bgm tasks
    composes: list[str]           # compose tasks (the first made with the film, which waits for it)

    def part_ids(self) -> list[str]:
        return [*(i for board in self.storyboards for i in board), *self.narrations, *self.bgms, *self.composes]


# -- one-click MV --------------------------------------------------------------------------------
def file_path(mv_id: str, job_id: str) -> str:
    """Where a job's video is served, relative to the emulator's base URL."""
    return f"/_emulator/files/mv/{mv_id}/{job_id}.mp4"


@dataclass
class Mv(Record):
    KIND = "mv"
    KEY = "id"

    id: str
    api_key: str
    creator_id: str
    credits: int
    fields: dict[str, Any]
    created_at: float
    updated_at: float
    records: list[dict[str, Any]]
    callback_url: str | None = None
    state: str = "created"
    err_code: str = ""
    err_msg: str = ""
    signed_url: str = ""

    def shots(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["type"] == "generate_video"]

    def composites(self) -> dict[str, Any]:
        return next(r for r in self.records if r["type"] == "compose")

    def jobs(self):
        return (job for record in self.records for job in record["jobs"])

    def job(self, job_id: str) -> Job | None:
        return next((job for job in self.jobs() if job["id"] == job_id), None)


@dataclass(frozen=True)
class MvChanged:
    """An MV or one of its jobs (``job_id``; None: the MV itself) changed state."""
    mv: Mv
    job_id: str | None


class MvEngine:
    def __init__(self, core: Core, accounts: Accounts) -> None:
        self.core, self.accounts = core, accounts
        self.table = Table(core.store, Mv)
        self._owner: dict[str, str] = {}   # job id -> MV id, for GET by a job's id

    @property
    def clock(self):
        return self.core.clock

    # -- reading -------------------------------------------------------------
    def get(self, api_key: str, some_id: str, *, by_job: bool = False) -> Mv:
        """The caller's MV by its id (or, with ``by_job``, by the id of one of its jobs)."""
        mv = self.table.get(some_id)
        if mv is None and by_job and some_id in self._owner:
            mv = self.table.get(self._owner[some_id])
        if mv is None or mv.api_key != api_key:
            raise ViduError("TaskNotFound", f"task not found: {some_id}")
        return mv

    def find(self, mv_id: str) -> Mv | None:
        return self.table.get(mv_id)

    # -- creating --------------------------------------------------------------
    def _job(self, kind: str, index: int, start_at: float | None, **extra: Any) -> Job:
        now = self.clock.now()
        job = Job(id=self.core.ids.new_id(), type=kind, index=index, state="created", created_at=now,
                  updated_at=now, err_code="", err_msg="", signed_url="", start_at=start_at, finish_at=None,
                  first=False, credits=0, callback_url=None)
        job.update(extra)  # type: ignore[typeddict-item]  # input / sources / first / credits / callback_url
        return job

    def create(self, api_key: str, fields: dict, shot_inputs: list[dict], credits: int,
               callback_url: str | None) -> Mv:
        """Charge ``credits`` and create the MV; ``CreditInsufficient`` creates nothing."""
        now = self.clock.now()
        mv_id = self.core.ids.new_id()
        shots = [self._job("generate_video", i, now + START_AFTER, input=shot, first=True)
                 for i, shot in enumerate(shot_inputs)]
        compose = self._job("compose", 0, None, first=True, sources=[s["id"] for s in shots])
        mv = Mv(id=mv_id, api_key=api_key, creator_id=creator_id(api_key), credits=credits, fields=fields,
                callback_url=callback_url, created_at=now, updated_at=now,
                records=[{"type": "generate_video", "index": s["index"], "jobs": [s]} for s in shots]
                + [{"type": "compose", "index": 0, "jobs": [compose]}])
        with self.core.store.atomic():
            self.accounts.charge(api_key, credits, "task:mv", mv_id)
            self.table.put(mv)
        self._arm(mv)
        return mv

    def edit(self, mv: Mv, job_id: str, prompt: str, credits_per_second: int, callback_url: str | None) -> str:
        """A new generate_video job in the history of the shot ``job_id`` belongs to; answers its id."""
        record = next((r for r in mv.shots() if any(j["id"] == job_id for j in r["jobs"])), None)
        if record is None:
            raise invalid("job_id", f"{job_id} is not a shot (generate_video job) of MV {mv.id}")
        if mv.state == "failed":
            raise ViduError("BadRequest", "mv state is failed, can not edit")
        if mv.state != "success":
            raise ViduError("OperationInProcess", f"mv state is {mv.state}: operation in process, "
                            "please retry later")
        shot = next(j for j in record["jobs"] if j["id"] == job_id)
        duration = shot["input"]["duration"]
        job = self._job("generate_video", record["index"], self.clock.now() + START_AFTER,
                        input={**shot["input"], "prompt": prompt}, credits=duration * credits_per_second,
                        callback_url=callback_url)
        with self.core.store.atomic():
            if job["credits"]:  # charged first: CreditInsufficient must leave the MV untouched
                self.accounts.charge(mv.api_key, job["credits"], "task:mv.edit", job["id"])
            record["jobs"].append(job)
            self.table.put(mv)
        self._arm_job(mv, job)
        return job["id"]

    def compose(self, mv: Mv, job_ids: list[str], callback_url: str | None) -> str:
        """A new compose job from the given shot jobs (each a successful shot, one per shot); its id."""
        seen: set[int] = set()
        for job_id in job_ids:
            job = mv.job(job_id)
            if job is None or job["type"] != "generate_video":
                raise invalid("job_ids", f"{job_id} is not a shot (generate_video job) of MV {mv.id}")
            if job["state"] != "success":
                raise invalid("job_ids", f"shot job {job_id} is {job['state']}; only successful shots compose")
            if job["index"] in seen:
                raise invalid("job_ids", f"two jobs of shot {job['index']}; give one job per shot")
            seen.add(job["index"])
        job = self._job("compose", 0, self.clock.now() + START_AFTER, sources=list(job_ids),
                        callback_url=callback_url)
        mv.composites()["jobs"].append(job)
        self.table.put(mv)
        self._arm_job(mv, job)
        return job["id"]

    # -- lifecycle ---------------------------------------------------------------
    def _arm(self, mv: Mv) -> None:
        for job in mv.jobs():
            self._arm_job(mv, job)
        if mv.state == "processing":
            self._start_first_compose(mv)  # in case a restart fell between the last shot and it

    def _arm_job(self, mv: Mv, job: Job) -> None:
        self._owner[job["id"]] = mv.id
        if job["state"] == "created" and job["start_at"] is not None:
            self.clock.call_at(job["start_at"], self._start, mv.id, job["id"])
        elif job["state"] == "processing":
            self.clock.call_at(job["finish_at"], self._finish, mv.id, job["id"])

    def _live(self, mv_id: str, job_id: str, state: str) -> tuple[Mv, Job] | tuple[None, None]:
        mv = self.table.get(mv_id)
        job = mv.job(job_id) if mv is not None else None
        if mv is None or job is None or job["state"] != state:
            return None, None
        return mv, job

    def _start(self, mv_id: str, job_id: str) -> None:
        mv, job = self._live(mv_id, job_id, "created")
        if mv is None or job is None:
            return
        seconds = COMPOSE_SECONDS if job["type"] == "compose" else self.core.settings.task_seconds
        job["finish_at"] = self.clock.now() + seconds
        self._set(mv, job, "processing")
        if mv.state == "created":
            self._set(mv, None, "processing")
        self.clock.call_at(job["finish_at"], self._finish, mv_id, job_id)

    def _finish(self, mv_id: str, job_id: str) -> None:
        mv, job = self._live(mv_id, job_id, "processing")
        if mv is None or job is None:
            return
        outcome = finish_outcome(self.core, mv.api_key)
        if outcome.delay:
            job["finish_at"] = self.clock.now() + outcome.delay
            self.table.put(mv)
            self.clock.call_at(job["finish_at"], self._finish, mv_id, job_id)
            return
        if outcome.err_code:
            self._fail_job(mv, job, outcome.err_code, outcome.message)
            return
        job["signed_url"] = file_path(mv_id, job_id)
        self._set(mv, job, "success")
        if job["type"] == "compose":
            mv.signed_url = job["signed_url"]
            if job["first"]:
                self._set(mv, None, "success")
            else:
                self.table.put(mv)
        elif job["first"]:
            self._start_first_compose(mv)

    def _start_first_compose(self, mv: Mv) -> None:
        compose = mv.composites()["jobs"][0]
        if compose["start_at"] is None and all(r["jobs"][0]["state"] == "success" for r in mv.shots()):
            compose["start_at"] = self.clock.now()
            self.table.put(mv)
            self._arm_job(mv, compose)

    def _fail_job(self, mv: Mv, job: Job, err_code: str, message: str | None) -> None:
        err_msg = message or REASONS.get(err_code, (0, err_code))[1].replace(": {fields}", "")
        with self.core.store.atomic():
            refund(self.accounts, mv.api_key, job["credits"], err_code, job["id"])
            job["err_code"], job["err_msg"] = err_code, err_msg
            self._set(mv, job, "failed")
            if job["first"]:
                self._fail_mv(mv, err_code, err_msg)

    def _fail_mv(self, mv: Mv, err_code: str, err_msg: str) -> None:
        """A first shot or the first composite failed: so does the MV, its unfinished first jobs too."""
        for job in mv.jobs():
            if job["first"] and job["state"] not in TERMINAL:
                job["err_code"], job["err_msg"] = err_code, err_msg
                self._set(mv, job, "failed")
        refund(self.accounts, mv.api_key, mv.credits, err_code, mv.id)
        mv.err_code, mv.err_msg = err_code, err_msg
        self._set(mv, None, "failed")

    # -- helpers -----------------------------------------------------------------
    def _set(self, mv: Mv, job: Job | None, state: str) -> None:
        if job is not None:
            job["state"] = state
            job["updated_at"] = self.clock.now()
        else:
            mv.state = state
        mv.updated_at = self.clock.now()
        self.table.put(mv)
        self.core.events.publish(MvChanged(mv, job["id"] if job is not None else None))

    def resume(self) -> None:
        for mv in list(self.table.all()):
            self._arm(mv)

    def reset(self) -> None:
        self._owner.clear()


# -- uploads (ent/uploads.py) -------------------------------------------------------------------------------
@dataclass
class Upload(Record):
    """An image upload of one key: made, then PUT (its bytes kept under the media directory's blobs), then
    finished with the ETag of its bytes; only then usable, as ``ssupload:?id=<id>``, by its key alone."""
    KIND = "uploads"
    KEY = "id"

    id: str
    api_key: str
    created_at: float
    put_until: float          # the put URL's expiry (virtual clock)
    blob: str = ""            # the bytes' key under blobs/, once PUT
    etag: str = ""            # md5 hex of the bytes, once PUT
    put_at: float = 0.0
    finished: bool = False
# -- synchronous audio answers (audio-tts, audio-clone: ent/audio.py) -----------------------------------------
def speech_path(task_id: str) -> str:
    """Where a synchronous audio answer's file is served, relative to the emulator's base URL."""
    return f"/_emulator/files/speech/{task_id}/{task_id}.mp3"


@dataclass
class Speech(Record):
    """A synchronous audio answer: no task is made (the answer is the result); this record keeps what its file
    renders and, for audio-clone, the voice it made (a key's voice ids are unique)."""
    KIND = "speeches"
    KEY = "task_id"

    task_id: str
    api_key: str
    kind: str           # "audio-tts" | "audio-clone"
    voice_id: str       # audio-clone: the cloned voice; audio-tts: the voice spoken in
    media: dict         # the Clip its file is rendered from (vidu/media.Clip, stored)
    credits: int
    created_at: float

"""One-click MV: an MV is a set of shots (``generate_video`` jobs) and composites (``compose`` jobs).

The MV document (``store["mv"][id]``) holds everything: its state, its price, its input, and its
``records``: one record per shot (``{"type": "generate_video", "index": i, "jobs": [...]}``, the
shot's history, oldest first) and one compose record (``{"type": "compose", "index": 0, ...}``).

Lifecycle on the virtual clock (every timer looks the MV and job up by id, so ``resume`` re-arms
them from stored state after a restart):

- creation: the MV and its shots are ``created``; the first compose job waits for the shots.
- ``START_AFTER`` s later each shot starts (``processing``, and so does the MV) and finishes
  ``settings.task_seconds`` later; when every first shot is ``success``, the first compose job
  runs for ``COMPOSE_SECONDS`` and its success makes the MV ``success``.
- a ``task.finish`` fault rule (taken as each job finishes) fails that job; a failed first job fails
  the MV, which is refunded. An edit or a later compose failing is refunded its own price only.
- edit adds a ``generate_video`` job to a shot's history; compose adds a ``compose`` job built from
  the given shot jobs. The MV's ``signed_url`` is that of its newest successful composite.
"""

from __future__ import annotations

import logging
from typing import Callable

from viduemu.core.accounts import creator_id
from viduemu.core.errors import REASONS, ViduError, invalid

log = logging.getLogger("viduemu.mv")

KIND = "mv"
START_AFTER = 1.0          # virtual seconds a job stays "created"
COMPOSE_SECONDS = 10.0     # virtual seconds a compose job spends "processing"
TERMINAL = ("success", "failed")


def file_path(mv_id: str, job_id: str) -> str:
    """Where a job's video is served, relative to the emulator's base URL."""
    return f"/_emulator/files/mv/{mv_id}/{job_id}.mp4"


class MvEngine:
    def __init__(self, emu, on_change: Callable[[dict, dict | None], None] | None = None):
        self.emu = emu
        # Called after every state change with the MV and the job that changed (None: the MV
        # itself). Callback delivery hooks in here; the body to send is ``mv_view`` of the MV.
        self.on_change = on_change or (lambda mv, job: None)
        self._owner: dict[str, str] = {}   # job id -> MV id, for GET by a job's id
        emu.on_resume(self.resume)
        emu.on_reset(self._owner.clear)

    @property
    def clock(self):
        return self.emu.clock

    # -- reading -------------------------------------------------------------
    def get(self, api_key: str, some_id: str, *, by_job: bool = False) -> dict:
        """The caller's MV by its id (or, with ``by_job``, by the id of one of its jobs)."""
        mv = self.emu.store.get(KIND, some_id)
        if mv is None and by_job and some_id in self._owner:
            mv = self.emu.store.get(KIND, self._owner[some_id])
        if mv is None or mv["api_key"] != api_key:
            raise ViduError("TaskNotFound", f"task not found: {some_id}")
        return mv

    @staticmethod
    def shots(mv: dict) -> list[dict]:
        return [r for r in mv["records"] if r["type"] == "generate_video"]

    @staticmethod
    def composites(mv: dict) -> dict:
        return next(r for r in mv["records"] if r["type"] == "compose")

    @staticmethod
    def find_job(mv: dict, job_id: str) -> tuple[dict, dict] | None:
        for record in mv["records"]:
            for job in record["jobs"]:
                if job["id"] == job_id:
                    return record, job
        return None

    # -- creating --------------------------------------------------------------
    def _job(self, kind: str, index: int, start_at: float | None, **extra) -> dict:
        now = self.clock.now()
        return {"id": self.emu.ids.new_id(), "type": kind, "index": index, "state": "created",
                "created_at": now, "updated_at": now, "err_code": "", "err_msg": "", "signed_url": "",
                "start_at": start_at, "finish_at": None, "first": False, "credits": 0,
                "callback_url": None, **extra}

    def create(self, api_key: str, fields: dict, shot_inputs: list[dict], credits: int,
               callback_url: str | None) -> dict:
        """Charge ``credits`` and create the MV; ``CreditInsufficient`` creates nothing."""
        now = self.clock.now()
        mv_id = self.emu.ids.new_id()
        shots = [self._job("generate_video", i, now + START_AFTER, input=shot, first=True)
                 for i, shot in enumerate(shot_inputs)]
        compose = self._job("compose", 0, None, first=True, sources=[s["id"] for s in shots])
        mv = {"id": mv_id, "api_key": api_key, "creator_id": creator_id(api_key), "state": "created",
              "err_code": "", "err_msg": "", "signed_url": "", "credits": credits, "fields": fields,
              "callback_url": callback_url, "created_at": now, "updated_at": now,
              "records": [{"type": "generate_video", "index": s["index"], "jobs": [s]} for s in shots]
              + [{"type": "compose", "index": 0, "jobs": [compose]}]}
        with self.emu.store.atomic():
            self.emu.accounts.charge(api_key, credits, "task:mv", mv_id)
            self.emu.store.put(KIND, mv_id, mv)
        self._arm(mv)
        return mv

    def edit(self, mv: dict, job_id: str, prompt: str, credits_per_second: int,
             callback_url: str | None) -> dict:
        """A new generate_video job in the history of the shot ``job_id`` belongs to."""
        found = self.find_job(mv, job_id)
        if found is None or found[1]["type"] != "generate_video":
            raise invalid("job_id", f"{job_id} is not a shot (generate_video job) of MV {mv['id']}")
        if mv["state"] == "failed":
            raise ViduError("BadRequest", "mv state is failed, can not edit")
        if mv["state"] != "success":
            raise ViduError("OperationInProcess", f"mv state is {mv['state']}: operation in process, "
                            "please retry later")
        record, shot = found
        duration = shot["input"]["duration"]
        job = self._job("generate_video", record["index"], self.clock.now() + START_AFTER,
                        input={**shot["input"], "prompt": prompt}, credits=duration * credits_per_second,
                        callback_url=callback_url)
        with self.emu.store.atomic():
            if job["credits"]:  # charged first: CreditInsufficient must leave the MV untouched
                self.emu.accounts.charge(mv["api_key"], job["credits"], "task:mv.edit", job["id"])
            record["jobs"].append(job)
            self._save(mv)
        self._arm_job(mv, job)
        return job

    def compose(self, mv: dict, job_ids: list[str], callback_url: str | None) -> dict:
        """A new compose job from the given shot jobs (each a successful shot, one per shot)."""
        seen: set[int] = set()
        for job_id in job_ids:
            found = self.find_job(mv, job_id)
            if found is None or found[1]["type"] != "generate_video":
                raise invalid("job_ids", f"{job_id} is not a shot (generate_video job) of MV {mv['id']}")
            job = found[1]
            if job["state"] != "success":
                raise invalid("job_ids", f"shot job {job_id} is {job['state']}; only successful shots compose")
            if job["index"] in seen:
                raise invalid("job_ids", f"two jobs of shot {job['index']}; give one job per shot")
            seen.add(job["index"])
        job = self._job("compose", 0, self.clock.now() + START_AFTER, sources=list(job_ids),
                        callback_url=callback_url)
        self.composites(mv)["jobs"].append(job)
        self._save(mv)
        self._arm_job(mv, job)
        return job

    # -- lifecycle ---------------------------------------------------------------
    def _arm(self, mv: dict) -> None:
        for record in mv["records"]:
            for job in record["jobs"]:
                self._arm_job(mv, job)
        if mv["state"] == "processing":
            self._start_first_compose(mv)  # in case a restart fell between the last shot and it

    def _arm_job(self, mv: dict, job: dict) -> None:
        self._owner[job["id"]] = mv["id"]
        if job["state"] == "created" and job["start_at"] is not None:
            self.clock.call_at(job["start_at"], self._start, mv["id"], job["id"])
        elif job["state"] == "processing":
            self.clock.call_at(job["finish_at"], self._finish, mv["id"], job["id"])

    def _live(self, mv_id: str, job_id: str, state: str) -> tuple[dict, dict] | tuple[None, None]:
        mv = self.emu.store.get(KIND, mv_id)
        found = mv and self.find_job(mv, job_id)
        if not found or found[1]["state"] != state:
            return None, None
        return mv, found[1]

    def _start(self, mv_id: str, job_id: str) -> None:
        mv, job = self._live(mv_id, job_id, "created")
        if mv is None or job is None:
            return
        seconds = COMPOSE_SECONDS if job["type"] == "compose" else self.emu.settings.task_seconds
        job["finish_at"] = self.clock.now() + seconds
        self._set(mv, job, "processing")
        if mv["state"] == "created":
            self._set(mv, None, "processing")
        self.clock.call_at(job["finish_at"], self._finish, mv_id, job_id)

    def _finish(self, mv_id: str, job_id: str) -> None:
        mv, job = self._live(mv_id, job_id, "processing")
        if mv is None or job is None:
            return
        action = self.emu.faults.take("task.finish", mv["api_key"]) or {}
        if action.get("delay_ms"):
            job["finish_at"] = self.clock.now() + action["delay_ms"] / 1000
            self._save(mv)
            self.clock.call_at(job["finish_at"], self._finish, mv_id, job_id)
            return
        if action.get("err_code"):
            self._fail_job(mv, job, action["err_code"], action.get("message"))
            return
        job["signed_url"] = file_path(mv_id, job_id)
        self._set(mv, job, "success")
        if job["type"] == "compose":
            mv["signed_url"] = job["signed_url"]
            if job["first"]:
                self._set(mv, None, "success")
            else:
                self._save(mv)
        elif job["first"]:
            self._start_first_compose(mv)

    def _start_first_compose(self, mv: dict) -> None:
        compose = self.composites(mv)["jobs"][0]
        if compose["start_at"] is None and all(r["jobs"][0]["state"] == "success" for r in self.shots(mv)):
            compose["start_at"] = self.clock.now()
            self._save(mv)
            self._arm_job(mv, compose)

    def _fail_job(self, mv: dict, job: dict, err_code: str, message: str | None) -> None:
        err_msg = message or REASONS.get(err_code, (0, err_code))[1].replace(": {fields}", "")
        with self.emu.store.atomic():
            if job["credits"]:
                self.emu.accounts.refund(mv["api_key"], job["credits"], f"refund:{err_code}", job["id"])
            job.update(err_code=err_code, err_msg=err_msg)
            self._set(mv, job, "failed")
            if job["first"]:
                self._fail_mv(mv, err_code, err_msg)

    def _fail_mv(self, mv: dict, err_code: str, err_msg: str) -> None:
        """A first shot or the first composite failed: so does the MV, its unfinished first jobs too."""
        for record in mv["records"]:
            for job in record["jobs"]:
                if job["first"] and job["state"] not in TERMINAL:
                    job.update(err_code=err_code, err_msg=err_msg)
                    self._set(mv, job, "failed")
        if mv["credits"]:
            self.emu.accounts.refund(mv["api_key"], mv["credits"], f"refund:{err_code}", mv["id"])
        mv.update(err_code=err_code, err_msg=err_msg)
        self._set(mv, None, "failed")

    # -- helpers -----------------------------------------------------------------
    def _set(self, mv: dict, job: dict | None, state: str) -> None:
        target = job if job is not None else mv
        target["state"] = state
        target["updated_at"] = mv["updated_at"] = self.clock.now()
        self._save(mv)
        try:
            self.on_change(mv, job)
        except Exception:  # a broken listener must not stop the MV
            log.exception("on_change failed for MV %s", mv["id"])

    def _save(self, mv: dict) -> None:
        self.emu.store.put(KIND, mv["id"], mv)

    def resume(self) -> None:
        for mv in list(self.emu.store.all(KIND)):
            self._arm(mv)

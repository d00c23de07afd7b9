"""Every /ent/v2 wire shape: a task's create answer, its creations query (also the callback body) and
its row in the task list; the credits answer; a subject; an MV and its jobs; a one-click film's tree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from viduemu.core.errors import REASONS
from viduemu.ent.models import Film, Job, Mv, Speech, Subject, speech_path
from viduemu.ent.rules import FILM_TASK_TYPES
from viduemu.vidu.accounts import Account, creator_id, key_id
from viduemu.vidu.tasks import Task, iso

PACKAGE_VALIDITY = 365 * 86400.0

# A served file's path -> the URL handed out for it now: signed, with its expiry (Core.linker).
Link = Callable[[str], str]


# -- tasks ---------------------------------------------------------------------------------------
def create_view(task: Task) -> dict:
    return {"task_id": task.task_id, "type": task.type, "state": task.state, **task.fields,
            "off_peak": task.off_peak, "credits": task.credits, "created_at": iso(task.created_at)}


def creations_view(task: Task, link: Link, now: float | None = None) -> dict:
    fields = task.fields
    view = {"id": task.task_id, "state": task.state, "err_code": task.err_code,
            "credits": task.credits, "payload": fields.get("payload", ""), "bgm": bool(fields.get("bgm", False)),
            "off_peak": task.off_peak, "creations": [_creation(c, link) for c in task.creations]}
    if task.type in FILM_TASK_TYPES:   # the film guide's query: "progress", and CN's "watermarked_url"
        view["progress"] = _progress(task, now)
        view["creations"] = [{**c, "watermarked_url": c["url"]} for c in view["creations"]]
    return view


def _progress(task: Task, now: float | None) -> int:
    """Percent done: 100 once it succeeded, the share of its processing time spent while processing."""
    if task.state == "success":
        return 100
    if task.state != "processing" or now is None or task.started_at is None or not task.finish_at:
        return 0
    span = task.finish_at - task.started_at
    return min(99, int(100 * (now - task.started_at) / span)) if span > 0 else 99


def model_of(task: Task) -> str:
    return str(task.fields.get("model", ""))


def listed_view(task: Task, link: Link) -> dict:
    fields = task.fields
    view = {"id": task.task_id, "key_id": key_id(task.api_key), "type": task.type,
            "state": task.state, "err_code": task.err_code, "model": model_of(task),
            "prompt": fields.get("prompt") or "",
            "images": [i for i in fields.get("images") or [] if isinstance(i, str)],
            "duration": int(fields.get("duration") or 0), "resolution": fields.get("resolution") or "",
            "aspect_ratio": fields.get("aspect_ratio") or "", "credits": task.credits,
            "off_peak": task.off_peak, "created_at": iso(task.created_at),
            "creations": [_creation(c, link) for c in task.creations]}
    if fields.get("template"):
        view["template"] = fields["template"]
    return view


def _creation(creation: dict, link: Link) -> dict:
    view = {"id": creation["id"], "url": link(creation["url"]), "cover_url": link(creation["cover_url"])}
    if "video" in creation:
        view["video"] = creation["video"]
    return view


def task_summary(task: Task, link: Link) -> dict:
    """A task as the control plane and the inspector show it (any account's, any dialect's); its
    creations' URLs signed by ``link`` like the vendor answers'."""
    history = task.history
    return {"task_id": task.task_id, "api_key": task.api_key, "type": task.type,
            "model": task.fields.get("model"), "prompt": task.fields.get("prompt") or "", "state": task.state, "err_code": task.err_code,
            "credits": task.credits, "off_peak": task.off_peak, "callback_url": task.callback_url,
            "created_at": task.created_at, "updated_at": history[-1]["at"] if history else task.created_at,
            "history": history, "creations": [{**c, **_creation(c, link)} for c in task.creations]}


def mv_summaries(mv: Mv, link: Link) -> list[dict]:
    """A one-click MV and each of its jobs as the control plane's task rows (types ``mv``,
    ``mv.generate_video``, ``mv.compose``), with their videos once made."""
    def row(some_id: str, kind: str, state: str, err_code: str, credits: int, created: float, updated: float,
            signed_url: str, prompt: str) -> dict:
        history = [{"state": "created", "at": created}] + ([{"state": state, "at": updated}] if state != "created" else [])
        return {"task_id": some_id, "api_key": mv.api_key, "type": kind, "model": None, "prompt": prompt,
                "state": state, "err_code": err_code, "credits": credits, "off_peak": False,
                "callback_url": mv.callback_url, "created_at": created, "updated_at": updated, "history": history,
                "creations": [{"id": some_id, "url": link(signed_url), "cover_url": ""}] if signed_url else []}

    return [row(mv.id, "mv", mv.state, mv.err_code, mv.credits, mv.created_at, mv.updated_at, mv.signed_url,
                mv.fields.get("prompt", "")),
            *(row(j["id"], f"mv.{j['type']}", j["state"], j["err_code"], j.get("credits", 0), j["created_at"],
                  j["updated_at"], j["signed_url"], (j.get("input") or {}).get("prompt", "")) for j in mv.jobs())]


# -- credits -------------------------------------------------------------------------------------
def credits_view(account: Account, figures: dict[str, int], detail: bool) -> dict:
    answer: dict[str, Any] = {"remains": [{"type": "test", "credit_remain": account.credits, **figures}]}
    if detail:
        answer["packages"] = [_package(account, figures["concurrency_limit"])]
    return answer


def _package(account: Account, concurrency: int) -> dict:
    """The account's one package: the trial/test grant plus what the control plane set."""
    ledger = account.ledger
    granted = sum(e["delta"] for e in ledger if e["reason"] in ("initial", "set"))
    since = ledger[0]["at"] if ledger else 0.0
    return {"id": key_id("package:" + account.api_key), "name": "viduemu test package", "type": "test",
            "concurrency": concurrency, "credit_amount": max(granted, account.credits),
            "credit_remain": account.credits, "created_at": iso(since), "purchase_at": iso(since),
            "valid_from": iso(since), "valid_to": iso(since + PACKAGE_VALIDITY)}


# -- subjects ------------------------------------------------------------------------------------
def subject_view(subject: Subject) -> dict:
    return {"id": subject.id, "name": subject.name, "images": subject.images, "videos": subject.videos,
            "voice_id": subject.voice_id, "style": subject.style, "description": subject.description}


def subject_created_view(subject: Subject) -> dict:
    return {**subject_view(subject), "credits": 0}   # a library entry is free (docs/decisions.md)


def subject_edited_view(subject: Subject) -> dict:
    return {"id": subject.id, "name": subject.name, "style": subject.style, "description": subject.description,
            "voice_id": subject.voice_id}


# -- one-click MV --------------------------------------------------------------------------------
def job_view(job: Job, link: Link) -> dict:
    view: dict[str, Any] = {"id": job["id"], "type": job["type"], "input": "", "output": "", "state": job["state"],
            "created_at": iso(job["created_at"]), "updated_at": iso(job["updated_at"]),
            "err_code": job["err_code"], "err_msg": job["err_msg"], "signed_url": link(job["signed_url"])}
    if job["type"] == "generate_video":
        view["mv_generate_video_input"] = job["input"]
    view["index"] = job["index"]
    return view


def mv_view(mv: Mv, link: Link) -> dict:
    """The documented GET shape (also what a callback carries)."""
    return {"id": mv.id, "type": "mv", "creator_id": mv.creator_id, "state": mv.state, "input": "",
            "job_records": [{"type": r["type"], "jobs": [job_view(j, link) for j in r["jobs"]],
                             "index": r["index"]} for r in mv.records],
            "created_at": iso(mv.created_at), "updated_at": iso(mv.updated_at),
            "err_code": mv.err_code, "err_msg": mv.err_msg, "signed_url": link(mv.signed_url)}


# -- one-click films (ent/solutions.py) ------------------------------------------------------------------------
def _first_url(task: Task | None, link: Link) -> str:
    return link(task.creations[0]["url"]) if task is not None and task.creations else ""


def _film_record(task: Task, link: Link) -> dict:
    return {"id": task.task_id, "type": task.type, "prompt": task.fields.get("prompt", ""),
            "creation_url": _first_url(task, link), "state": task.state, "err_code": task.err_code}


def ad_film_view(film: Film, tasks: dict[str, Task], link: Link) -> dict:
    """GET /ent/v2/ad-one-click/{id}: the guide's shape, its "stroyboard_id" spelling included."""
    whole = tasks[film.id]

    def records(ids: list[str]) -> list[dict]:
        return [_film_record(tasks[i], link) for i in ids if i in tasks]

    composed = [tasks[i] for i in film.composes if i in tasks]
    return {"id": film.id, "err_code": whole.err_code, "state": whole.state, "data_records": {
        "storyboards": [{"stroyboard_id": i, "records": records(board)} for i, board in enumerate(film.storyboards)],
        "narration_records": records(film.narrations),
        "bgm_records": records(film.bgms),
        "completed_creation_records": [{"id": t.task_id, "state": t.state, "params": t.fields["params"],
                                        "creation_url": _first_url(t, link), "err_code": t.err_code}
                                       for t in composed]}}


MV_STATES = {"queueing": "created"}   # an MV-shaped tree knows created, processing, success, failed


def _err_msg(err_code: str) -> str:
    return REASONS.get(err_code, (0, err_code))[1].replace(": {fields}", "") if err_code else ""


def _updated_at(task: Task) -> str:
    return iso(task.history[-1]["at"] if task.history else task.created_at)


def _film_job(task: Task, link: Link) -> dict:
    view: dict[str, Any] = {"id": task.task_id, "type": task.type, "input": "", "output": "",
                            "state": MV_STATES.get(task.state, task.state), "created_at": iso(task.created_at),
                            "updated_at": _updated_at(task), "err_code": task.err_code,
                            "err_msg": _err_msg(task.err_code), "signed_url": _first_url(task, link)}
    if task.type != "compose":
        view["mv_generate_video_input"] = {"duration": task.fields["duration"], "prompt": task.fields["prompt"],
                                           "lyric_text": "", "signed_images": []}
    view["index"] = task.fields["index"]
    return view


def general_film_view(film: Film, tasks: dict[str, Task], link: Link) -> dict:
    """GET /ent/v2/one-click/general_one_click/{id}: the MV's shape (docs/decisions.md), with the narration
    and the music as records of their own. While its parts run, the film is "processing"."""
    whole = tasks[film.id]
    groups = [*(("generate_video", i, board) for i, board in enumerate(film.storyboards)),
              ("generate_narration", 0, film.narrations), ("generate_bgm", 0, film.bgms), ("compose", 0, film.composes)]
    state = MV_STATES.get(whole.state, whole.state)
    if state == "created" and any(t.state != "queueing" and t.state != "created" for t in tasks.values()):
        state = "processing"
    composed = [tasks[i] for i in film.composes if i in tasks and tasks[i].state == "success"]
    return {"id": film.id, "type": film.kind, "creator_id": creator_id(film.api_key), "state": state, "input": "",
            "job_records": [{"type": kind, "jobs": [_film_job(tasks[i], link) for i in ids if i in tasks],
                             "index": index} for kind, index, ids in groups],
            "created_at": iso(whole.created_at), "updated_at": _updated_at(whole), "err_code": whole.err_code,
            "err_msg": _err_msg(whole.err_code), "signed_url": _first_url(composed[-1] if composed else None, link)}


# -- synchronous audio answers (audio-tts, audio-clone) ---------------------------------------------------------
def speech_view(speech: Speech, payload: str, link: Link) -> dict:
    """audio-tts: ``file_url``; audio-clone: ``voice_id`` and ``demo_audio`` (3P clients' reading of the answer,
    docs/decisions.md "Images and audio"). Always ``success``: the file exists when the answer is sent."""
    url = link(speech_path(speech.task_id))
    result = {"file_url": url} if speech.kind == "audio-tts" else {"voice_id": speech.voice_id, "demo_audio": url}
    return {"task_id": speech.task_id, "state": "success", **result, "credits": speech.credits, "payload": payload,
            "created_at": iso(speech.created_at)}

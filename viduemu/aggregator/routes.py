"""The aggregator dialect: ``Authorization: Bearer ...``, one endpoint, a ``model`` field.

``POST /model/v1/generation`` routes by ``model`` into the same task engine, checks and media as
/ent/v2; ``GET /model/v1/generation/task/{id}`` answers the dialect's task object. Bearer keys
live in their own namespace (``bearer:<key>`` in the control plane), so a Bearer and a Token key
never see each other's tasks even when the strings match.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.routing import Route

from viduemu.aggregator import models
from viduemu.aggregator.models import DialectError
from viduemu.core.auth import BEARER_ACCOUNT, bearer_key
from viduemu.core.errors import ViduError
from viduemu.core.http import JSON, base_url, emulator, endpoint, read_object
from viduemu.core.inputs import stored_form
from viduemu.ent import checks, pricing, subjects
from viduemu.ent.tasks import KIND

GENERATION, TASK = "/model/v1/generation", "/model/v1/generation/task/{task_id}"
STATUS = {"created": "pending", "queueing": "pending", "processing": "processing", "success": "completed",
          "failed": "failed"}
HTTP_ERRORS = (401, 403, 404, 413, 429)  # answered with the HTTP status as the code


def dialect(handler):
    """Errors in this dialect's shape: ``{"error": {"code", "error_message"}}``."""

    @endpoint
    async def wrapped(request: Request):
        try:
            return await handler(request)
        except DialectError as err:
            request.scope.setdefault("viduemu", {})["reason"] = err.code
            return JSON(err.body(), status_code=err.status)
        except ViduError as err:
            request.scope.setdefault("viduemu", {})["reason"] = err.reason
            if err.status in HTTP_ERRORS or err.reason == "CreditInsufficient":
                status = 403 if err.reason == "CreditInsufficient" else err.status  # "403 insufficient balance"
                return JSON({"error": {"code": str(status), "error_message": err.message}}, status_code=status)
            fail = DialectError.of(err)
            return JSON(fail.body(), status_code=fail.status)

    return wrapped


def _caller(request: Request) -> str:
    key = BEARER_ACCOUNT + bearer_key(request.headers)
    emulator(request).accounts.ensure(key)
    return key


@dialect
async def generate(request: Request):
    emu = emulator(request)
    api_key = _caller(request)
    body = await read_object(request)
    model = body.get("model")
    if model not in (models.IMG2VIDEO, models.CREATE_SUBJECTS):
        raise DialectError(models.PARAMETER_INVALID,
                           f"unknown model {model!r}: use vidu20_img2video or vidu_create_subjects")
    if model == models.CREATE_SUBJECTS:
        return await _create_subjects(emu, api_key, body, base_url(request))
    ent_body = models.img2video_body(body)
    emu.contracts.validate_request("post", GENERATION, body)   # every field of the dialect, typed
    emu.contracts.validate_request("post", "/ent/v2/img2video", ent_body)
    order = await checks.accept(emu, api_key, "img2video", ent_body)
    task = emu.ent.create(api_key, model, stored_form(order.fields),
                          pricing.price(order.fields, False, order.facts), callback_url=order.callback_url)
    return view(task, base_url(request), emu.clock.now())


async def _create_subjects(emu, api_key: str, body: dict, base: str) -> dict:
    """A task whose success stores the subject (subjects.make) and reports it as JSON text."""
    fields = {k: v for k, v in body.items() if k != "model"}
    if not fields.get("images"):
        raise DialectError(models.IMAGE_MISSING, "images is required (1 to 3 images)")
    emu.contracts.validate_request("post", GENERATION, body)
    emu.contracts.validate_request("post", "/ent/v2/subjects", fields)
    await subjects.check_media_fields(emu, fields)
    fields = {k: fields[k] for k in ("name", "images", "videos", "voice_id") if k in fields}
    task = emu.ent.create(api_key, models.CREATE_SUBJECTS, fields, 0)
    return view(task, base, emu.clock.now())


def _finish_subject(emu):
    def finish(task: dict) -> None:
        subject = subjects.make(emu, task["api_key"], task["fields"])
        task["subject"] = subjects.created_view(subject)
    return finish


@dialect
async def get_task(request: Request):
    emu = emulator(request)
    task = emu.ent.get(_caller(request), request.path_params["task_id"])
    return view(task, base_url(request), emu.clock.now())


def view(task: dict, base: str, now: float) -> dict:
    status = STATUS[task["state"]]
    body = {"id": task["task_id"], "created_at": int(task["created_at"]), "status": status, "model": task["type"],
            "progress": _progress(task, now)}
    if status == "completed" and "subject" in task:
        body["output"] = [{"content": [{"type": "text", "text": json.dumps(task["subject"], ensure_ascii=False)}]}]
        body["usage"] = {"cost": f"{task['credits'] * models.USD_PER_CREDIT:.4f}", "discount": 0}
    elif status == "completed":
        body["output"] = [{"content": [{"type": "video", "url": base + c["url"],
                                        "duration": task["fields"]["duration"]} for c in task["creations"]]}]
        body["usage"] = {"cost": f"{task['credits'] * models.USD_PER_CREDIT:.4f}", "discount": 0}
    if status == "failed":
        code = task["err_code"] if task["err_code"] in models.MESSAGES else models.GENERATION_FAILED
        body["error"] = {"code": code, "error_message": f"{models.MESSAGES[code]} ({task['err_code']})"}
    return body


def _progress(task: dict, now: float) -> float:
    if task["state"] in ("success", "failed"):
        return 1.0
    if task["state"] != "processing" or not task.get("finish_at"):
        return 0.0
    span = task["finish_at"] - task["started_at"]
    return round(min(0.99, max(0.0, (now - task["started_at"]) / span)) if span > 0 else 0.0, 2)


def install(emu) -> list[Route]:
    emu.ent.finishers[models.CREATE_SUBJECTS] = _finish_subject(emu)
    for model in (models.IMG2VIDEO, models.CREATE_SUBJECTS):  # callbacks carry this dialect's task object
        emu.callbacks.bodies[model] = lambda task, base: view(task, base, emu.clock.now())
    return [Route(GENERATION, generate, methods=["POST"]), Route(TASK, get_task, methods=["GET"])]


__all__ = ["install", "KIND"]

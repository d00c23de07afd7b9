"""The aggregator dialect: ``Authorization: Bearer ...``, one endpoint, a ``model`` field.

``POST /model/v1/generation`` routes by ``model`` into the same task engine, checks and media as
/ent/v2; ``GET /model/v1/generation/task/{id}`` answers the dialect's task object. Bearer keys
live in their own namespace (``bearer:<key>`` in the control plane), so a Bearer and a Token key
never see each other's tasks even when the strings match.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from viduemu.aggregator import models
from viduemu.aggregator.models import DialectError
from viduemu.core.auth import bearer_key
from viduemu.core.errors import ViduError
from viduemu.core.http import JSON, base_url, emulator, endpoint, read_object
from viduemu.core.inputs import stored_form
from viduemu.ent import checks, pricing
from viduemu.ent.tasks import KIND

GENERATION, TASK = "/model/v1/generation", "/model/v1/generation/task/{task_id}"
STATUS = {"created": "pending", "queueing": "pending", "processing": "processing", "success": "completed",
          "failed": "failed"}
HTTP_CODES = {401: "401", 403: "403", 404: "404", 413: "413", 429: "429"}


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
            if err.status in HTTP_CODES or err.reason == "CreditInsufficient":
                status = 403 if err.reason == "CreditInsufficient" else err.status  # "403 insufficient balance"
                return JSON({"error": {"code": HTTP_CODES[status], "error_message": err.message}}, status_code=status)
            fail = DialectError.of(err)
            return JSON(fail.body(), status_code=fail.status)

    return wrapped


def _caller(request: Request) -> str:
    key = "bearer:" + bearer_key(request.headers)
    emulator(request).accounts.ensure(key)
    return key


@dialect
async def generate(request: Request):
    emu = emulator(request)
    api_key = _caller(request)
    body = await read_object(request)
    model = body.get("model")
    if model != "vidu20_img2video":
        raise DialectError(models.PARAMETER_INVALID, f"unknown model {model!r}: use vidu20_img2video")
    ent_body = models.img2video_body(body)
    emu.contracts.validate_request("post", "/ent/v2/img2video", ent_body)
    order = await checks.accept(emu, api_key, "img2video", ent_body)
    task = emu.ent.create(api_key, model, stored_form(order.fields),
                          pricing.price(order.fields, False, order.facts), callback_url=order.callback_url)
    return view(task, base_url(request), emu.clock.now())


@dialect
async def get_task(request: Request):
    emu = emulator(request)
    task = emu.ent.get(_caller(request), request.path_params["task_id"])
    return view(task, base_url(request), emu.clock.now())


def view(task: dict, base: str, now: float) -> dict:
    status = STATUS[task["state"]]
    body = {"id": task["task_id"], "created_at": int(task["created_at"]), "status": status, "model": task["type"],
            "progress": _progress(task, now)}
    if status == "completed":
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
    return [Route(GENERATION, generate, methods=["POST"]), Route(TASK, get_task, methods=["GET"])]


__all__ = ["install", "KIND"]

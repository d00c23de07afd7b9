"""The aggregator dialect's handlers and routes: ``Authorization: Bearer ...``, one endpoint, a ``model``.

``POST /model/v1/generation`` routes by ``model`` into /ent/v2's checks and the shared task engine;
``GET /model/v1/generation/task/{id}`` answers the dialect's task object. A Bearer key spends from
the account of its string, the one a Token caller of that string uses; each dialect sees only its
own tasks.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.routing import BaseRoute

from viduemu.aggregator import rules
from viduemu.aggregator.rules import DialectError
from viduemu.aggregator.views import task_view
from viduemu.core.errors import ViduError
from viduemu.core.http import JSON, base_url, read_object, route
from viduemu.ent import checks
from viduemu.vidu.auth import bearer_caller
from viduemu.vidu.inputs import stored_form

if TYPE_CHECKING:
    from viduemu.aggregator.area import AggregatorArea

GENERATION, TASK = "/model/v1/generation", "/model/v1/generation/task/{task_id}"
HTTP_ERRORS = (401, 403, 404, 413, 429)  # answered with the HTTP status as the code


def dialect(handler):
    """Errors in this dialect's shape: ``{"error": {"code", "error_message"}}``."""

    @functools.wraps(handler)
    async def wrapped(agg: AggregatorArea, request: Request):
        try:
            return await handler(agg, request)
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


@dialect
async def generate(agg: AggregatorArea, request: Request):
    api_key = bearer_caller(agg.accounts, request.headers)
    body = await read_object(request)
    model = body.get("model")
    if model not in rules.TYPES:
        raise DialectError(rules.PARAMETER_INVALID,
                           f"unknown model {model!r}: use vidu20_img2video or vidu_create_subjects")
    if model == rules.CREATE_SUBJECTS:
        return await _create_subjects(agg, api_key, body, base_url(request))
    ent_body = rules.img2video_body(body)
    contracts = agg.core.contracts
    contracts.validate_request("post", GENERATION, body)   # every field of the dialect, typed
    contracts.validate_request("post", "/ent/v2/img2video", ent_body)
    order = await checks.accept(agg.ent, api_key, "img2video", ent_body)
    task = agg.tasks.create(api_key, model, stored_form({**order.fields, **rules.kept(ent_body)}), order.credits,
                            callback_url=order.callback_url)
    return task_view(task, agg.core.linker(base_url(request)), agg.core.clock.now())


async def _create_subjects(agg: AggregatorArea, api_key: str, body: dict, base: str) -> dict:
    """A task whose success stores the subject and reports it as JSON text."""
    fields = {k: v for k, v in body.items() if k != "model"}
    if not fields.get("images"):
        raise DialectError(rules.IMAGE_MISSING, "images is required (1 to 3 images)")
    agg.core.contracts.validate_request("post", GENERATION, body)
    agg.core.contracts.validate_request("post", "/ent/v2/subjects", fields)
    await checks.check_subject_media(agg.ent, fields)
    fields = {k: fields[k] for k in ("name", "images", "videos", "voice_id") if k in fields}
    task = agg.tasks.create(api_key, rules.CREATE_SUBJECTS, fields, 0)
    return task_view(task, agg.core.linker(base), agg.core.clock.now())


@dialect
async def get_task(agg: AggregatorArea, request: Request):
    task = agg.tasks.get(bearer_caller(agg.accounts, request.headers), request.path_params["task_id"], rules.TYPES)
    return task_view(task, agg.core.linker(base_url(request)), agg.core.clock.now())


def routes(agg: AggregatorArea) -> list[BaseRoute]:
    return [route(GENERATION, generate, agg, methods=["POST"]), route(TASK, get_task, agg, methods=["GET"])]

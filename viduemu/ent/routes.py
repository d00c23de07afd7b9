"""/ent/v2 handlers: parse, validate (contract, then rule tables), call the engine, render."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from viduemu.core.auth import token_key
from viduemu.core.http import emulator, endpoint, read_object
from viduemu.ent import checks, pricing, rules
from viduemu.ent.tasks import TaskEngine
from viduemu.ent.views import create_view, creations_view


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _caller(request: Request) -> str:
    key = token_key(request.headers)
    emulator(request).accounts.ensure(key)
    return key


def generation(kind: str):
    """POST /ent/v2/<kind>: contract, then the rule tables (checks.py), then price and create."""
    path = f"/ent/v2/{kind}"

    @endpoint
    async def create(request: Request):
        emu = emulator(request)
        api_key = _caller(request)
        body = await read_object(request)
        emu.contracts.validate_request("post", path, body)
        order = await checks.accept(emu, api_key, kind, body)
        task = emu.ent.create(api_key, order.task_type, order.fields,
                              pricing.price(order.fields, order.off_peak, order.facts),
                              off_peak=order.off_peak, callback_url=order.callback_url)
        return create_view(task)

    return Route(path, create, methods=["POST"])


@endpoint
async def get_creations(request: Request):
    emu = emulator(request)
    task = emu.ent.get(_caller(request), request.path_params["task_id"])
    return creations_view(task, _base(request))


@endpoint
async def cancel(request: Request):
    emu = emulator(request)
    api_key = _caller(request)
    emu.ent.cancel(api_key, request.path_params["task_id"])
    return {}


@endpoint
async def credits(request: Request):
    emu = emulator(request)
    api_key = _caller(request)
    account = emu.accounts.ensure(api_key)
    return {"remains": [{"type": "test", "credit_remain": account["credits"], **emu.ent.figures(api_key)}]}


def install(emu) -> list[Route]:
    emu.ent = TaskEngine(emu)
    return [generation(kind) for kind in rules.ENDPOINTS] + [
        Route("/ent/v2/tasks/{task_id}/creations", get_creations, methods=["GET"]),
        Route("/ent/v2/tasks/{task_id}/cancel", cancel, methods=["POST"]),
        Route("/ent/v2/credits", credits, methods=["GET"]),
    ]

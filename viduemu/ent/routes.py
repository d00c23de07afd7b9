"""/ent/v2 handlers: parse, validate (contract, then rule tables), call the engine, render."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from viduemu.core.http import base_url, caller, emulator, endpoint, read_valid
from viduemu.core.inputs import stored_form
from viduemu.ent import checks, listing, mv, outputs, pricing, rules, subjects
from viduemu.ent.callbacks import Callbacks
from viduemu.ent.tasks import TaskEngine
from viduemu.ent.views import create_view, creations_view

INPUTS = ("images", "videos", "subjects")


def generation(kind: str):
    """POST /ent/v2/<kind>: contract, then the rule tables (checks.py), then price and create."""
    path = f"/ent/v2/{kind}"

    @endpoint
    async def create(request: Request):
        emu = emulator(request)
        api_key = caller(request)
        body = await read_valid(request)
        order = await checks.accept(emu, api_key, kind, body)
        task = emu.ent.create(api_key, order.task_type, stored_form(order.fields),
                              pricing.price(order.fields, order.off_peak, order.facts),
                              off_peak=order.off_peak, callback_url=order.callback_url)
        # The answer echoes the inputs as given; the task keeps only their stored form.
        return {**create_view(task), **{k: order.fields[k] for k in INPUTS if k in order.fields}}

    return Route(path, create, methods=["POST"])


@endpoint
async def get_creations(request: Request):
    emu = emulator(request)
    task = emu.ent.get(caller(request), request.path_params["task_id"])
    return creations_view(task, base_url(request))


def install(emu) -> list[Route]:
    media = outputs.Outputs(emu)
    emu.callbacks = Callbacks(emu)
    emu.ent = TaskEngine(emu, on_change=emu.callbacks.on_change, on_success=media.on_success)
    return [generation(kind) for kind in rules.ENDPOINTS] + [
        Route("/ent/v2/tasks/{task_id}/creations", get_creations, methods=["GET"]),
        *listing.routes(),
        *subjects.routes(emu), *mv.routes(emu, media, emu.callbacks),
    ]

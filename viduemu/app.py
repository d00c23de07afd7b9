"""create_app(settings) -> ASGI app: the one place that knows every area."""

from __future__ import annotations

import contextlib
import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request

from viduemu.config import Settings
from viduemu.control import routes as control
from viduemu.core.context import Emulator
from viduemu.core.contracts import Contracts
from viduemu.core.errors import ViduError
from viduemu.core.http import error_response
from viduemu.core.journal import RequestJournal
from viduemu.aggregator import routes as aggregator
from viduemu.ent import routes as ent
from viduemu.live import routes as live
from viduemu.rtc import gateway as rtc

log = logging.getLogger("viduemu")

AREAS = (ent, live, rtc, aggregator)  # each: install(emu) -> list of routes (rtc after live: it watches sessions)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    emu = Emulator(settings)
    emu.contracts = Contracts()
    routes = [route for area in AREAS for route in area.install(emu)] + control.routes

    @contextlib.asynccontextmanager
    async def lifespan(app):
        emu.clock.start()
        try:
            yield
        finally:
            await emu.clock.stop()
            await emu.aclose()

    async def http_error(request: Request, exc: HTTPException):
        reason = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "BadRequest")
        return error_response(request, ViduError(reason, status=exc.status_code))

    async def crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, ViduError("InternalServiceFailure"))

    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={HTTPException: http_error, Exception: crash})
    app.state.emu = emu
    emu.resume()
    app.add_middleware(RequestJournal, emu_getter=lambda: emu)
    return app

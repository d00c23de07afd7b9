"""create_app(settings) -> ASGI app: the one place that knows every area."""

from __future__ import annotations

import contextlib
import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Match

from viduemu.aggregator import routes as aggregator
from viduemu.config import Settings
from viduemu.control import routes as control
from viduemu.core.context import Emulator
from viduemu.core.contracts import Contracts
from viduemu.core.errors import ViduError
from viduemu.core.http import error_response
from viduemu.core.journal import RequestJournal
from viduemu.ent import routes as ent
from viduemu.live import routes as live
from viduemu.rtc import gateway as rtc

log = logging.getLogger("viduemu")

AREAS = (ent, live, rtc, aggregator)  # each: install(emu) -> list of routes (rtc after live: it watches sessions)


def allowed_methods(app: Starlette, scope) -> list[str]:
    methods: set[str] = set()
    for route in app.routes:
        match, _ = route.matches({**scope, "method": "\0"})  # no method matches: PARTIAL on a path match
        if match is Match.PARTIAL and (route_methods := getattr(route, "methods", None)):
            methods |= route_methods
    return sorted(methods)


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
        response = error_response(request, ViduError(reason, status=exc.status_code))
        if exc.status_code == 405:  # RFC 9110: a 405 names every method the path has (one route per method)
            response.headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
        return response

    async def crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, ViduError("InternalServiceFailure"))

    # (starlette types each handler as taking any Exception; each is handed its own class)
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={HTTPException: http_error, Exception: crash})  # type: ignore[dict-item]
    app.state.emu = emu
    emu.resume()
    app.add_middleware(RequestJournal, emu_getter=lambda: emu)
    return app

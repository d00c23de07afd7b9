"""create_app(settings) -> ASGI app: the emulator (viduemu/emulator.py) behind Starlette."""

from __future__ import annotations

import contextlib
import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Match

from viduemu.config import Settings
from viduemu.control.demo import fill as fill_demo
from viduemu.control.routes import FAVICON_PATH
from viduemu.control.routes import PREFIX as CONTROL_PREFIX
from viduemu.core.contracts import Contracts
from viduemu.core.errors import ViduError
from viduemu.core.http import error_response
from viduemu.core.journal import RequestJournal
from viduemu.emulator import Emulator

log = logging.getLogger("viduemu")


def allowed_methods(app: Starlette, scope) -> list[str]:
    methods: set[str] = set()
    for route in app.routes:
        match, _ = route.matches({**scope, "method": "\0"})  # no method matches: PARTIAL on a path match
        if match is Match.PARTIAL and (route_methods := getattr(route, "methods", None)):
            methods |= route_methods
    return sorted(methods)


def create_app(settings: Settings | None = None, contracts: Contracts | None = None) -> Starlette:
    emu = Emulator.build(settings or Settings(), contracts)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        emu.core.clock.start()
        if emu.core.settings.demo:
            await fill_demo(app, emu.core.settings.seed or 0, emu.core.contracts.document,
                            emu.core.settings.admin_token)
        try:
            yield
        finally:
            await emu.core.clock.stop()
            await emu.aclose()

    async def http_error(request: Request, exc: HTTPException):
        reason = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "BadRequest")
        near = exc.status_code == 404 and emu.core.contracts.nearest_operation(request.method, request.url.path)
        message = f"not found; did you mean {near}?" if near else None
        response = error_response(request, ViduError(reason, message, status=exc.status_code))
        if exc.status_code == 405:  # RFC 9110: a 405 names every method the path has (one route per method)
            response.headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
        return response

    async def crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, ViduError("InternalServiceFailure"))

    # (starlette types each handler as taking any Exception; each is handed its own class)
    app = Starlette(routes=emu.routes(), lifespan=lifespan,
                    exception_handlers={HTTPException: http_error, Exception: crash})  # type: ignore[dict-item]
    app.state.emu, app.state.core = emu, emu.core
    emu.resume()
    app.add_middleware(RequestJournal, core=emu.core, skip=(CONTROL_PREFIX, FAVICON_PATH))
    return app

"""The S1 live area: sessions (/live/v1/lives), voices, and the signaling WebSocket.

Files: routes.py (every handler and the route table), models.py (the ``Live`` and ``Voice`` records and
their engines), views.py (every wire shape), rules.py (limits, timings, reasons, names, voices),
billing.py (the on_live arithmetic), signaling.py (the WebSocket protocol). It publishes the events of
vidu/lives.py; the RTC area reads its sessions through them and the engine, never its storage.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from viduemu.core.area import Area
from viduemu.core.context import Core
from viduemu.core.faults import FaultPoint
from viduemu.live import routes, rules
from viduemu.live.models import Lives, Voices
from viduemu.vidu.accounts import Accounts
from viduemu.vidu.inputs import Sources


class LiveArea(Area):
    def __init__(self, core: Core, accounts: Accounts, fetcher: Sources) -> None:
        self.core, self.accounts, self.fetcher = core, accounts, fetcher
        self.sessions = Lives(core, accounts)
        self.voices = Voices(core, accounts)

    def routes(self) -> Sequence[BaseRoute]:
        return routes.routes(self)

    def fault_points(self) -> Sequence[FaultPoint]:
        return (rules.CONN_INIT,)

    def resume(self) -> None:
        self.sessions.resume()

    def reset(self) -> None:
        self.sessions.reset()

"""The S1 live area: sessions (/live/v1/lives), voices, and the signaling WebSocket."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from viduemu.core.area import Area
from viduemu.core.context import Core
from viduemu.live import routes
from viduemu.live.sessions import Lives
from viduemu.live.voices import Voices
from viduemu.vidu.accounts import Accounts
from viduemu.vidu.fetch import Fetcher


class Live(Area):
    def __init__(self, core: Core, accounts: Accounts, fetcher: Fetcher | None) -> None:
        self.core, self.accounts, self.fetcher = core, accounts, fetcher
        self.sessions = Lives(core, accounts)
        self.voices = Voices(core, accounts)

    def routes(self) -> Sequence[BaseRoute]:
        return routes.routes(self)

    def resume(self) -> None:
        self.sessions.resume()

    def reset(self) -> None:
        self.sessions.reset()

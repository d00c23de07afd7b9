"""The control plane: what steers the emulator (clock, accounts, faults, reset) and shows it (journals,
files, contracts, the inspector and call pages). It reads no area's storage: each area serves the views
of its own records."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.routing import BaseRoute

from viduemu.control import routes
from viduemu.core.area import Area
from viduemu.core.context import Core
from viduemu.vidu.accounts import Accounts


class ControlArea(Area):
    def __init__(self, core: Core, accounts: Accounts, reset: Callable[[], None]) -> None:
        self.core, self.accounts, self.reset_all = core, accounts, reset

    def reset(self) -> None:
        """Nothing of its own to forget."""

    def routes(self) -> Sequence[BaseRoute]:
        return routes.routes(self)

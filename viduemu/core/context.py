"""The emulator's shared state: one object per running app, reached as ``request.app.state.emu``."""

from __future__ import annotations

import time
from typing import Callable

from viduemu import __version__
from viduemu.config import Settings
from viduemu.core.accounts import Accounts
from viduemu.core.clock import Clock
from viduemu.core.faults import Faults
from viduemu.core.files import Files
from viduemu.core.ids import Ids
from viduemu.core.store import open_store


class Emulator:
    version = __version__

    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = open_store(settings.state)
        start = self.store.get_meta("clock_now")
        # Virtual time never runs backwards across a restart of a persisted state.
        self.clock = Clock(settings.clock, settings.speed, start=max(start or 0, time.time()))
        self.ids = Ids(settings.seed)
        self.accounts = Accounts(self.store, self.clock, settings.initial_credits)
        self.faults = Faults(self.store, self.ids.new_id)
        self.files = Files()
        self.fetcher = None  # async (url, field) -> bytes when --fetch-urls is on (core/fetch.py)
        self._resume_hooks: list[Callable[[], None]] = []
        self._reset_hooks: list[Callable[[], None]] = []
        self._close_hooks: list = []

    def on_resume(self, hook: Callable[[], None]) -> None:
        """Register an area's hook that re-arms its timers from stored state (start and reset)."""
        self._resume_hooks.append(hook)

    def on_reset(self, hook: Callable[[], None]) -> None:
        """Register an area's hook that drops in-memory caches on reset."""
        self._reset_hooks.append(hook)

    def resume(self) -> None:
        for hook in self._resume_hooks:
            hook()

    def reset(self) -> None:
        self.clock.clear()
        self.store.clear()
        self.ids = Ids(self.settings.seed)
        self.accounts = Accounts(self.store, self.clock, self.settings.initial_credits)
        self.faults = Faults(self.store, self.ids.new_id)
        for hook in self._reset_hooks:
            hook()

    async def aclose(self) -> None:
        for hook in self._close_hooks:
            await hook()
        self.save_clock()
        self.store.close()

    def on_close(self, hook) -> None:
        """Register an async hook run when the app shuts down (close clients, flush caches)."""
        self._close_hooks.append(hook)

    def journal(self, name: str, entry: dict) -> dict:
        return self.store.append(name, entry)

    def save_clock(self) -> None:
        self.store.set_meta("clock_now", self.clock.now())

"""The emulator's shared state: one object per running app, reached as ``request.app.state.emu``."""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Callable

from viduemu import __version__
from viduemu.config import Settings
from viduemu.core.accounts import Accounts
from viduemu.core.clock import Clock
from viduemu.core.faults import Faults
from viduemu.core.files import Files
from viduemu.core.ids import Ids
from viduemu.core.journal import RecentBodies
from viduemu.core.store import open_store

if TYPE_CHECKING:
    from viduemu.core.contracts import Contracts

CLOCK_SAVE_EVERY = 1.0  # real seconds


class Emulator:
    version = __version__
    contracts: Contracts  # set by app.create_app

    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = open_store(settings.state)
        start = self.store.get_meta("clock_now")
        self.last_alive: float | None = start  # where the clock stood when a persisted state last ran
        # Virtual time never runs backwards across a restart of a persisted state.
        self.clock = Clock(settings.clock, settings.speed, start=max(start or 0, time.time()))
        self._resume_hooks: list[Callable[[], None]] = []
        self._reset_hooks: list[Callable[[], None]] = []
        self._close_hooks: list = []
        self.ids = self._new_ids(fresh=False)
        self.accounts = Accounts(self.store, self.clock, settings.initial_credits)
        self.faults = Faults(self.store, self.ids.new_id)
        self.files = Files()
        self.bodies = RecentBodies()  # request/response body previews of the latest requests (journal.py)
        self.fetcher = None  # async (url, field) -> bytes when --fetch-urls is on (core/fetch.py)
        if settings.fetch_urls:
            from viduemu.core.fetch import Fetcher

            self.fetcher = Fetcher(settings.fetch_timeout, settings.fetch_max_bytes,
                                   allow_private=settings.fetch_allow_private)
            self.on_close(self.fetcher.aclose)
        self._arm_clock_saver()

    def _new_ids(self, fresh: bool) -> Ids:
        """Ids for this run. Each start on a persisted state is a new "boot": under --seed, the ids of a
        later boot come from a seed derived from (seed, boot), so they never repeat stored ids."""
        boot = 0 if fresh else self.store.get_meta("boot", -1) + 1
        self.store.set_meta("boot", boot)
        seed = self.settings.seed
        if seed is not None and boot:
            seed = int.from_bytes(hashlib.sha256(f"{seed}:boot:{boot}".encode()).digest()[:8], "big")
        return Ids(seed)

    def _arm_clock_saver(self) -> None:
        """With --state, note the clock's position every real second in real/speed mode, so a
        killed server resumes within a second of where virtual time was and knows when it last ran
        (``last_alive``; manual mode saves on each advance)."""
        if self.store.location == "memory":
            return

        def every() -> float:  # virtual seconds; a manual clock only looks in now and then (mode changes)
            return CLOCK_SAVE_EVERY * self.clock.speed if self.clock.mode != "manual" else 60.0

        def save() -> None:
            if self.clock.mode != "manual":
                self.save_clock()
            self.clock.call_later(every(), save)

        self.clock.call_later(every(), save)

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
        self.ids = self._new_ids(fresh=True)
        self.accounts = Accounts(self.store, self.clock, self.settings.initial_credits)
        self.faults = Faults(self.store, self.ids.new_id)
        self.bodies.clear()
        for hook in self._reset_hooks:
            hook()
        self._arm_clock_saver()

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

"""The infrastructure every area shares: settings, store, clock, ids, faults, files, events, contracts.

One ``Core`` per running app, built before the areas and passed to each (viduemu/emulator.py). It knows
no area: areas declare their fault points and file prefixes, and subscribe to one another's events.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

from viduemu import __version__
from viduemu.config import Settings
from viduemu.core import records
from viduemu.core.clock import Clock
from viduemu.core.contracts import Contracts
from viduemu.core.errors import ViduError
from viduemu.core.events import Events
from viduemu.core.faults import Faults
from viduemu.core.files import Files
from viduemu.core.ids import Ids
from viduemu.core.journal import SAMPLE as REQUEST_SAMPLE
from viduemu.core.journal import RecentBodies
from viduemu.core.packing import Packer
from viduemu.core.signing import Signer
from viduemu.core.store import MemoryStore, open_store

log = logging.getLogger("viduemu.core")

CLOCK_SAVE_EVERY = 1.0  # real seconds
URL_TTL = 24 * 3600.0   # virtual seconds a signed media URL stays valid


class Core:
    version = __version__
    contracts: Contracts  # set by app.create_app

    def __init__(self, settings: Settings, contracts: Contracts | None = None) -> None:
        self.settings = settings
        # Packed with samples of every record type defined by now (the areas are imported before the core
        # is built) and of the request journal.
        self.store: MemoryStore = open_store(settings.state, Packer([REQUEST_SAMPLE, *records.samples()]))
        start = self.store.get_meta("clock_now")
        self.last_alive: float | None = start  # where the clock stood when a persisted state last ran
        # Virtual time never runs backwards across a restart of a persisted state.
        self.clock = Clock(settings.clock, settings.speed, start=max(start or 0, time.time()))
        self.ids = self._new_ids(fresh=False)
        self.signer = Signer.of(self.store)  # the state's own secret (core/signing.py)
        self.faults = Faults(self.store, lambda: self.ids.new_id())
        self.files = Files()
        self.events = Events()
        self.contracts = contracts or Contracts()
        self.bodies = RecentBodies()  # request/response body previews of the latest requests (journal.py)
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
            self.clock.call_later(every(), save)   # first: a save the disk refuses does not end the saving
            if self.clock.mode != "manual":
                try:
                    self.save_clock()
                except ViduError as exc:
                    log.warning("the clock's position was not saved: %s", exc.message)

        self.clock.call_later(every(), save)

    def reset(self) -> None:
        """Clear every timer, document, journal and fault rule; ids start again as on a fresh state."""
        self.clock.clear()
        self.store.clear()
        self.ids = self._new_ids(fresh=True)
        self.signer = Signer.of(self.store)  # a new secret: nothing signed before the reset holds
        self.bodies.clear()
        self._arm_clock_saver()

    def linker(self, base: str) -> Callable[[str], str]:
        """What turns a served file's path into the absolute URL handed out now: signed, valid for
        ``URL_TTL`` from now on the virtual clock (an empty path stays empty)."""
        expires = int(self.clock.now() + URL_TTL)
        signer = self.signer
        return lambda path: base + signer.url(path, expires) if path else ""

    def close(self) -> None:
        try:
            self.save_clock()
        except ViduError as exc:   # a full disk: the file keeps the position last saved
            log.warning("the clock's position was not saved: %s", exc.message)
        finally:
            self.store.close()

    def journal(self, name: str, entry: dict[str, Any]) -> dict[str, Any]:
        """Record ``entry``; a journal is a record of what happened, so an entry the state file refuses (a
        full disk) is dropped, in memory too, with one line in the log: the answer or delivery it records
        stands as it was."""
        try:
            return self.store.append(name, entry)
        except ViduError as exc:
            log.warning("the %s journal lost an entry: %s", name, exc.message)
            return entry

    def save_clock(self) -> None:
        self.store.set_meta("clock_now", self.clock.now())

"""The emulator: the core, the Vidu services the areas share, and the areas, built in one place.

``Emulator.build(settings)`` is the only place that knows every part and the order they depend on one
another; nothing sets an attribute on the emulator afterwards. ``app.py`` serves it.
"""

from __future__ import annotations

from dataclasses import dataclass

from viduemu.aggregator.area import AggregatorArea
from viduemu.config import Settings
from viduemu.control.area import ControlArea
from viduemu.core.area import Area
from viduemu.core.context import Core
from viduemu.core.contracts import Contracts
from viduemu.ent.area import EntArea
from viduemu.live.area import LiveArea
from viduemu.rtc.area import RtcArea
from viduemu.vidu.accounts import Accounts
from viduemu.vidu.callbacks import Callbacks
from viduemu.vidu.fetch import Fetcher
from viduemu.vidu.tasks import TaskEngine


@dataclass(frozen=True, eq=False)
class Emulator:
    core: Core
    accounts: Accounts
    fetcher: Fetcher | None     # remote media URLs, when --fetch-urls is on
    tasks: TaskEngine           # the task lifecycle /ent/v2 and the aggregator share
    callbacks: Callbacks        # signed deliveries, for every area that sends them
    ent: EntArea
    live: LiveArea
    rtc: RtcArea              # the live sessions' media channels (reads them through live's engine)
    aggregator: AggregatorArea
    control: ControlArea

    @classmethod
    def build(cls, settings: Settings, contracts: Contracts | None = None) -> Emulator:
        core = Core(settings, contracts)
        accounts = Accounts(core.store, core.clock, settings.initial_credits)
        fetcher = Fetcher(settings.fetch_timeout, settings.fetch_max_bytes,
                          allow_private=settings.fetch_allow_private) if settings.fetch_urls else None
        tasks, callbacks = TaskEngine(core, accounts), Callbacks(core)
        ent = EntArea(core, accounts, tasks, callbacks, fetcher)
        live = LiveArea(core, accounts, ent.fetcher)   # the avatar's image may be an upload too
        control = ControlArea(core, accounts, reset=lambda: emu.reset())   # emu: bound just below
        emu = cls(core, accounts, fetcher, tasks, callbacks, ent, live, RtcArea(core, live.sessions),
                  AggregatorArea(core, accounts, tasks, callbacks, ent), control)
        for area in emu.areas:   # what core needs to know of each part, declared by the part
            for prefix, resolver in area.files().items():
                core.files.register(prefix, resolver)
            for point in area.fault_points():
                core.faults.declare(point)
        return emu

    @property
    def areas(self) -> tuple[Area, ...]:
        """Every part with a lifecycle, in the order they resume (callbacks before the tasks that send them)."""
        return (self.callbacks, self.tasks, self.ent, self.live, self.rtc, self.aggregator, self.control)

    def routes(self) -> list:
        return [route for area in self.areas for route in area.routes()]

    def resume(self) -> None:
        self._adopt_legacy()   # before the areas re-arm from the records it renames
        for area in self.areas:
            area.resume()

    def reset(self) -> None:
        self.core.reset()
        self._adopt_legacy()   # marks the empty state as keyed as sent
        for area in self.areas:
            area.reset()

    def _adopt_legacy(self) -> None:
        """The records of an older state's ``bearer:<key>`` accounts go to the key (vidu/accounts.py)."""
        self.accounts.adopt_legacy((self.tasks.table, self.ent.subjects.table, self.callbacks.table))

    async def aclose(self) -> None:
        if self.fetcher is not None:
            await self.fetcher.aclose()
        for area in self.areas:
            await area.aclose()
        self.core.close()

"""What the emulator asks of each area (one API family, or the control plane).

An area is built once, with what it needs passed in (the ``Core`` and its collaborators), in one
place (``viduemu/emulator.py``). It answers its routes; serves files under its own prefixes; names
the fault points it raises beyond ``"<METHOD> <path>"``; re-arms its timers from stored state
(``resume``, at start and after a reset); drops what it keeps in memory (``reset``); and lets go of
what it holds open (``aclose``). Each method has a do-nothing default: an area overrides what it has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from starlette.routing import BaseRoute

from viduemu.core.faults import FaultPoint
from viduemu.core.files import Resolver


class Area:
    def routes(self) -> Sequence[BaseRoute]:
        """Every route of the area: its vendor operations and its ``/_emulator`` views."""
        return ()

    def files(self) -> Mapping[str, Resolver]:
        """prefix -> resolver of the files served under ``/_emulator/files/<prefix>/``."""
        return {}

    def fault_points(self) -> Sequence[FaultPoint]:
        """The named fault points the area takes rules at (``match.operation``)."""
        return ()

    def resume(self) -> None:
        """Re-arm timers from stored state (at start-up)."""

    def reset(self) -> None:
        """Forget what is kept in memory beside the store (the store itself is already cleared)."""

    async def aclose(self) -> None:
        """Let go of what the area holds open (clients, peers, renders)."""

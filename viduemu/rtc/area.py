"""The RTC area: a WebRTC gateway standing in for the media channel of each live session, and the
character that speaks in it.

Files: routes.py (the control-plane routes: join, leave, peers), models.py (the gateway engine, its
peers, and the ``Sessions`` protocol it reads live sessions through), views.py (the wire shapes),
avatar.py (the character), look.py, listen.py and vidu/voice.py (its picture, ears and voice). It imports
nothing of the live area: the live engine is passed in (viduemu/emulator.py), and the area hears of
sessions through the events of vidu/lives.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from starlette.routing import BaseRoute

from viduemu.core.area import Area
from viduemu.core.context import Core
from viduemu.rtc import routes
from viduemu.rtc.models import Gateway, Sessions
from viduemu.vidu.lives import LiveChanged, LiveInterrupted, LiveText


class RtcArea(Area):
    def __init__(self, core: Core, sessions: Sessions) -> None:
        self.core = core
        self.gateway = Gateway(core, sessions)
        core.events.subscribe(LiveChanged, self._live_changed)
        core.events.subscribe(LiveInterrupted, self._live_interrupted)
        core.events.subscribe(LiveText, self._live_text)

    # -- what the live area tells us -----------------------------------------------------------
    def _live_changed(self, event: LiveChanged) -> None:
        self.gateway.session_changed(event.live_id, event.status)

    def _live_interrupted(self, event: LiveInterrupted) -> None:
        self.gateway.interrupt(event.live_id)

    def _live_text(self, event: LiveText) -> None:
        self.gateway.say(event.live_id, event.content)

    # -- the Area protocol -----------------------------------------------------------------------
    def routes(self) -> Sequence[BaseRoute]:
        return routes.routes(self)

    def reset(self) -> None:
        asyncio.get_running_loop().create_task(self.gateway.aclose())

    async def aclose(self) -> None:
        await self.gateway.aclose()

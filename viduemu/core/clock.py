"""The one virtual clock every timer reads.

Modes: ``real`` (wall time), ``speed`` (wall time x speed), ``manual`` (moves only on
``advance``). Timers are plain callables kept in a heap; ``advance`` runs every timer that
falls due in time order, each seeing the time it was due at, so a 48 h advance over thousands
of timers is a tight loop with no sleeping. In ``real``/``speed`` mode a background task runs
timers as they fall due.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable

log = logging.getLogger("viduemu.clock")

MODES = ("real", "speed", "manual")


@dataclass(order=True)
class Timer:
    when: float
    seq: int
    fn: Callable[..., Any] = field(compare=False)
    args: tuple[Any, ...] = field(compare=False, default=())
    cancelled: bool = field(compare=False, default=False)

    def cancel(self) -> None:
        self.cancelled = True


class Clock:
    def __init__(self, mode: str = "real", speed: float = 1.0, start: float | None = None):
        if mode not in MODES:
            raise ValueError(f"clock mode must be one of {MODES}")
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self._due_at: float | None = None  # the time a running timer sees
        self._wake: asyncio.Event | None = None
        self._runner: asyncio.Task[None] | None = None
        self._anchor(start if start is not None else time.time())
        self.mode, self.speed = mode, (speed if mode == "speed" else 1.0)

    # -- reading the time -------------------------------------------------
    def _anchor(self, virtual_now: float) -> None:
        self._virtual0 = virtual_now
        self._wall0 = time.monotonic()

    def now(self) -> float:
        if self._due_at is not None:
            return self._due_at
        if self.mode == "manual":
            return self._virtual0
        return self._virtual0 + (time.monotonic() - self._wall0) * self.speed

    def state(self) -> dict[str, Any]:
        return {"now": self.now(), "mode": self.mode, "speed": self.speed}

    def set_mode(self, mode: str, speed: float | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"clock mode must be one of {MODES}")
        self._anchor(self.now())
        self.mode = mode
        self.speed = (speed or self.speed or 1.0) if mode == "speed" else 1.0
        self._poke()

    # -- timers ------------------------------------------------------------
    def call_at(self, when: float, fn: Callable[..., Any], *args: Any) -> Timer:
        timer = Timer(when, next(self._seq), fn, args)
        heapq.heappush(self._heap, timer)
        if self._heap[0] is timer:
            self._poke()
        return timer

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        return self.call_at(self.now() + delay, fn, *args)

    def pending(self) -> int:
        return sum(1 for t in self._heap if not t.cancelled)

    def clear(self) -> None:
        self._heap.clear()

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move time forward by ``seconds``, running every timer that falls due on the way."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        start = self.now()
        target = start + seconds
        self._run_due(target, floor=start)
        self._anchor(target)
        self._poke()
        return self.state()

    def _run_due(self, until: float, floor: float) -> int:
        ran = 0
        heap = self._heap
        try:
            while heap and heap[0].when <= until:
                timer = heapq.heappop(heap)
                if timer.cancelled:
                    continue
                # Each timer sees the time it was due at (never earlier than when we began).
                self._due_at = floor = max(timer.when, floor)
                try:
                    timer.fn(*timer.args)
                except Exception:  # a broken timer must not stop the clock
                    log.exception("timer %r failed", timer.fn)
                ran += 1
        finally:
            self._due_at = None
        return ran

    # -- background runner (real/speed) ------------------------------------
    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def start(self) -> None:
        if self._runner is None:
            self._wake = asyncio.Event()
            self._runner = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            try:
                await self._runner
            except asyncio.CancelledError:
                pass
            self._runner = None
            self._wake = None

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            self._wake.clear()
            timeout: float | None = None
            if self.mode != "manual":
                now = self.now()
                self._run_due(now, floor=now)
                while self._heap and self._heap[0].cancelled:
                    heapq.heappop(self._heap)
                if self._heap:
                    timeout = max(0.0, (self._heap[0].when - self.now()) / self.speed)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except asyncio.TimeoutError:
                pass

"""Typed events between areas: a publisher names what happened, subscribers react.

An event is a (frozen) dataclass; ``subscribe(EventType, handler)`` registers a handler for that type
and ``publish(event)`` calls the handlers of its type in the order they subscribed, synchronously, on
the caller's stack (a task that changed state is seen by every subscriber before the clock moves on).
A subscriber that raises is logged and skipped (one broken listener never stops the publisher),
unless the publisher asks otherwise (``isolated=False``: the subscribers' work is part of its own, and
their failure is its failure).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any, Callable, TypeVar

log = logging.getLogger("viduemu.events")

E = TypeVar("E")


class Events:
    def __init__(self) -> None:
        self._handlers: defaultdict[type, list[Callable[[Any], None]]] = defaultdict(list)

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> None:
        self._handlers[kind].append(handler)

    def publish(self, event: object, *, isolated: bool = True) -> None:
        handlers = self._handlers.get(type(event), ())
        if not isolated:
            for handler in handlers:
                handler(event)
            return
        for handler in handlers:
            try:
                handler(event)
            except Exception:
                log.exception("a subscriber of %s failed", type(event).__name__)

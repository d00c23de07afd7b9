"""What the live area (the S1 sessions and their signaling) and the RTC area (the character's media)
share without knowing each other: the default voice, and the events the live area publishes about a
session. The RTC area subscribes to them (rtc/area.py); it reads sessions through a protocol of its
own (rtc/models.py ``Sessions``), which the live engine (live/models.py ``Lives``) satisfies.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_VOICE = "Tina"   # the voice a session speaks with when the create names none (wire notes §6)


@dataclass(frozen=True)
class LiveChanged:
    """A session changed status (``waiting -> on_live -> ending -> ended``).

    It carries the session's id and new status, not the record: the subscribers (the RTC gateway
    starts and stops the character's media) need no more, and ask the live engine if they do."""
    live_id: str
    status: str


@dataclass(frozen=True)
class LiveInterrupted:
    """The session's client sent ``audio_interrupted`` (type 7): the character stops its answer."""
    live_id: str


@dataclass(frozen=True)
class LiveText:
    """The session's client sent ``text_msg`` (type 99): the character answers it aloud."""
    live_id: str
    content: str

"""S1 billing arithmetic (pure): 3 credits per 2 s of on_live time, deducted every 6 s.

A session's on_live time is rounded up to the next even second (11 s -> 12 s -> 18 credits;
87 s -> 88 s -> 132 credits). Every ``TICK_SECONDS`` the credits for the time elapsed so far are
due; at the end the remainder is settled. The balance never goes negative: when it cannot cover
what is due, what is left is taken and the session must hang up with ``credit_insufficient``.
"""

from __future__ import annotations

import math

CREDITS_PER_UNIT = 3      # "3 credits per 2 seconds"
UNIT_SECONDS = 2
TICK_SECONDS = 6          # "deducted every 6 seconds"
MIN_BALANCE = 45          # "a minimum balance of 45 credits to start" (30 s)


def _units(seconds: float) -> int:
    # Clock arithmetic leaves crumbs (30.000000001 s): judge time to the millisecond.
    return max(0, math.ceil(round(seconds, 3) / UNIT_SECONDS))


def billed_seconds(seconds: float) -> int:
    """On_live time rounded up to the even second."""
    return _units(seconds) * UNIT_SECONDS


def cost(seconds: float) -> int:
    """Credits owed for ``seconds`` of on_live time."""
    return _units(seconds) * CREDITS_PER_UNIT


def seconds_paid(credits: int) -> int:
    """``billed_seconds``: the on_live seconds the credits taken pay for (whole 2 s units)."""
    return credits // CREDITS_PER_UNIT * UNIT_SECONDS


def take(owed: int, charged: int, balance: int) -> tuple[int, bool]:
    """(credits to deduct now, exhausted?) when ``owed`` in all, ``charged`` taken so far.

    Exhausted means the balance could not cover what is due or is now zero: hang up."""
    due = max(0, owed - charged)
    amount = min(due, max(0, balance))
    return amount, amount < due or balance - amount <= 0

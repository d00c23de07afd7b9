"""The 3-minute soak (bench/soak.py at a tenth of its length): mixed load against a `viduemu serve
--clock speed --speed 10` subprocess: 0 errors, and VmRSS after the warm-up within 10 % of its value
at the end of the warm-up. The warm-up is half the run (90 s), not a sixth as in the 30-minute soak:
the journals' windows (2,000 entries) fill in about two minutes of this load, and until they do the
growth is theirs, not a leak."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import soak  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def three_minutes():
    lines: list[str] = []
    result = asyncio.run(soak.soak(minutes=3, warmup=1.5, sample=6, create_rate=2, lives=50, speed=10,
                                   out=lines.append))
    return result, "\n".join(lines)


def test_three_minutes_of_mixed_load_give_no_error(three_minutes):
    result, report = three_minutes
    assert result["errors"] == [], report
    assert all(ops in result["latency"] for ops in ("POST img2video", "GET creations", "WS connect + conn_init",
                                                     "WS hangup -> close", "GET live")), report


def test_three_minutes_of_mixed_load_keep_memory_flat_after_the_warm_up(three_minutes):
    result, report = three_minutes
    assert result["growth"] < soak.RSS_BOUND, report

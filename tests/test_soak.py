"""The soak in the suite: bench/soak.py's mixed load for one minute against a `viduemu serve --clock speed
--speed 10` subprocess: 0 errors, and VmRSS after the warm-up within 10 % of its value at the end of the
warm-up (the 30-minute form is the benchmark: `python bench/soak.py`).

One minute, not three, at a heavier load, so that the judged half-minute sees about the traffic of the
judged 90 s of the former 3-minute form (some 1,100 requests and 120 live sessions): 6 img2video/s instead
of 2 (each polled every second and called back twice: about 37 requests/s in all) and the 50 live sessions
held 8-20 s instead of 20-50 s (about 4 sessions created, connected and hung up per second instead of
1.4). A leak of so much per request or per session shows as it did before; the warm-up (30 s) covers the
server's first growth at this load (imports, caches, the journals' first entries). The run takes about
80 s: the minute, then the sessions still held finish their call."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import soak  # noqa: E402

# One worker runs both tests on one soak (the module fixture); the group starts first under --dist loadgroup.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("soak")]


@pytest.fixture(scope="module")
def one_minute():
    lines: list[str] = []
    result = asyncio.run(soak.soak(minutes=1, warmup=0.5, sample=5, create_rate=6, lives=50, speed=10,
                                   hold=(8.0, 20.0), out=lines.append))
    return result, "\n".join(lines)


def test_a_minute_of_mixed_load_gives_no_error(one_minute):
    result, report = one_minute
    assert result["errors"] == [], report
    assert all(ops in result["latency"] for ops in ("POST img2video", "GET creations", "WS connect + conn_init",
                                                     "WS hangup -> close", "GET live")), report


def test_a_minute_of_mixed_load_keeps_memory_flat_after_the_warm_up(one_minute):
    result, report = one_minute
    assert result["growth"] < soak.RSS_BOUND, report

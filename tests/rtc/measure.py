"""Measure the character's media cost: N viewers of one character on loopback, in one process.

    /work/venv/bin/python -m tests.rtc.measure --viewers 8 --mode packets --seconds 10

Prints frames received per viewer (against the expected count) and CPU seconds per wall second,
split by thread: ``encode`` = the asyncio executor threads (aiortc's per-viewer encoders: VP8 in
frames mode, Opus always), ``decode`` = aiortc's receiver threads (the viewers' side, not the
server's), ``main`` = the event loop (both sides: RTP, SRTP, pacing).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import threading
import time

from tests.rtc.support import Call, Session
from viduemu.rtc.avatar import Character


def thread_cpu() -> dict[str, float]:
    """CPU seconds per thread group, from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    names = {t.native_id: t.name for t in threading.enumerate()}
    groups: dict[str, float] = {"main": 0.0, "encode": 0.0, "decode": 0.0, "other": 0.0}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / tick
        name = names.get(int(tid), "")
        group = ("main" if int(tid) == os.getpid() else "encode" if name.startswith("asyncio") else
                 "decode" if "decoder" in name else "other")
        groups[group] += cpu
    return groups


async def main(viewers: int, mode: str, seconds: float, fps: int) -> None:
    live = Session("1", "video", {"name": "Mia", "voice": "Tina", "image_uri": "data:image/png"})
    character = Character(live, seed=1, fps=fps)
    calls = [await Call(character, packets=mode == "packets", keep_frames=False).connect() for _ in range(viewers)]
    character.start()
    await asyncio.sleep(1.0)  # warm up: connections, first keyframes
    before, wall = thread_cpu(), time.monotonic()
    counts = [(len(c.video), len(c.audio)) for c in calls]
    await asyncio.sleep(seconds)
    after, elapsed = thread_cpu(), time.monotonic() - wall
    got = [(len(c.video) - v, len(c.audio) - a) for c, (v, a) in zip(calls, counts, strict=True)]
    expected_v, expected_a = elapsed * fps, elapsed / 0.02
    cpu = {k: (after[k] - before[k]) / elapsed for k in after}
    print(f"{viewers} viewers, {mode}, {fps} fps, {elapsed:.1f} s: video frames/viewer min "
          f"{min(v for v, _ in got)} (expected {expected_v:.0f}, {100 * min(v for v, _ in got) / expected_v:.0f} %), "
          f"audio min {min(a for _, a in got)} (expected {expected_a:.0f})")
    print("CPU s/s: " + ", ".join(f"{k} {v:.3f}" for k, v in cpu.items()) + f", total {sum(cpu.values()):.3f}")
    character.stop()
    for c in calls:
        await c.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--viewers", type=int, default=4)
    parser.add_argument("--mode", choices=("packets", "frames"), default="packets")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--fps", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(main(args.viewers, args.mode, args.seconds, args.fps))

"""Render time and peak memory of the largest output of each kind (issue 14).

Each render runs alone in a fresh subprocess (`vidu.media.render`, as a first download does) and reports
its wall time and its peak RSS (`ru_maxrss` of that process); the inputs it reads (a song, a source video)
are made beforehand by another subprocess, so their making does not count.

    python bench/render_sizes.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, machine, table

# name -> (what, the clip's arguments, the inputs it needs)
CASES = {
    "t2v-1080p-16s-speech": ("text2video 1080p 16:9 16 s, audio: true (speech)",
                             dict(width=1920, height=1080, duration=16, sound={"kind": "speech", "pitch": 140.0})),
    "mv-1080p-180s-song": ("MV composite 1080p 16:9 180 s, the uploaded song (MP3)",
                           dict(width=1920, height=1080, duration=180, sound={"kind": "file", "blob": "song.mp3"})),
    "i2v-2K-16s-speech": ("img2video 2K 16:9 16 s, audio: true (speech)",
                          dict(width=2560, height=1440, duration=16, sound={"kind": "speech", "pitch": 140.0})),
    "upscale-4K-5s": ("4K upscale of a 5 s 1080p source (scaled)",
                      dict(width=3840, height=2160, duration=5, source={"blob": "source.mp4", "mode": "scaled",
                                                                         "seconds": 5.0})),
    "upscale-8K-5s": ("8K upscale of a 5 s 1080p source (scaled)",
                      dict(width=7680, height=4320, duration=5, source={"blob": "source.mp4", "mode": "scaled",
                                                                         "seconds": 5.0})),
    "extend-1080p-5+7s": ("extend: a 5 s 1080p source, then 7 s more (prefix)",
                          dict(width=1920, height=1080, duration=12, source={"blob": "source.mp4", "mode": "prefix",
                                                                              "seconds": 5.0})),
    "lipsync-1080p-60s": ("lip-sync of a 60 s 1080p source, speech from a text",
                          dict(width=1920, height=1080, duration=60, sound={"kind": "speech", "pitch": 140.0},
                               source={"blob": "source60.mp4", "mode": "scaled", "seconds": 60.0})),
    "replicate-1080p-180s": ("trending-replicate 1080p 180 s, the source's audio",
                             dict(width=1920, height=1080, duration=180, sound={"kind": "file", "blob": "song.mp3"})),
    "general-film-1080p-180s": ("general one-click film composite 1080p 180 s, music",
                                dict(width=1920, height=1080, duration=180, sound={"kind": "music"})),
    "ad-film-1080p-60s": ("ad film composite 1080p 60 s, music",
                          dict(width=1920, height=1080, duration=60, sound={"kind": "music"})),
    "dance-720p-30s": ("image2dance 720p 9:16 30 s, the dance video's audio",
                       dict(width=720, height=1280, duration=30, sound={"kind": "file", "blob": "song.mp3"})),
    "template-720p-8s-bgm": ("template (french_kiss_8s) 720p 8 s, bgm: true",
                             dict(width=1280, height=720, duration=8, sound={"kind": "music"})),
}

PREPARE = """
import math, sys, array
from pathlib import Path
import av
from PIL import Image
blobs = Path(sys.argv[1])
with av.open(str(blobs / "song.mp3"), "w") as out:   # 180 s: a tone that steps every second
    stream = out.add_stream("libmp3lame", rate=44100, layout="stereo")
    for second in range(180):
        hz = 220 + 20 * (second % 24)
        frame = av.AudioFrame(format="s16p", layout="stereo", samples=44100)
        wave = array.array("h", (int(9000 * math.sin(2 * math.pi * hz * i / 44100)) for i in range(44100)))
        for plane in frame.planes:
            plane.update(wave.tobytes())
        frame.sample_rate, frame.pts = 44100, second * 44100
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))
for name, seconds in (("source.mp4", 5), ("source60.mp4", 60)):   # 1080p at 25 fps
    with av.open(str(blobs / name), "w") as out:
        stream = out.add_stream("libx264", rate=25, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        for i in range(25 * seconds):
            image = Image.new("RGB", (1920, 1080), (i * 2 % 256, 80, (255 - i * 2) % 256))
            frame = av.VideoFrame.from_image(image)
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
"""

RENDER = """
import json, resource, sys, time
from pathlib import Path
from viduemu.vidu.media import FPS, Clip
args, out, blobs = json.loads(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
args["sound"] = {"seed": 7, **args["sound"]} if "sound" in args else None
clip = Clip.from_media({"fps": FPS, "prompt": "An astronaut waves at the camera", "seed": 7, **args})
from viduemu.vidu.media import render
start = time.perf_counter()
render(clip, ".mp4", out, blobs)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "size_mb": out.stat().st_size / 2**20}))
"""


def run(names: list[str]) -> list[list]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="render-sizes-") as tmp:
        blobs = Path(tmp) / "blobs"
        blobs.mkdir()
        subprocess.run([sys.executable, "-c", PREPARE, str(blobs)], check=True, cwd=REPO)
        for name in names:
            what, args = CASES[name]
            out = Path(tmp) / f"{name}.mp4"
            done = subprocess.run([sys.executable, "-c", RENDER, json.dumps(args), str(out), str(blobs)],
                                  check=True, cwd=REPO, capture_output=True, text=True)
            found = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append([name, what, f"{args['width']}x{args['height']}", f"{found['seconds']:.1f}",
                         f"{found['peak_mb']:.0f}", f"{found['size_mb']:.1f}"])
            print(rows[-1], flush=True)
            out.unlink()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), default=list(CASES))
    names = parser.parse_args().only
    print(machine())
    print(table(["case", "what", "size", "render (s)", "peak RSS (MB)", "file (MB)"], run(names)))


if __name__ == "__main__":
    main()

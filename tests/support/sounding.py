"""Videos with a sound track, made in-test with PyAV (H.264 + AAC in MP4), as data URIs."""

from __future__ import annotations

import functools
import io

import av
from PIL import Image

from tests.support.media import data_uri, mp4_colour


@functools.lru_cache(maxsize=None)
def mp4_sound(seconds: float, width: int = 200, height: int = 200, fps: int = 4, rate: int = 8000) -> str:
    """An H.264 MP4 of ``seconds`` with a silent AAC track as long."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = out.add_stream("aac", rate=rate, layout="mono")
        image = Image.new("RGB", (width, height), (200, 120, 20))
        for i in range(round(seconds * fps)):
            frame = av.VideoFrame.from_image(image)
            frame.pts = i
            out.mux(video.encode(frame))
        size, pts, total = audio.codec_context.frame_size or 1024, 0, round(seconds * rate)
        while pts < total:
            frame = av.AudioFrame(format="fltp", layout="mono", samples=min(size, total - pts))
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            frame.sample_rate, frame.pts = rate, pts
            out.mux(audio.encode(frame))
            pts += frame.samples
        out.mux(video.encode(None))
        out.mux(audio.encode(None))
    return data_uri("video/mp4", buf.getvalue())


@functools.lru_cache(maxsize=None)
def mp4_codec(codec: str, seconds: float = 1.0, width: int = 360, height: int = 360, fps: int = 4) -> str:
    """A silent MP4 whose video is encoded with ``codec`` (e.g. ``mpeg4``, not H.264)."""
    return mp4_colour(seconds, width, height, fps, (20, 200, 120), codec)

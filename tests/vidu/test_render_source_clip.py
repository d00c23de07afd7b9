"""``Source.clip``: a clip whose first frames are another clip (a finished task's media) drawn again,
resized to its own size (vidu/render.py ``_replayed``)."""

from __future__ import annotations

from dataclasses import asdict

import av
from PIL import ImageChops, ImageStat

from viduemu.vidu.media import FPS, Clip, Source
from viduemu.vidu.render import render_video


def _frames(path) -> list:
    with av.open(str(path)) as container:
        return [frame.to_image() for frame in container.decode(video=0)]


def _alike(a, b) -> bool:
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3 < 4


def test_a_prefix_clip_source_plays_that_clip_resized_then_its_own_frames(tmp_path):
    inner = Clip(320, 180, 1, FPS, "the source", 7)
    outer = Clip(640, 360, 1.5, FPS, "the extension", 8, source=Source("", "prefix", 1.0, clip=asdict(inner)))
    render_video(inner, tmp_path / "inner.mp4", tmp_path)
    render_video(Clip.from_media(asdict(outer)), tmp_path / "outer.mp4", tmp_path)
    inner_frames, outer_frames = _frames(tmp_path / "inner.mp4"), _frames(tmp_path / "outer.mp4")
    assert len(outer_frames) == 24 and outer_frames[0].size == (640, 360)
    assert all(_alike(outer_frames[i].resize((320, 180)), inner_frames[i]) for i in (0, 8, 15))
    assert not _alike(outer_frames[16].resize((320, 180)), inner_frames[15])   # then its own drawn frames


def test_a_source_clip_may_itself_have_a_source(tmp_path):
    first = Clip(320, 180, 0.5, FPS, "first", 1)
    second = Clip(320, 180, 1, FPS, "second", 2, source=Source("", "prefix", 0.5, clip=asdict(first)))
    third = Clip(320, 180, 1, FPS, "third", 3, source=Source("", "scaled", 1, clip=asdict(second)))
    render_video(first, tmp_path / "first.mp4", tmp_path)
    render_video(Clip.from_media(asdict(third)), tmp_path / "third.mp4", tmp_path)
    assert _alike(_frames(tmp_path / "third.mp4")[0], _frames(tmp_path / "first.mp4")[0])

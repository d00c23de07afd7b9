"""vidu/media: the size table and real, deterministic H.264 / JPEG renders (small sizes)."""

from __future__ import annotations

import av
import pytest
from PIL import Image, ImageChops, ImageStat

from viduemu.vidu.media import ASPECT_RATIOS, FPS, SHORT_SIDE, Clip, resolution_size
from viduemu.vidu.render import render_cover, render_video


@pytest.mark.parametrize("resolution, aspect_ratio, size", [
    ("360p", "16:9", (640, 360)),
    ("540p", "16:9", (960, 540)),
    ("720p", "16:9", (1280, 720)),
    ("1080p", "16:9", (1920, 1080)),
    ("1080p", "9:16", (1080, 1920)),
    ("1080p", "1:1", (1080, 1080)),
    ("720p", "4:3", (960, 720)),
    ("720p", "3:4", (720, 960)),
    ("540p", "9:16", (540, 960)),
    ("360p", "4:3", (480, 360)),
])
def test_resolution_size_table(resolution, aspect_ratio, size):
    assert resolution_size(resolution, aspect_ratio) == size


@pytest.mark.parametrize("resolution", sorted(SHORT_SIDE))
@pytest.mark.parametrize("aspect_ratio", sorted(ASPECT_RATIOS))
def test_every_size_is_even_with_the_named_short_side_and_the_ratio(resolution, aspect_ratio):
    width, height = resolution_size(resolution, aspect_ratio)
    a, b = ASPECT_RATIOS[aspect_ratio]
    assert width % 2 == 0 and height % 2 == 0
    assert min(width, height) == SHORT_SIDE[resolution]
    assert abs(width / height - a / b) < 0.01


def test_an_unknown_resolution_is_a_key_error_and_a_ratio_that_is_not_w_h_a_value_error():
    with pytest.raises(KeyError):
        resolution_size("480p", "16:9")
    for ratio in ("16:9\n", "0:1", "16", "a:b", "-4:3"):
        with pytest.raises(ValueError):
            resolution_size("720p", ratio)


@pytest.mark.parametrize("resolution", sorted(SHORT_SIDE))
@pytest.mark.parametrize("aspect_ratio", ["21:9", "7:3", "4:1", "1:4", "5:4", "1000:999", "14:6"])
def test_any_ratio_is_sized_by_the_same_rule(resolution, aspect_ratio):
    """Issue 13 #9: the models that take any W:H within 1:4..4:1 render every one of them."""
    width, height = resolution_size(resolution, aspect_ratio)
    a, b = map(int, aspect_ratio.split(":"))
    assert width % 2 == 0 and height % 2 == 0
    assert min(width, height) == SHORT_SIDE[resolution]
    assert abs(max(width, height) - SHORT_SIDE[resolution] * max(a, b) / min(a, b)) <= 1
    assert (width >= height) == (a >= b)


def _clip(**changes) -> Clip:
    values = dict(width=640, height=360, duration=1, fps=FPS, prompt="A red fox runs through snow", seed=42)
    return Clip(**{**values, **changes})


def test_video_is_h264_yuv420p_of_the_exact_size_duration_and_fps(tmp_path):
    path = tmp_path / "v.mp4"
    render_video(_clip(), path, tmp_path)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.width, stream.height) == (640, 360)
        assert stream.average_rate == FPS
        frames = list(container.decode(stream))
    assert len(frames) == FPS
    assert abs(float(stream.duration * stream.time_base) - 1.0) <= 1 / FPS


def test_fractional_duration_rounds_to_whole_frames(tmp_path):
    path = tmp_path / "v.mp4"
    render_video(_clip(duration=0.5, width=320, height=180), path, tmp_path)
    with av.open(str(path)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 8


def test_same_clip_renders_the_same_bytes_and_another_seed_or_prompt_does_not(tmp_path):
    paths = {name: tmp_path / f"{name}.mp4" for name in ("a", "b", "seed", "prompt")}
    render_video(_clip(), paths["a"], tmp_path)
    render_video(_clip(), paths["b"], tmp_path)
    render_video(_clip(seed=43), paths["seed"], tmp_path)
    render_video(_clip(prompt="A blue whale"), paths["prompt"], tmp_path)
    data = {name: path.read_bytes() for name, path in paths.items()}
    assert data["a"] == data["b"]
    assert data["seed"] != data["a"] and data["prompt"] != data["a"]


def test_the_picture_moves(tmp_path):
    path = tmp_path / "v.mp4"
    render_video(_clip(), path, tmp_path)
    with av.open(str(path)) as container:
        frames = [f.to_image() for f in container.decode(video=0)]
    # the ball travels: frames half a second apart differ in more than the counter's corner
    diff = ImageChops.difference(frames[0], frames[8]).crop((0, 60, 640, 320))
    assert max(ImageStat.Stat(diff).extrema[0]) > 100


def test_cover_is_a_jpeg_of_the_same_size_showing_the_first_frame(tmp_path):
    render_cover(_clip(), tmp_path / "c.jpg", tmp_path)
    render_video(_clip(), tmp_path / "v.mp4", tmp_path)
    cover = Image.open(tmp_path / "c.jpg")
    assert cover.format == "JPEG" and cover.size == (640, 360)
    with av.open(str(tmp_path / "v.mp4")) as container:
        first = next(container.decode(video=0)).to_image()
    diff = ImageChops.difference(cover.convert("RGB"), first)
    assert sum(ImageStat.Stat(diff).mean) / 3 < 4   # the same picture, up to two lossy encoders


@pytest.mark.parametrize("prompt", ["", "宇航员挥手 🚀", "tab\tand\nnew line\x00nul", "word " * 1000, "x" * 5000])
def test_any_prompt_renders(tmp_path, prompt):
    render_cover(_clip(prompt=prompt, width=360, height=640), tmp_path / "c.jpg", tmp_path)
    assert Image.open(tmp_path / "c.jpg").size == (360, 640)


def test_the_prompt_is_drawn_in_the_middle(tmp_path):
    render_cover(_clip(prompt=""), tmp_path / "empty.jpg", tmp_path)
    render_cover(_clip(prompt="A red fox runs through snow"), tmp_path / "fox.jpg", tmp_path)
    empty, fox = (Image.open(tmp_path / n).convert("RGB") for n in ("empty.jpg", "fox.jpg"))
    # the prompt sits in the middle band; the placeholder text is shorter than the prompt
    band = (0, 140, 640, 220)
    assert max(ImageStat.Stat(ImageChops.difference(empty, fox).crop(band)).extrema[0]) > 100

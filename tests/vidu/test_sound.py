"""vidu/media + render: a clip's sound (an AAC track as long as the video) and its source video."""

from __future__ import annotations

import dataclasses
import hashlib
import io

import av
import pytest

from tests.support.media import source_video, tone_song, track
from viduemu.vidu.media import FPS, Clip, Sound, Source, render

TOLERANCE = 0.1        # docs/decisions.md: the one tolerance of every measured duration
SONG_HZ = tuple(220.0 + 40 * k for k in range(12))   # second k of the test song is a tone at 220 + 40k Hz


@pytest.fixture
def blobs(tmp_path):
    path = tmp_path / "blobs"
    path.mkdir()
    (path / "song.mp3").write_bytes(tone_song(SONG_HZ))
    (path / "red.mp4").write_bytes(source_video(2.0, 320, 240))
    return path


def rendered(clip: Clip, blobs, suffix: str = ".mp4") -> bytes:
    path = blobs.parent / f"{clip.key()}{suffix}"
    render(clip, suffix, path, blobs)
    return path.read_bytes()


def clip(**changes) -> Clip:
    values = dict(width=320, height=180, duration=3, fps=FPS, prompt="A red fox", seed=7)
    return Clip(**{**values, **changes})


SOUNDS = {"speech": Sound("speech", 7, pitch=150.0), "music": Sound("music", 7),
          "file": Sound("file", blob="song.mp3", offset=2.0)}


@pytest.mark.parametrize("kind", sorted(SOUNDS))
def test_a_sound_is_one_aac_track_as_long_as_the_video_and_not_silent(blobs, kind):
    found = track(rendered(clip(sound=SOUNDS[kind]), blobs))
    assert found.codecs == {"video": ["h264"], "audio": ["aac"]}
    assert abs(found.durations["audio"] - found.durations["video"]) <= TOLERANCE
    assert abs(len(found.samples) / found.rate - 3) <= TOLERANCE
    assert found.rms(0.5, 2.0) > 300


def test_a_clip_without_sound_has_no_audio_stream(blobs):
    assert "audio" not in track(rendered(clip(), blobs)).codecs


@pytest.mark.parametrize("kind", sorted(SOUNDS))
def test_the_same_clip_renders_the_same_bytes_with_its_sound(blobs, kind):
    one = clip(sound=SOUNDS[kind])
    first = hashlib.sha256(rendered(one, blobs)).hexdigest()
    (blobs.parent / f"{one.key()}.mp4").unlink()
    assert hashlib.sha256(rendered(one, blobs)).hexdigest() == first


def test_the_sound_is_part_of_the_key():
    keys = [clip().key(), *(clip(sound=s).key() for s in SOUNDS.values()), clip(sound=Sound("music", 8)).key(),
            clip(source=Source("red.mp4", "scaled", 2.0)).key(), clip(source=Source("red.mp4", "prefix", 2.0)).key()]
    assert len(set(keys)) == len(keys)


def test_a_file_sound_plays_the_file_from_its_offset(blobs):
    found = track(rendered(clip(duration=4, sound=Sound("file", blob="song.mp3", offset=5.0)), blobs))
    for second in range(4):
        assert abs(found.dominant_hz(second + 0.25, 0.5) - SONG_HZ[5 + second]) < 10


def test_a_file_shorter_than_the_clip_is_padded_with_silence(blobs):
    found = track(rendered(clip(duration=3, sound=Sound("file", blob="song.mp3", offset=10.5)), blobs))
    assert abs(found.dominant_hz(0.6, 0.3) - SONG_HZ[11]) < 10
    assert found.rms(2.0, 0.9) < 50
    assert abs(found.durations["audio"] - 3) <= TOLERANCE


def test_a_missing_sound_file_is_silence_not_a_failure(blobs):
    found = track(rendered(clip(sound=Sound("file", blob="gone.mp3")), blobs))
    assert found.codecs["audio"] == ["aac"] and found.rms(0, 3) < 50


def test_music_and_speech_follow_their_seed(blobs):
    for kind in ("music", "speech"):
        one, other = (rendered(clip(duration=2, sound=dataclasses.replace(SOUNDS[kind], seed=s)), blobs)
                      for s in (1, 2))
        assert track(one).samples != track(other).samples


def test_speech_comes_in_syllables(blobs):
    """Speech-like: loud stretches and pauses, tenths of a second long."""
    found = track(rendered(clip(sound=SOUNDS["speech"]), blobs))
    levels = [found.rms(t / 20, 0.05) for t in range(60)]
    assert max(levels) > 1000 and sum(level < 100 for level in levels) >= 5


def frames_of(data: bytes) -> list:
    with av.open(io.BytesIO(data)) as container:
        return [frame.to_image() for frame in container.decode(video=0)]


def is_red(image) -> bool:
    r, g, b = image.resize((1, 1)).getpixel((0, 0))
    return r > 200 and g < 40 and b < 40


def test_a_scaled_source_fills_the_clip_at_its_size_and_holds_its_last_frame(blobs):
    data = rendered(clip(width=640, height=360, duration=3, source=Source("red.mp4", "scaled", 2.0)), blobs)
    frames = frames_of(data)
    assert len(frames) == 3 * FPS and {f.size for f in frames} == {(640, 360)}
    assert all(is_red(f) for f in frames)   # the source is 2 s: its last frame is held to 3 s
    assert abs(track(data).durations["video"] - 3) <= TOLERANCE


def test_a_prefix_source_comes_first_then_the_drawn_frames(blobs):
    frames = frames_of(rendered(clip(duration=3, source=Source("red.mp4", "prefix", 2.0)), blobs))
    assert len(frames) == 3 * FPS and {f.size for f in frames} == {(320, 180)}
    assert all(is_red(f) for f in frames[:2 * FPS]) and not any(is_red(f) for f in frames[2 * FPS:])


def test_a_missing_source_falls_back_to_drawn_frames(blobs):
    frames = frames_of(rendered(clip(source=Source("gone.mp4", "scaled", 2.0)), blobs))
    assert len(frames) == 3 * FPS and not any(is_red(f) for f in frames)


def test_the_cover_of_a_source_clip_is_its_first_frame(blobs):
    from PIL import Image

    cover = Image.open(io.BytesIO(rendered(clip(source=Source("red.mp4", "scaled", 2.0)), blobs, ".jpg")))
    assert cover.size == (320, 180) and is_red(cover.convert("RGB"))


def test_from_media_rebuilds_the_stored_clip():
    one = clip(sound=SOUNDS["file"], source=Source("red.mp4", "prefix", 2.0))
    assert Clip.from_media(dataclasses.asdict(one)) == one
    assert Clip.from_media(dataclasses.asdict(clip())) == clip()

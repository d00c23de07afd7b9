"""Facts about uploaded audio/video bytes that ``core/inputs.check_media`` does not check itself:
the container format sniffed from the bytes (never the MIME type) and a video's frame size."""

from __future__ import annotations

import io

from viduemu.core.errors import ViduError
from viduemu.core.inputs import MAX_RATIO, MIN_SIDE

_MP4_FAMILY = "mov,mp4,m4a,3gp,3g2,mj2"  # FFmpeg's one demuxer name for MP4, MOV and M4A
AUDIO_CONTAINERS = {"mp3": "mp3", "wav": "wav", "aac": "aac", _MP4_FAMILY: "m4a"}
VIDEO_CONTAINERS = {_MP4_FAMILY: "mp4", "avi": "avi"}


def container(data: bytes, field: str, kind: str, containers: dict) -> tuple[str, tuple[int, int] | None]:
    """(format, (width, height) of the first video stream or None); a format outside
    ``containers`` is a ``FieldInvalid`` naming the field."""
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as probe:
            name = probe.format.name
            videos = probe.streams.video
            size = (videos[0].codec_context.width, videos[0].codec_context.height) if videos else None
    except Exception:
        raise ViduError("FieldInvalid", f"invalid field: {field} (not a readable {kind} file)",
                        fields=field) from None
    fmt = containers.get(name)
    if fmt is None:
        allowed = ", ".join(sorted(set(containers.values())))
        raise ViduError("FieldInvalid", f"invalid field: {field} ({kind} format must be one of {allowed})",
                        fields=field)
    return fmt, size


def check_frame_size(size: tuple[int, int] | None, field: str) -> None:
    """A video's frame: at least 128x128 and within 1:4..4:1, like images."""
    if not size or min(size) <= 0:
        raise ViduError("FieldInvalid", f"invalid field: {field} (no video stream)", fields=field)
    width, height = size
    if min(width, height) < MIN_SIDE or max(width, height) / min(width, height) > MAX_RATIO:
        raise ViduError("PageSizeOutOfRange", f"{field}: video is {width}x{height}; at least "
                        f"{MIN_SIDE}x{MIN_SIDE} and within 1:4..4:1 is required", fields=field)

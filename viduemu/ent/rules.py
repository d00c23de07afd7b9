"""Rule tables for the /ent/v2 generation endpoints (what a JSON schema cannot say).

Minimal first cut; the full tables per vidu-reference2video.txt and wire notes §1.3 extend this.
"""

from __future__ import annotations

from dataclasses import dataclass

from viduemu.core.errors import ViduError, invalid


@dataclass(frozen=True)
class ModelRule:
    durations: tuple[int, ...]
    default_duration: int
    resolutions: tuple[str, ...]
    default_resolution: str


IMG2VIDEO = {
    "viduq1": ModelRule((5,), 5, ("1080p",), "1080p"),
    "vidu2.0": ModelRule((4, 8), 4, ("360p", "720p", "1080p"), "360p"),
}

TABLES = {"img2video": IMG2VIDEO}


def normalise(kind: str, body: dict, seed: int) -> dict:
    """The echo fields of an accepted request (defaults filled), or a vendor error."""
    rule = TABLES[kind].get(body["model"])
    if rule is None:
        raise ViduError("FieldInvalid", "model is not supported", fields="model")
    duration = body.get("duration", rule.default_duration)
    if duration not in rule.durations:
        raise invalid("duration", f"{body['model']} supports {list(rule.durations)}")
    resolution = body.get("resolution", rule.default_resolution)
    if resolution not in rule.resolutions:
        raise invalid("resolution", f"{body['model']} supports {list(rule.resolutions)}")
    return {"model": body["model"], "images": body.get("images", []), "prompt": body.get("prompt", ""),
            "duration": duration, "seed": body.get("seed") or seed, "resolution": resolution,
            "aspect_ratio": body.get("aspect_ratio", "16:9"),
            "movement_amplitude": body.get("movement_amplitude", "auto"), "bgm": body.get("bgm", False),
            "payload": body.get("payload", "")}


def price(kind: str, fields: dict) -> int:
    return 5 * fields["duration"]

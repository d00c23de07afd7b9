"""The RTC gateway's wire shapes (control plane): a join's answer and the list of peers."""

from __future__ import annotations

from typing import Any

from viduemu.rtc.models import Peer


def answer_view(peer: Peer, sdp: str) -> dict[str, Any]:
    """``POST /_emulator/rtc/sdp``'s answer: the SDP answer and the peer's id (to leave with)."""
    return {"sdp": sdp, "type": "answer", "peer_id": peer.peer_id}


def peers_view(peers: list[Peer]) -> dict[str, Any]:
    """``GET /_emulator/rtc/peers``."""
    return {"peers": [{"peer_id": p.peer_id, "live_id": p.live_id, "user_id": p.user_id,
                       "state": p.pc.connectionState} for p in peers]}

"""``viduemu proxy`` and ``viduemu replay``: the real Vidu, recorded and checked against the contracts.

- ``Proxy`` (forward.py): an ASGI app that forwards every request and the signaling WebSocket to one
  upstream with the caller's own key, checks each request, answer and message against the contracts and
  keeps the drift report (the conformance suite's format) and, if asked, a redacted recording.
- ``replay`` (replay.py): a recording sent to a fresh emulator, answer by answer compared with the real one.
- ``recorded_transport`` (recording.py): an httpx transport that answers exactly the recorded answers.

See docs/proxy.md.
"""

from viduemu.proxy.recording import NotRecorded, RecordedTransport, load, recorded_transport

__all__ = ["NotRecorded", "RecordedTransport", "load", "recorded_transport"]

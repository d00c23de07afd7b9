"""Client-side helpers for programs that call Vidu or viduemu; nothing here imports the server side.

    from viduemu.client import ViduClient
    with ViduClient() as client:            # VIDU_API_KEY, VIDU_BASE_URL (default https://api.vidu.com)
        print(client.credits())

- ``viduemu.client.http``: ``ViduClient`` / ``AsyncViduClient`` (one method per vendor operation),
  ``ViduError``, ``TaskTimeout``.
- ``viduemu.client.live``: ``LiveConnection``, the S1 signaling socket (NOT_READY backoff, hangups).
- ``viduemu.client.signature``: ``verify_callback_signature`` for webhook receivers.
- ``viduemu.client.rtc``: join a live session's RTC channel (imports aiortc, so it is not loaded here).

See docs/client.md.
"""

from viduemu.client.http import DEFAULT_BASE_URL, AsyncViduClient, TaskTimeout, ViduClient, ViduError
from viduemu.client.live import LiveConnection, LiveInitFailed
from viduemu.client.signature import verify_callback_signature

__all__ = ["AsyncViduClient", "DEFAULT_BASE_URL", "LiveConnection", "LiveInitFailed", "TaskTimeout",
           "ViduClient", "ViduError", "verify_callback_signature"]

"""Client-side helpers for programs that call Vidu or viduemu; nothing here imports the server side.

- ``viduemu.client.http``: ``ViduClient`` / ``AsyncViduClient`` (one method per vendor operation), ``ViduError``.
- ``viduemu.client.live``: ``LiveConnection``, the S1 signaling socket (NOT_READY backoff, hangups).
- ``viduemu.client.signature``: ``verify_callback_signature`` for webhook receivers.
- ``viduemu.client.rtc``: join a live session's RTC channel (needs aiortc).
"""

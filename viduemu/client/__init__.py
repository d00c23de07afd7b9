"""Client-side helpers for programs that call viduemu (or the real service): nothing here imports the
server side of viduemu. ``viduemu.client.rtc`` joins a live session's RTC channel (needs aiortc)."""

"""What ``viduemu serve`` logs, and how: one line per request (``viduemu.access``), WebSocket opens and
closes, failed callback attempts at warning; ``text`` for people, ``json`` (one object a line) for machines.

A record's ``fields`` (``log.info(..., extra={"fields": {...}})``) are the facts of the line: the text
format prints them ``name=value`` after the message, the JSON format as keys of the object.
Third-party chatter (httpx per callback, aioice candidates, uvicorn's access log, which repeats ours)
stays below ``info``: it shows with ``--log-level debug`` only.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

FORMATS = ("text", "json")
CHATTY = ("httpx", "httpcore", "aioice", "aiortc", "uvicorn.access")
access = logging.getLogger("viduemu.access")


def shorten_key(key: str | None) -> str | None:
    """``key_abcdef...xyz`` -> ``key_ab…yz``: enough to tell keys apart, not enough to use one."""
    if not key:
        return None
    return f"{key[:6]}…{key[-2:]}" if len(key) >= 12 else f"{key[:2]}…"


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return {k: v for k, v in fields.items() if v is not None} if isinstance(fields, dict) else {}


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line, said = super().format(record), record.getMessage()
        # what the message already says (the method, the path, a URL) is not said twice
        facts = " ".join(f"{k}={v}" for k, v in _fields(record).items() if str(v) not in said)
        return f"{line} {facts}" if facts else line


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"time": self.formatTime(record), "level": record.levelname.lower(),
                                 "logger": record.name, "message": record.getMessage(), **_fields(record)}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str, fmt: str = "text") -> None:
    """The root handler on stderr in ``fmt``; uvicorn's loggers propagate to it (``log_config=None``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    quiet = logging.DEBUG if level.lower() == "debug" else logging.WARNING
    for name in CHATTY:
        logging.getLogger(name).setLevel(quiet)
    if quiet > logging.DEBUG:
        handler.addFilter(_uvicorn_websocket_chatter)


def _uvicorn_websocket_chatter(record: logging.LogRecord) -> bool:
    """Drop uvicorn's own info lines about each WebSocket (``"WebSocket /path?query" [accepted]``,
    ``connection open``/``closed``): ours say more, and the query may hold a key (``?authorization=``)."""
    if record.name != "uvicorn.error" or record.levelno > logging.INFO:
        return True
    template = str(record.msg)
    return "WebSocket" not in template and not template.startswith("connection ")


def request_line(method: str, path: str, status: int, reason: str | None, trace_id: str | None,
                 duration_ms: float, key: str | None, warnings: list[str] | None = None) -> None:
    """The one ``info`` line of an HTTP request (called by the request journal, which has its facts)."""
    if not access.isEnabledFor(logging.INFO):
        return
    access.info("%s %s %d", method, path, status, extra={"fields": {
        "method": method, "path": path, "status": status, "reason": reason, "trace_id": trace_id, "duration_ms": duration_ms, "key": shorten_key(key),
        "warning": "; ".join(warnings) if warnings else None}})


def websocket_line(event: str, path: str, key: str | None, **facts: Any) -> None:
    """A WebSocket's ``open``, ``close`` (code, reason, the session's hangup reason) or ``refused``."""
    access.info("WebSocket %s %s", event, path, extra={"fields": {"event": event, "path": path,
                                                                  "key": shorten_key(key), **facts}})

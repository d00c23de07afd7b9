"""One Settings object: command-line flags > VIDUEMU_* environment variables > defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    clock: str = "real"            # real | speed | manual
    speed: float = 1.0
    state: str | None = None       # SQLite file; None = in memory
    initial_credits: int = 1000    # the vendor's free trial
    seed: int | None = None        # same seed, same ids and media
    tls: bool = False
    tls_cert: str | None = None
    tls_key: str | None = None
    log_level: str = "info"
    log_format: str = "text"       # text | json (one object a line)
    strict: bool = False           # refuse fields an operation does not declare (400 FieldUnwanted)
    fetch_urls: bool = False       # fetch remote image/audio URLs (off: offline checks only)
    fetch_allow_private: bool = False  # --fetch-urls may reach private/loopback/link-local addresses
    fetch_timeout: float = 10.0
    callback_allow: str = "public"  # loopback | private | public: the widest class of callback receiver
    fetch_max_bytes: int = 50 * 1024 * 1024
    task_seconds: float = 30.0     # virtual seconds a generation task spends processing
    offpeak_delay: float = 3600.0  # virtual seconds an off-peak task waits before it may start
    live_duration: int = 600               # a live session's maximum on_live seconds ("600 s")
    live_warmup: float = 3.0               # video mode: seconds after creation answered NOT_READY
    live_idle_timeout: float = 120.0       # a never-connected session expires after this
    live_reconnect_grace: float = 30.0     # an on_live session whose client dropped waits this long
    live_max_open: int = 100               # waiting + on_live sessions per API key; more answer 429
    live_max_open_total: int = 2000        # ... over every key (keys are free): ~30 KB each idle, ~60 MB in all
    heartbeat_interval: float = 5.0        # "the server pings every 5 s"
    heartbeat_timeout: float = 15.0        # "respond within 15"
    heartbeat_wall_slack: float = 1.0      # real seconds a ping must go unanswered before silence counts
    ws_max_frame: int = 64 * 1024          # frames over this are refused (close 1009)
    rtc_width: int = 320                   # the character's video
    rtc_height: int = 240
    rtc_fps: int = 15
    rtc_transcripts: bool = False          # send WebSocket types 9/10 (user / character transcripts)
    rtc_max_peers: int = 10                # joins per channel; more answer 429
    rtc_max_account_peers: int = 50        # joined peers over all the live sessions of one API key
    rtc_max_peers_total: int = 100         # joined peers over every key: ~15-25 MB per video character
    rtc_connect_timeout: float = 10.0      # real seconds a joined peer has to connect before it is dropped
    max_body_bytes: int = 20 * 1024 * 1024
    max_header_bytes: int = 64 * 1024      # request line + headers; more answer 431 (core/limits.py)
    request_timeout: float = 60.0          # real seconds a request has to arrive whole; then 408 and close
    admin_token: str | None = None
    allowed_host: tuple[str, ...] = ()  # host names answered besides loopback and --host (core/hosts.py)
    insecure_admin: bool = False   # bound to a non-loopback host without admin_token: start anyway
    demo: bool = False             # fill the demo account (control/demo.py) at startup
    media_dir: str | None = None   # where rendered task media is cached; default <state>.media or a temp dir
    ready_file: str | None = None  # serve writes the base URL here once the server answers

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, overlaid by VIDUEMU_<NAME> variables, overlaid by non-None ``overrides``."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f"VIDUEMU_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _parse(f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def __post_init__(self) -> None:
        self.allowed_host = tuple(self.allowed_host)  # a flag given several times arrives as a list

    @property
    def scheme(self) -> str:
        return "https" if self.tls or self.tls_cert else "http"

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def _parse(type_name: object, raw: str) -> bool | int | float | str:
    t = str(type_name)
    if "tuple" in t:
        return tuple(part.strip() for part in raw.split(",") if part.strip())  # type: ignore[return-value]
    if "bool" in t:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if "int" in t:
        return int(raw)
    if "float" in t:
        return float(raw)
    return raw

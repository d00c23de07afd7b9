"""``viduemu serve ...`` and friends."""

from __future__ import annotations

import argparse
import asyncio
import errno
import ipaddress
import os
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING

from viduemu import __version__
from viduemu.config import Settings

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette

    from viduemu.core.context import Core

CHOICES = {"clock": ("real", "speed", "manual"), "callback_allow": ("loopback", "private", "public"),
           "log_level": ("critical", "error", "warning", "info", "debug"), "log_format": ("text", "json")}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="viduemu", description="An offline, faithful emulator of the Vidu API.")
    parser.add_argument("--version", action="version", version=f"viduemu {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the emulator (every flag also reads VIDUEMU_<FLAG>)")
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000; 0: a free port, printed in the banner)")
    serve.add_argument("--ready-file", metavar="FILE",
                       help="write the base URL to FILE once the server answers (for scripts that wait on it)")
    add_emulator_flags(serve)
    exec_ = sub.add_parser("exec", usage="viduemu exec [serve flags] -- CMD [ARGS...]",
                           help="run CMD against a fresh emulator on a free port; exit with CMD's exit code",
                           description="Start an emulator on a free 127.0.0.1 port, run CMD with VIDU_BASE_URL, "
                                       "VIDU_API_HOST, VIDU_API_KEY (a fresh funded key) and VIDUEMU_URL set, "
                                       "stop the emulator and exit with CMD's exit code.")
    add_emulator_flags(exec_)
    exec_.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    for name, what in (("export", "write the state file's contents to FILE, a JSON snapshot"),
                       ("import", "load the JSON snapshot FILE into the state file (stop its server first)")):
        cmd = sub.add_parser(name, help=what)
        cmd.add_argument("file", metavar="FILE", help="the JSON snapshot")
        cmd.add_argument("--state", help="the SQLite state file (default: VIDUEMU_STATE)")
        cmd.add_argument("--overwrite", action="store_true",
                         help="replace an existing FILE (export) or a state file that holds a state (import)")
    add_proxy_commands(sub)
    return parser


def add_emulator_flags(serve: argparse.ArgumentParser) -> None:
    """The flags ``serve`` and ``exec`` share: everything but where to listen."""
    serve.add_argument("--clock", choices=CHOICES["clock"], help="virtual clock mode (default real)")
    serve.add_argument("--speed", type=float, help="clock multiple for --clock speed (e.g. 60)")
    serve.add_argument("--state", help="SQLite file that keeps all state (default: in memory)")
    serve.add_argument("--initial-credits", type=int, help="credits of a new account (default 1000)")
    serve.add_argument("--seed", type=int, help="same seed, same ids and media")
    serve.add_argument("--tls", action="store_true", default=None,
                       help="serve https/wss with a self-signed certificate for 127.0.0.1 and localhost")
    serve.add_argument("--tls-cert", help="PEM certificate to serve (implies TLS)")
    serve.add_argument("--tls-key", help="PEM private key for --tls-cert")
    serve.add_argument("--fetch-urls", action="store_true", default=None,
                       help="fetch remote image/audio URLs to check them (default: offline checks only)")
    serve.add_argument("--fetch-allow-private", action="store_true", default=None,
                       help="let --fetch-urls fetch from private, loopback and link-local addresses")
    serve.add_argument("--callback-allow", choices=CHOICES["callback_allow"],
                       help="the widest class of address a callback_url may reach: loopback, private (and "
                            "loopback) or public (and both; the default); link-local and cloud-metadata "
                            "addresses never")
    serve.add_argument("--task-seconds", type=float, help="virtual seconds a task spends processing (default 30)")
    serve.add_argument("--media-dir", help="where rendered task media is cached (default <state>.media or a temp dir)")
    serve.add_argument("--live-duration", type=int, help="a live session's maximum on_live seconds (default 600)")
    serve.add_argument("--live-warmup", type=float,
                       help="video mode: seconds after creation that conn_init answers NOT_READY (default 3)")
    serve.add_argument("--live-idle-timeout", type=float,
                       help="seconds after which a never-connected live session expires (default 120)")
    serve.add_argument("--live-reconnect-grace", type=float,
                       help="seconds an on_live session waits for its dropped client (default 30)")
    serve.add_argument("--live-max-open", type=int,
                       help="live sessions open (waiting or on_live) at once per API key; more answer 429 (default 100)")
    serve.add_argument("--live-max-open-total", type=int,
                       help="live sessions open at once over every key; more answer 429 (default 2000)")
    serve.add_argument("--rtc-width", type=int, help="the character's video width (default 320)")
    serve.add_argument("--rtc-height", type=int, help="the character's video height (default 240)")
    serve.add_argument("--rtc-fps", type=int, help="the character's video frame rate (default 15)")
    serve.add_argument("--rtc-transcripts", action="store_true", default=None,
                       help="send transcript messages (WebSocket types 9 and 10)")
    serve.add_argument("--rtc-max-peers", type=int, help="RTC joins per channel; more answer 429 (default 10)")
    serve.add_argument("--rtc-connect-timeout", type=float,
                       help="real seconds a joined RTC peer has to connect before it is dropped (default 10)")
    serve.add_argument("--rtc-max-account-peers", type=int,
                       help="RTC peers joined at once over all live sessions of one API key; more answer 429 "
                            "(default 50)")
    serve.add_argument("--rtc-max-peers-total", type=int,
                       help="RTC peers joined at once over every key; more answer 429 (default 100)")
    serve.add_argument("--request-timeout", type=float,
                       help="real seconds a request has to arrive whole (headers and body); then 408 (default 60)")
    serve.add_argument("--admin-token", help="require 'Authorization: Bearer TOKEN' on /_emulator/")
    serve.add_argument("--allowed-host", action="append", metavar="HOST",
                       help="also answer requests whose Host header names HOST (repeatable; besides localhost, "
                            "loopback addresses and --host; VIDUEMU_ALLOWED_HOST takes a comma-separated list)")
    serve.add_argument("--insecure-admin", action="store_true", default=None,
                       help="bound to a non-loopback address, serve the control plane without --admin-token")
    serve.add_argument("--demo", action="store_true", default=None,
                       help="start with a demo account's history (tasks of every kind and state, subjects, an MV, "
                            "live sessions, voices); --seed makes it the same every time")
    serve.add_argument("--log-level", choices=CHOICES["log_level"],
                       help="log level (default info; warning under exec)")
    serve.add_argument("--log-format", choices=CHOICES["log_format"],
                       help="text (default) or json: one JSON object a line, for log collectors")
    serve.add_argument("--strict", action="store_true", default=None,
                       help="refuse fields an operation does not declare (400 FieldUnwanted) instead of "
                            "ignoring them with a Viduemu-Warning header")


def add_proxy_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``viduemu proxy`` and ``viduemu replay`` (viduemu/proxy/, docs/proxy.md)."""
    proxy = sub.add_parser("proxy", help="forward to the real Vidu, check every exchange against the contracts, "
                                         "record it")
    proxy.add_argument("--upstream", required=True, help="where to forward, e.g. https://api.vidu.com (the only "
                                                         "host the proxy ever contacts)")
    proxy.add_argument("--record", metavar="DIR", help="record every exchange, secrets redacted, in "
                                                       "DIR/exchanges.jsonl")
    proxy.add_argument("--drift-report", metavar="FILE",
                       help="the drift report, JSON (and FILE.txt, text), rewritten after each exchange "
                            "(default DIR/drift.json with --record, else viduemu-proxy-drift.json)")
    proxy.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    proxy.add_argument("--port", type=int, default=8100, help="port (default 8100)")
    proxy.add_argument("--allow-remote-clients", action="store_true",
                       help="let --host be a non-loopback address: other machines may then send traffic through "
                            "the proxy (into the recording and the report)")
    proxy.add_argument("--log-level", choices=CHOICES["log_level"], default="info", help="log level (default info)")
    replay = sub.add_parser("replay", help="send a recording's requests to a fresh emulator and report where its "
                                           "answers differ from the recorded real ones")
    replay.add_argument("dir", metavar="DIR", help="a directory recorded by viduemu proxy --record")
    replay.add_argument("--report", metavar="FILE", help="the parity report, JSON (and FILE.txt, text) "
                                                         "(default DIR/replay.json)")
    replay.add_argument("--seed", type=int, default=0, help="the emulator's seed (default 0)")


def proxy_command(args: argparse.Namespace) -> None:
    import uvicorn

    from viduemu.proxy.forward import Proxy

    if not is_loopback(args.host) and not args.allow_remote_clients:
        raise SystemExit(f"viduemu proxy: --host {args.host} is reachable from other machines: their traffic would "
                         "go upstream and into the recording; add --allow-remote-clients to mean it")
    report = args.drift_report or (os.path.join(args.record, "drift.json") if args.record
                                   else "viduemu-proxy-drift.json")
    try:
        proxy = Proxy(args.upstream, args.record, report)
    except ValueError as exc:
        raise SystemExit(f"viduemu proxy: {exc}") from None
    from viduemu.core import logs

    logs.configure(args.log_level)
    print(f"viduemu {__version__} proxy on http://{args.host}:{args.port} -> {proxy.upstream}\n"
          f"  drift report: {report} (and {report}.txt)\n"
          f"  recording: {os.path.join(args.record, 'exchanges.jsonl') if args.record else 'off (--record DIR)'}",
          flush=True)
    uvicorn.run(proxy.app(), host=args.host, port=args.port, log_level=args.log_level, access_log=False,
                ws_per_message_deflate=False)


def replay_command(args: argparse.Namespace) -> None:
    from viduemu.proxy.replay import replay

    try:
        report = replay(args.dir, seed=args.seed)
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(f"viduemu replay: {exc}") from None
    path = args.report or os.path.join(args.dir, "replay.json")
    report.write(path)
    print(report.text() + f"\n(written to {path} and {path}.txt)")
    raise SystemExit(1 if report.differences else 0)


def settings_from(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
    """The Settings of ``viduemu serve``: flags > VIDUEMU_* variables of ``environ`` > defaults.

    Values from the environment get the same checks as flags; a bad one stops with a usage error."""
    overrides = {k: v for k, v in vars(args).items() if k not in ("command", "cmd")}
    try:
        settings = Settings.from_env(environ, **overrides)
    except ValueError as exc:
        raise SystemExit(f"viduemu: a VIDUEMU_* variable has a bad value: {exc}") from None
    for name, allowed in CHOICES.items():
        if getattr(settings, name) not in allowed:
            raise SystemExit(f"viduemu: VIDUEMU_{name.upper()} must be one of {', '.join(allowed)}")
    if bool(settings.tls_cert) != bool(settings.tls_key):
        raise SystemExit("viduemu: --tls-cert and --tls-key go together")
    if not is_loopback(settings.host) and not settings.admin_token and not settings.insecure_admin:
        raise SystemExit(f"viduemu: --host {settings.host} is reachable from other machines: the control plane "
                         "(/_emulator/: reset, credits, clock) needs --admin-token TOKEN there, or "
                         "--insecure-admin to leave it open")
    return settings


def is_loopback(host: str) -> bool:
    """Only this machine can reach ``host`` (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve anywhere


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        serve(settings_from(args))
    elif args.command == "exec":
        from viduemu.exec import run

        if args.cmd[:1] == ["--"]:
            args.cmd = args.cmd[1:]
        if not args.cmd:
            raise SystemExit("viduemu exec: say what to run after --, e.g. viduemu exec -- npm test")
        if args.log_level is None:  # the command's output is what the user reads
            args.log_level = "warning"
        raise SystemExit(run(settings_from(args), args.cmd))
    elif args.command in ("proxy", "replay"):
        (proxy_command if args.command == "proxy" else replay_command)(args)
    else:
        snapshot_command(args)


def snapshot_command(args: argparse.Namespace) -> None:
    """``viduemu export FILE`` / ``viduemu import FILE`` (core/snapshot.py); errors exit 1 with a sentence."""
    from viduemu.core import snapshot
    from viduemu.core.store import StateFileError

    state = args.state or os.environ.get("VIDUEMU_STATE")
    if not state:
        raise SystemExit(f"viduemu {args.command}: say which state file with --state FILE (or VIDUEMU_STATE)")
    try:
        if args.command == "export":
            counted = snapshot.export(state, args.file, args.overwrite)
            print(f"exported {state} to {args.file}: {snapshot.describe(counted)}")
        else:
            counted = snapshot.import_(args.file, state, args.overwrite)
            print(f"imported {args.file} into {state}: {snapshot.describe(counted)}")
    except (snapshot.SnapshotError, StateFileError, OSError) as exc:
        raise SystemExit(f"viduemu {args.command}: {exc}") from None


def banner(settings: Settings, core: Core) -> str:
    lines = [f"viduemu {__version__} serving the Vidu API on {settings.base_url}",
             f"  clock: {core.clock.mode}" + (f" x{core.clock.speed:g}" if core.clock.mode == "speed" else ""),
             f"  state: {core.store.location}",
             f"  new accounts: any 'Token vda_...' key, {settings.initial_credits} credits"]
    if settings.demo:
        from viduemu.control.demo import DEMO_KEY

        lines.append(f"  demo data: key {DEMO_KEY} (seed {settings.seed or 0}); the inspector: "
                     f"{settings.base_url}/_emulator/")
    if settings.tls_cert:
        lines.append(f"  TLS certificate (trust this): {settings.tls_cert}")
    if settings.admin_token:
        lines.append("  control plane: /_emulator/ needs 'Authorization: Bearer <admin token>'")
    elif not is_loopback(settings.host):
        lines.append("  control plane: OPEN to anyone who can reach this address (--insecure-admin)")
    if settings.fetch_urls:
        lines.append("  remote URLs: fetched and checked (--fetch-urls" +
                     (", private addresses too)" if settings.fetch_allow_private else ")"))
    return "\n".join(lines)


def serve(settings: Settings) -> None:
    import uvicorn

    from viduemu.app import create_app
    from viduemu.core import logs
    from viduemu.core.store import StateFileError

    logs.configure(settings.log_level, settings.log_format)
    if settings.tls and not settings.tls_cert:
        from viduemu.core.tls import ensure_certificate

        settings.tls_cert, settings.tls_key = ensure_certificate(settings.state)
    sock = listen_socket(settings.host, settings.port)  # before the banner: a busy port is one line
    settings.port = sock.getsockname()[1]  # --port 0: the port really bound, in the banner and media URLs
    try:
        app = create_app(settings)
    except StateFileError as exc:
        raise SystemExit(f"viduemu: {exc}") from None
    print(banner(settings, app.state.core), flush=True)
    server = uvicorn.Server(server_config(app, settings))

    async def run() -> None:
        serving = asyncio.ensure_future(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if server.started and settings.ready_file:
            write_atomically(settings.ready_file, settings.base_url + "\n")
        await serving

    with asyncio.Runner(loop_factory=server.config.get_loop_factory()) as runner:
        runner.run(run())


def listen_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (uvicorn listens on it); SystemExit with one line if it cannot be."""
    bare = host.strip("[]")
    sock = socket.socket(socket.AF_INET6 if ":" in bare else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: restart over TIME_WAIT
    try:
        sock.bind((bare, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SystemExit(f"viduemu: port {port} on {host} is in use") from None
        raise SystemExit(f"viduemu: cannot listen on {host} port {port}: {exc.strerror or exc}") from None
    return sock


def write_atomically(path: str, text: str) -> None:
    """A reader polling ``path`` sees nothing or all of ``text``, never half."""
    partial = f"{path}.{os.getpid()}.partial"
    with open(partial, "w") as f:
        f.write(text)
    os.replace(partial, path)


def server_config(app: Starlette, settings: Settings) -> uvicorn.Config:
    """The uvicorn configuration of ``viduemu serve`` (tests start servers with the same one)."""
    import uvicorn

    from viduemu.core.hosts import HostGuard, Hosts
    from viduemu.core.limits import limited_http
    from viduemu.core.ws import VirtualPingProtocol

    cert, key = (settings.tls_cert, settings.tls_key) if settings.tls_cert else (None, None)
    # WebSocket pings follow the virtual clock (core/ws.py), so uvicorn's wall-clock keepalive is off.
    # No permessage-deflate: signaling frames are a few hundred bytes, and each compressing connection
    # holds zlib state that, with sessions cycling, kept the server's memory climbing (bench/soak.py).
    # The Host check guards the socket (DNS rebinding, core/hosts.py); in-process use has none to guard.
    guarded = HostGuard(app, Hosts(settings.host, settings.allowed_host), lambda: app.state.core.ids.trace_id())
    # log_config=None: uvicorn's loggers propagate to the one handler of core/logs.configure (text or json).
    return uvicorn.Config(guarded, host=settings.host, port=settings.port, log_level=settings.log_level,
                          log_config=None,
                          access_log=settings.log_level == "debug", ws=VirtualPingProtocol,
                          http=limited_http(settings.max_header_bytes, settings.request_timeout,
                                            lambda: app.state.core.ids.trace_id()),
                          ws_ping_interval=None, ws_ping_timeout=None, ws_max_size=settings.ws_max_frame,
                          ws_per_message_deflate=False, ssl_certfile=cert, ssl_keyfile=key)


if __name__ == "__main__":
    main()

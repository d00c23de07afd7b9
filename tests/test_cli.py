"""``viduemu serve``: flags and VIDUEMU_* variables, the startup banner, readiness, TLS."""

from __future__ import annotations

import re
import ssl
import time

import httpx
import pytest

from tests.support.process import ServeProcess
from viduemu.cli import build_parser, settings_from
from viduemu.config import Settings
from viduemu.core import tls

# a sample value for every serve flag: (flag argv, VIDUEMU_* value, expected Settings value)
SAMPLES = {
    "host": (["--host", "0.0.0.0"], "10.0.0.1", "10.0.0.1"),
    "port": (["--port", "9001"], "9002", 9002),
    "clock": (["--clock", "manual"], "speed", "speed"),
    "speed": (["--speed", "60"], "120", 120.0),
    "state": (["--state", "a.sqlite"], "b.sqlite", "b.sqlite"),
    "initial_credits": (["--initial-credits", "5"], "42", 42),
    "seed": (["--seed", "7"], "8", 8),
    "tls": (["--tls"], "0", False),  # booleans: the variable says off, the flag turns it on
    "tls_cert": (["--tls-cert", "c.pem", "--tls-key", "k.pem"], "d.pem", "d.pem"),
    "tls_key": (["--tls-cert", "c.pem", "--tls-key", "k.pem"], "l.pem", "l.pem"),
    "fetch_urls": (["--fetch-urls"], "off", False),
    "demo": (["--demo"], "0", False),
    "task_seconds": (["--task-seconds", "3"], "4", 4.0),
    "media_dir": (["--media-dir", "m1"], "m2", "m2"),
    "live_duration": (["--live-duration", "60"], "90", 90),
    "live_warmup": (["--live-warmup", "1"], "2", 2.0),
    "live_idle_timeout": (["--live-idle-timeout", "10"], "20", 20.0),
    "live_reconnect_grace": (["--live-reconnect-grace", "5"], "6", 6.0),
    "rtc_width": (["--rtc-width", "640"], "160", 160),
    "rtc_height": (["--rtc-height", "480"], "120", 120),
    "rtc_fps": (["--rtc-fps", "30"], "10", 10),
    "rtc_transcripts": (["--rtc-transcripts"], "0", False),
    "rtc_max_peers": (["--rtc-max-peers", "3"], "4", 4),
    "rtc_connect_timeout": (["--rtc-connect-timeout", "3"], "4", 4.0),
    "admin_token": (["--admin-token", "T1"], "T2", "T2"),
    "insecure_admin": (["--insecure-admin"], "0", False),
    "fetch_allow_private": (["--fetch-allow-private"], "no", False),
    "callback_allow": (["--callback-allow", "loopback"], "private", "private"),
    "live_max_open": (["--live-max-open", "3"], "4", 4),
    "live_max_open_total": (["--live-max-open-total", "30"], "40", 40),
    "rtc_max_account_peers": (["--rtc-max-account-peers", "3"], "4", 4),
    "rtc_max_peers_total": (["--rtc-max-peers-total", "30"], "40", 40),
    "request_timeout": (["--request-timeout", "5"], "6", 6.0),
    "log_level": (["--log-level", "debug"], "warning", "warning"),
    "log_format": (["--log-format", "json"], "text", "text"),
    "strict": (["--strict"], "0", False),
    "ready_file": (["--ready-file", "r1"], "r2", "r2"),
    "allowed_host": (["--allowed-host", "a.test", "--allowed-host", "b.test"], "c.test,d.test", ("c.test", "d.test")),
}


def serve_settings(argv: list[str], environ: dict) -> Settings:
    return settings_from(build_parser().parse_args(["serve", *argv]), environ)


def test_every_serve_flag_reads_its_environment_variable_and_flags_win():
    serve = build_parser()._subparsers._group_actions[0].choices["serve"]
    dests = {a.dest for a in serve._actions if a.dest != "help"}
    assert dests == set(SAMPLES)  # a new flag needs a row here
    pair = {"tls_cert": {"VIDUEMU_TLS_KEY": "x.pem"}, "tls_key": {"VIDUEMU_TLS_CERT": "x.pem"},
            "host": {"VIDUEMU_ADMIN_TOKEN": "t"}}  # a non-loopback host needs one
    for dest, (flag, env_value, expected) in SAMPLES.items():
        environ = {f"VIDUEMU_{dest.upper()}": env_value, **pair.get(dest, {})}
        assert getattr(serve_settings([], environ), dest) == expected, dest
        from_flag = serve_settings(flag, environ)
        assert getattr(from_flag, dest) == getattr(serve_settings(flag, pair.get(dest, {})), dest), dest
        assert getattr(from_flag, dest) != expected, dest  # the flag beat the variable


def test_boolean_variables_turn_switches_on():
    on = serve_settings([], {"VIDUEMU_TLS": "1", "VIDUEMU_FETCH_URLS": "yes"})
    assert on.tls is True and on.fetch_urls is True
    assert on.base_url.startswith("https://")


def test_bad_environment_values_are_usage_errors_not_tracebacks():
    for environ in ({"VIDUEMU_PORT": "eighty"}, {"VIDUEMU_CLOCK": "warp"}, {"VIDUEMU_TLS_CERT": "only-cert.pem"}):
        with pytest.raises(SystemExit) as info:
            serve_settings([], environ)
        assert "VIDUEMU" in str(info.value) or "--tls" in str(info.value)


@pytest.mark.slow
def test_serve_prints_base_url_clock_and_state_and_is_ready_quickly(tmp_path):
    state = tmp_path / "s.sqlite"
    server = ServeProcess("--clock", "manual", "--state", str(state)).start()
    try:
        assert server.ready_after < 3.0, server.ready_after  # target 1.5 s; slack for a loaded CI machine
        health = httpx.get(server.url + "/_emulator/health").json()
        assert health["clock"]["mode"] == "manual" and health["state"] == str(state.resolve())
    finally:
        out = server.stop()
    assert f"http://127.0.0.1:{server.port}" in out
    assert "clock: manual" in out
    assert f"state: {state.resolve()}" in out


@pytest.mark.slow
def test_serve_reads_viduemu_variables(tmp_path):
    env = {"VIDUEMU_CLOCK": "manual", "VIDUEMU_INITIAL_CREDITS": "42", "VIDUEMU_SEED": "5"}
    with ServeProcess(env=env) as server:
        assert httpx.get(server.url + "/_emulator/clock").json()["mode"] == "manual"
        r = httpx.get(server.url + "/ent/v2/credits", headers={"Authorization": "Token vda_cli"})
        assert r.json()["remains"][0]["credit_remain"] == 42
    assert "state: memory" in server.stop()


def _trusting(cert: str) -> ssl.SSLContext:
    """Trust only ``cert``, verifying as strictly as newer Pythons do by default."""
    context = ssl.create_default_context(cafile=cert)
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    return context


def _printed_cert(server: ServeProcess, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"TLS certificate \(trust this\): (\S+)", "".join(server.output))
        if found:
            return found.group(1)
        time.sleep(0.01)
    raise AssertionError(f"no certificate path printed: {server.output}")


@pytest.mark.slow
def test_tls_generates_a_certificate_clients_can_trust(tmp_path):
    server = ServeProcess("--tls", "--state", str(tmp_path / "s.sqlite"), scheme="https", verify=None)
    server.spawn()
    try:
        cert = _printed_cert(server)
        assert cert == str(tmp_path / "viduemu-cert.pem")
        server.verify = _trusting(cert)
        server.wait_ready()
        for host in ("127.0.0.1", "localhost"):
            r = httpx.get(f"https://{host}:{server.port}/_emulator/health", verify=_trusting(cert))
            assert r.status_code == 200
        with pytest.raises(httpx.ConnectError):  # untrusted by default: it is self-signed
            httpx.get(server.url + "/_emulator/health")
    finally:
        server.stop()


@pytest.mark.slow
def test_tls_cert_and_key_are_used_as_given(tmp_path):
    cert, key = tmp_path / "mine.pem", tmp_path / "mine.key"
    tls._generate(cert, key)
    server = ServeProcess("--tls-cert", str(cert), "--tls-key", str(key), scheme="https", verify=_trusting(str(cert)))
    with server:
        assert _printed_cert(server) == str(cert)
        assert httpx.get(server.url + "/_emulator/health", verify=_trusting(str(cert))).status_code == 200


def _banner_url(server: ServeProcess, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"serving the Vidu API on (\S+)", "".join(server.output))
        if found:
            return found.group(1)
        assert server.proc.poll() is None, server.output
        time.sleep(0.01)
    raise AssertionError(f"no banner: {server.output}")


def test_port_0_serves_on_the_free_port_the_banner_names_and_the_ready_file_holds(tmp_path):
    ready = tmp_path / "ready"
    server = ServeProcess("--port", "0", "--ready-file", str(ready)).spawn()  # the later --port wins
    try:
        url = _banner_url(server)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url) and not url.endswith(":0")
        deadline = time.monotonic() + 15
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ready.read_text() == url + "\n"
        # written once the server answers: no retry needed by whoever waited on the file
        assert httpx.get(url + "/_emulator/health").status_code == 200
    finally:
        server.stop()


@pytest.mark.slow  # two servers
def test_a_busy_port_is_one_clear_line_and_a_non_zero_exit_before_any_banner():
    with ServeProcess() as first:
        second = ServeProcess(port=first.port).spawn()
        second.proc.wait(15)
        second._reader.join(5)
        assert second.proc.returncode != 0
        assert second.output == [f"viduemu: port {first.port} on 127.0.0.1 is in use\n"]

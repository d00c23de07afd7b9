"""Drive the vendor's Node quickstart the way its browser page (public/app.js) does, and check it.

Started by scripts/run_node_quickstart.sh once the quickstart (``node server.js``) and ``viduemu serve
--tls`` run. The page's calls on the node server: ``GET /api/config`` (boot), ``POST /api/lives`` with
the form's values, then (after its RTC join, which is not part of this check) the WebSocket
``/ws/live?live_id=...``, whose proxy events (``{"at", "event", ...}``) it reacts to; to end a call it
sends ``{"action": "hangup"}`` and closes its socket at once (``endCall``).

Scenario 1, video + user hangup: NOT_READY -> the proxy's 2 s / 4 s / 8 s retries -> on_live; the
session stays up over heartbeats; hangup -> the session ends with user_end and is billed.
Scenario 2, audio + forced hangup: on_live at once; ``POST /_emulator/lives/{id}/hangup`` -> the
proxy reports ``server_hangup`` with the reason and closes the page's socket.
Every Vidu frame the proxy forwards is checked against contracts/asyncapi.yaml.
Exit status: 0 all checks passed, 1 a check failed.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import re
import ssl
import sys
import time
from contextlib import ExitStack

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from viduemu.core.asyncapi import MessageViolation, validate

BOT_FROM_USER = re.compile(r"^live-user-(.+)-([^-]+)$")  # app.js botUserIdFromRtc
FATAL_EVENTS = {"fatal", "error", "remote_error", "remote_closed"}


class Failed(Exception):
    pass


def require(condition, what: str, detail=None) -> None:
    if not condition:
        raise Failed(what + ("" if detail is None else f"\n    {json.dumps(detail, default=str)[:2000]}"))


def check(condition, what: str, detail=None) -> None:
    require(condition, what, detail)
    print(f"  ok  {what}")


def png_data_uri(size: int = 512) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (size, size), (180, 120, 90)).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


class Page:
    """What public/app.js does against the node server, without the RTC parts."""

    def __init__(self, node: str, timeout: float):
        self.node, self.timeout = node, timeout
        self.http = httpx.Client(base_url=node, timeout=30, headers={"Accept": "application/json"})
        self.events: list[dict] = []
        self.sockets = ExitStack()
        self.socket = None

    def boot(self) -> dict:
        r = self.http.get("/api/config")
        check(r.status_code == 200, "GET /api/config answers 200", r.text)
        return r.json()

    def create(self, config: dict, call_mode: str, image_uri: str) -> dict:
        defaults = config.get("defaults", {}).get("avatar", {})
        payload = {"call_mode": call_mode, "avatar": {"image_uri": image_uri, "persona": defaults.get("persona"),
                                                      "name": defaults.get("name"), "voice": defaults.get("voice")}}
        r = self.http.post("/api/lives", json=payload, headers={"Content-Type": "application/json"})
        check(r.status_code == 200, f"POST /api/lives ({call_mode}) answers 200", r.text)
        return r.json()

    def query(self, live_id: str) -> dict:
        r = self.http.get(f"/api/lives/{live_id}")
        require(r.status_code == 200, f"GET /api/lives/{live_id} answers 200", r.text)
        return r.json()["live"]

    def open(self, live_id: str) -> None:
        self.events = []
        self.sockets.close()  # the previous call's socket, if any
        self.socket = self.sockets.enter_context(
            connect(self.node.replace("http", "ws", 1) + f"/ws/live?live_id={live_id}", open_timeout=10))

    def next_event(self, deadline: float) -> dict | None:
        """The next proxy event before ``deadline``, None when the proxy closed the socket."""
        try:
            raw = self.socket.recv(timeout=max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            raise Failed(f"no proxy event within the time limit; events so far:\n    {self._log()}") from None
        except ConnectionClosed:  # the proxy closed the page's socket
            return None
        event = json.loads(raw)
        self.events.append(event)
        if event.get("event") == "vidu_message":
            try:
                validate("send", event.get("message"))
            except MessageViolation as violation:
                raise Failed(f"a Vidu frame breaks contracts/asyncapi.yaml: {violation}\n    {event}") from None
        return event

    def wait_for(self, name: str, seconds: float) -> dict:
        deadline = time.monotonic() + seconds
        while True:
            event = self.next_event(deadline)
            if event is None:
                raise Failed(f"the proxy closed the page's socket before {name!r}; events:\n    {self._log()}")
            if event.get("event") == name:
                return event
            if event.get("event") in FATAL_EVENTS:
                raise Failed(f"proxy event {event.get('event')!r} while waiting for {name!r}; events:\n    {self._log()}")

    def wait_closed(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self.next_event(deadline) is not None:
            pass

    def quiet_for(self, seconds: float) -> None:
        """Nothing fatal happens for ``seconds`` (heartbeats keep the session)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                raw = self.socket.recv(timeout=max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                return
            event = json.loads(raw)
            self.events.append(event)
            if event.get("event") in FATAL_EVENTS | {"server_hangup"}:
                raise Failed(f"the call broke while idle: {event}; events:\n    {self._log()}")

    def hang_up(self) -> None:
        # app.js endCall: send the action, then close the socket right away
        self.socket.send(json.dumps({"action": "hangup"}))
        self.socket.close(1000, "new session")

    def _log(self) -> str:
        return "\n    ".join(json.dumps({k: v for k, v in e.items() if k != "at"}) for e in self.events)


def wait_ended(page: Page, live_id: str, seconds: float = 15) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        live = page.query(live_id)
        if live.get("status") == "ended" or time.monotonic() > deadline:
            return live
        time.sleep(0.25)


def reason_of(live: dict) -> str | None:
    return live.get("hangup_reason") or live.get("close_reason")


def scenario_video_user_hangup(page: Page, config: dict, image: str, hold: float) -> None:
    print("scenario 1: video mode, NOT_READY retries, on_live, user hangup")
    data = page.create(config, "video", image)
    live, rtc = data["live"], data["rtc"]
    check(live.get("status") == "waiting" and live.get("call_mode") == "video", "the session is waiting, video", live)
    match = BOT_FROM_USER.match(rtc.get("user_id", ""))
    check(match and match.group(2) == live["id"],
          "app.js can derive the bot's RTC id live-bot-{creatorID}-{liveID} from rtc.user_id", rtc.get("user_id"))

    page.open(live["id"])
    started = time.monotonic()
    page.wait_for("on_live", page.timeout)
    took = time.monotonic() - started
    names = [e.get("event") for e in page.events]
    acks = [e["message"]["payload"]["conn_init_ack"] for e in page.events
            if e.get("event") == "vidu_message" and (e.get("message") or {}).get("type") == 2]
    retries = [e for e in page.events if e.get("event") == "not_ready_retry"]
    check(names[:3] == ["proxy_open", "remote_connecting", "remote_open"], "proxy opened the Vidu socket", names)
    check(acks and all(a.get("success") is False and a.get("error_code") == "NOT_READY" for a in acks[:-1])
          and acks[-1].get("success") is True, "NOT_READY acks, then success", acks)
    check(len(retries) >= 1, f"the proxy retried after NOT_READY ({len(retries)}x, "
          f"delays {[r['delay_ms'] for r in retries]} ms) and reached on_live in {took:.1f} s", names)
    check([r["delay_ms"] for r in retries] == [2000, 4000, 8000, 8000, 8000][:len(retries)],
          "backoff 2 s -> 4 s -> 8 s", retries)
    attempts = [e["attempt"] for e in page.events if e.get("event") == "remote_connecting"]
    check(attempts == list(range(1, len(retries) + 2)), "one new Vidu connection per retry", attempts)

    queried = page.query(live["id"])
    check(queried.get("status") == "on_live" and queried.get("start_time") not in (None, "", "0"),
          "GET shows on_live with a start_time", queried)

    page.quiet_for(hold)
    check(True, f"the call stayed up for {hold:g} s of heartbeats")

    page.hang_up()
    ended = wait_ended(page, live["id"])
    check(ended.get("status") == "ended" and reason_of(ended) == "user_end",
          "after the page's hangup the session ended with user_end", ended)
    billed, cost = ended.get("billed_seconds"), ended.get("credits_cost")
    check(isinstance(billed, int) and billed >= hold and billed % 2 == 0 and cost == 3 * billed // 2,
          f"billed {billed} s for {cost} credits (3 per 2 s, even seconds)", ended)


def scenario_audio_forced_hangup(page: Page, config: dict, image: str, emulator: httpx.Client) -> None:
    print("scenario 2: audio mode, on_live at once, forced hangup (type 6)")
    data = page.create(config, "audio", image)
    live_id = data["live"]["id"]
    page.open(live_id)
    page.wait_for("on_live", 15)
    check(not any(e.get("event") == "not_ready_retry" for e in page.events), "audio mode is ready at once",
          [e.get("event") for e in page.events])
    r = emulator.post(f"/_emulator/lives/{live_id}/hangup", json={"hangup_reason": "audit_violation"})
    check(r.status_code == 200, "the control plane forced a hangup", r.text)
    event = page.wait_for("server_hangup", 10)
    check(event.get("reason") == "audit_violation", "the proxy reported server_hangup audit_violation", event)
    page.wait_closed(5)
    check(page.socket.close_code == 1000, "the proxy closed the page's socket (1000)", page.socket.close_code)
    ended = wait_ended(page, live_id)
    check(ended.get("status") == "ended" and reason_of(ended) == "audit_violation",
          "the session ended with audit_violation", ended)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", required=True, help="the quickstart's URL, e.g. http://127.0.0.1:8787")
    parser.add_argument("--emulator", required=True, help="viduemu's URL, e.g. https://127.0.0.1:8443")
    parser.add_argument("--cert", required=True, help="viduemu's TLS certificate (to reach its control plane)")
    parser.add_argument("--timeout", type=float, default=40, help="seconds to reach on_live in video mode")
    parser.add_argument("--hold", type=float, default=7, help="seconds to stay on_live before hanging up")
    args = parser.parse_args()

    page = Page(args.node, args.timeout)
    emulator = httpx.Client(base_url=args.emulator, verify=ssl.create_default_context(cafile=args.cert), timeout=30)
    try:
        config = page.boot()
        check(config.get("has_api_key") is True, "the quickstart has an API key", config)
        image = png_data_uri()
        scenario_video_user_hangup(page, config, image, args.hold)
        scenario_audio_forced_hangup(page, config, image, emulator)
    except Failed as failure:
        print(f"FAIL {failure}")
        return 1
    finally:
        page.sockets.close()
    print("PASS the vendor's node quickstart ran against viduemu")
    return 0


if __name__ == "__main__":
    sys.exit(main())

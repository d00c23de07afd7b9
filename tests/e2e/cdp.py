"""Headless Chromium (Debian's package) driven over the DevTools protocol with ``websockets``:
just enough to open a page, size its viewport, evaluate JavaScript, wait for a condition, take a
screenshot and collect the page's errors. No Playwright."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import websockets

CHROMIUM = Path(os.environ.get("VIDUEMU_CHROMIUM", "/usr/bin/chromium"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic",
         "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
         "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
         "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1"]
LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


class CdpError(Exception):
    pass


class Browser:
    """One Chromium process with a fresh profile; ``page(url)`` opens a tab."""

    def __init__(self, proc: asyncio.subprocess.Process, ws, profile: str):
        self.proc, self.ws, self.profile = proc, ws, profile
        self.stderr: list[str] = []
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._pages: dict[str, Page] = {}
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    @contextlib.asynccontextmanager
    async def launch(cls, timeout: float = 20.0, flags: tuple[str, ...] = ()):
        """``flags``: more Chromium switches (e.g. ``--host-resolver-rules=MAP name 127.0.0.1``)."""
        profile = tempfile.mkdtemp(prefix="viduemu-chromium-")
        proc = await asyncio.create_subprocess_exec(
            str(CHROMIUM), *FLAGS, *flags, f"--user-data-dir={profile}", "about:blank",
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        browser = None
        try:
            lines: list[str] = []
            url = await asyncio.wait_for(cls._listening(proc, lines), timeout)
            ws = await websockets.connect(url, max_size=None, open_timeout=timeout)
            browser = cls(proc, ws, profile)
            browser.stderr = lines
            browser._drain = asyncio.get_running_loop().create_task(browser._drain_stderr())
            yield browser
        finally:
            if browser is not None:
                await browser._close()
            if proc.returncode is None:
                proc.kill()
            await proc.wait()
            shutil.rmtree(profile, ignore_errors=True)

    @staticmethod
    async def _listening(proc, lines: list[str]) -> str:
        while True:
            line = await proc.stderr.readline()
            if not line:
                raise CdpError("chromium exited before its DevTools endpoint was up:\n" + "".join(lines[-20:]))
            lines.append(line.decode(errors="replace"))
            found = LISTENING.search(lines[-1])
            if found:
                return found.group(1)

    async def _drain_stderr(self) -> None:  # a full pipe would stall chromium
        while line := await self.proc.stderr.readline():
            self.stderr.append(line.decode(errors="replace"))

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                if "id" in message:
                    future = self._pending.pop(message["id"], None)
                    if future is not None and not future.done():
                        future.set_result(message)
                elif message.get("sessionId") in self._pages:
                    self._pages[message["sessionId"]].event(message["method"], message.get("params", {}))
        except websockets.ConnectionClosed:
            pass
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(CdpError("the DevTools connection closed"))

    async def send(self, method: str, params: dict | None = None, session: str | None = None,
                   timeout: float = 30.0) -> dict:
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        future = self._pending[message_id] = asyncio.get_running_loop().create_future()
        await self.ws.send(json.dumps(message))
        answer = await asyncio.wait_for(future, timeout)
        if "error" in answer:
            raise CdpError(f"{method}: {answer['error']}")
        return answer["result"]

    async def page(self, url: str, viewport: tuple[int, int] | None = None, mobile: bool = False) -> "Page":
        """A new tab on ``url``; ``viewport`` (width, height) in CSS pixels, ``mobile`` a phone's."""
        target = (await self.send("Target.createTarget", {"url": "about:blank"}))["targetId"]
        session = (await self.send("Target.attachToTarget", {"targetId": target, "flatten": True}))["sessionId"]
        page = self._pages[session] = Page(self, session, target)
        await page.send("Runtime.enable")
        await page.send("Log.enable")
        await page.send("Page.enable")
        if viewport:
            await page.send("Emulation.setDeviceMetricsOverride", {
                "width": viewport[0], "height": viewport[1], "deviceScaleFactor": 1, "mobile": mobile})
        await page.send("Page.navigate", {"url": url})
        await asyncio.wait_for(page.loaded.wait(), 30)
        return page

    async def _close(self) -> None:
        with contextlib.suppress(Exception):
            await self.send("Browser.close", timeout=5)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.proc.wait(), 5)
        await self.ws.close()
        self._reader.cancel()


class Page:
    def __init__(self, browser: Browser, session: str, target: str | None = None):
        self.browser, self.session, self.target = browser, session, target
        self.console: list[str] = []
        self.errors: list[str] = []
        self.loaded = asyncio.Event()

    def send(self, method: str, params: dict | None = None, timeout: float = 30.0):
        return self.browser.send(method, params, self.session, timeout)

    def event(self, method: str, params: dict) -> None:
        if method == "Page.loadEventFired":
            self.loaded.set()
        elif method == "Runtime.consoleAPICalled":
            self.console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(details.get("exception", {}).get("description") or details.get("text", ""))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.console.append(f"{params['entry'].get('url', '')}: {params['entry']['text']}")

    async def evaluate(self, expression: str, timeout: float = 30.0) -> Any:
        """The value of ``expression`` (awaited if a promise; must be JSON-serialisable)."""
        result = await self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                      "returnByValue": True}, timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CdpError(details.get("exception", {}).get("description") or details.get("text"))
        return result["result"].get("value")

    async def wait_for(self, expression: str, what: str, timeout: float = 10.0, interval: float = 0.1) -> Any:
        """Poll ``expression`` until it is truthy; its value. On timeout, fail naming ``what`` and the
        page's errors and console."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what} (last {value!r});\nerrors: {self.errors}\n"
                                     f"console: {self.console}")
            await asyncio.sleep(interval)

    async def screenshot(self, path: Path, full_page: bool = False) -> Path:
        """A PNG of the viewport (or of the whole page) at ``path``."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = (await self.send("Page.getLayoutMetrics"))["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        data = (await self.send("Page.captureScreenshot", params))["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    async def close(self) -> None:
        if self.target:
            with contextlib.suppress(CdpError, asyncio.TimeoutError):
                await self.browser.send("Target.closeTarget", {"targetId": self.target}, timeout=5)

"""Issue 13 #4 as the attacker's page does it, in headless Chromium against a real server: a page on
another origin cannot drive the control plane with "simple" requests (no CORS preflight), and a page
whose name was rebound to 127.0.0.1 (``--host-resolver-rules`` stands in for the attacker's DNS) cannot
read the API keys from /_emulator/accounts, nor call the vendor API as the user."""

from __future__ import annotations

import json

import pytest

from tests.conftest import AUTH, KEY
from tests.e2e.cdp import CHROMIUM, Browser
from tests.support.server import running
from viduemu.config import Settings

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent: install Debian's "
                                 "chromium package (apt-get install chromium) to run the browser tests")]

FAULT = {"match": {"operation": "task.finish"}, "action": {"err_code": "CreationPolicyViolation"}}


async def test_a_foreign_page_can_neither_drive_nor_read_the_emulator(contracts):
    async with running(Settings(clock="manual", seed=3, log_level="warning"), contracts) as srv, \
            Browser.launch(flags=("--host-resolver-rules=MAP attacker.test 127.0.0.1",)) as browser:
        assert (await srv.http.get("/ent/v2/credits", headers=AUTH)).status_code == 200  # the victim's account
        before = (await srv.http.get("/_emulator/clock")).json()
        page = await browser.page(f"http://attacker.test:{srv.port}/")  # the attacker's page, rebound
        target = f"http://127.0.0.1:{srv.port}/_emulator"
        outcome = await page.evaluate(f"""(async () => {{
            const simple = (path, body) => fetch("{target}" + path, {{method: "POST", mode: "no-cors",
                headers: {{"Content-Type": "text/plain"}}, body}}).then(() => "sent", e => "error " + e);
            const read = path => fetch(path).then(async r => [r.status, await r.text()], e => [0, String(e)]);
            return {{
                reset: await fetch("{target}/reset", {{method: "POST", mode: "no-cors"}}).then(() => "sent"),
                fault: await simple("/faults", {json.dumps(json.dumps(FAULT))}),
                advance: await simple("/clock/advance", '{{"seconds": 3600}}'),
                accounts: await read("/_emulator/accounts"),
                credits: await read("/ent/v2/credits"),
            }};
        }})()""")
        await page.close()
        assert outcome["fault"] == outcome["advance"] == outcome["reset"] == "sent"  # the browser sent them
        broken = []
        if (await srv.http.get("/_emulator/faults")).json()["faults"]:
            broken.append("a fault was added")
        if (await srv.http.get("/_emulator/clock")).json()["now"] != before["now"]:
            broken.append("the clock was advanced")
        if (await srv.http.get("/_emulator/accounts")).json()["accounts"] == []:
            broken.append("the state was reset")
        assert not broken, broken
        for status, text in (outcome["accounts"], outcome["credits"]):
            assert status == 403 and KEY not in text, (status, text)
            assert json.loads(text)["reason"] == "Forbidden"

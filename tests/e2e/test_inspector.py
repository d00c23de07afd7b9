"""The inspector page (/_emulator/) in headless Chromium, against one real server on a manual clock:
the overview; a task created through the API reaching success after "+1 min", its video playing;
a live session's billing chart with a step per deduction and the hangup forced from the page; a
NOT_READY fault added from the form and applied; the request journal; both viewport sizes.

Screenshots of every view go to test-artifacts/inspector/ (ignored by git); the ones in
docs/inspector/ were copied from there. Skips with a reason when /usr/bin/chromium is absent
(``.ci/run`` installs it). One browser and one server for the module."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import pytest_asyncio
import websockets

from tests.e2e.cdp import CHROMIUM, Browser
from tests.support.server import running
from tests.support.signaling import conn_init, recv
from viduemu.config import Settings

# xdist_group: one worker runs the module, with its one browser and one server
pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.xdist_group("e2e-inspector"),
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent: install Debian's "
                                 "chromium package (apt-get install chromium) to run the browser tests")]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "inspector"
DESKTOP, PHONE = (1280, 800), (390, 844)
SETTINGS = Settings(clock="manual", seed=8, log_level="warning")
IMAGE = "https://example.com/first-frame.png"
POLL = "?poll=250"  # the page re-reads the control plane 4 times a second (default: once)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def server(contracts):
    async with running(SETTINGS, contracts) as srv:
        yield srv


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def browser():
    async with Browser.launch() as chromium:
        yield chromium


@pytest_asyncio.fixture(loop_scope="module")
async def open_page(server, browser):
    """``await open_page("#tasks", viewport)``: a tab on the inspector; closed (and checked for script
    errors) after the test."""
    pages = []

    async def open_(fragment: str = "", viewport=DESKTOP):
        page = await browser.page(f"{server.base}/_emulator/{POLL}{fragment}", viewport=viewport,
                                  mobile=viewport == PHONE)
        await page.wait_for("window.inspector && window.inspector.refreshes > 0", "the page's first refresh")
        pages.append(page)
        return page

    yield open_
    for page in pages:
        errors = page.errors
        await page.close()
        assert errors == [], errors


async def shot(page, name: str, full_page: bool = False) -> Path:
    return await page.screenshot(ARTIFACTS / f"{name}.png", full_page=full_page)


def auth(key: str) -> dict:
    return {"Authorization": f"Token {key}"}


async def create_task(server, key: str) -> dict:
    body = {"model": "viduq1", "images": [IMAGE], "prompt": "a lighthouse at dusk", "duration": 5}
    r = await server.http.post("/ent/v2/img2video", json=body, headers=auth(key))
    assert r.status_code == 200, r.text
    return r.json()


async def create_live(server, key: str) -> str:
    r = await server.http.post("/live/v1/lives", headers=auth(key), json={
        "call_mode": "audio", "avatar": {"persona": "A friendly guide.", "image_uri": IMAGE, "name": "Mia"}})
    assert r.status_code == 200, r.text
    return r.json()["live"]["id"]


def connect(server, live_id: str, key: str):
    return websockets.connect(f"{server.ws_base}/live/ws/live/connect?live_id={live_id}",
                              additional_headers=auth(key), open_timeout=5)


def text_of(selector: str) -> str:
    return f"(document.querySelector({json.dumps(selector)}) || {{}}).textContent || ''"


def click(selector: str) -> str:
    return f"document.querySelector({json.dumps(selector)}).click()"


async def test_overview_shows_the_clock_accounts_and_counts(server, open_page):
    assert (await server.http.put("/_emulator/accounts/vda_overview", json={"credits": 750})).status_code == 200
    await create_task(server, "vda_overview")
    page = await open_page("#overview")
    await page.wait_for(f"{text_of('#accounts')}.includes('vda_overview')", "the account in the table")
    row = await page.evaluate("[...document.querySelectorAll('#accounts tr')].map(r => r.textContent)"
                              ".find(t => t.includes('vda_overview'))")
    assert "670" in row  # 750 set, minus the img2video task's 80
    assert await page.evaluate(text_of("#overview-mode")) == "manual"
    counts = await page.evaluate(text_of("#task-counts"))
    assert "created1" in counts.replace(" ", "")
    clock = (await server.http.get("/_emulator/clock")).json()
    await page.evaluate(click('#advance-form [data-advance="5"]'))
    await page.wait_for(f"window.inspector.clock.now >= {clock['now'] + 5}", "the clock 5 s later")
    assert (await server.http.get("/_emulator/clock")).json()["now"] == pytest.approx(clock["now"] + 5)
    await shot(page, "overview-1280x800")

    switch = """(mode, speed) => { const form = document.querySelector('#clock-mode-form');
      form.mode.value = mode; form.speed.value = speed; form.requestSubmit(); }"""
    await page.evaluate(f"({switch})('speed', '4')")
    await page.wait_for(f"{text_of('#overview-mode')} === 'speed'", "the clock in speed mode")
    assert (await server.http.get("/_emulator/clock")).json() | {"now": 0} == {"now": 0, "mode": "speed", "speed": 4}
    await page.evaluate(f"({switch})('manual', '1')")  # the other tests want the manual clock back
    await page.wait_for(f"{text_of('#overview-mode')} === 'manual'", "the clock manual again")
    for _ in range(50):   # the page may show the mode before its request's answer has been read back
        if (await server.http.get("/_emulator/clock")).json()["mode"] == "manual":
            break
        await asyncio.sleep(0.1)
    assert (await server.http.get("/_emulator/clock")).json()["mode"] == "manual"


async def test_a_task_reaches_success_after_one_minute_and_its_video_plays(server, open_page):
    task_id = (await create_task(server, "vda_tasks"))["task_id"]
    page = await open_page("#tasks")
    state = f"(document.querySelector('tr[data-href=\"tasks/{task_id}\"] .badge') || {{}}).textContent"
    assert await page.wait_for(state, "the task in the table") in ("created", "queueing")
    await shot(page, "tasks-1280x800-created")
    await page.evaluate(click('header [data-advance="60"]'))  # task_seconds is 30: done within a minute
    await page.wait_for(f"{state} === 'success'", "the task shown as success after +1 min")
    await shot(page, "tasks-1280x800")

    await page.evaluate(click(f'tr[data-href="tasks/{task_id}"]'))
    await page.wait_for("!!document.querySelector('#task-media video')", "the task's video element")
    history = await page.evaluate("[...document.querySelectorAll('#task-history tbody tr td:first-child')]"
                                  ".map(td => td.textContent)")
    assert history == ["created", "queueing", "processing", "success"]
    duration = await page.evaluate("""(async () => {
      const video = document.querySelector('#task-media video');
      video.muted = true;
      await video.play();
      return video.duration;
    })()""", timeout=30)
    assert duration == pytest.approx(5, abs=0.2)
    await page.wait_for("document.querySelector('#task-media video').currentTime > 0", "the video playing")
    assert await page.evaluate("document.querySelector('#task-media img.cover').naturalWidth") > 0
    await shot(page, "task-1280x800")


async def test_an_image_task_shows_its_image_and_an_audio_task_plays(server, open_page):
    made = {}
    for path, body in (("reference2image", {"model": "viduq2", "prompt": "a red fox", "aspect_ratio": "1:1"}),
                       ("text2audio", {"model": "audio1.0", "prompt": "rain on a tin roof", "duration": 3})):
        r = await server.http.post(f"/ent/v2/{path}", json=body, headers=auth("vda_media"))
        assert r.status_code == 200, r.text
        made[path] = r.json()["task_id"]
    page = await open_page("#tasks")
    await page.evaluate(click('header [data-advance="60"]'))
    for path, task_id in made.items():
        await page.evaluate(f"location.hash = '#tasks/{task_id}'")
        await page.wait_for(f"!!document.querySelector('#task-media {'img.image' if path == 'reference2image' else 'audio'}')",
                            f"the {path} creation's element")
    size = await page.evaluate("""(async () => {
      location.hash = '#tasks/%s';
      for (let i = 0; i < 100; i++) {
        const img = document.querySelector('#task-media img.image');
        if (img && img.complete && img.naturalWidth) return [img.naturalWidth, img.naturalHeight];
        await new Promise((r) => setTimeout(r, 50));
      }
      return null;
    })()""" % made["reference2image"], timeout=10)
    assert size == [1080, 1080]
    await page.evaluate(f"location.hash = '#tasks/{made['text2audio']}'")
    await page.wait_for("!!document.querySelector('#task-media audio')", "the audio element")
    duration = await page.evaluate("""(async () => {
      const audio = document.querySelector('#task-media audio');
      audio.muted = true;
      await audio.play();
      return audio.duration;
    })()""", timeout=10)
    assert duration == pytest.approx(3, abs=0.2)


async def test_the_callbacks_table_shows_the_state_each_delivery_carried_unclipped_at_1280(server, open_page):
    body = {"model": "viduq1", "images": [IMAGE], "prompt": "a lighthouse at dusk",
            "callback_url": "http://127.0.0.1:9/a/rather/long/path/of/a/callback/receiver/hook?token=abcdef0123456789"}
    r = await server.http.post("/ent/v2/img2video", json=body, headers=auth("vda_callbacks"))
    assert r.status_code == 200, r.text
    task_id = r.json()["task_id"]
    await server.advance(60)   # the task succeeds; its deliveries are refused (nothing listens there)
    page = await open_page(f"#tasks/{task_id}")
    await page.wait_for("document.querySelectorAll('table.callbacks tbody tr').length >= 1", "a delivery")
    cells = await page.evaluate("""[...document.querySelectorAll('table.callbacks tbody tr')].map(r =>
      [r.children[2].textContent, [...r.children].every(td => td.scrollWidth <= td.clientWidth + 1),
       r.getBoundingClientRect().right <= document.documentElement.clientWidth])""")
    assert {state for state, _, _ in cells} <= {"processing", "success"} and cells[-1][0] in ("processing", "success")
    assert all(fits and inside for _, fits, inside in cells), cells


async def test_a_live_sessions_billing_chart_has_a_step_per_deduction(server, open_page):
    key = "vda_lives"
    live_id = await create_live(server, key)
    async with connect(server, live_id, key) as ws:
        assert (await conn_init(ws, live_id))["payload"]["conn_init_ack"]["success"] is True
        page = await open_page(f"#lives/{live_id}")
        await page.wait_for(f"{text_of('#live-status')} === 'on_live'", "the session on_live")
        await server.advance(20)  # billing ticks at 6, 12 and 18 s of on_live time
        await page.wait_for("document.querySelectorAll('#billing-chart .deduction').length === 3",
                            "three 6 s deductions in the chart")
        assert await page.evaluate(text_of("#heartbeat-state")) == "healthy"
        await page.evaluate(click('[data-hangup="audit_violation"]'))
        forced = await recv(ws)
        assert forced["type"] == 6 and forced["payload"]["hangup"]["hangup_reason"] == "audit_violation"
    # 20 s on_live: 9 credits at 6, 12 and 18 s, then the final settle of 3 at the hangup: 30 in all
    await page.wait_for("!!document.querySelector('#billing-chart .hangup')", "the hangup marked")
    chart = await page.evaluate("""(() => { const svg = document.querySelector('#billing-chart');
      return {deductions: Number(svg.dataset.deductions), cost: Number(svg.dataset.creditsCost),
              steps: [...svg.querySelectorAll('.deduction')].map(g => [Number(g.dataset.at), Number(g.dataset.delta),
                                                                         g.classList.contains('settle')]),
              hangup: svg.querySelector('.hangup text').textContent}; })()""")
    assert chart["steps"] == [[6, -9, False], [12, -9, False], [18, -9, False], [20, -3, True]]
    assert chart["deductions"] == 4 and chart["cost"] == 30 and chart["hangup"] == "hangup: audit_violation"
    # the chart uses its card's width (at 1280 px), not a fixed cap
    widths = await page.evaluate("""(() => [document.querySelector('#billing-chart').getBoundingClientRect().width,
      document.querySelector('#billing').getBoundingClientRect().width])()""")
    assert widths[0] == pytest.approx(widths[1], abs=2)
    live = (await server.http.get(f"/live/v1/lives/{live_id}", headers=auth(key))).json()["live"]
    assert live["credits_cost"] == 30 and live["hangup_reason"] == "audit_violation"
    assert await page.evaluate("document.querySelector('[data-hangup=\"user_end\"]').disabled")
    call = await page.evaluate("document.querySelector('#open-call').getAttribute('href')")
    assert call == f"/_emulator/call/{live_id}#key={key}"
    messages = await page.evaluate("[...document.querySelectorAll('#live-messages tbody tr')]"
                                   ".map(r => r.children[2].textContent + ' ' + r.children[3].textContent)")
    assert messages == ["→ in conn_init", "← out conn_init_ack", "← out hangup (forced)"]
    await shot(page, "live-1280x800")
    await page.evaluate("location.hash = '#lives'")
    await page.wait_for(f"!!document.querySelector('tr[data-href=\"lives/{live_id}\"]')", "the session listed")
    await shot(page, "lives-1280x800")


async def test_a_not_ready_fault_added_from_the_form_is_applied(server, open_page):
    key = "vda_faults"
    page = await open_page("#faults")
    await page.evaluate(f"""(() => {{ const form = document.querySelector('#fault-form');
      form.kind.value = 'not_ready'; form.api_key.value = '{key}'; form.times.value = '2';
      form.dispatchEvent(new Event('input', {{bubbles: true}})); }})()""")
    rule = json.loads(await page.evaluate("document.querySelector('#fault-json').value"))
    assert rule == {"match": {"operation": "ws.conn_init", "api_key": key}, "action": {"error_code": "NOT_READY"},
                    "times": 2}
    await page.evaluate(click("#fault-add"))
    await page.wait_for(f"{text_of('#fault-table')}.includes('ws.conn_init')", "the rule listed")
    await shot(page, "faults-1280x800")
    assert [f["action"] for f in (await server.http.get("/_emulator/faults")).json()["faults"]] == [
        {"error_code": "NOT_READY"}]

    live_id = await create_live(server, key)
    async with connect(server, live_id, key) as ws:
        for seq in (1, 2):  # NOT_READY twice, then the rule is used up
            ack = (await conn_init(ws, live_id, seq))["payload"]["conn_init_ack"]
            assert ack["success"] is False and ack["error_code"] == "NOT_READY"
        assert (await conn_init(ws, live_id, 3))["payload"]["conn_init_ack"]["success"] is True
    await page.wait_for(f"{text_of('#fault-table')}.includes('no fault rule')", "the used-up rule gone")

    # The other common cases build the documented rules.
    built = await page.evaluate("""(() => { const form = document.querySelector('#fault-form');
      const read = () => JSON.parse(document.querySelector('#fault-json').value);
      const set = (values) => { Object.assign(form, {}); for (const [k, v] of Object.entries(values)) form[k].value = v;
        form.dispatchEvent(new Event('input', {bubbles: true})); return read(); };
      return [set({kind: 'task_fails', api_key: '', times: '', err_code: 'CreationPolicyViolation'}),
              set({kind: 'http_status', method: 'GET', path: '/ent/v2/tasks/{task_id}/creations', status: '500',
                   reason: 'InternalServiceFailure', times: '3'}),
              set({kind: 'delay', target: 'task', delay_ms: '2000', times: ''}),
              set({kind: 'init_failed', times: '1'})]; })()""")
    assert built == [
        {"match": {"operation": "task.finish"}, "action": {"err_code": "CreationPolicyViolation"}},
        {"match": {"operation": "GET /ent/v2/tasks/{task_id}/creations"},
         "action": {"status": 500, "reason": "InternalServiceFailure"}, "times": 3},
        {"match": {"operation": "task.finish"}, "action": {"delay_ms": 2000}},
        {"match": {"operation": "ws.conn_init"}, "action": {"error_code": "LIVE_CONN_INIT_FAILED"}, "times": 1}]


async def test_the_request_journal_filters_and_shows_bodies(server, open_page):
    bad = await server.http.post("/ent/v2/img2video", json={"model": "viduq1", "prompt": "no image"},
                                 headers=auth("vda_requests"))
    assert bad.status_code == 400
    trace_id = bad.json()["metadata"]["trace_id"]
    page = await open_page("#requests")
    await page.evaluate("""(() => { const form = document.querySelector('#request-filters');
      form.status.value = '4'; form.path.value = 'img2video';
      form.dispatchEvent(new Event('input', {bubbles: true})); })()""")
    row = f'tr[data-href="requests/{trace_id}"]'
    statuses = "[...document.querySelectorAll('#request-table tbody tr td:nth-child(4)')].map(td => td.textContent)"
    await page.wait_for(f"!!document.querySelector('{row}') && {statuses}.every(s => s.startsWith('4'))",
                        "only the 4xx requests to img2video listed")
    paths = await page.evaluate("[...document.querySelectorAll('#request-table tbody tr td:nth-child(3)')]"
                                ".map(td => td.textContent)")
    assert paths and all("img2video" in p for p in paths)
    assert len(paths) < len((await server.http.get("/_emulator/requests")).json()["requests"])
    await shot(page, "requests-1280x800")
    await page.evaluate(click(row))
    await page.wait_for(f"{text_of('#response-body')}.includes('FieldLacking')", "the answer's body")
    assert "no image" in await page.evaluate(text_of("#request-body"))
    await shot(page, "request-1280x800")


async def test_the_request_view_shows_the_fields_the_emulator_ignored(server, open_page):
    r = await server.http.post("/ent/v2/text2video", json={"model": "viduq1", "prompt": "ok", "durration": 5},
                               headers=auth("vda_ignored"))
    assert r.status_code == 200 and r.headers["Viduemu-Warning"] == "ignored fields: durration"
    trace_id = next(e["trace_id"] for e in reversed((await server.http.get("/_emulator/requests")).json()["requests"])
                    if e.get("warnings"))
    page = await open_page(f"#requests/{trace_id}")
    await page.wait_for(f"{text_of('#request-facts')}.includes('ignored fields: durration')", "the warning")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "390x844"])
async def test_every_view_fits_the_viewport(server, open_page, viewport):
    """No view is wider than the screen (tables scroll inside their card); the navigation and the
    clock's buttons stay on screen."""
    width = viewport[0]
    page = await open_page("#overview", viewport)
    for view in ("overview", "tasks", "lives", "requests", "faults"):
        await page.evaluate(f"location.hash = '#{view}'")
        await page.wait_for(f"window.inspector.view === '{view}' && !!document.querySelector('#view .card')",
                            f"the {view} view")
        await page.evaluate("window.inspector.refresh()")
        overflow = await page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{view} is {overflow}px wide in a {width}px viewport"
        boxes = await page.evaluate("""[...document.querySelectorAll('header [data-advance], #nav a')].map(e => {
          const r = e.getBoundingClientRect(); return [r.left, r.right, r.width]; })""")
        assert all(left >= 0 and right <= width and w > 0 for left, right, w in boxes[:3]), boxes
        await shot(page, f"fit-{view}-{width}x{viewport[1]}")
    live = (await server.http.get("/_emulator/lives")).json()["lives"]
    if live:
        await page.evaluate(f"location.hash = '#lives/{live[0]['id']}'")
        await page.wait_for("!!document.querySelector('#live-facts dl')", "a session's detail")
        assert await page.evaluate("document.documentElement.scrollWidth") <= width
        await shot(page, f"fit-live-{width}x{viewport[1]}")
        await shot(page, f"fit-live-{width}x{viewport[1]}-full-page", full_page=True)


async def test_with_an_admin_token_the_page_takes_it_from_the_fragment(browser, contracts):
    from dataclasses import replace

    async with running(replace(SETTINGS, admin_token="s3cret"), contracts) as guarded:
        page = await browser.page(f"{guarded.base}/_emulator/{POLL}#faults&admin=s3cret")
        try:
            await page.wait_for("window.inspector.refreshes > 0", "a refresh with the admin token")
            assert await page.evaluate("location.hash") == "#faults"  # the token left the address bar
            assert await page.evaluate("window.inspector.view") == "faults"
            assert await page.evaluate("window.inspector.error") is None
            assert "no fault rule" in await page.evaluate(text_of("#fault-table"))
            assert page.errors == []
        finally:
            await page.close()
        page = await browser.page(f"{guarded.base}/_emulator/{POLL}#faults")  # a new tab: no token
        try:
            error = await page.wait_for("window.inspector.error", "the refusal shown")
            assert error.startswith("401 Unauthorized") and await page.evaluate(text_of("#status")) == error
        finally:
            await page.close()

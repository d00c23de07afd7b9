"""The inspector of a ``--demo`` server in headless Chromium at 1280 px: the tasks table's prompt column and
search by id, the media of a one-click MV's jobs, the reset button's confirmation, and the page's own favicon
request kept out of the journal. Screenshots go to test-artifacts/inspector/ (docs/img/ holds copies)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e.cdp import CHROMIUM, Browser
from tests.support.server import running
from viduemu.config import Settings

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.xdist_group("e2e-inspector"),
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent")]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "inspector"
DESKTOP = (1280, 800)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def demo(contracts):
    async with running(Settings(clock="manual", seed=16, demo=True, log_level="warning"), contracts) as srv:
        yield srv


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def browser():
    async with Browser.launch() as chromium:
        yield chromium


async def open_tasks(demo, browser):
    page = await browser.page(f"{demo.base}/_emulator/?poll=250#tasks", viewport=DESKTOP)
    await page.wait_for("document.querySelectorAll('table.tasks tbody tr').length > 10", "the demo's tasks")
    return page


async def test_the_demo_tasks_table_shows_prompts_and_finds_a_task_by_id(demo, browser):
    page = await open_tasks(demo, browser)
    try:
        headers = await page.evaluate("[...document.querySelectorAll('table.tasks th')].map(t => t.textContent)")
        assert "prompt" in headers
        prompts = await page.evaluate("[...document.querySelectorAll('table.tasks .prompt')].map(p => p.title)")
        assert sum(1 for p in prompts if p) > 10
        await page.screenshot(ARTIFACTS / "demo-tasks.png")
        task_id = (await demo.http.get("/_emulator/tasks")).json()["tasks"][3]["task_id"]
        await page.evaluate(f"""(() => {{ const box = document.querySelector('#task-filters [name=id]');
            box.value = {json.dumps(task_id)}; box.dispatchEvent(new Event('input', {{bubbles: true}})); }})()""")
        await page.wait_for("document.querySelectorAll('table.tasks tbody tr').length === 1", "one task found")
        assert task_id in await page.evaluate("document.querySelector('table.tasks tbody').textContent")
        journal = (await demo.http.get("/_emulator/requests")).json()
        assert "favicon" not in json.dumps(journal)
        assert page.errors == []
    finally:
        await page.close()


async def test_reset_asks_for_confirmation_then_forgets_everything(demo, browser):
    page = await open_tasks(demo, browser)
    try:
        await page.evaluate("document.getElementById('reset').click()")
        assert await page.evaluate("document.getElementById('reset-dialog').open")
        await page.screenshot(ARTIFACTS / "demo-reset.png")
        await page.evaluate("document.querySelector('#reset-dialog button[value=cancel]').click()")
        assert (await demo.http.get("/_emulator/tasks")).json()["tasks"]       # cancelled: nothing forgotten
        await page.evaluate("document.getElementById('reset').click()")
        await page.evaluate("document.querySelector('#reset-dialog button[value=reset]').click()")
        await page.wait_for("document.querySelectorAll('table.tasks tbody tr').length <= 1", "an empty table")
        assert (await demo.http.get("/_emulator/tasks")).json()["tasks"] == []
    finally:
        await page.close()

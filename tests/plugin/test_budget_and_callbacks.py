"""The plugin without bookkeeping (issue 16 §6): the budget guard prices requests with the emulator's own
rules and tables, the summary shows the real balance around each test, the callback receiver fixture, and
no pytest-asyncio warning in a project without configuration."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from tests.plugin.conftest import PLUGIN_ARGS, plugin_env
from tests.plugin.test_plugin import live_args
from viduemu.background import BackgroundEmulator

TEXT2VIDEO_CREDITS = 80   # viduq1 text2video at its defaults, by the emulator's price table


def _posts(stand_in, key: str) -> list[str]:
    journal = httpx.get(f"{stand_in.base_url}/_emulator/requests").json()["requests"]
    return [r["path"] for r in journal if r["api_key"] == key and r["method"] == "POST"]


def test_an_unmarked_test_spends_from_the_session_budget_at_the_emulators_price(run, pytester, stand_in):
    pytester.makepyfile("""
        def test_first(vidu_client):
            vidu_client.text2video(model="viduq1", prompt="within the budget")

        def test_second(vidu_client):
            vidu_client.text2video(model="viduq1", prompt="over the budget")
    """)
    result = run(*live_args(stand_in, "--vidu-live-budget=100"), env={"VIDU_API_KEY": "vda_session_budget"})
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([f"*BudgetRefused: POST /ent/v2/text2video costs {TEXT2VIDEO_CREDITS} credits (the "
                                 "emulator's price tables) and 20 of --vidu-live-budget are left*"])
    assert _posts(stand_in, "vda_session_budget") == ["/ent/v2/text2video"]   # the second was never sent


def test_a_request_the_rules_refuse_costs_nothing_and_is_sent(run, pytester, stand_in):
    pytester.makepyfile("""
        import pytest
        from viduemu.client import ViduError

        def test_refused(vidu_client):
            with pytest.raises(ViduError) as refused:
                vidu_client.text2video(model="viduq1", prompt="ok", duration=7)
            assert refused.value.status == 400
    """)
    run(*live_args(stand_in), env={"VIDU_API_KEY": "vda_refused_free"}).assert_outcomes(passed=1)
    assert _posts(stand_in, "vda_refused_free") == ["/ent/v2/text2video"]   # budget 0, yet the service judged it


def test_a_reservation_caps_what_its_test_may_spend(run, pytester, stand_in):
    pytester.makepyfile(f"""
        import pytest

        @pytest.mark.vidu_spends({TEXT2VIDEO_CREDITS + 20})
        def test_two_clips(vidu_client):
            vidu_client.text2video(model="viduq1", prompt="first")
            vidu_client.text2video(model="viduq1", prompt="second")
    """)
    result = run(*live_args(stand_in, "--vidu-live-budget=500"), env={"VIDU_API_KEY": "vda_reserved"})
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*costs 80 credits (the emulator's price tables) and *test_two_clips has 20 of "
                                 "its vidu_spends(100) left: raise the mark*"])
    assert _posts(stand_in, "vda_reserved") == ["/ent/v2/text2video"]


def test_a_live_session_is_priced_by_time_so_it_needs_a_declared_spend(run, pytester, stand_in):
    pytester.makepyfile("""
        AVATAR = {"persona": "p", "image_uri": "https://example.com/a.png"}

        def test_calls(vidu_client):
            vidu_client.create_live(call_mode="audio", avatar=AVATAR)
    """)
    result = run(*live_args(stand_in, "--vidu-live-budget=500"), env={"VIDU_API_KEY": "vda_live_unmarked"})
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*POST /live/v1/lives spends credits on the live Vidu, a live session is billed "
                                 "by its on_live time, and *test_calls did not declare it*"])
    assert _posts(stand_in, "vda_live_unmarked") == []


def test_summary_lists_each_tests_real_balance_and_the_drift_from_the_estimate(run, pytester, stand_in):
    # The stand-in takes 5 credits more than the emulator's price (as a vendor price change would).
    pytester.makepyfile("""
        import httpx

        def test_drifts(vidu_client, vidu_base_url, vidu_api_key):
            vidu_client.text2video(model="viduq1", prompt="priced")
            account = httpx.get(vidu_base_url + "/_emulator/accounts/" + vidu_api_key).json()
            httpx.put(vidu_base_url + "/_emulator/accounts/" + vidu_api_key, json={"credits": account["credits"] - 5})

        def test_spends_nothing(vidu_client):
            vidu_client.credits()
    """)
    result = run(*live_args(stand_in, "--vidu-live-budget=100"), env={"VIDU_API_KEY": "vda_summary"})
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([
        "*Vidu live spend*",
        "test *reserved*estimate*balance before -> after*real*drift",
        f"*::test_drifts *-*{TEXT2VIDEO_CREDITS}*1000 -> 915*85*5",
        "estimated 80, really spent 85 (drift +5); --vidu-live-budget 100, 20 not reserved nor spent",
    ])
    assert "test_spends_nothing" not in result.stdout.str().split("Vidu live spend")[1]


def test_callback_receiver_on_the_emulator_returns_a_tasks_signed_callbacks_at_once(run, pytester):
    pytester.makepyfile("""
        import time

        def test_waits(vidu_client, vidu_callback_receiver):
            task = vidu_client.text2video(model="viduq1", prompt="a kite", callback_url=vidu_callback_receiver.url)
            started = time.monotonic()
            body = vidu_callback_receiver.wait(task["task_id"], state="success")
            assert time.monotonic() - started < 3                        # 30 virtual seconds, advanced
            assert body["creations"][0]["url"]
            calls = vidu_callback_receiver.of(task["task_id"])
            assert [c.state for c in calls] == ["processing", "success"] and all(c.signed for c in calls)
    """)
    run().assert_outcomes(passed=1)


def test_callback_receiver_fails_a_test_sent_a_callback_not_signed_with_its_key(run, pytester):
    pytester.makepyfile("""
        import httpx, pytest

        def test_foreign(vidu_base_url, vidu_callback_receiver):
            body = {"model": "viduq1", "prompt": "x", "callback_url": vidu_callback_receiver.url}
            task = httpx.post(vidu_base_url + "/ent/v2/text2video", json=body,
                              headers={"Authorization": "Token vda_someone_else"}).json()
            with pytest.raises(AssertionError, match="does not carry a valid signature"):
                vidu_callback_receiver.wait(task["task_id"])
    """)
    result = run()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*callback(s) without a valid signature under the test's key*"])


@pytest.fixture(scope="module")
def real_clock_stand_in():
    with BackgroundEmulator(task_seconds=1, log_level="warning") as server:
        yield server


def test_callback_receiver_on_the_live_target_waits_in_real_time_with_a_timeout(run, pytester,
                                                                                real_clock_stand_in):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.vidu_spends(80)
        def test_waits(vidu_client, vidu_callback_receiver):
            task = vidu_client.text2video(model="viduq1", prompt="a kite", callback_url=vidu_callback_receiver.url)
            assert vidu_callback_receiver.wait(task["task_id"], timeout=20)["state"] == "success"
            with pytest.raises(AssertionError, match="no 'failed' callback for task .* within 0.3 s"):
                vidu_callback_receiver.wait(task["task_id"], state="failed", timeout=0.3)
    """)
    result = run(*live_args(real_clock_stand_in, "--vidu-live-budget=80"), env={"VIDU_API_KEY": "vda_live_cb"})
    result.assert_outcomes(passed=1)


def test_no_pytest_asyncio_warning_in_a_project_without_configuration(tmp_path):
    (tmp_path / "test_app.py").write_text(
        "import pytest\n\n"   # strict mode (no configuration): the test says it is asyncio's
        "@pytest.mark.asyncio\n"
        "async def test_async(vidu_async_client):\n"
        "    assert (await vidu_async_client.credits())['remains']\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDU_", "PYTEST_"))}
    env.update(plugin_env())
    result = subprocess.run([sys.executable, "-m", "pytest", *PLUGIN_ARGS, "-W", "error::DeprecationWarning",
                             "-p", "no:randomly", "test_app.py"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "1 passed" in output, output
    assert "DeprecationWarning" not in output and "warnings summary" not in output, output


def test_a_request_naming_the_callers_upload_is_priced_not_waved_through(run, pytester, stand_in):
    # The pricer has none of the caller's uploads: it must price the request, not answer "refused, free".
    pytester.makepyfile("""
        import io
        from PIL import Image

        def test_upload_then_animate(vidu_client):
            png = io.BytesIO()
            Image.new("RGB", (64, 64), "teal").save(png, "PNG")
            uri = vidu_client.upload(png.getvalue())
            vidu_client.img2video(model="viduq1", images=[uri], prompt="it moves")
    """)
    result = run(*live_args(stand_in), env={"VIDU_API_KEY": "vda_uploader"})
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*BudgetRefused: POST /ent/v2/img2video costs * credits (the emulator's price "
                                 "tables) and 0 of --vidu-live-budget are left*"])
    assert _posts(stand_in, "vda_uploader") == ["/tools/v2/files/uploads"]


"""The pytest plugin through pytester: options, fixtures, markers, the budget guard, isolation."""

from __future__ import annotations

import json

import httpx

LIVE = ("--vidu-target=live",)


def live_args(stand_in, *more: str) -> tuple[str, ...]:
    return (*LIVE, f"--vidu-base-url={stand_in.base_url}", *more)


LIVE_ENV = {"VIDU_API_KEY": "vda_stand_in_key"}


def test_options_are_listed_in_help(run):
    result = run("--help")
    result.stdout.fnmatch_lines(["*--vidu-target=*", "*--vidu-base-url=URL*", "*--vidu-live-budget=CREDITS*",
                                 "*--vidu-drift-report=FILE*"])


def test_unknown_target_is_a_usage_error(run):
    result = run("--vidu-target=staging")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--vidu-target: invalid choice: 'staging'*"])


def test_live_target_needs_an_api_key(run, pytester):
    pytester.makepyfile("def test_nothing(): pass")
    result = run(*LIVE)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--vidu-target=live needs the API key in $VIDU_API_KEY*"])


def test_markers_are_registered(run):
    run("--markers").stdout.fnmatch_lines(["@pytest.mark.vidu_emulator_only*", "@pytest.mark.vidu_live_only*",
                                           "@pytest.mark.vidu_spends(credits)*"])


def test_emulator_target_waits_instantly_and_serves_websockets(run, pytester):
    pytester.makepyfile("""
        import asyncio, httpx, websockets

        def test_task_reaches_success(vidu_client, vidu_base_url, vidu_api_key):
            assert vidu_base_url.startswith("http://127.0.0.1:") and vidu_api_key.startswith("vda_")
            task = vidu_client.text2video(model="viduq1", prompt="a lighthouse at dawn")
            done = vidu_client.wait_for_task(task["task_id"])   # default 5 s polls: the clock is advanced
            assert done["state"] == "success" and done["creations"][0]["url"]
            video = httpx.get(done["creations"][0]["url"])
            assert video.content[4:8] == b"ftyp"

        def test_websocket_reaches_the_same_emulator(vidu_client, vidu_base_url, vidu_api_key):
            live = vidu_client.create_live(call_mode="audio",
                                           avatar={"persona": "p", "image_uri": "https://example.com/a.png"})
            async def hello():
                url = vidu_base_url.replace("http", "ws") + "/live/ws/live/connect?live_id=" + live["live"]["id"]
                async with websockets.connect(url, additional_headers={"Authorization": "Token " + vidu_api_key}):
                    return True
            assert asyncio.run(hello())
    """)
    run("--durations=0").assert_outcomes(passed=2)


def test_async_client_fixture(run, pytester):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.asyncio
        async def test_async(vidu_async_client):
            task = await vidu_async_client.img2video(model="viduq1", images=["https://example.com/a.png"],
                                                     prompt="waves")
            assert (await vidu_async_client.wait_for_task(task["task_id"]))["state"] == "success"
    """)
    run().assert_outcomes(passed=1)


def test_emulator_handle_steers_the_tests_account(run, pytester):
    pytester.makepyfile("""
        import pytest
        from viduemu.client import ViduError

        def test_control(vidu_client, vidu_emulator):
            assert vidu_emulator.clock()["mode"] == "manual"
            vidu_emulator.set_credits(7)
            assert vidu_client.credits()["remains"][0]["credit_remain"] == 7
            with pytest.raises(ViduError) as refused:
                vidu_client.text2video(model="viduq1", prompt="too expensive")
            assert refused.value.status == 400 and refused.value.reason == "CreditInsufficient"
            assert [r["status"] for r in vidu_emulator.requests()] == [200, 400]

        def test_fault_and_callbacks(vidu_client, vidu_emulator):
            vidu_emulator.fault({"match": {"operation": "task.finish"}, "action": {"err_code": "CreationPolicyViolation"}})
            task = vidu_client.text2video(model="viduq1", prompt="x", callback_url="http://127.0.0.1:9/hook")
            done = vidu_client.wait_for_task(task["task_id"])
            assert done["state"] == "failed" and done["err_code"] == "CreationPolicyViolation"
            assert vidu_emulator.callbacks() and all(c["task_id"] == task["task_id"] for c in vidu_emulator.callbacks())

        def test_hangup(vidu_client, vidu_emulator):
            live = vidu_client.create_live(call_mode="audio", avatar={"persona": "p", "image_uri": "https://example.com/a.png"})
            ended = vidu_emulator.hangup(live["live"]["id"], "credit_insufficient")
            assert ended["hangup_reason"] == "credit_insufficient"
    """)
    run().assert_outcomes(passed=3)


def test_each_test_gets_its_own_account(run, pytester):
    pytester.makepyfile("""
        KEYS = []

        def test_first(vidu_client, vidu_emulator, vidu_api_key):
            KEYS.append(vidu_api_key)
            vidu_emulator.set_credits(100)
            vidu_emulator.fault({"match": {"operation": "GET /ent/v2/credits"}, "action": {"status": 503}})
            vidu_client.text2video(model="viduq1", prompt="mine")

        def test_second_sees_none_of_it(vidu_client, vidu_api_key):
            assert vidu_api_key not in KEYS
            assert vidu_client.credits()["remains"][0]["credit_remain"] == 1000   # no fault, fresh balance
            assert vidu_client.list_tasks()["tasks"] == []
    """)
    run().assert_outcomes(passed=2)


def test_emulator_fixture_skips_on_the_live_target(run, pytester, stand_in):
    pytester.makepyfile("""
        def test_steers(vidu_emulator):
            raise AssertionError("must not run")
    """)
    result = run(*live_args(stand_in), env=LIVE_ENV)
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*vidu_emulator steers the emulator; --vidu-target=live has none*"])


def test_target_markers(run, pytester, stand_in):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.vidu_emulator_only
        def test_emulator_only(vidu_client): pass

        @pytest.mark.vidu_live_only
        def test_live_only(vidu_client): pass

        def test_both(vidu_client):
            assert vidu_client.credits()["remains"]
    """)
    on_emulator = run()
    on_emulator.assert_outcomes(passed=2, skipped=1)
    on_emulator.stdout.fnmatch_lines(["*live-only test: run with --vidu-target=live*"])
    on_live = run(*live_args(stand_in), env=LIVE_ENV)
    on_live.assert_outcomes(passed=2, skipped=1)
    on_live.stdout.fnmatch_lines(["*emulator-only test: --vidu-target=live*"])


def test_live_target_uses_the_key_and_url_given(run, pytester, stand_in):
    pytester.makepyfile(f"""
        def test_where(vidu_client, vidu_base_url, vidu_api_key):
            assert vidu_base_url == "{stand_in.base_url}" and vidu_api_key == "vda_stand_in_key"
            vidu_client.credits()
    """)
    run(*live_args(stand_in), env=LIVE_ENV).assert_outcomes(passed=1)
    account = httpx.get(f"{stand_in.base_url}/_emulator/accounts/vda_stand_in_key")
    assert account.status_code == 200


def _posts(stand_in, key: str) -> list[str]:
    journal = httpx.get(f"{stand_in.base_url}/_emulator/requests").json()["requests"]
    return [r["path"] for r in journal if r["api_key"] == key and r["method"] == "POST"]


def test_budget_guard_refuses_an_undeclared_spend_before_sending(run, pytester, stand_in):
    pytester.makepyfile("""
        def test_spends_without_saying(vidu_client):
            vidu_client.text2video(model="viduq1", prompt="costs credits")
    """)
    result = run(*live_args(stand_in), env={"VIDU_API_KEY": "vda_guarded"})
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*BudgetRefused: POST /ent/v2/text2video costs 80 credits (the emulator's price "
                                 "tables) and 0 of --vidu-live-budget are left: mark the test "
                                 "@pytest.mark.vidu_spends(CREDITS) and run with --vidu-live-budget*"])
    assert _posts(stand_in, "vda_guarded") == []   # refused before it was sent


def test_budget_guard_refuses_a_declared_spend_the_budget_does_not_cover(run, pytester, stand_in):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.vidu_spends(80)
        def test_first(vidu_client):
            vidu_client.text2video(model="viduq1", prompt="allowed")

        @pytest.mark.vidu_spends(80)
        def test_second(vidu_client):
            vidu_client.text2video(model="viduq1", prompt="over budget")
    """)
    refused = run(*live_args(stand_in), env={"VIDU_API_KEY": "vda_budget_zero"})
    refused.assert_outcomes(skipped=2)
    refused.stdout.fnmatch_lines(["*live budget: needs 80 credits of live budget and 0 are left; "
                                  "run with --vidu-live-budget 80 (or more) to allow it*"])
    assert _posts(stand_in, "vda_budget_zero") == []
    partly = run(*live_args(stand_in, "--vidu-live-budget=100"), env={"VIDU_API_KEY": "vda_budget_100"})
    partly.assert_outcomes(passed=1, skipped=1)
    partly.stdout.fnmatch_lines(["*needs 80 credits of live budget and 20 are left; run with --vidu-live-budget 160*"])
    assert _posts(stand_in, "vda_budget_100") == ["/ent/v2/text2video"]


def test_budget_is_not_needed_on_the_emulator(run, pytester):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.vidu_spends(500)
        def test_spends(vidu_client):
            vidu_client.text2video(model="viduq1", prompt="free here")

        def test_undeclared(vidu_client):
            vidu_client.text2video(model="viduq1", prompt="also free")
    """)
    run().assert_outcomes(passed=2)


def test_drift_report_names_a_difference(run, pytester, stand_in, tmp_path):
    fault = {"match": {"operation": "GET /ent/v2/tasks/{task_id}/creations", "api_key": "vda_drifting"},
             "action": {"status": 400, "reason": "BadRequest"}}
    rule = httpx.post(f"{stand_in.base_url}/_emulator/faults", json=fault).json()
    report = tmp_path / "drift.json"
    try:
        result = run("--pyargs", "viduemu.conformance", "-k", "unknown_task_query or credits",
                     *live_args(stand_in, f"--vidu-drift-report={report}"), env={"VIDU_API_KEY": "vda_drifting"})
    finally:
        httpx.delete(f"{stand_in.base_url}/_emulator/faults/{rule['id']}")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*Vidu contract drift*",
                                 "*GET /ent/v2/tasks/{task_id}/creations ?status? expected 404 TaskNotFound, got 400 BadRequest*"])
    drift = json.loads(report.read_text())
    assert drift["target"] == "live" and [d["kind"] for d in drift["drift"]] == ["status"]
    assert "expected 404 TaskNotFound, got 400 BadRequest" in (tmp_path / "drift.json.txt").read_text()

"""The one virtual clock: manual advance runs due timers in order, each seeing its due time."""

import time

import pytest

from viduemu.core.clock import Clock


def test_advance_runs_due_timers_in_time_order_each_seeing_its_due_time():
    clock = Clock("manual", start=1000.0)
    seen = []
    clock.call_at(1030, lambda: seen.append(("b", clock.now())))
    clock.call_at(1010, lambda: seen.append(("a", clock.now())))
    clock.call_at(1100, lambda: seen.append(("late", clock.now())))
    state = clock.advance(50)
    assert seen == [("a", 1010), ("b", 1030)]
    assert state["now"] == clock.now() == 1050


def test_timers_scheduled_by_timers_run_within_the_same_advance():
    clock = Clock("manual", start=0.0)
    seen = []

    def tick():
        seen.append(clock.now())
        if clock.now() < 50:
            clock.call_later(10, tick)

    clock.call_at(10, tick)
    clock.advance(100)
    assert seen == [10, 20, 30, 40, 50]


def test_cancelled_timers_do_not_run_and_errors_do_not_stop_the_clock():
    clock = Clock("manual", start=0.0)
    seen = []
    clock.call_at(1, lambda: 1 / 0)
    timer = clock.call_at(2, seen.append, "cancelled")
    clock.call_at(3, seen.append, "ran")
    timer.cancel()
    clock.advance(5)
    assert seen == ["ran"]


def test_speed_mode_runs_faster_than_wall_time():
    clock = Clock("speed", speed=60, start=0.0)
    time.sleep(0.05)
    assert 2.5 < clock.now() < 10


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        Clock("warp")


def test_advancing_48_hours_runs_every_one_of_thousands_of_timers():
    clock = Clock("manual", start=0.0)
    seen = []
    for i in range(5000):
        clock.call_at(i * 30.0, seen.append, i)
    clock.advance(48 * 3600)
    assert seen == list(range(5000))  # all due (4999 * 30 s < 48 h), in order; speed is in bench/

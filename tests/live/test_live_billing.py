"""Properties of the S1 billing arithmetic (viduemu/live/billing.py), checked with hypothesis.

``simulate`` replays what a session does with it (live/models.py): at every 6 s of on_live time
it takes what is due so far, hanging up (``credit_insufficient``) when ``take`` says the balance is
exhausted; at the end it settles the remainder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viduemu.live import billing

# on_live time to the millisecond (what the billing judges), up to two hours
millis = st.integers(0, 7_200_000)
seconds = millis.map(lambda ms: ms / 1000)
balances = st.integers(0, 20_000)


def exact_cost(ms: int) -> int:
    """3 credits per started 2 s, in integer arithmetic (the specification, independent of billing.py)."""
    return 3 * -(-ms // 2000)


@dataclass
class Run:
    taken: list[int] = field(default_factory=list)   # every deduction, in order
    balances: list[int] = field(default_factory=list)  # the balance after each
    end: float = 0.0                                 # when the session ended
    exhausted_at: float | None = None                # the tick that hung up for credit_insufficient


def simulate(on_live: float, balance: int) -> Run:
    run, charged = Run(), 0
    tick = billing.TICK_SECONDS
    while tick <= on_live:
        due = billing.cost(tick) - charged
        amount, exhausted = billing.take(billing.cost(tick), charged, balance)
        assert 0 <= amount <= due
        charged, balance = charged + amount, balance - amount
        run.taken.append(amount)
        run.balances.append(balance)
        # exhausted exactly when the balance could not cover what was due, or is now zero
        assert exhausted == (amount < due or balance == 0)
        if exhausted:
            run.end = run.exhausted_at = tick
            break
        tick += billing.TICK_SECONDS
    else:
        run.end = on_live
    amount, _ = billing.take(billing.cost(run.end), charged, balance)  # the final settle
    run.taken.append(amount)
    run.balances.append(balance - amount)
    return run


# -- the price ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("on_live,credits,billed", [(0, 0, 0), (0.001, 3, 2), (1, 3, 2), (2, 3, 2), (11, 18, 12),
                                                    (18, 27, 18), (30, 45, 30), (87, 132, 88), (600, 900, 600),
                                                    (7200, 10800, 7200)])
def test_documented_prices(on_live, credits, billed):
    assert billing.cost(on_live) == credits
    assert billing.billed_seconds(on_live) == billed


def test_the_minimum_balance_buys_30_seconds():
    assert billing.MIN_BALANCE == 45 == billing.cost(30)


@given(millis)
def test_cost_is_3_credits_per_started_2_seconds(ms):
    assert billing.cost(ms / 1000) == exact_cost(ms)


@given(seconds)
def test_billed_seconds_are_the_even_second_at_or_above(on_live):
    billed = billing.billed_seconds(on_live)
    assert isinstance(billed, int) and billed % 2 == 0
    assert on_live <= billed < on_live + 2
    assert billing.cost(on_live) == billed // 2 * 3
    assert billing.seconds_paid(billing.cost(on_live)) == billed


@given(st.integers(0, 100_000))
def test_seconds_paid_counts_whole_2_second_units(credits):
    paid = billing.seconds_paid(credits)
    assert paid % 2 == 0 and billing.cost(paid) <= credits < billing.cost(paid) + 3


def test_clock_crumbs_do_not_cost_a_unit():
    # clock arithmetic leaves 30.000000001 s; it is judged to the millisecond
    assert billing.cost(30.000000001) == 45 and billing.cost(30.001) == 48


# -- take() ---------------------------------------------------------------------------------------------
@given(st.integers(0, 50_000), st.integers(0, 50_000), st.integers(-100, 50_000))
def test_take_never_overdraws_nor_takes_more_than_is_due(owed, charged, balance):
    charged = min(charged, owed)
    amount, exhausted = billing.take(owed, charged, balance)
    due = owed - charged
    assert 0 <= amount <= due
    assert amount <= max(balance, 0)
    assert exhausted == (amount < due or balance - amount <= 0)
    if balance >= due:
        assert amount == due


# -- a whole session ----------------------------------------------------------------------------------
@given(millis, st.data())
def test_ticks_then_the_settle_add_up_to_the_cost_when_the_balance_suffices(ms, data):
    on_live = ms / 1000
    balance = data.draw(st.integers(exact_cost(ms), exact_cost(ms) + 20_000), label="balance")
    run = simulate(on_live, balance)
    assert sum(run.taken) == billing.cost(on_live) == exact_cost(ms)
    assert run.balances[-1] == balance - exact_cost(ms) >= 0
    ticks = run.taken[:-1]
    assert ticks == [billing.cost(billing.TICK_SECONDS)] * len(ticks) and all(t == 9 for t in ticks)
    assert 0 <= run.taken[-1] <= 9                   # the settle is the remainder of the last 6 s
    if run.exhausted_at is not None:                 # only a balance of exactly the cost runs dry early,
        assert run.balances[-1] == 0                 # and then at a tick that already owes everything
        assert billing.cost(run.exhausted_at) == exact_cost(ms)


@given(seconds, balances)
def test_a_short_balance_is_never_overdrawn_and_ends_the_session(on_live, balance):
    run = simulate(on_live, balance)
    assert all(b >= 0 for b in run.balances)
    assert sum(run.taken) == min(balance, billing.cost(on_live))
    assert sum(run.taken) <= billing.cost(run.end)   # never more than the time used owes
    first_dry_tick = next((t for t in range(billing.TICK_SECONDS, int(on_live) + 1, billing.TICK_SECONDS)
                           if billing.cost(t) >= balance), None)
    # hung up at the first tick whose debt the balance cannot cover or that empties it
    assert run.exhausted_at == first_dry_tick
    if balance < billing.cost(on_live):
        assert run.balances[-1] == 0


def test_45_credits_run_out_at_30_seconds():
    run = simulate(600, 45)
    assert run.exhausted_at == 30 and run.taken == [9, 9, 9, 9, 9, 0] and run.balances[-1] == 0


def test_87_seconds_is_fourteen_ticks_of_9_and_a_settle_of_6():
    run = simulate(87, 1000)
    assert run.taken == [9] * 14 + [6] and sum(run.taken) == 132

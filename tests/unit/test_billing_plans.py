"""Pure rules of billing: calendar months in Beijing time, the free-period window, promotion prices."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from shared.billing.plans import PLANS, add_months, free_period, free_period_last_day, in_free_period
from shared.billing.promotion import promotion_price_fen
from shared.clock import SHANGHAI
from shared.errors import ValidationFailed
from shared.rules_config import Rules


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("start", "months", "end"), [
    (bj(2026, 1, 31, 10), 1, bj(2026, 2, 28, 10)),  # clamped to the month's last day
    (bj(2028, 1, 31, 10), 1, bj(2028, 2, 29, 10)),  # leap year
    (bj(2026, 11, 25, 10), 2, bj(2027, 1, 25, 10)),  # across the year
    (bj(2026, 3, 15, 23, 30), 12, bj(2027, 3, 15, 23, 30)),
    # 31 Jan 20:00 UTC is already 1 Feb in Beijing: months count on the Beijing calendar.
    (datetime(2026, 1, 31, 20, 0, tzinfo=timezone.utc), 1, bj(2026, 3, 1, 4)),
])
def test_add_months_counts_calendar_months_in_beijing(start, months, end):
    result = add_months(start, months)
    assert result == end and result.tzinfo == timezone.utc


def test_add_months_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        add_months(datetime(2026, 1, 1), 1)


def test_free_period_window_is_beijing_midnight_to_midnight():
    rules = Rules()
    start, end = free_period(rules)
    assert start == bj(2026, 1, 1) and end == bj(2026, 4, 1)
    assert free_period_last_day(rules) == date(2026, 3, 31)
    assert not in_free_period(rules, start - timedelta(microseconds=1))
    assert in_free_period(rules, start)
    assert in_free_period(rules, end - timedelta(microseconds=1))
    assert not in_free_period(rules, end)
    moved = Rules(launch_date=date(2026, 11, 30), free_period_months=3)
    assert free_period(moved)[1] == bj(2027, 2, 28)  # 30 Nov + 3 months, clamped
    assert not in_free_period(Rules(free_period_months=0), bj(2026, 1, 1, 12))


def test_plan_prices_come_from_the_rules():
    rules = Rules()
    assert {code: plan.price_fen(rules, 1) for code, plan in PLANS.items()} == {
        "enterprise": 19_900, "growth": 4_900, "premium": 1_990}
    assert PLANS["premium"].price_fen(rules, 12) == 12 * 1_990
    assert PLANS["enterprise"].price_fen(Rules(enterprise_price_fen=15_000), 2) == 30_000


def test_promotion_prices_default_within_spec_range():
    rules = Rules()
    assert [promotion_price_fen(rules, d) for d in (1, 3, 7)] == [3_000, 5_000, 8_000]
    assert all(3_000 <= p <= 8_000 for p in rules.promotion_prices_fen.values())  # SPEC: ¥30–¥80
    with pytest.raises(ValidationFailed) as err:
        promotion_price_fen(rules, 2)
    assert err.value.to_body()["errors"][0]["field"] == "days"


@pytest.mark.parametrize("prices", [{}, {1: 0}, {0: 3_000}, {91: 3_000}])
def test_bad_promotion_price_tables_are_refused(prices):
    with pytest.raises(ValueError):
        Rules(promotion_prices_fen=prices)

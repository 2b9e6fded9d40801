"""The injectable clock and the Asia/Shanghai calendar helpers (pure: no database)."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared import clock as clock_module
from shared.clock import (
    SHANGHAI,
    FixedClock,
    OffsetClock,
    SystemClock,
    shanghai_date,
    start_of_shanghai_day,
    start_of_shanghai_month,
    start_of_shanghai_week,
    use_clock,
)

UTC = timezone.utc
aware_datetimes = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


# --- FixedClock ---


def test_fixed_clock_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1, 12, 0))


def test_fixed_clock_stays_put_until_told():
    at = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    fixed = FixedClock(at)
    assert fixed.now() == at
    assert fixed.now() == at  # reading does not move it


def test_fixed_clock_advance_returns_and_keeps_the_new_time():
    at = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    fixed = FixedClock(at)
    assert fixed.advance(timedelta(seconds=61)) == at + timedelta(seconds=61)
    assert fixed.now() == at + timedelta(seconds=61)
    fixed.advance(timedelta(days=1))
    assert fixed.now() == at + timedelta(days=1, seconds=61)


def test_fixed_clock_set_jumps_anywhere_even_backwards():
    fixed = FixedClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    earlier = datetime(2020, 1, 1, tzinfo=UTC)
    fixed.set(earlier)
    assert fixed.now() == earlier


class _Yielding(datetime):
    """A datetime whose addition gives the other threads a turn half-way (CPython's `+` on a plain datetime is one C
    call, so a lost update would almost never show). datetime + timedelta keeps the subclass, so every advance
    yields between reading the time and storing the new one."""

    def __add__(self, other):  # type: ignore[no-untyped-def, override]
        time.sleep(0.00001)
        return super().__add__(other)


def test_fixed_clock_advance_is_thread_safe():
    """8 threads advance the clock 200 times each; no advance may be lost.

    Checked to fail without the lock: with `with self._lock:` removed from FixedClock.advance, the threads read the
    same time during the yielding addition and the clock ended about 200 s later instead of 1600 s (three runs, all
    failed); with the lock it ends exactly 1600 s later."""
    start = _Yielding(2026, 1, 1, tzinfo=UTC)
    fixed = FixedClock(start)

    def bump() -> None:
        for _ in range(200):
            fixed.advance(timedelta(seconds=1))

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fixed.now() == start + timedelta(seconds=1600)


# --- other clocks and installing one ---


def test_system_clock_is_aware_utc_and_current():
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert before <= now <= after


def test_offset_clock_is_the_system_clock_shifted():
    offset = timedelta(days=3, hours=2)
    before = datetime.now(UTC) + offset
    now = OffsetClock(offset).now()
    after = datetime.now(UTC) + offset
    assert before <= now <= after
    assert OffsetClock().offset == timedelta(0)


def test_use_clock_installs_and_returns_the_previous_one():
    a = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    b = FixedClock(datetime(2027, 1, 1, tzinfo=UTC))
    original = use_clock(a)
    try:
        assert clock_module.now() == datetime(2026, 1, 1, tzinfo=UTC)
        assert clock_module.get_clock() is a
        assert use_clock(b) is a
        assert clock_module.now() == datetime(2027, 1, 1, tzinfo=UTC)
    finally:
        assert use_clock(original) is b
    assert clock_module.get_clock() is original


def test_the_clock_fixture_is_installed_and_travels(clock):
    assert clock_module.now() == clock.now()
    clock.advance(timedelta(hours=5))
    assert clock_module.now() == clock.now()


# --- Asia/Shanghai calendar ---


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # 15:59:59 UTC is 23:59:59 Beijing: still that Beijing day, which began at 16:00 UTC the day before.
        (datetime(2026, 11, 25, 15, 59, 59, tzinfo=UTC), datetime(2026, 11, 24, 16, 0, tzinfo=UTC)),
        # 16:00 UTC is midnight in Beijing: a new day starts exactly then.
        (datetime(2026, 11, 25, 16, 0, tzinfo=UTC), datetime(2026, 11, 25, 16, 0, tzinfo=UTC)),
        # 10:00 Beijing.
        (datetime(2026, 11, 25, 2, 0, tzinfo=UTC), datetime(2026, 11, 24, 16, 0, tzinfo=UTC)),
        # UTC midnight is 08:00 Beijing: the Beijing day began 8 hours earlier.
        (datetime(2026, 11, 26, 0, 0, tzinfo=UTC), datetime(2026, 11, 25, 16, 0, tzinfo=UTC)),
    ],
)
def test_start_of_shanghai_day(at, expected):
    result = start_of_shanghai_day(at)
    assert result == expected
    assert result.utcoffset() == timedelta(0)


def test_start_of_shanghai_day_accepts_any_timezone():
    beijing_evening = datetime(2026, 11, 25, 23, 30, tzinfo=SHANGHAI)
    assert start_of_shanghai_day(beijing_evening) == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


def test_shanghai_date_flips_at_beijing_midnight_not_utc():
    assert shanghai_date(datetime(2026, 11, 25, 15, 59, 59, tzinfo=UTC)) == date(2026, 11, 25)
    assert shanghai_date(datetime(2026, 11, 25, 16, 0, tzinfo=UTC)) == date(2026, 11, 26)


def test_start_of_shanghai_week_is_monday_midnight_beijing():
    # 2026-11-25 is a Wednesday; the week began Monday 2026-11-23 00:00 Beijing = Sunday 16:00 UTC.
    assert start_of_shanghai_week(datetime(2026, 11, 25, 2, 0, tzinfo=UTC)) == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    # Sunday 23:59 Beijing still belongs to that week; Monday 00:00 Beijing starts the next.
    assert start_of_shanghai_week(datetime(2026, 11, 29, 15, 59, tzinfo=UTC)) == datetime(2026, 11, 22, 16, 0,
                                                                                           tzinfo=UTC)
    assert start_of_shanghai_week(datetime(2026, 11, 29, 16, 0, tzinfo=UTC)) == datetime(2026, 11, 29, 16, 0,
                                                                                          tzinfo=UTC)


def test_start_of_shanghai_month():
    # 2026-11-30 16:30 UTC is already 2026-12-01 00:30 in Beijing.
    assert start_of_shanghai_month(datetime(2026, 11, 30, 16, 30, tzinfo=UTC)) == datetime(2026, 11, 30, 16, 0,
                                                                                            tzinfo=UTC)
    assert start_of_shanghai_month(datetime(2026, 11, 30, 15, 30, tzinfo=UTC)) == datetime(2026, 10, 31, 16, 0,
                                                                                            tzinfo=UTC)


@given(aware_datetimes)
def test_day_start_properties(at):
    start = start_of_shanghai_day(at)
    assert start <= at < start + timedelta(days=1)
    local = start.astimezone(SHANGHAI)
    assert (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
    assert local.date() == shanghai_date(at)
    assert start_of_shanghai_day(start) == start  # idempotent


@given(aware_datetimes)
def test_week_start_properties(at):
    start = start_of_shanghai_week(at)
    assert start <= at < start + timedelta(days=7)
    local = start.astimezone(SHANGHAI)
    assert local.weekday() == 0
    assert (local.hour, local.minute) == (0, 0)


@given(aware_datetimes)
def test_month_start_properties(at):
    start = start_of_shanghai_month(at)
    assert start <= at
    local = start.astimezone(SHANGHAI)
    assert (local.day, local.hour, local.minute) == (1, 0, 0)
    at_local = at.astimezone(SHANGHAI)
    assert (local.year, local.month) == (at_local.year, at_local.month)

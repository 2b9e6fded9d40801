"""Leaderboard periods and ranks, pure: Asia/Shanghai ISO weeks and months at their edges (Hypothesis over instants),
competition ranks, and the snapshot's histogram giving the same rank as a full count."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.clock import SHANGHAI
from shared.leaderboards import rules

instants = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 31),
                        timezones=st.just(timezone.utc))


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_week_starts_monday_midnight_beijing():
    # Monday 2026-11-30 00:00 Beijing is Sunday 16:00 UTC
    assert rules.week_key(bj(2026, 11, 29, 23, 59, 59)) == "2026-W48"
    assert rules.week_key(bj(2026, 11, 30, 0, 0)) == "2026-W49"
    assert rules.week_key(datetime(2026, 11, 29, 16, 0, tzinfo=timezone.utc)) == "2026-W49"
    start, end = rules.bounds("2026-W49")
    assert start == datetime(2026, 11, 29, 16, 0, tzinfo=timezone.utc) and end - start == timedelta(days=7)


def test_iso_week_years_and_months_at_year_end():
    assert rules.week_key(bj(2026, 12, 31, 12)) == "2026-W53"  # 2026 has 53 ISO weeks
    assert rules.week_key(bj(2027, 1, 4, 0)) == "2027-W01"
    assert rules.week_key(bj(2024, 12, 30, 0)) == "2025-W01"  # Monday 30 Dec 2024 is in week 1 of 2025
    assert rules.month_key(bj(2026, 12, 31, 23, 59, 59)) == "2026-12"
    assert rules.month_key(bj(2027, 1, 1, 0)) == "2027-01"
    assert rules.month_key(datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)) == "2027-01"  # 00:00 Beijing
    start, end = rules.bounds("2026-12")
    assert start == datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)
    assert end == datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("bad", ["2026-W54", "2025-W53", "2026-13", "2026-00", "2026W49", "week", ""])
def test_impossible_periods_are_refused(bad):
    with pytest.raises(rules.PeriodError):
        rules.bounds(bad)


def test_a_board_takes_only_its_own_kind_of_period():
    rules.check_period("weekly", "2026-W49")
    rules.check_period("skill", "2026-12")
    for board, period in (("weekly", "2026-12"), ("monthly", "all"), ("all_time", "2026-W49")):
        with pytest.raises(rules.PeriodError):
            rules.check_period(board, period)


@given(instants)
def test_every_instant_lies_in_its_week_and_month(at):
    for key in rules.periods_of(at)[:2]:
        start, end = rules.bounds(key)
        assert start is not None and end is not None
        assert start <= at < end
    week_start, week_end = rules.bounds(rules.week_key(at))
    local = week_start.astimezone(SHANGHAI)  # type: ignore[union-attr]
    assert local.weekday() == 0 and (local.hour, local.minute, local.second) == (0, 0, 0)
    assert rules.week_key(week_end) != rules.week_key(at)  # type: ignore[arg-type]
    assert rules.week_key(week_end - timedelta(microseconds=1)) == rules.week_key(at)  # type: ignore[operator]
    month_start, month_end = rules.bounds(rules.month_key(at))
    assert month_start.astimezone(SHANGHAI).day == 1  # type: ignore[union-attr]
    assert rules.month_key(month_end) != rules.month_key(at)  # type: ignore[arg-type]


scores = st.dictionaries(st.integers(1, 60), st.integers(-5, 40), max_size=40)


@given(scores, st.sets(st.integers(1, 60), max_size=8))
def test_competition_ranks_and_the_snapshot_agree_with_a_count(board, hidden):
    ranks = rules.competition_ranks(board, hidden)
    visible = {u: s for u, s in board.items() if s > 0 and u not in hidden}
    assert set(ranks) == set(visible)
    hist = rules.histogram(visible.values())
    for user, score in visible.items():
        above = sum(1 for s in visible.values() if s > score)
        assert ranks[user] == above + 1
        assert rules.rank_from_snapshot(hist, score) == above + 1
    # a score the snapshot never saw (the user moved since) ranks below everyone strictly above it
    for probe in range(0, 45):
        assert rules.rank_from_snapshot(hist, probe) == 1 + sum(1 for s in visible.values() if s > probe)


def test_thresholds_and_labels():
    assert rules.thresholds_within(1) == [10, 100]
    assert rules.thresholds_within(10) == [10, 100]
    assert rules.thresholds_within(11) == [100]
    assert rules.thresholds_within(101) == [] and rules.thresholds_within(None) == []
    assert rules.as_of_label(datetime(2026, 12, 4, 6, 5, tzinfo=timezone.utc)) == "截至 14:05"
    assert rules.event_board("xp", "2026-W49") == "weekly"
    assert rules.event_board("skill:python", "all") == "skill:python"


@pytest.mark.parametrize("far", ["9999-W52", "0001-W01", "1999-12", "9999-12"])
def test_periods_outside_the_calendar_we_serve_are_refused_not_overflowed(far):
    with pytest.raises(rules.PeriodError):
        rules.bounds(far)

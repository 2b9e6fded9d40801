"""Delivery, revision and acceptance windows (shared/work/rules.py) at their boundaries: `max_revisions` revisions
(2 by default), then only accept or dispute; a delivery nobody answers is accepted after `auto_accept_days` (7)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.rules_config import Rules
from shared.work import rules

DELIVERED = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
TICK = timedelta(microseconds=1)
DAYS = Rules().auto_accept_days


@pytest.mark.parametrize(("count", "limit", "allowed"), [
    (0, 2, True), (1, 2, True), (2, 2, False), (3, 2, False), (0, 0, False), (9, 10, True), (10, 10, False),
])
def test_revisions_up_to_the_limit(count, limit, allowed):
    assert rules.can_request_revision(count, limit) is allowed


@pytest.mark.parametrize(("after", "due"), [
    (timedelta(0), False),
    (timedelta(days=DAYS) - TICK, False),  # one microsecond before 7 days
    (timedelta(days=DAYS), True),  # exactly 7 days: accepted
    (timedelta(days=DAYS) + TICK, True),
    (timedelta(days=60), True),  # a timer that was down for weeks still accepts
])
def test_auto_accept_is_due_exactly_after_the_window(after, due):
    assert DAYS == 7
    assert rules.auto_accept_due(DELIVERED, DELIVERED + after, DAYS) is due


@given(st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=30)),
       st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)), st.integers(1, 60))
def test_once_due_always_due(after, later, days):
    """Acceptance depends only on the delivery time and now: a timer running later never un-accepts."""
    now = DELIVERED + after
    if rules.auto_accept_due(DELIVERED, now, days):
        assert rules.auto_accept_due(DELIVERED, now + later, days)
    assert rules.auto_accept_due(DELIVERED, now, days) is (after >= timedelta(days=days))


@given(st.integers(0, 10), st.integers(0, 10))
def test_revision_budget_is_exactly_max_revisions(limit, already):
    # counting how many revisions a task can get from zero
    granted = sum(1 for n in range(already, already + 20) if rules.can_request_revision(n, limit))
    assert granted == max(limit - already, 0)


@pytest.mark.parametrize(("total", "count", "average"), [
    (0, 0, None), (5, 1, 5.0), (9, 2, 4.5), (14, 3, 4.67), (13, 3, 4.33), (10, 4, 2.5),
])
def test_average_rating(total, count, average):
    assert rules.average_rating(total, count) == average


@given(st.lists(st.integers(1, 5), min_size=1, max_size=200))
def test_an_average_of_stars_stays_between_1_and_5(stars):
    average = rules.average_rating(sum(stars), len(stars))
    assert average is not None and min(stars) - 0.005 <= average <= max(stars) + 0.005

"""The 48-hour feedback guarantee and the application rules (shared/applications/rules.py), at their boundaries.

The reminders are at 24 h and 40 h and the close at 48 h (the defaults in `Rules`); the timer may run late, twice,
or not at all for hours, and must still owe each application exactly one close and at most one of each reminder.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.applications import rules
from shared.applications.rules import FeedbackAction, feedback_action

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
WINDOW, REMINDERS = 48, [24, 40]
TICK = timedelta(microseconds=1)


def at(age: timedelta, reminded: set[int] = frozenset()) -> FeedbackAction | None:  # type: ignore[assignment]
    return feedback_action(created_at=T0, now=T0 + age, window_hours=WINDOW, reminder_hours=REMINDERS,
                           reminded=set(reminded))


H = timedelta(hours=1)


@pytest.mark.parametrize(("age", "reminded", "expected"), [
    (timedelta(0), set(), None),
    (24 * H - TICK, set(), None),  # one microsecond before the first reminder
    (24 * H, set(), FeedbackAction("remind", 24)),  # exactly 24 h
    (24 * H, {24}, None),  # already sent
    (30 * H, {24}, None),
    (40 * H - TICK, {24}, None),
    (40 * H, {24}, FeedbackAction("remind", 40)),
    (40 * H, set(), FeedbackAction("remind", 40)),  # a late timer sends the latest reminder, not a burst
    (40 * H, {24, 40}, None),
    (45 * H, {40}, None),  # 40 sent (it marks 24 too); 24 is stale
    (48 * H - TICK, {24, 40}, None),
    (48 * H, {24, 40}, FeedbackAction("close", 48)),  # exactly 48 h: closed
    (48 * H, set(), FeedbackAction("close", 48)),  # never reminded (timer down): still closed, no stale reminders
    (90 * H, {24}, FeedbackAction("close", 48)),
])
def test_feedback_action_boundaries(age, reminded, expected):
    assert at(age, reminded) == expected


def test_reminders_at_or_after_the_window_are_ignored():
    assert feedback_action(created_at=T0, now=T0 + 10 * H, window_hours=10, reminder_hours=[5, 10, 12],
                           reminded=set()) == FeedbackAction("close", 10)
    assert feedback_action(created_at=T0, now=T0 + 9 * H, window_hours=10, reminder_hours=[12, 5],
                           reminded=set()) == FeedbackAction("remind", 5)  # unsorted input is fine


ages = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=200))


@given(ages, st.sets(st.sampled_from(REMINDERS)))
def test_the_action_is_a_function_of_age_and_what_was_sent(age, reminded):
    action = at(age, reminded)
    if age >= WINDOW * H:
        assert action == FeedbackAction("close", WINDOW)
    elif action is not None:
        assert action.kind == "remind" and action.hour not in reminded and age >= action.hour * H
        assert action.hour == max(h for h in REMINDERS if age >= h * H), "the latest reminder due"


@given(st.lists(ages, max_size=25))
def test_a_timer_firing_at_any_times_owes_one_close_and_each_reminder_at_most_once(ticks):
    """Simulate the timer as run_feedback_guarantee uses the rule: a reminder marks itself and every earlier one."""
    reminded: set[int] = set()
    sent: list[int] = []
    closed_at = None
    for age in sorted(ticks):
        action = at(age, reminded)
        if action is None:
            continue
        if action.kind == "close":
            closed_at = age
            break
        sent.append(action.hour)
        reminded |= {h for h in REMINDERS if h <= action.hour}
    assert len(sent) == len(set(sent)) and sent == sorted(sent)
    assert (closed_at is not None) == any(t >= WINDOW * H for t in ticks)
    if closed_at is not None:
        assert closed_at >= WINDOW * H


def test_on_time_means_at_or_before_the_due_instant():
    due = T0 + 48 * H
    assert rules.responded_on_time(due, due)
    assert rules.responded_on_time(due - TICK, due)
    assert not rules.responded_on_time(due + TICK, due)


@pytest.mark.parametrize(("on_time", "due", "rate"), [
    (0, 0, None), (3, 0, None), (0, -1, None), (0, 4, 0.0), (4, 4, 1.0), (1, 3, 0.3333), (2, 3, 0.6667),
])
def test_response_rate(on_time, due, rate):
    assert rules.response_rate(on_time, due) == rate


def test_daily_cap_and_its_boundary():
    assert rules.daily_cap(premium=False, free_cap=5, premium_cap=20) == 5
    assert rules.daily_cap(premium=True, free_cap=5, premium_cap=20) == 20
    assert rules.can_apply_today(4, 5)
    assert not rules.can_apply_today(5, 5)
    assert not rules.can_apply_today(0, 0)


@pytest.mark.parametrize(("action", "status", "allowed"), [
    ("shortlist", "submitted", True), ("shortlist", "shortlisted", False),
    ("accept", "submitted", True), ("accept", "shortlisted", True), ("accept", "rejected", False),
    ("reject", "shortlisted", True), ("reject", "accepted", False),
    ("withdraw", "submitted", True), ("withdraw", "accepted", False), ("withdraw", "no_response", False),
])
def test_which_answers_an_application_can_take(action, status, allowed):
    assert (status in rules.ALLOWED_FROM[action]) is allowed


def test_answers_lead_to_their_statuses_and_only_active_ones_are_answerable():
    assert rules.RESPONSES == {"shortlist": "shortlisted", "accept": "accepted", "reject": "rejected"}
    assert {"submitted", "shortlisted"} == rules.ACTIVE
    assert all(allowed <= rules.ACTIVE for allowed in rules.ALLOWED_FROM.values())
    assert rules.WAITING in rules.ACTIVE

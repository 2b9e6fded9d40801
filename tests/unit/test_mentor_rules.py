"""Pure mentor rules: score bounds, the pass line at its edge, the bonus (all or nothing, never negative), the
enrolment's state table, and who is an active mentor."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.mentors.rules import (
    SCORE_MAX,
    SCORE_MIN,
    TRANSITIONS,
    accepted,
    bonus_for,
    check_score,
    is_active_mentor,
    next_status,
)


@pytest.mark.parametrize("score", [SCORE_MIN, 1, 59, 60, 99, SCORE_MAX])
def test_scores_in_bounds(score):
    assert check_score(score) == score


@pytest.mark.parametrize("score", [-1, SCORE_MAX + 1, 10**9, True, 60.0, "60"])
def test_scores_out_of_bounds_or_not_integers(score):
    with pytest.raises(ValueError):
        check_score(score)


def test_the_pass_line_is_inclusive():
    assert accepted(60, 60) and not accepted(59, 60)
    assert accepted(0, 0) and accepted(100, 100) and not accepted(99, 100)


@given(st.integers(SCORE_MIN, SCORE_MAX), st.integers(SCORE_MIN, SCORE_MAX), st.integers(0, 10**7))
def test_the_bonus_is_all_or_nothing(score, pass_score, bonus):
    paid = bonus_for(score, pass_score, bonus)
    assert paid == (bonus if score >= pass_score else 0)
    assert 0 <= paid <= bonus


@given(st.integers(SCORE_MIN, SCORE_MAX - 1), st.integers(SCORE_MIN, SCORE_MAX), st.integers(0, 10**7))
def test_a_higher_score_never_pays_less(score, pass_score, bonus):
    assert bonus_for(score + 1, pass_score, bonus) >= bonus_for(score, pass_score, bonus)


def test_a_negative_bonus_is_refused():
    with pytest.raises(ValueError):
        bonus_for(90, 60, -1)


STATES, ACTIONS = ("enrolled", "submitted", "reviewed"), ("submit", "review")


@pytest.mark.parametrize("status,action", list(itertools.product(STATES, ACTIONS)))
def test_every_state_and_action(status, action):
    expected = {("enrolled", "submit"): "submitted", ("submitted", "submit"): "submitted",
                ("submitted", "review"): "reviewed"}.get((status, action))
    assert next_status(status, action) == expected


def test_a_review_happens_once():
    assert all(to != "reviewed" or frm == "submitted" for (frm, _), to in TRANSITIONS.items())
    assert next_status("reviewed", "review") is None and next_status("reviewed", "submit") is None


@pytest.mark.parametrize("flagged,status,roles,active", [
    (True, "approved", ["developer"], True),
    (False, "approved", ["developer"], False),
    (True, "pending", ["developer"], False),
    (True, "rejected", ["developer"], False),
    (True, "none", ["developer"], False),
    (True, "approved", ["merchant"], False),
])
def test_active_mentor(flagged, status, roles, active):
    assert is_active_mentor(flagged, status, roles) is active

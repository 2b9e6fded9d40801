"""The dispute risk score (shared/disputes/risk.py): each reason at its boundary, the cap, the levels, and that
worse facts never lower a score."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.disputes.risk import PartyFacts, Risk, TaskFacts, developer_risk, merchant_risk

# A party and a task that raise nothing.
CLEAN = PartyFacts(role="merchant", opened_it=False, account_age_days=365, previous_disputes=0,
                   previous_disputes_lost=0, rating_average=4.8, rating_count=20, completed_tasks=5,
                   response_rate=0.95)
TASK = TaskFacts(revision_count=1, max_revisions=2, deliveries=2, delivered_late=False,
                 hours_from_delivery_to_dispute=30.0)


def points(risk: Risk) -> list[int]:
    return [p for p, _ in risk.reasons]


def test_clean_parties_score_zero():
    assert merchant_risk(CLEAN, TASK).score == 0
    assert developer_risk(replace(CLEAN, role="developer"), replace(TASK, revision_count=0)).score == 0


@pytest.mark.parametrize(("change", "expected"), [
    ({"account_age_days": 29}, [15]),  # new account: under 30 days
    ({"account_age_days": 30}, []),
    ({"previous_disputes": 1}, [10]),
    ({"previous_disputes": 3}, [30]),
    ({"previous_disputes": 4}, [30]),  # capped at 30
    ({"previous_disputes_lost": 1}, [10]),
    ({"previous_disputes_lost": 2}, [20]),
    ({"previous_disputes_lost": 5}, [20]),  # capped at 20
    ({"rating_average": 3.49, "rating_count": 3}, [10]),
    ({"rating_average": 3.5, "rating_count": 3}, []),  # 3.5 is not low
    ({"rating_average": 1.0, "rating_count": 2}, []),  # too few ratings to judge
    ({"rating_average": None, "rating_count": 0}, []),
])
def test_reasons_both_parties_share(change, expected):
    for role, score in (("merchant", merchant_risk), ("developer", developer_risk)):
        facts = replace(CLEAN, role=role, **change)
        assert points(score(facts, replace(TASK, revision_count=0))) == expected, role


@pytest.mark.parametrize(("party", "task", "expected"), [
    ({"response_rate": 0.59}, {}, [10]),
    ({"response_rate": 0.6}, {}, []),  # 60 % is not low
    ({"response_rate": None}, {}, []),
    ({"opened_it": True}, {"revision_count": 0}, [15]),  # disputed without asking for a revision
    ({"opened_it": True}, {"revision_count": 1}, []),
    ({"opened_it": False}, {"revision_count": 0}, []),  # the developer opened it: not the merchant's doing
    ({"opened_it": True}, {"hours_from_delivery_to_dispute": 0.99}, [5]),
    ({"opened_it": True}, {"hours_from_delivery_to_dispute": 1.0}, []),  # one hour is not "within 1 hour"
    ({"opened_it": True}, {"hours_from_delivery_to_dispute": None}, []),
    ({"opened_it": True}, {"revision_count": 0, "hours_from_delivery_to_dispute": 0.1}, [15, 5]),
])
def test_merchant_reasons(party, task, expected):
    assert points(merchant_risk(replace(CLEAN, **party), replace(TASK, **task))) == expected


@pytest.mark.parametrize(("party", "task", "expected"), [
    ({}, {"delivered_late": True}, [15, 5]),  # late, and the one revision of TASK
    ({}, {"revision_count": 2, "max_revisions": 2}, [10]),  # at the limit
    ({}, {"revision_count": 1, "max_revisions": 2}, [5]),  # below it
    ({}, {"revision_count": 0, "max_revisions": 2}, []),
    ({}, {"revision_count": 1, "max_revisions": 0}, [10]),  # no revisions allowed: one is already the limit
    ({}, {"revision_count": 0, "max_revisions": 0}, []),
    ({"completed_tasks": 0}, {"revision_count": 0}, [5]),
    ({"completed_tasks": 1}, {"revision_count": 0}, []),
])
def test_developer_reasons(party, task, expected):
    facts = replace(CLEAN, role="developer", **party)
    assert points(developer_risk(facts, replace(TASK, **task))) == expected


def closed(*pts: int) -> Risk:
    r = Risk()
    for p in pts:
        r.add(p, f"{p}")
    return r.close()


@pytest.mark.parametrize(("pts", "score", "level"), [
    ((), 0, "低"), ((15, 10, 4), 29, "低"), ((15, 15), 30, "中"), ((30, 20, 9), 59, "中"), ((30, 30), 60, "高"),
    ((30, 20, 15, 10, 15, 10, 5), 100, "高"), ((30, 20, 15, 10, 15, 15, 10, 5), 100, "高"),  # capped at 100
])
def test_levels_and_the_cap(pts, score, level):
    r = closed(*pts)
    assert (r.score, r.level) == (score, level)
    assert points(r) == sorted(pts, reverse=True), "the heaviest reason first"


parties = st.builds(
    PartyFacts, role=st.sampled_from(["merchant", "developer"]), opened_it=st.booleans(),
    account_age_days=st.integers(0, 3000), previous_disputes=st.integers(0, 10),
    previous_disputes_lost=st.integers(0, 10), rating_average=st.none() | st.floats(1, 5),
    rating_count=st.integers(0, 50), completed_tasks=st.integers(0, 50),
    response_rate=st.none() | st.floats(0, 1))
tasks = st.builds(TaskFacts, revision_count=st.integers(0, 10), max_revisions=st.integers(0, 10),
                  deliveries=st.integers(1, 10), delivered_late=st.booleans(),
                  hours_from_delivery_to_dispute=st.none() | st.floats(0, 500))


@given(parties, tasks)
def test_score_is_the_capped_sum_and_the_level_follows_it(party, task):
    for r in (merchant_risk(party, task), developer_risk(party, task)):
        assert r.score == min(sum(points(r)), 100) and 0 <= r.score <= 100
        assert r.level == ("高" if r.score >= 60 else "中" if r.score >= 30 else "低")
        assert all(p > 0 and text for p, text in r.reasons)


@given(parties, tasks, st.integers(0, 5), st.integers(0, 5))
def test_more_disputes_in_the_past_never_lower_the_score(party, task, more, more_lost):
    worse = replace(party, previous_disputes=party.previous_disputes + more,
                    previous_disputes_lost=party.previous_disputes_lost + more_lost,
                    account_age_days=min(party.account_age_days, 10))
    assert merchant_risk(worse, task).score >= merchant_risk(party, task).score
    assert developer_risk(worse, task).score >= developer_risk(party, task).score

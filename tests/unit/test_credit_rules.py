"""Credit profiles from events (pure): each fact from its events, each reason at its edge, the clamp, the
reputation fields, and the subscriber table listening to exactly the events the profile is derived from."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from shared.chat import rules as chat_rules
from shared.credit import rules
from shared.credit.rules import Facts, LoggedEvent, profile_of, score
from shared.subscriptions import SUBSCRIPTIONS

T0 = datetime(2026, 11, 1, 10, tzinfo=timezone(timedelta(hours=8)))
ME, OTHER = 7, 8


def ev(name: str, hours: float, **data) -> LoggedEvent:
    return LoggedEvent(name, data, T0 + timedelta(hours=hours))


def test_the_subscriber_listens_to_exactly_the_events_a_profile_is_derived_from():
    subscribed = {name for name, subs in SUBSCRIPTIONS.items() if any(s.name == "credit.recompute" for s in subs)}
    assert subscribed == set(rules.EVENTS)


def test_a_new_account_with_nothing_yet():
    p = profile_of(ME, [], T0, T0 + timedelta(days=3))
    assert (p.score, p.reasons) == (rules.BASE - 5, [(-5, "账号注册仅 3 天")])
    assert profile_of(ME, [], T0, T0 + timedelta(days=30)).reasons == []  # the edge: 30 days is no longer new
    assert profile_of(ME, [], T0, T0 + timedelta(days=365)).reasons == [(5, "账号已注册 1 年以上")]


def test_a_merchants_facts_and_reputation():
    events = [
        ev("ApplicationSubmitted", 0, application_id=1, task_id=10, developer_id=OTHER, merchant_id=ME),
        ev("ApplicationAnswered", 3, application_id=1, task_id=10, developer_id=OTHER, merchant_id=ME,
           answer="accepted", on_time=True, first=True),
        ev("ApplicationSubmitted", 1, application_id=2, task_id=11, developer_id=9, merchant_id=ME),
        ev("ApplicationAnswered", 6, application_id=2, task_id=11, developer_id=9, merchant_id=ME,
           answer="rejected", on_time=True, first=True),
        ev("ApplicationUnanswered", 49, application_id=3, task_id=11, developer_id=5, merchant_id=ME),
        ev("TaskAssigned", 3, task_id=10, merchant_id=ME, developer_id=OTHER, application_id=1),
        ev("DeliverySubmitted", 24, task_id=10, merchant_id=ME, developer_id=OTHER, delivery_id=1, round=1),
        ev("TaskCompleted", 36, task_id=10, merchant_id=ME, developer_id=OTHER, via="accept"),
        ev("RatingGiven", 37, rating_id=1, task_id=10, rater_id=ME, ratee_id=OTHER, stars=5,
           direction="merchant_to_developer"),
        ev("PaymentOrderPaid", 1, order_id=1, payer_id=ME, amount_fen=100),
    ]
    f = rules.facts_of(ME, events, T0, T0 + timedelta(days=40))
    assert (f.responses_due, f.responses_on_time, f.tasks_paid, f.ratings_given, f.payments_paid) == (3, 2, 1, 1, 1)
    assert f.median_answer_hours == 4.0  # 3 h and 5 h
    assert f.median_pay_hours == 12.0 and f.tasks_delivered_to_me == 1 and f.dispute_rate == 0
    rep = score(f).reputation()
    assert rep["response_rate"] == 0.667 and rep["median_pay_hours"] == 12.0 and rep["tasks_paid"] == 1
    assert set(rep) >= {"response_rate", "median_answer_hours", "median_pay_hours", "dispute_rate", "tasks_paid"}


def test_reasons_at_their_edges():
    low = Facts(account_age_days=100, ratings_received=3, rating_average=3.4)
    assert (-15, "收到的评价平均仅 3.4 分（3 次）") in score(low).reasons
    assert score(Facts(account_age_days=100, ratings_received=2, rating_average=1.0)).reasons == []  # too few
    assert (10, "收到的评价平均 4.5 分（3 次）") in score(
        Facts(account_age_days=100, ratings_received=3, rating_average=4.5)).reasons
    assert (-10, "48 小时响应率仅 50%") in score(Facts(account_age_days=100, responses_due=4,
                                                     responses_on_time=2)).reasons
    assert score(Facts(account_age_days=100, responses_due=2, responses_on_time=0)).reasons == []
    assert (5, "48 小时响应率 90%") in score(Facts(account_age_days=100, responses_due=10, responses_on_time=9)).reasons
    flags = score(Facts(account_age_days=100, off_platform_flags=9))
    assert flags.reasons == [(-30, "聊天中 9 次试图站外联系或交易")] and flags.score == rules.BASE - 30  # capped
    lost = score(Facts(account_age_days=100, disputes_lost=2, disputes_opened=2, disputes=2))
    assert lost.reasons == [(-20, "2 次纠纷裁决对其不利"), (-5, "发起过 2 次纠纷")] and lost.level == "较差"  # 45


def test_disputes_lost_depend_on_the_side():
    ruled = [ev("DisputeRuled", 1, dispute_id=1, task_id=1, merchant_id=ME, developer_id=OTHER, outcome="refund")]
    assert rules.facts_of(ME, ruled, T0, T0).disputes_lost == 0
    assert rules.facts_of(OTHER, ruled, T0, T0).disputes_lost == 1


@given(st.builds(Facts, account_age_days=st.integers(0, 5000), ratings_given=st.integers(0, 50),
                 ratings_received=st.integers(0, 50), rating_average=st.none() | st.floats(1, 5),
                 disputes_lost=st.integers(0, 20), disputes_opened=st.integers(0, 20),
                 responses_due=st.integers(0, 50), off_platform_flags=st.integers(0, 50),
                 payments_paid=st.integers(0, 50), tasks_completed=st.integers(0, 50),
                 cancellations_after_assignment=st.integers(0, 9)))
def test_the_score_is_base_plus_its_reasons_clamped(f):
    p = score(f)
    assert 0 <= p.score <= 100
    assert p.score == max(0, min(100, rules.BASE + sum(points for points, _ in p.reasons)))
    assert all(text for _, text in p.reasons)


def test_chat_push_and_retention_rules():
    now = T0
    assert chat_rules.may_push(0, None, now)
    assert not chat_rules.may_push(1, None, now)  # the receiver has not read the last one yet
    assert not chat_rules.may_push(0, now - timedelta(minutes=9, seconds=59), now)
    assert chat_rules.may_push(0, now - chat_rules.PUSH_INTERVAL, now)
    assert chat_rules.purge_after("in_progress", None, None, None) is None
    assert chat_rules.purge_after("completed", T0, None, None) == T0 + chat_rules.RETENTION_AFTER_END
    assert chat_rules.purge_after("failed", T0, "open", None) is None  # kept while a dispute is open
    assert chat_rules.purge_after("failed", T0, "ruled", T0 + timedelta(days=3)) == (
        T0 + timedelta(days=3) + chat_rules.RETENTION_AFTER_END)
    assert chat_rules.visible_body(1, 1, "原文", "**") == "原文" and chat_rules.visible_body(2, 1, "原文", "**") == "**"

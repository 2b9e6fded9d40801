"""What each event adds to the dashboard (shared/metrics/rules.py), pure; and the subscriber table names exactly the
events the rules know."""

from __future__ import annotations

from datetime import date, datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from shared import events, subscriptions
from shared.metrics import rules
from shared.metrics.rules import STAGES, Count, effects, stage_reached

AT = datetime(2026, 11, 30, 17, 30, tzinfo=timezone.utc)  # 01:30 on 1 December in Beijing
DAY = date(2026, 12, 1)


def test_days_are_beijing_days_and_weeks_start_on_monday():
    fx = effects(events.HallBrowsed(user_id=7), AT, 1)
    assert fx.day == DAY and fx.active_user == 7 and fx.counts == ()
    assert rules.week_of(DAY) == date(2026, 11, 30) and rules.month_of(DAY) == date(2026, 12, 1)


def test_every_counted_event_names_its_business_key():
    task = events.TaskPublished(task_id=5, merchant_id=2, status="open", skill_tags=("go",), difficulty=1,
                                reward_fen=100)
    assert effects(task, AT, 1).counts == (Count(("published", "5"), (("tasks_published", 1),)),)
    funded = events.EscrowFunded(task_id=5, merchant_id=2, reward_fen=30_000, source="wechatpay", milestone_id=9)
    assert effects(funded, AT, 2).counts == (Count(("funded", "5"), (("tasks_funded", 1),)),
                                             Count(("gmv", "5:9"), (("gmv", 30_000),)))
    budget = events.EscrowFunded(task_id=6, merchant_id=1, reward_fen=30_000, source="platform_budget")
    assert [c.fact[0] for c in effects(budget, AT, 3).counts] == ["funded"]  # the platform's own money is not GMV
    released = events.EscrowReleased(task_id=5, developer_id=3, gross_fen=30_000, commission_fen=4_500,
                                     share_fen=25_500, enterprise=False, payout_id=1)
    assert effects(released, AT, 4).counts == (Count(("commission", "5"), (("revenue:commission", 4_500),)),)
    assert effects(released, AT, 4).active_user is None  # the system released it


def test_revenue_of_orders_by_purpose_and_refunded_promotions():
    def paid(**kw):
        return events.PaymentOrderPaid(order_id=1, out_trade_no="T1", payer_id=2, **kw)

    sub = paid(purpose="subscription", amount_fen=19_900, breakdown={"plan": "enterprise", "months": 1})
    assert effects(sub, AT, 1).counts[0].deltas == (("revenue:subscription:enterprise", 19_900),)
    promo = paid(purpose="promotion", amount_fen=5_000)
    assert effects(promo, AT, 1).counts[0].deltas == (("revenue:promotion", 5_000),)
    escrow = paid(purpose="task_escrow", amount_fen=53_000, reward_fen=50_000, promotion_fee_fen=3_000)
    assert effects(escrow, AT, 1).counts[0].deltas == (("revenue:promotion", 3_000),)
    assert effects(paid(purpose="task_escrow", amount_fen=50_000, reward_fen=50_000), AT, 1).counts == ()
    back = events.PromotionUnusable(order_id=1, out_trade_no="T1", payer_id=2, task_id=3, amount_fen=5_000)
    assert effects(back, AT, 2).counts[0] == Count(("promotion_refund", "T1"), (("revenue:promotion", -5_000),))


def test_the_response_rate_counts_first_answers_and_closed_windows():
    def answered(first: bool, on_time: bool):
        return events.ApplicationAnswered(application_id=4, task_id=1, developer_id=2, merchant_id=3,
                                          answer="rejected", on_time=on_time, first=first)

    assert effects(answered(True, False), AT, 1).counts[0].deltas == (("responses_due", 1),)
    assert effects(answered(True, True), AT, 1).counts[0].deltas == (("responses_due", 1), ("responses_on_time", 1))
    assert effects(answered(False, True), AT, 1).counts == ()  # a later answer: counted by the first already
    late = events.ApplicationUnanswered(application_id=4, task_id=1, developer_id=2, merchant_id=3)
    assert effects(late, AT, 2).counts[0].fact == ("answer", "4")  # one fact per application, however it ended


def test_operators_do_not_count_as_users_or_activity():
    made = effects(events.UserRegistered(user_id=1, via="admin"), AT, 1)
    assert made.registered_user is None and made.active_user is None
    platform = events.TaskPublished(task_id=1, merchant_id=1, status="open", skill_tags=(), difficulty=1,
                                    reward_fen=100, is_platform=True)
    assert effects(platform, AT, 1).active_user is None
    ruled = events.TaskCompleted(task_id=1, merchant_id=2, developer_id=3, skill_tags=(), difficulty=1,
                                 reward_fen=100, via="dispute", actor_id=9)
    assert effects(ruled, AT, 1).active_user is None
    assert effects(events.AdminAudited(admin_id=9, action="x", entity_name="y", entity_id=1), AT, 1).counts == ()


def test_the_subscriber_table_lists_exactly_the_events_the_rules_know():
    subscribed = {name for name, subs in subscriptions.SUBSCRIPTIONS.items()
                  if any(s.name == "metrics.record" for s in subs)}
    assert subscribed == set(rules.SUBSCRIBED)
    assert set(rules.SUBSCRIBED) <= set(events.REGISTRY)
    for name in subscribed:
        assert subscriptions.subscribers(name)[-1].mode == subscriptions.AFTER_COMMIT


@given(users=st.integers(0, 100_000), revenue=st.integers(-10_000, 40_000_000))
def test_stages_are_reached_in_order_and_need_both_numbers(users, revenue):
    reached = stage_reached(users, revenue)
    assert all(users >= s.users and revenue >= s.revenue_fen for s in STAGES[:reached])
    if reached < len(STAGES):
        nxt = STAGES[reached]
        assert users < nxt.users or revenue < nxt.revenue_fen
    assert stage_reached(users + 1, revenue + 1) >= reached  # more never loses a stage


def test_the_plan_targets():
    assert [(s.users, s.revenue_fen) for s in STAGES] == [(1_000, 1_500_000), (10_000, 5_000_000),
                                                          (50_000, 30_000_000)]

"""The mediator's risk score (pure rules, no database): each reason with its points, capped at 100."""

from __future__ import annotations

from shared.disputes.risk import PartyFacts, TaskFacts, developer_risk, merchant_risk

TASK = TaskFacts(revision_count=0, max_revisions=2, deliveries=1, delivered_late=False,
                 hours_from_delivery_to_dispute=30.0)
CALM = PartyFacts(role="merchant", opened_it=False, account_age_days=400, previous_disputes=0,
                  previous_disputes_lost=0, rating_average=4.8, rating_count=20, completed_tasks=12,
                  response_rate=0.95)


def test_an_established_party_is_low_risk():
    for risk in (merchant_risk(CALM, TASK), developer_risk(CALM, TASK)):
        assert (risk.score, risk.level, risk.reasons) == (0, "低", [])


def test_a_new_merchant_who_disputes_at_once_without_revisions():
    facts = TaskFacts(revision_count=0, max_revisions=2, deliveries=1, delivered_late=False,
                      hours_from_delivery_to_dispute=0.5)
    merchant = PartyFacts(role="merchant", opened_it=True, account_age_days=3, previous_disputes=2,
                          previous_disputes_lost=1, rating_average=2.5, rating_count=4, response_rate=0.3)
    risk = merchant_risk(merchant, facts)
    assert [p for p, _ in risk.reasons] == sorted((p for p, _ in risk.reasons), reverse=True)
    assert {r for _, r in risk.reasons} == {
        "商家账号注册仅 3 天", "商家此前参与过 2 次纠纷", "商家此前有 1 次纠纷裁决对其不利",
        "商家平均评分偏低（2.5 分，4 次评价）", "商家 48 小时响应率仅 30%", "商家未要求修改即发起纠纷",
        "交付后 1 小时内即发起纠纷"}
    assert risk.score == 15 + 20 + 10 + 10 + 10 + 15 + 5 and risk.level == "高"


def test_a_late_developer_with_used_up_revisions():
    facts = TaskFacts(revision_count=2, max_revisions=2, deliveries=3, delivered_late=True,
                      hours_from_delivery_to_dispute=10.0)
    dev = PartyFacts(role="developer", opened_it=False, account_age_days=200, previous_disputes=0,
                     previous_disputes_lost=0, rating_average=None, rating_count=0, completed_tasks=0)
    risk = developer_risk(dev, facts)
    assert risk.score == 15 + 10 + 5 and risk.level == "中"
    assert risk.reasons[0] == (15, "交付晚于任务截止时间")


def test_the_score_is_capped_at_100():
    worst = PartyFacts(role="developer", opened_it=True, account_age_days=0, previous_disputes=9,
                       previous_disputes_lost=9, rating_average=1.0, rating_count=9, completed_tasks=0)
    facts = TaskFacts(revision_count=9, max_revisions=2, deliveries=9, delivered_late=True,
                      hours_from_delivery_to_dispute=0.0)
    assert developer_risk(worst, facts).score == 100

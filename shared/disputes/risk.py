"""A small risk score per party of a dispute, with its reasons, for the mediator. Pure: facts in, score out.

It does not decide anything: it tells the admin where to look (a brand-new account, a history of disputes, a
delivery after the deadline, a merchant who never asked for a revision...). Each reason carries its points so the
mediator sees why; the score is their sum, capped at 100. Levels: 低 < 30 ≤ 中 < 60 ≤ 高.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NEW_ACCOUNT_DAYS = 30
LOW_RATING = 3.5
MIN_RATINGS = 3
LOW_RESPONSE_RATE = 0.6
LOW_CREDIT = 50


@dataclass(frozen=True)
class PartyFacts:
    role: str  # merchant / developer
    opened_it: bool
    account_age_days: int
    previous_disputes: int  # other disputes this user was a party to
    previous_disputes_lost: int  # rulings against them (merchant: payout to the developer; developer: full refund)
    rating_average: float | None
    rating_count: int
    completed_tasks: int = 0  # developers
    response_rate: float | None = None  # merchants: the 48-hour feedback guarantee
    credit_score: int | None = None  # the party's credit profile (shared/credit), None: not computed yet
    off_platform_flags: int = 0  # flagged off-platform attempts on their record (all chats)
    chat_flags: int = 0  # of which in this task's chat


@dataclass(frozen=True)
class TaskFacts:
    revision_count: int
    max_revisions: int
    deliveries: int
    delivered_late: bool  # the last delivery came after the task's deadline
    hours_from_delivery_to_dispute: float | None


@dataclass
class Risk:
    score: int = 0
    level: str = "低"
    reasons: list[tuple[int, str]] = field(default_factory=list)

    def add(self, points: int, reason: str) -> None:
        self.reasons.append((points, reason))

    def close(self) -> Risk:
        self.reasons.sort(key=lambda r: -r[0])
        self.score = min(sum(p for p, _ in self.reasons), 100)
        self.level = "高" if self.score >= 60 else "中" if self.score >= 30 else "低"
        return self


def _common(risk: Risk, who: str, p: PartyFacts) -> None:
    if p.account_age_days < NEW_ACCOUNT_DAYS:
        risk.add(15, f"{who}账号注册仅 {p.account_age_days} 天")
    if p.previous_disputes:
        risk.add(min(10 * p.previous_disputes, 30), f"{who}此前参与过 {p.previous_disputes} 次纠纷")
    if p.previous_disputes_lost:
        risk.add(min(10 * p.previous_disputes_lost, 20), f"{who}此前有 {p.previous_disputes_lost} 次纠纷裁决对其不利")
    if p.rating_average is not None and p.rating_count >= MIN_RATINGS and p.rating_average < LOW_RATING:
        risk.add(10, f"{who}平均评分偏低（{p.rating_average:.1f} 分，{p.rating_count} 次评价）")
    if p.credit_score is not None and p.credit_score < LOW_CREDIT:
        risk.add(10, f"{who}信用分偏低（{p.credit_score} 分）")
    if p.chat_flags:
        risk.add(min(10 * p.chat_flags, 20), f"{who}在本任务聊天中 {p.chat_flags} 次试图站外联系或交易")
    elif p.off_platform_flags:
        risk.add(5, f"{who}此前在聊天中 {p.off_platform_flags} 次试图站外联系或交易")


def merchant_risk(p: PartyFacts, t: TaskFacts) -> Risk:
    risk = Risk()
    _common(risk, "商家", p)
    if p.response_rate is not None and p.response_rate < LOW_RESPONSE_RATE:
        risk.add(10, f"商家 48 小时响应率仅 {round(p.response_rate * 100)}%")
    if p.opened_it and t.revision_count == 0:
        risk.add(15, "商家未要求修改即发起纠纷")
    if p.opened_it and t.hours_from_delivery_to_dispute is not None and t.hours_from_delivery_to_dispute < 1:
        risk.add(5, "交付后 1 小时内即发起纠纷")
    return risk.close()


def developer_risk(p: PartyFacts, t: TaskFacts) -> Risk:
    risk = Risk()
    _common(risk, "开发者", p)
    if t.delivered_late:
        risk.add(15, "交付晚于任务截止时间")
    if t.revision_count >= max(t.max_revisions, 1):
        risk.add(10, f"交付已被要求修改 {t.revision_count} 次（上限 {t.max_revisions} 次）")
    elif t.revision_count:
        risk.add(5, f"交付被要求修改过 {t.revision_count} 次")
    if p.completed_tasks == 0:
        risk.add(5, "开发者尚无完成的任务")
    return risk.close()

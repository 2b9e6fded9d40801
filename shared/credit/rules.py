"""Credit profile and reputation from a user's events. Pure: the events in, facts, a score with its reasons and the
reputation cards out.

Facts (each counted from the event log, never from a counter another area keeps):

- ratings given / received (and the average received): RatingGiven;
- disputes opened, taken part in, and lost (merchant: a payout or split to the developer; developer: a full
  refund): DisputeOpened, DisputeRuled;
- the 48-hour response rate and the median time to a first answer (merchants): ApplicationSubmitted,
  ApplicationAnswered (first), ApplicationsClosed, ApplicationUnanswered;
- cancellations after assignment: TaskClosed(cancelled) of a task the user had assigned (TaskAssigned), and
  ApplicationWithdrawn of an application that had been accepted. The task state machine allows neither today, so
  this is 0 until it does; it is counted here so the score needs no change then;
- off-platform flags: OffPlatformContactFlagged (chat);
- payment behaviour (escrow and orders paid: PaymentOrderPaid) and payout behaviour (PayoutSettled / PayoutFailed);
- tasks paid (merchant) and completed (developer): TaskCompleted; the median time from the last delivery to the
  acceptance (accept or auto_accept): DeliverySubmitted → TaskCompleted; dispute rate = disputes ÷ tasks delivered;
- account age: users.created_at.

The score starts at BASE and each reason adds or takes its points (shown with it), clamped to 0..100.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from statistics import median
from typing import Any

BASE = 70
NEW_ACCOUNT_DAYS = 30
OLD_ACCOUNT_DAYS = 365
MIN_RATINGS = 3
MIN_DUE = 3

# Events a profile is derived from: the credit area's after-commit subscriber listens to exactly these.
EVENTS = ("RatingGiven", "DisputeOpened", "DisputeRuled", "ApplicationSubmitted", "ApplicationAnswered",
          "ApplicationsClosed", "ApplicationUnanswered", "ApplicationWithdrawn", "TaskAssigned", "TaskClosed",
          "DeliverySubmitted", "TaskCompleted", "OffPlatformContactFlagged", "PaymentOrderPaid", "PayoutSettled",
          "PayoutFailed")


@dataclass(frozen=True)
class LoggedEvent:
    name: str
    data: dict[str, Any]
    occurred_at: datetime


@dataclass
class Facts:
    account_age_days: int = 0
    ratings_given: int = 0
    ratings_received: int = 0
    rating_average: float | None = None
    disputes: int = 0
    disputes_opened: int = 0
    disputes_lost: int = 0
    responses_due: int = 0
    responses_on_time: int = 0
    median_answer_hours: float | None = None
    cancellations_after_assignment: int = 0
    off_platform_flags: int = 0
    payments_paid: int = 0
    payouts_settled: int = 0
    payouts_failed: int = 0
    tasks_assigned_to_me: int = 0
    tasks_completed: int = 0
    tasks_paid: int = 0
    tasks_delivered_to_me: int = 0
    median_pay_hours: float | None = None

    @property
    def response_rate(self) -> float | None:
        return self.responses_on_time / self.responses_due if self.responses_due else None

    @property
    def dispute_rate(self) -> float | None:
        return (self.disputes / self.tasks_delivered_to_me) if self.tasks_delivered_to_me else None

    @property
    def completion_rate(self) -> float | None:
        return self.tasks_completed / self.tasks_assigned_to_me if self.tasks_assigned_to_me else None


@dataclass
class Profile:
    facts: Facts
    score: int = BASE
    level: str = "良好"
    reasons: list[tuple[int, str]] = field(default_factory=list)

    def reputation(self) -> dict[str, Any]:
        """What a developer sees of a merchant (and a merchant of an applicant) on a task card or page."""
        f = self.facts
        return {"score": self.score, "level": self.level, "response_rate": _round(f.response_rate),
                "median_answer_hours": _round(f.median_answer_hours, 1),
                "median_pay_hours": _round(f.median_pay_hours, 1), "dispute_rate": _round(f.dispute_rate),
                "tasks_paid": f.tasks_paid, "tasks_completed": f.tasks_completed,
                "completion_rate": _round(f.completion_rate), "rating_average": _round(f.rating_average, 1),
                "rating_count": f.ratings_received, "off_platform_flags": f.off_platform_flags,
                "disputes_lost": f.disputes_lost}

    def facts_json(self) -> dict[str, Any]:
        return {**asdict(self.facts), "response_rate": _round(self.facts.response_rate),
                "dispute_rate": _round(self.facts.dispute_rate)}


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def facts_of(user_id: int, events: list[LoggedEvent], created_at: datetime, now: datetime) -> Facts:
    f = Facts(account_age_days=max((now - created_at).days, 0))
    stars: list[int] = []
    submitted: dict[int, datetime] = {}  # application id -> when (applications to my tasks)
    answer_hours: list[float] = []
    accepted_apps: set[int] = set()
    assigned_tasks: set[int] = set()  # tasks I (merchant) assigned
    last_delivery: dict[int, datetime] = {}  # my task -> last delivery
    delivered_tasks: set[int] = set()
    pay_hours: list[float] = []
    for e in events:
        d = e.data
        if e.name == "RatingGiven":
            if d.get("rater_id") == user_id:
                f.ratings_given += 1
            if d.get("ratee_id") == user_id:
                stars.append(int(d["stars"]))
        elif e.name == "DisputeOpened":
            f.disputes += 1
            f.disputes_opened += d.get("opened_by") == user_id
        elif e.name == "DisputeRuled":
            outcome = d.get("outcome")
            if (d.get("merchant_id") == user_id and outcome in ("payout", "split")) or (
                    d.get("developer_id") == user_id and outcome == "refund"):
                f.disputes_lost += 1
        elif e.name == "ApplicationSubmitted" and d.get("merchant_id") == user_id:
            submitted[int(d["application_id"])] = e.occurred_at
        elif e.name == "ApplicationAnswered":
            if d.get("merchant_id") == user_id and d.get("first"):
                f.responses_due += 1
                f.responses_on_time += bool(d.get("on_time"))
                at = submitted.get(int(d["application_id"]))
                if at is not None:
                    answer_hours.append((e.occurred_at - at).total_seconds() / 3600)
            if d.get("developer_id") == user_id and d.get("answer") == "accepted":
                accepted_apps.add(int(d["application_id"]))
        elif e.name == "ApplicationsClosed" and d.get("merchant_id") == user_id:
            f.responses_due += int(d.get("answered", 0))
            f.responses_on_time += int(d.get("answered_on_time", 0))
        elif e.name == "ApplicationUnanswered" and d.get("merchant_id") == user_id:
            f.responses_due += 1
        elif e.name == "ApplicationWithdrawn" and int(d.get("application_id", 0)) in accepted_apps:
            f.cancellations_after_assignment += 1
        elif e.name == "TaskAssigned":
            if d.get("merchant_id") == user_id:
                assigned_tasks.add(int(d["task_id"]))
            if d.get("developer_id") == user_id:
                f.tasks_assigned_to_me += 1
        elif e.name == "TaskClosed" and d.get("merchant_id") == user_id and d.get("reason") == "cancelled":
            f.cancellations_after_assignment += int(d["task_id"]) in assigned_tasks
        elif e.name == "DeliverySubmitted" and d.get("merchant_id") == user_id:
            last_delivery[int(d["task_id"])] = e.occurred_at
            delivered_tasks.add(int(d["task_id"]))
        elif e.name == "TaskCompleted":
            if d.get("merchant_id") == user_id:
                f.tasks_paid += 1
                delivered = last_delivery.get(int(d["task_id"]))
                if delivered is not None and d.get("via") in ("accept", "auto_accept"):
                    pay_hours.append((e.occurred_at - delivered).total_seconds() / 3600)
            if d.get("developer_id") == user_id:
                f.tasks_completed += 1
        elif e.name == "OffPlatformContactFlagged" and d.get("sender_id") == user_id:
            f.off_platform_flags += 1
        elif e.name == "PaymentOrderPaid" and d.get("payer_id") == user_id:
            f.payments_paid += 1
        elif e.name == "PayoutSettled" and d.get("developer_id") == user_id:
            f.payouts_settled += 1
        elif e.name == "PayoutFailed" and d.get("developer_id") == user_id:
            f.payouts_failed += 1
    f.ratings_received = len(stars)
    f.rating_average = sum(stars) / len(stars) if stars else None
    f.median_answer_hours = median(answer_hours) if answer_hours else None
    f.median_pay_hours = median(pay_hours) if pay_hours else None
    f.tasks_delivered_to_me = len(delivered_tasks)
    return f


def score(f: Facts) -> Profile:
    """The score and its reasons (largest effect first)."""
    p = Profile(facts=f)
    add = p.reasons.append
    if f.account_age_days < NEW_ACCOUNT_DAYS:
        add((-5, f"账号注册仅 {f.account_age_days} 天"))
    elif f.account_age_days >= OLD_ACCOUNT_DAYS:
        add((5, f"账号已注册 {f.account_age_days // 365} 年以上"))
    if f.rating_average is not None and f.ratings_received >= MIN_RATINGS:
        if f.rating_average >= 4.5:
            add((10, f"收到的评价平均 {f.rating_average:.1f} 分（{f.ratings_received} 次）"))
        elif f.rating_average < 3.5:
            add((-15, f"收到的评价平均仅 {f.rating_average:.1f} 分（{f.ratings_received} 次）"))
    if f.ratings_given:
        add((min(f.ratings_given, 5), f"评价过对方 {f.ratings_given} 次"))
    if f.disputes_lost:
        add((-min(10 * f.disputes_lost, 30), f"{f.disputes_lost} 次纠纷裁决对其不利"))
    if f.disputes_opened >= 2:
        add((-5, f"发起过 {f.disputes_opened} 次纠纷"))
    rate = f.response_rate
    if rate is not None and f.responses_due >= MIN_DUE:
        if rate >= 0.9:
            add((5, f"48 小时响应率 {round(rate * 100)}%"))
        elif rate < 0.6:
            add((-10, f"48 小时响应率仅 {round(rate * 100)}%"))
    if f.cancellations_after_assignment:
        add((-min(10 * f.cancellations_after_assignment, 20), f"指派后取消 {f.cancellations_after_assignment} 次"))
    if f.off_platform_flags:
        add((-min(5 * f.off_platform_flags, 30), f"聊天中 {f.off_platform_flags} 次试图站外联系或交易"))
    if f.payments_paid:
        add((min(2 * f.payments_paid, 10), f"已在平台付款 {f.payments_paid} 笔"))
    if f.tasks_completed:
        add((min(2 * f.tasks_completed, 10), f"已完成 {f.tasks_completed} 个任务"))
    if f.payouts_failed > f.payouts_settled:
        add((-3, f"提现失败 {f.payouts_failed} 次"))
    p.reasons.sort(key=lambda r: (-abs(r[0]), r[1]))
    p.score = max(0, min(100, BASE + sum(points for points, _ in p.reasons)))
    p.level = "优秀" if p.score >= 85 else "良好" if p.score >= 70 else "一般" if p.score >= 50 else "较差"
    return p


def profile_of(user_id: int, events: list[LoggedEvent], created_at: datetime, now: datetime) -> Profile:
    return score(facts_of(user_id, events, created_at, now))

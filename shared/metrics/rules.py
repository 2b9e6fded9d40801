"""What each domain event adds to the business dashboard's aggregates. Pure: an event in, effects out.

An event's effects are counted on its Beijing day:
- `counts`: counters to move, each guarded by a *fact* — a business key such as ("published", task id) or
  ("order", out_trade_no). The subscriber moves a counter only when it records its fact for the first time, so a
  redelivered or replayed event never counts twice, whichever order events arrive in.
- `active_user`: the user who acted (the event's actor): one row per user and day / week / month gives DAU, WAU and
  MAU, and the weekly retention cohorts.
- `registered_user`: a new account, the start of its cohort.

Definitions the dashboard shows (docs/ARCHITECTURE.md, "Metrics"):
- registrations: UserRegistered (not operators' accounts made by `make admin`); users: all registrations so far.
- active: the user did something the event log records as their own action (browsed the hall, applied, published,
  answered, delivered, rated, paid, checked in, posted …). Operators' actions do not count.
- tasks published (TaskPublished), funded (the first EscrowFunded of a task), delivered (the first delivery round),
  completed (TaskCompleted).
- GMV: rewards merchants paid into escrow (EscrowFunded from WeChat Pay; platform tasks paid by our own budget are not
  GMV).
- revenue by source: commission (EscrowReleased.commission_fen), promotion (a promotion order, or the promotion part of
  an escrow order, less fees refunded because the task stopped recruiting), each subscription plan (its paid orders).
- 48-hour response rate: of the applications whose first answer came (or whose window closed), the share answered in
  time — the same counts as the merchants' own rates (profiles' subscribers), platform-wide.
- dispute rate: disputes opened ÷ tasks delivered for the first time, per month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from shared.clock import shanghai_date

# The business plan's stages (SPEC "Business targets"): registered users and monthly revenue in fen.


@dataclass(frozen=True)
class Stage:
    name: str
    users: int
    revenue_fen: int


STAGES = (Stage("MVP 上线", 1_000, 1_500_000), Stage("成长期", 10_000, 5_000_000),
          Stage("拓展期", 50_000, 30_000_000))

REVENUE_SOURCES = ("commission", "promotion", "subscription:enterprise", "subscription:growth",
                   "subscription:premium")

# Events whose actor's action counts as activity, besides those that move counters below.
ACTIVITY_ONLY = ("HallBrowsed", "ApplicationSubmitted", "ApplicationWithdrawn", "RevisionRequested", "RatingGiven",
                 "TaskEdited", "PaymentOrderCreated", "DeveloperProfileSaved", "MerchantProfileSaved", "PhoneBound",
                 "WeChatBound", "WithdrawalRequested", "CheckedIn", "PostPublished")
COUNTED = ("UserRegistered", "TaskPublished", "EscrowFunded", "DeliverySubmitted", "TaskCompleted", "DisputeOpened",
           "ApplicationAnswered", "ApplicationsClosed", "ApplicationUnanswered", "EscrowReleased", "PaymentOrderPaid",
           "PromotionUnusable")
SUBSCRIBED = COUNTED + ACTIVITY_ONLY


@dataclass(frozen=True)
class Count:
    fact: tuple[str, str]
    deltas: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Effects:
    day: date
    counts: tuple[Count, ...] = ()
    active_user: int | None = None
    registered_user: int | None = None


def week_of(day: date) -> date:
    """The Monday of the (Beijing) week of `day`."""
    return day - timedelta(days=day.weekday())


def month_of(day: date) -> date:
    return day.replace(day=1)


def _count(kind: str, key: Any, *deltas: tuple[str, int]) -> Count:
    return Count((kind, str(key)), tuple((m, d) for m, d in deltas if d))


def effects(event: Any, occurred_at: datetime, event_id: int) -> Effects:
    """The effects of one stored event (its name picks the rule; unknown names have none)."""
    name = event.name
    day = shanghai_date(occurred_at)
    actor = event.actor()
    counts: list[Count] = []
    registered = None
    if name == "UserRegistered":
        if event.via == "admin":
            return Effects(day)  # an operator's account made by `make admin`: not a user of the marketplace
        registered = event.user_id
    elif name == "TaskPublished":
        counts.append(_count("published", event.task_id, ("tasks_published", 1)))
        if event.is_platform:
            actor = None  # an operator published it
    elif name == "EscrowFunded":
        counts.append(_count("funded", event.task_id, ("tasks_funded", 1)))
        if event.source == "wechatpay":
            counts.append(_count("gmv", f"{event.task_id}:{event.milestone_id or 0}", ("gmv", event.reward_fen)))
    elif name == "DeliverySubmitted":
        counts.append(_count("delivered", event.task_id, ("tasks_delivered", 1)))
    elif name == "TaskCompleted":
        counts.append(_count("completed", event.task_id, ("tasks_completed", 1)))
        if event.via == "dispute":
            actor = None  # the mediator's ruling, not the merchant's acceptance
    elif name == "DisputeOpened":
        counts.append(_count("dispute", event.dispute_id, ("disputes_opened", 1)))
    elif name == "ApplicationAnswered":
        if event.first:
            counts.append(_count("answer", event.application_id, ("responses_due", 1),
                                 ("responses_on_time", 1 if event.on_time else 0)))
    elif name == "ApplicationUnanswered":
        counts.append(_count("answer", event.application_id, ("responses_due", 1)))
    elif name == "ApplicationsClosed":
        if event.answered:
            counts.append(_count("answer_batch", event_id, ("responses_due", event.answered),
                                 ("responses_on_time", event.answered_on_time)))
    elif name == "EscrowReleased":
        counts.append(_count("commission", event.task_id, ("revenue:commission", event.commission_fen)))
    elif name == "PaymentOrderPaid":
        counts.extend(_order_revenue(event))
    elif name == "PromotionUnusable":
        counts.append(_count("promotion_refund", event.out_trade_no, ("revenue:promotion", -event.amount_fen)))
    elif name not in ACTIVITY_ONLY:
        return Effects(day)
    return Effects(day, tuple(c for c in counts if c.deltas), actor, registered)


def _order_revenue(event: Any) -> list[Count]:
    if event.purpose == "subscription":
        plan = str(event.breakdown.get("plan", "unknown"))
        return [_count("order", event.out_trade_no, (f"revenue:subscription:{plan}", event.amount_fen))]
    if event.purpose == "promotion":
        return [_count("order", event.out_trade_no, ("revenue:promotion", event.amount_fen))]
    if event.promotion_fee_fen:  # an escrow order that bought a promotion with the reward
        return [_count("order", event.out_trade_no, ("revenue:promotion", event.promotion_fee_fen))]
    return []


def stage_reached(users: int, revenue_fen: int) -> int:
    """How many of the plan's stages both numbers have reached (0: none yet)."""
    reached = 0
    for stage in STAGES:
        if users >= stage.users and revenue_fen >= stage.revenue_fen:
            reached += 1
        else:
            break
    return reached


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None

"""Domain events: what happened, past tense, typed, versioned — the one vocabulary areas use to talk to each other.

A use case changes its own tables and publishes what happened (`uow.publish(TaskClosed(...))`): the event is written
to `event_log` in the same transaction, the in-transaction subscribers run at once, and every after-commit subscriber
gets a delivery job (shared/uow.py, shared/events/delivery.py). Who listens to what is data, in
shared/subscriptions.py. Nothing here does I/O: this module is imported by every area and must stay cheap.

Each event is a frozen dataclass. Its `name` (the class name) and `version` are stored with it; change the fields of
a published event only by adding fields with defaults, or bump `version` and teach `upcast` the old shape. Class
attributes say how the log indexes it:
    entity, entity_key   what it is about ("task", "task_id") — the log is queryable by (entity, entity id);
    user_keys            fields naming the users it concerns (ints, or tuples of ints) — queryable by user;
    actor_key            who did it (None: the system, a timer, WeChat Pay).
Events carry the ids and facts subscribers need (users, task, tags, difficulty, stars …) so that a subscriber rarely
has to read another area's tables.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from typing_extensions import dataclass_transform

REGISTRY: dict[str, type[Event]] = {}


class _Factory:
    def __init__(self, make: Any) -> None:
        self.make = make


def field(*, default_factory: Any) -> Any:
    """A mutable default, made fresh for each event (like dataclasses.field)."""
    return _Factory(default_factory)


# Events are declared like frozen, keyword-only dataclasses (and type-checked as such: PEP 681), but built by the
# small __init__ below instead of @dataclass: 50 generated classes cost ~25 ms of import, and every function that
# publishes imports this module on cold start. This costs ~1 ms.
@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(field,))
class Event:
    name: ClassVar[str] = ""
    version: ClassVar[int] = 1
    entity: ClassVar[str] = ""
    entity_key: ClassVar[str] = ""
    user_keys: ClassVar[tuple[str, ...]] = ()
    actor_key: ClassVar[str | None] = None
    _fields: ClassVar[dict[str, str]] = {}  # field name -> annotation (a string: postponed annotations)
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = cls.__name__
        if cls.name in REGISTRY:
            raise TypeError(f"two events named {cls.name}")
        REGISTRY[cls.name] = cls
        own = inspect.get_annotations(cls)  # this class's own fields, as strings (postponed annotations)
        fields = {k: v for k, v in own.items() if not v.startswith("ClassVar")}
        cls._fields = fields
        cls._defaults = {k: cls.__dict__[k] for k in fields if k in cls.__dict__}

    def __init__(self, **values: Any) -> None:
        for key in values:
            if key not in self._fields:
                raise TypeError(f"{self.name} has no field {key!r}")
        for key in self._fields:
            if key in values:
                value = values[key]
            elif key in self._defaults:
                value = self._defaults[key]
                if isinstance(value, _Factory):
                    value = value.make()
            else:
                raise TypeError(f"{self.name} needs {key!r}")
            object.__setattr__(self, key, value)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{self.name} is immutable")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.data() == other.data()

    def __hash__(self) -> int:
        return hash((self.name, repr(self)))

    def __repr__(self) -> str:
        return f"{self.name}({', '.join(f'{k}={getattr(self, k)!r}' for k in self._fields)})"

    # --- how the log stores it ---
    def entity_ref(self) -> tuple[str, int]:
        return self.entity, int(getattr(self, self.entity_key))

    def users(self) -> list[int]:
        found: set[int] = set()
        for key in self.user_keys:
            value = getattr(self, key)
            if isinstance(value, (tuple, list)):
                found.update(int(v) for v in value if v is not None)
            elif value is not None:
                found.add(int(value))
        return sorted(found)

    def actor(self) -> int | None:
        return getattr(self, self.actor_key) if self.actor_key else None

    def data(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self._fields}

    @classmethod
    def upcast(cls, version: int, data: dict[str, Any]) -> dict[str, Any]:
        """Turn the stored data of an older `version` into this version's fields (override when bumping)."""
        return data


E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class Stored(Generic[E]):
    """An event as subscribers receive it: its log id and time, the typed event, and the delivery context —
    `replay` is True when an operator re-delivers past events (a backfill): be idempotent on your own business keys
    and do not notify users about old news."""

    id: int
    occurred_at: datetime
    event: E
    replay: bool = False


class UnknownEvent(LookupError):
    pass


def event_type(name: str) -> type[Event]:
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownEvent(name) from None


def parse(name: str, version: int, data: dict[str, Any]) -> Event:
    """Rebuild a stored event from its name, version and data (unknown keys are ignored)."""
    cls = event_type(name)
    if version != cls.version:
        data = cls.upcast(version, data)
    values = {}
    for key, annotation in cls._fields.items():
        if key in data:
            value = data[key]
            if isinstance(value, list) and annotation.startswith("tuple"):
                value = tuple(value)
            values[key] = value
    return cls(**values)


# ===================================================================================================== auth, profiles


class UserRegistered(Event):
    entity, entity_key, user_keys, actor_key = "user", "user_id", ("user_id",), "user_id"
    user_id: int
    via: str  # wechat / sms / admin


class WeChatBound(Event):
    entity, entity_key, user_keys, actor_key = "user", "user_id", ("user_id",), "user_id"
    user_id: int


class PhoneBound(Event):
    entity, entity_key, user_keys, actor_key = "user", "user_id", ("user_id",), "user_id"
    user_id: int


class DeveloperProfileSaved(Event):
    entity, entity_key, user_keys, actor_key = "developer_profile", "user_id", ("user_id",), "user_id"
    user_id: int
    created: bool
    skills: tuple[str, ...] = ()


class MerchantProfileSaved(Event):
    entity, entity_key, user_keys, actor_key = "merchant_profile", "user_id", ("user_id",), "user_id"
    user_id: int
    created: bool


class ProfileCompleted(Event):
    """The resume card became complete (display name, headline, skills) for the first time."""

    entity, entity_key, user_keys, actor_key = "developer_profile", "user_id", ("user_id",), "user_id"
    user_id: int
    skills: tuple[str, ...] = ()


class RealNameSet(Event):
    """The developer gave the payee name WeChat Pay checks from ¥2,000 (the name itself is never in the log)."""

    entity, entity_key, user_keys, actor_key = "developer_profile", "user_id", ("user_id",), "user_id"
    user_id: int


# ===================================================================================================== tasks


class HallBrowsed(Event):
    """A signed-in user opened the task hall (at most once per user per Beijing day)."""

    entity, entity_key, user_keys, actor_key = "user", "user_id", ("user_id",), "user_id"
    user_id: int
    query: str = ""


class TaskPublished(Event):
    entity, entity_key, user_keys, actor_key = "task", "task_id", ("merchant_id",), "merchant_id"
    task_id: int
    merchant_id: int
    status: str  # pending_review / awaiting_funding / open
    skill_tags: tuple[str, ...]
    difficulty: int
    reward_fen: int
    is_platform: bool = False
    milestones: tuple[dict[str, Any], ...] = ()  # ({title, reward_fen}, …) in order, when the reward is split


class TaskEdited(Event):
    entity, entity_key, user_keys, actor_key = "task", "task_id", ("merchant_id",), "merchant_id"
    task_id: int
    merchant_id: int
    fields: tuple[str, ...]


class TaskFlaggedForReview(Event):
    entity, entity_key, user_keys, actor_key = "task", "task_id", ("merchant_id",), None
    task_id: int
    merchant_id: int
    reason: str


class TaskApproved(Event):
    entity, entity_key, user_keys, actor_key = "task", "task_id", ("merchant_id",), "admin_id"
    task_id: int
    merchant_id: int
    admin_id: int
    status: str  # awaiting_funding or open
    is_platform: bool = False
    note: str = ""


class TaskOpened(Event):
    """Funded and visible in the hall."""

    entity, entity_key, user_keys, actor_key = "task", "task_id", ("merchant_id",), None
    task_id: int
    merchant_id: int
    skill_tags: tuple[str, ...]
    difficulty: int
    reward_fen: int


class TaskAssigned(Event):
    entity, entity_key, user_keys, actor_key = "task", "task_id", ("merchant_id", "developer_id"), "merchant_id"
    task_id: int
    merchant_id: int
    developer_id: int
    application_id: int


class TaskClosed(Event):
    """A task closed before any work was done: cancelled by its merchant, expired unassigned, or rejected in review.
    Its active applications close and its escrow goes back (subscribers)."""

    entity, entity_key, user_keys, actor_key = "task", "task_id", ("merchant_id",), "actor_id"
    task_id: int
    merchant_id: int
    reason: str  # cancelled / expired / rejected
    note: str = ""
    actor_id: int | None = None


class DeliverySubmitted(Event):
    entity, entity_key, user_keys, actor_key = "task", "task_id", ("merchant_id", "developer_id"), "developer_id"
    task_id: int
    merchant_id: int
    developer_id: int
    delivery_id: int
    round: int


class RevisionRequested(Event):
    entity, entity_key, user_keys, actor_key = "task", "task_id", ("merchant_id", "developer_id"), "merchant_id"
    task_id: int
    merchant_id: int
    developer_id: int
    revision: int
    note: str = ""


class TaskCompleted(Event):
    """The work is accepted: by the merchant (`accept`), by the 7-day rule (`auto_accept`) or by a full-payout
    dispute ruling (`dispute`; the ruling releases the escrow itself)."""

    entity, entity_key, user_keys, actor_key = "task", "task_id", ("merchant_id", "developer_id"), "actor_id"
    task_id: int
    merchant_id: int
    developer_id: int
    skill_tags: tuple[str, ...]
    difficulty: int
    reward_fen: int
    via: str  # accept / auto_accept / dispute
    actor_id: int | None = None
    is_platform: bool = False


# ===================================================================================================== applications


class ApplicationSubmitted(Event):
    entity, entity_key, actor_key = "application", "application_id", "developer_id"
    user_keys = ("developer_id", "merchant_id")
    application_id: int
    task_id: int
    developer_id: int
    merchant_id: int
    skill_tags: tuple[str, ...] = ()
    difficulty: int = 0


class ApplicationWithdrawn(Event):
    entity, entity_key, user_keys, actor_key = "application", "application_id", ("developer_id",), "developer_id"
    application_id: int
    task_id: int
    developer_id: int


class ApplicationAnswered(Event):
    """The merchant shortlisted, accepted or rejected an application. `first`: the first answer it got (only that one
    counts toward the 48-hour response rate); `on_time`: that answer came within the window."""

    entity, entity_key, actor_key = "application", "application_id", "merchant_id"
    user_keys = ("developer_id", "merchant_id")
    application_id: int
    task_id: int
    developer_id: int
    merchant_id: int
    answer: str  # shortlisted / accepted / rejected
    on_time: bool
    first: bool
    reason: str = ""


class ApplicationsClosed(Event):
    """A task's still-active applications closed in one batch. `answered` of them had no answer yet and count as
    answered now (`position_filled` is an answer), `answered_on_time` of those within the window."""

    entity, entity_key, actor_key = "task", "task_id", None
    user_keys = ("merchant_id", "developer_ids")
    task_id: int
    merchant_id: int
    reason: str  # position_filled / task_cancelled / task_expired / task_rejected
    application_ids: tuple[int, ...]
    developer_ids: tuple[int, ...]
    answered: int = 0
    answered_on_time: int = 0


class ApplicationUnanswered(Event):
    """48 hours without an answer: closed as no_response; the developer is owed `compensation_points`."""

    entity, entity_key, actor_key = "application", "application_id", None
    user_keys = ("developer_id", "merchant_id")
    application_id: int
    task_id: int
    developer_id: int
    merchant_id: int
    compensation_points: int = 0


# ===================================================================================================== work, disputes


class RatingGiven(Event):
    entity, entity_key, user_keys, actor_key = "rating", "rating_id", ("rater_id", "ratee_id"), "rater_id"
    rating_id: int
    task_id: int
    rater_id: int
    ratee_id: int
    direction: str  # merchant_to_developer / developer_to_merchant
    stars: int


class DisputeOpened(Event):
    entity, entity_key, actor_key = "dispute", "dispute_id", "opened_by"
    user_keys = ("merchant_id", "developer_id")
    dispute_id: int
    task_id: int
    merchant_id: int
    developer_id: int
    opened_by: int


class DisputeRuled(Event):
    """An admin ruled: `payout_gross_fen` of the escrow goes to the developer (released like an acceptance), the
    rest `refund_fen` back to the merchant — both by in-transaction subscribers, in the ruling's transaction."""

    entity, entity_key, actor_key = "dispute", "dispute_id", "admin_id"
    user_keys = ("merchant_id", "developer_id")
    dispute_id: int
    task_id: int
    merchant_id: int
    developer_id: int
    admin_id: int
    outcome: str  # payout / refund / split
    payout_gross_fen: int
    refund_fen: int
    note: str = ""


# ===================================================================================================== payments


class PaymentOrderCreated(Event):
    entity, entity_key, user_keys, actor_key = "payment_order", "order_id", ("payer_id",), "payer_id"
    order_id: int
    out_trade_no: str
    purpose: str
    payer_id: int
    amount_fen: int
    task_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


class PaymentOrderPaid(Event):
    """WeChat Pay took the payer's money for an order (notification or poll), once per order. Subscribers act on
    their purpose: billing grants subscriptions and promotions; escrow orders go on as EscrowFunded."""

    entity, entity_key, user_keys, actor_key = "payment_order", "order_id", ("payer_id",), None
    order_id: int
    out_trade_no: str
    purpose: str  # task_escrow / milestone_escrow / subscription / promotion
    payer_id: int
    amount_fen: int
    task_id: int | None = None
    milestone_id: int | None = None
    reward_fen: int = 0
    promotion_fee_fen: int = 0
    promotion_days: int | None = None
    transaction_id: str = ""
    via: str = ""
    breakdown: dict[str, Any] = field(default_factory=dict)


class EscrowFunded(Event):
    """A task's (or milestone's) escrow holds its reward now: paid by the merchant, or from the platform budget."""

    entity, entity_key, user_keys, actor_key = "task", "task_id", ("merchant_id",), None
    task_id: int
    merchant_id: int
    reward_fen: int
    source: str  # wechatpay / platform_budget
    out_trade_no: str | None = None
    order_id: int | None = None
    milestone_id: int | None = None
    milestone_position: int | None = None
    promotion_days: int | None = None
    promotion_fee_fen: int = 0


class PromotionUnusable(Event):
    """A paid promotion can buy nothing (its task stopped recruiting before the payment came): the fee goes back."""

    entity, entity_key, user_keys, actor_key = "payment_order", "order_id", ("payer_id",), None
    order_id: int
    out_trade_no: str
    payer_id: int
    task_id: int
    amount_fen: int


class RefundRequested(Event):
    entity, entity_key, user_keys, actor_key = "refund", "refund_id", ("payer_id",), "actor_id"
    refund_id: int
    out_refund_no: str
    out_trade_no: str
    payer_id: int
    task_id: int | None
    amount_fen: int
    escrow: str
    reason: str
    key: str
    actor_id: int | None = None


class RefundSettled(Event):
    entity, entity_key, user_keys, actor_key = "refund", "refund_id", ("payer_id",), None
    refund_id: int
    out_refund_no: str
    payer_id: int
    task_id: int | None
    amount_fen: int
    wechat_refund_id: str = ""


class RefundFailed(Event):
    entity, entity_key, user_keys, actor_key = "refund", "refund_id", ("payer_id",), None
    refund_id: int
    payer_id: int
    task_id: int | None
    failure: str


class EscrowReturnedToBudget(Event):
    entity, entity_key, user_keys, actor_key = "task", "task_id", (), "actor_id"
    task_id: int
    amount_fen: int
    reason: str
    actor_id: int | None = None


class MerchantTransferReported(Event):
    """WeChat Pay's MCHTRANSFER.BILL.FINISHED, verified and decrypted by the payments webhook: the payouts area
    settles the transfer in the same transaction (and may refuse it, which the webhook answers with a 4xx)."""

    entity, entity_key, user_keys, actor_key = "transfer", "payout_id", (), None
    payout_id: int  # 0 when the number is not ours (the subscriber refuses it)
    out_bill_no: str
    resource: dict[str, Any] = field(default_factory=dict)


# ===================================================================================================== payouts


class EscrowReleased(Event):
    entity, entity_key, user_keys, actor_key = "task", "task_id", ("developer_id",), None
    task_id: int
    developer_id: int
    gross_fen: int
    commission_fen: int
    share_fen: int
    enterprise: bool
    payout_id: int | None


class PayoutCreated(Event):
    entity, entity_key, user_keys, actor_key = "payout", "payout_id", ("developer_id",), None
    payout_id: int
    developer_id: int
    ref: str
    amount_fen: int
    source: str  # task / dispute / withdraw


class PayoutStateChanged(Event):
    """A payout's internal steps: needs_real_name, transfer_started, cancel_requested, retry, real_name_given.
    (Money arriving is PayoutSettled; the end states are PayoutFailed and PayoutCancelled.)"""

    entity, entity_key, user_keys, actor_key = "payout", "payout_id", ("developer_id",), "actor_id"
    payout_id: int
    developer_id: int
    step: str
    out_bill_no: str = ""
    actor_id: int | None = None


class PayoutSettled(Event):
    """The developer's money arrived in their WeChat balance."""

    entity, entity_key, user_keys, actor_key = "payout", "payout_id", ("developer_id",), None
    payout_id: int
    developer_id: int
    amount_fen: int
    out_bill_no: str
    via: str
    task_id: int | None = None


class PayoutFailed(Event):
    entity, entity_key, user_keys, actor_key = "payout", "payout_id", ("developer_id",), None
    payout_id: int
    developer_id: int
    out_bill_no: str
    reason: str | None
    retry_at: str | None  # ISO time of the automatic retry, None when it is the developer's to withdraw
    via: str


class PayoutCancelled(Event):
    entity, entity_key, user_keys, actor_key = "payout", "payout_id", ("developer_id",), None
    payout_id: int
    developer_id: int
    out_bill_no: str
    via: str


class WithdrawalRequested(Event):
    entity, entity_key, user_keys, actor_key = "payout", "payout_id", ("developer_id",), "developer_id"
    payout_id: int
    developer_id: int
    amount_fen: int
    folded: tuple[int, ...] = ()


# ===================================================================================================== billing


class MembershipStarted(Event):
    entity, entity_key, user_keys, actor_key = "membership", "membership_id", ("user_id",), "user_id"
    membership_id: int
    user_id: int
    plan: str
    months: int
    order_id: int
    period_end: str  # ISO time
    renewal: bool


class MembershipExpired(Event):
    entity, entity_key, user_keys, actor_key = "membership", "membership_id", ("user_id",), None
    membership_id: int
    user_id: int
    plan: str


class PromotionGranted(Event):
    entity, entity_key, user_keys, actor_key = "task", "task_id", ("merchant_id",), "merchant_id"
    task_id: int
    merchant_id: int
    promotion_id: int
    order_id: int
    days: int
    price_fen: int
    until: str  # ISO time


class ReconciliationRecorded(Event):
    entity, entity_key, user_keys, actor_key = "reconciliation", "run_id", (), "actor_id"
    run_id: int
    bill_date: str
    status: str  # matched / differences / failed / pending (the bill was not ready yet)
    diffs: int
    error: str | None = None
    actor_id: int | None = None


# ===================================================================================================== growth
# Contracts between the growth areas (issue 8/9/10/12 work): pinned here first so that the areas that publish and the
# areas that subscribe can be built at the same time. Amounts may be negative only in compensating entries (reversals);
# `ref` is the business key a grant is idempotent on; `reason` is the Chinese explanation the user sees.


class XpGranted(Event):
    """Experience from rated tasks, challenges and mentor reviews (growth); leaderboards rank by XP of a period."""

    entity, entity_key, user_keys, actor_key = "user", "user_id", ("user_id",), None
    user_id: int
    amount: int
    source: str  # task / challenge / mentor_review / adjustment
    ref: str
    reason: str
    backfill: bool = False  # granted by a replay: no notification


class SkillPointsGranted(Event):
    """Skill points per skill tag of a completed and rated task (growth): the skill graph and the per-skill boards."""

    entity, entity_key, user_keys, actor_key = "user", "user_id", ("user_id",), None
    user_id: int
    skills: tuple[dict[str, Any], ...]  # ({"skill": "python", "category": "backend", "points": 8}, …)
    ref: str
    reason: str
    task_id: int | None = None
    backfill: bool = False


class LevelChanged(Event):
    """A developer's level (S/A/B/C) went up or down, with the reasons it was decided on (growth)."""

    entity, entity_key, user_keys, actor_key = "user", "user_id", ("user_id",), None
    user_id: int
    old_level: str | None
    new_level: str | None
    direction: str  # promoted / demoted
    reasons: tuple[str, ...] = ()


class PointsGranted(Event):
    """成长积分 credited or debited (growth's points ledger). `requested` is what the source asked for; `delta` what
    was credited after the daily cap of its source class (challenge points: 200 a day; paid work: no cap)."""

    entity, entity_key, user_keys, actor_key = "user", "user_id", ("user_id",), "actor_id"
    user_id: int
    delta: int
    requested: int
    source_class: str  # challenge / checkin / compensation / invitation / community / work / admin / reversal / lottery
    ref: str
    reason: str
    actor_id: int | None = None  # an operator's grant or deduction


class BadgeGranted(Event):
    """A badge (or a title: a badge wearable as a title) was granted (badges)."""

    entity, entity_key, user_keys, actor_key = "user", "user_id", ("user_id",), None
    user_id: int
    badge_key: str
    badge_name: str
    wearable: bool = False
    backfill: bool = False
    ref: str = ""


class BadgeRevoked(Event):
    entity, entity_key, user_keys, actor_key = "user", "user_id", ("user_id",), None
    user_id: int
    badge_key: str
    reason: str


class RankReached(Event):
    """A user entered the top `rank` of a board for a period (leaderboards; badges of the "rank reached" kind)."""

    entity, entity_key, user_keys, actor_key = "user", "user_id", ("user_id",), None
    user_id: int
    board: str  # weekly / monthly / all_time / skill:<key>
    period: str  # 2026-W49 / 2026-12 / all
    rank: int


# ===================================================================================================== challenges


class CheckedIn(Event):
    """A developer checked in for an Asia/Shanghai day (challenges' check-in). `streak` after this check-in."""

    entity, entity_key, user_keys, actor_key = "user", "user_id", ("user_id",), "user_id"
    user_id: int
    day: str  # YYYY-MM-DD, Asia/Shanghai
    streak: int
    total: int
    freezes_used: int = 0


class ChallengeCompleted(Event):
    """A challenge window was completed; its rewards are granted by the areas that own them (points and XP: growth;
    badge and title: badges; lottery entries: challenges; unlocks: growth/reports; cash: payouts through the ledger)."""

    entity, entity_key, user_keys, actor_key = "user", "user_id", ("user_id",), None
    user_id: int
    challenge_key: str
    challenge_name: str
    window: str  # the window's key, e.g. "reg:w1", "2026-W49", "2026-12"
    points: int = 0
    xp: int = 0
    badge_key: str | None = None
    title_key: str | None = None
    lottery_entries: int = 0
    unlocks: tuple[str, ...] = ()  # skill_graph / resume
    cash_fen: int = 0
    backfill: bool = False


class PostPublished(Event):
    entity, entity_key, user_keys, actor_key = "post", "post_id", ("author_id",), "author_id"
    post_id: int
    author_id: int


class InvitationCredited(Event):
    """An invitee bound a phone and completed the profile: the inviter gets the credit (challenges)."""

    entity, entity_key, user_keys, actor_key = "invitation", "invitation_id", ("inviter_id", "invitee_id"), None
    invitation_id: int
    inviter_id: int
    invitee_id: int


class MentorReviewGiven(Event):
    entity, entity_key, actor_key = "mentor_enrolment", "enrolment_id", "mentor_id"
    user_keys = ("mentor_id", "developer_id")
    enrolment_id: int
    mentor_id: int
    developer_id: int
    score: int  # 0–100
    accepted: bool
    letter: bool = False


# Community, invitations and mentors' own events (shared/community, shared/invitations, shared/mentors): the counters
# on posts are kept by the community area's in-transaction subscribers of these.


class PostLiked(Event):
    entity, entity_key, user_keys, actor_key = "post", "post_id", ("user_id", "author_id"), "user_id"
    post_id: int
    user_id: int
    author_id: int


class PostUnliked(Event):
    entity, entity_key, user_keys, actor_key = "post", "post_id", ("user_id",), "user_id"
    post_id: int
    user_id: int


class PostCommented(Event):
    entity, entity_key, user_keys, actor_key = "post", "post_id", ("commenter_id", "author_id"), "commenter_id"
    post_id: int
    comment_id: int
    commenter_id: int
    author_id: int


class PostReported(Event):
    entity, entity_key, user_keys, actor_key = "post", "post_id", ("reporter_id", "author_id"), "reporter_id"
    post_id: int
    reporter_id: int
    author_id: int


class PostModerated(Event):
    """An operator hid a post (`hidden`) or showed it again (`visible`); AdminAudited is published beside it."""

    entity, entity_key, user_keys, actor_key = "post", "post_id", ("author_id",), "admin_id"
    post_id: int
    author_id: int
    admin_id: int
    status: str  # hidden / visible


class InvitationClaimed(Event):
    """An invitee named the code that brought them, right after registering (invitations)."""

    entity, entity_key, user_keys, actor_key = "invitation", "invitation_id", ("inviter_id", "invitee_id"), "invitee_id"
    invitation_id: int
    inviter_id: int
    invitee_id: int


class MentorEnrolled(Event):
    """A developer with the growth pass enrolled in a mentor challenge."""

    entity, entity_key, actor_key = "mentor_enrolment", "enrolment_id", "developer_id"
    user_keys = ("mentor_id", "developer_id")
    enrolment_id: int
    challenge_id: int
    mentor_id: int
    developer_id: int


class MentorDeliverableSubmitted(Event):
    entity, entity_key, actor_key = "mentor_enrolment", "enrolment_id", "developer_id"
    user_keys = ("mentor_id", "developer_id")
    enrolment_id: int
    mentor_id: int
    developer_id: int


class MentorBonusCredited(Event):
    """An accepted mentor review credited the challenge's cash bonus from the platform budget to the developer's
    payable balance (ledger mentor_bonus mentor_enrolment:<id>); it is paid out by the payouts area's withdrawal."""

    entity, entity_key, user_keys, actor_key = "mentor_enrolment", "enrolment_id", ("developer_id",), None
    enrolment_id: int
    developer_id: int
    amount_fen: int


# ===================================================================================================== trust


class OffPlatformContactFlagged(Event):
    """A chat message carried contact details or an off-platform payment attempt (chat): masked for the receiver,
    counted against the sender's credit profile."""

    entity, entity_key, user_keys, actor_key = "chat_message", "message_id", ("sender_id",), "sender_id"
    message_id: int
    conversation_id: int
    task_id: int
    sender_id: int
    kinds: tuple[str, ...]


# ===================================================================================================== console
# The operators' web console (issue 11): moderation of accounts. Each is published beside its AdminAudited.


class UserBanned(Event):
    """An operator stopped an account: its tokens and console sessions are revoked, every request is refused."""

    entity, entity_key, user_keys, actor_key = "user", "user_id", ("user_id",), "admin_id"
    user_id: int
    admin_id: int
    reason: str


class UserUnbanned(Event):
    entity, entity_key, user_keys, actor_key = "user", "user_id", ("user_id",), "admin_id"
    user_id: int
    admin_id: int
    reason: str


# ===================================================================================================== operators


class AdminAudited(Event):
    """Every operator action, searchable by admin, action, entity and time: who did what, to what, why, and what
    it was before and after. (The domain event of the same action, e.g. TaskApproved, is published beside it.)"""

    entity_key, actor_key = "entity_id", "admin_id"
    user_keys = ("admin_id", "subject_user_id")
    admin_id: int | None  # None: from the command line (make admin)
    action: str  # task.approve, task.reject, rule.change, job.retry, events.replay, …
    entity_name: str
    entity_id: int
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str = ""
    subject_user_id: int | None = None  # the user the action was about, if any

    def entity_ref(self) -> tuple[str, int]:
        return self.entity_name, self.entity_id


class ActivityRecorded(Event):
    """A row of the behaviour log before events existed (activity_log, migrated by 0010_event_log.sql)."""

    entity_key, actor_key, user_keys = "entity_id", "actor_id", ("actor_id",)
    entity_name: str
    entity_id: int
    action: str
    actor_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)  # the old row's `data`

    def entity_ref(self) -> tuple[str, int]:
        return self.entity_name, self.entity_id

"""Who reacts to which event: the subscriber table, as data.

    event name -> [Subscription(name, "module:function", mode), …]   (run in this order)

- `in_transaction`: runs inside `uow.publish`, in the publisher's transaction — for what must stay atomic with the
  change (money moves, a task's applications closing with it, a role granted with the profile). Its exception rolls
  the whole use case back.
- `after_commit`: one delivery job per (event, subscriber), worked off by the jobs worker after the commit with its
  retries, back-off and dead letters — for what may lag a moment or fail on its own (growth, notifications,
  backfills). A failure never touches the use case nor the other subscribers; each runs once in effect.

A subscriber is `def on_x(uow: UnitOfWork, stored: Stored[SomeEvent]) -> None` in its own area's `subscribers.py`;
it writes only its own area's tables and may publish further events. The target is resolved by importlib on first
use, so no area imports another and nothing registers itself as an import side effect (the SCF worker sees exactly
this table). Adding one: a line here, `make events-doc` (docs/ARCHITECTURE.md lists this table), a test.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

IN_TRANSACTION = "in_transaction"
AFTER_COMMIT = "after_commit"


@dataclass(frozen=True)
class Subscription:
    name: str  # stable: the delivery marker and replays name it; "<area>.<what>"
    target: str  # "package.module:function"
    mode: str  # IN_TRANSACTION / AFTER_COMMIT

    def resolve(self) -> Callable[..., Any]:
        fn = _resolved.get(self.target)
        if fn is None:
            module, _, attr = self.target.partition(":")
            fn = _resolved[self.target] = getattr(importlib.import_module(module), attr)
        return fn


_resolved: dict[str, Callable[..., Any]] = {}


def _in(name: str, target: str) -> Subscription:
    return Subscription(name, target, IN_TRANSACTION)


def _after(name: str, target: str) -> Subscription:
    return Subscription(name, target, AFTER_COMMIT)


SUBSCRIPTIONS: dict[str, list[Subscription]] = {
    # --- profiles and roles
    "DeveloperProfileSaved": [_in("auth.grant_developer_role", "shared.auth.subscribers:grant_developer")],
    "MerchantProfileSaved": [_in("auth.grant_merchant_role", "shared.auth.subscribers:grant_merchant")],
    "RealNameSet": [_in("payouts.resume_waiting", "shared.payouts.subscribers:resume_on_real_name")],
    # --- tasks
    "TaskPublished": [
        _in("payments.create_milestones", "shared.payments.subscribers:create_milestones"),
        _in("payments.fund_platform_task", "shared.payments.subscribers:fund_platform_task"),
    ],
    "TaskApproved": [
        _in("profiles.count_approval", "shared.profiles.subscribers:count_approval"),
        _in("payments.fund_platform_task", "shared.payments.subscribers:fund_platform_task"),
    ],
    "TaskClosed": [
        _in("applications.close_with_task", "shared.applications.subscribers:close_with_task"),
        _in("payments.refund_escrow", "shared.payments.subscribers:refund_on_task_closed"),
    ],
    "TaskCompleted": [
        _in("payouts.release_escrow", "shared.payouts.subscribers:release_on_task_completed"),
        _in("profiles.count_completion", "shared.profiles.subscribers:count_completion"),
    ],
    # --- applications
    "ApplicationSubmitted": [_in("tasks.count_application", "shared.tasks.subscribers:count_application")],
    "ApplicationAnswered": [_in("profiles.count_answer", "shared.profiles.subscribers:count_answer")],
    "ApplicationsClosed": [_in("profiles.count_batch_answers", "shared.profiles.subscribers:count_batch_answers")],
    "ApplicationUnanswered": [
        _in("profiles.count_no_response", "shared.profiles.subscribers:count_no_response"),
        _after("points.no_response_compensation", "shared.growth.points:compensate_no_response"),
    ],
    # --- work and disputes
    "RatingGiven": [_in("profiles.count_rating", "shared.profiles.subscribers:count_rating")],
    "DisputeOpened": [_in("work.freeze_delivery", "shared.work.subscribers:freeze_delivery")],
    "DisputeRuled": [
        _in("payouts.release_ruling", "shared.payouts.subscribers:release_ruling"),
        _in("payments.refund_ruling", "shared.payments.subscribers:refund_ruling"),
    ],
    # --- money
    "PaymentOrderPaid": [_in("billing.order_paid", "shared.billing.orders:on_order_paid")],
    "EscrowFunded": [
        _in("tasks.open_when_funded", "shared.tasks.subscribers:open_when_funded"),
        _in("billing.escrow_promotion", "shared.billing.orders:on_escrow_funded"),
    ],
    "PromotionUnusable": [_in("payments.refund_promotion", "shared.payments.subscribers:refund_promotion")],
    "MerchantTransferReported": [_in("payouts.settle_transfer", "shared.payouts.subscribers:settle_transfer")],
    # --- community: the counters on posts
    "PostLiked": [_in("community.count_like", "shared.community.subscribers:count_like")],
    "PostUnliked": [_in("community.count_unlike", "shared.community.subscribers:count_unlike")],
    "PostCommented": [_in("community.count_comment", "shared.community.subscribers:count_comment")],
    "PostReported": [_in("community.count_report", "shared.community.subscribers:count_report")],
    # --- invitations: the invitee's phone and profile credit the invitation
    "PhoneBound": [_after("invitations.phone_bound", "shared.invitations.subscribers:on_phone_bound")],
    "ProfileCompleted": [
        _after("invitations.profile_completed", "shared.invitations.subscribers:on_profile_completed"),
    ],
}

# --- growth (shared/growth): skill points, XP, levels and points, after commit (growth may lag a moment).
for _event, _name, _fn in (
    ("TaskCompleted", "growth.task_completed", "on_task_completed"),
    ("RatingGiven", "growth.rating_given", "on_rating_given"),
    ("ChallengeCompleted", "growth.challenge_completed", "on_challenge_completed"),
    ("MentorReviewGiven", "growth.mentor_review", "on_mentor_review"),
):
    SUBSCRIPTIONS.setdefault(_event, []).append(_after(_name, f"shared.growth.subscribers:{_fn}"))
# --- challenges: progress from every event a challenge condition can count (the list is
# shared/challenges/rules.py EVENTS; tests/unit/test_challenge_rules.py keeps the two equal). Completion's own rewards
# are granted by the areas that own them; the cash bonus by the challenges area through the ledger.
for _event in (
    "UserRegistered", "ProfileCompleted", "HallBrowsed", "ApplicationSubmitted", "TaskCompleted", "RatingGiven",
    "CheckedIn", "PostPublished", "InvitationCredited", "MentorReviewGiven",
):
    SUBSCRIPTIONS.setdefault(_event, []).append(_after("challenges.progress", "shared.challenges.subscribers:on_event"))
SUBSCRIPTIONS.setdefault("ChallengeCompleted", []).extend([
    _after("challenges.cash", "shared.challenges.subscribers:on_completed"),
    _after("lottery.tickets", "shared.lottery.service:on_challenge_completed"),
])

# --- metrics (the console's business dashboard): one after-commit subscriber of every event the dashboard counts or
# that shows a user active (the list is shared/metrics/rules.py SUBSCRIBED). Appended, after the others of each event.
for _event in (
    "UserRegistered", "TaskPublished", "EscrowFunded", "DeliverySubmitted", "TaskCompleted", "DisputeOpened",
    "ApplicationAnswered", "ApplicationsClosed", "ApplicationUnanswered", "EscrowReleased", "PaymentOrderPaid",
    "PromotionUnusable", "HallBrowsed", "ApplicationSubmitted", "ApplicationWithdrawn", "RevisionRequested",
    "RatingGiven", "TaskEdited", "PaymentOrderCreated", "DeveloperProfileSaved", "MerchantProfileSaved", "PhoneBound",
    "WeChatBound", "WithdrawalRequested", "CheckedIn", "PostPublished",
):
    SUBSCRIPTIONS.setdefault(_event, []).append(_after("metrics.record", "shared.metrics.subscribers:record"))


# --- leaderboards (issue 8): scores per board and period, and bans (banned users vanish from the boards).
SUBSCRIPTIONS.setdefault("XpGranted", []).append(_after("leaderboards.xp", "shared.leaderboards.subscribers:credit_xp"))
SUBSCRIPTIONS.setdefault("SkillPointsGranted", []).append(
    _after("leaderboards.skills", "shared.leaderboards.subscribers:credit_skills"))
for _event in ("UserBanned", "UserUnbanned"):
    SUBSCRIPTIONS.setdefault(_event, []).append(_after("leaderboards.ban", "shared.leaderboards.subscribers:ban"))

# --- badges (issue 8): one after-commit subscriber of every event a badge rule may count (the list is
# shared/badges/rules.py TRIGGERS); it re-evaluates the enabled badges that event triggers. Appended last.
for _event in (
    "TaskCompleted", "TaskAssigned", "DeliverySubmitted", "RatingGiven", "ApplicationSubmitted", "ProfileCompleted",
    "DeveloperProfileSaved", "PhoneBound", "CheckedIn", "ChallengeCompleted", "RankReached", "LevelChanged",
    "XpGranted", "SkillPointsGranted", "PointsGranted", "InvitationCredited", "MentorReviewGiven", "PostPublished",
):
    SUBSCRIPTIONS.setdefault(_event, []).append(_after("badges.evaluate", "shared.badges.subscribers:evaluate"))

def subscribers(event_name: str) -> list[Subscription]:
    return SUBSCRIPTIONS.get(event_name, [])


def find(event_name: str, subscriber: str) -> Subscription:
    for s in subscribers(event_name):
        if s.name == subscriber:
            return s
    raise LookupError(f"{subscriber!r} does not subscribe to {event_name}")

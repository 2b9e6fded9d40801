"""Application rules and the 48-hour feedback guarantee. Pure: callers pass the time and the numbers.

SPEC: every application gets a merchant response (shortlist / accept / reject) within 48 h. The merchant is reminded
at 24 h and 40 h; at 48 h an unanswered application closes as `no_response`, the developer gets compensation points
and the merchant's response rate drops. A timer evaluates `feedback_action` for every waiting application; because
the action depends only on the stored state and the time, a timer firing twice or late does the right thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

WAITING = "submitted"  # the only status the guarantee watches: any merchant response moves it on
ACTIVE = frozenset({"submitted", "shortlisted"})
RESPONSES = {"shortlist": "shortlisted", "accept": "accepted", "reject": "rejected"}

# action -> statuses it may start from
ALLOWED_FROM: dict[str, frozenset[str]] = {
    "shortlist": frozenset({"submitted"}),
    "accept": frozenset({"submitted", "shortlisted"}),
    "reject": frozenset({"submitted", "shortlisted"}),
    "withdraw": frozenset({"submitted", "shortlisted"}),
}


def daily_cap(*, premium: bool, free_cap: int, premium_cap: int) -> int:
    return premium_cap if premium else free_cap


def can_apply_today(applied_today: int, cap: int) -> bool:
    return applied_today < cap


@dataclass(frozen=True)
class FeedbackAction:
    kind: str  # "remind" or "close"
    hour: int  # which reminder (24, 40) or the window (48)


def feedback_action(*, created_at: datetime, now: datetime, window_hours: int, reminder_hours: list[int],
                    reminded: set[int]) -> FeedbackAction | None:
    """What the guarantee owes a still-unanswered application at `now`.

    Past the window: close. Otherwise the latest reminder that is due and not yet sent — a late timer sends one
    reminder, not a burst of stale ones.
    """
    age = now - created_at
    if age >= timedelta(hours=window_hours):
        return FeedbackAction("close", window_hours)
    due = [h for h in sorted(reminder_hours) if h < window_hours and age >= timedelta(hours=h)]
    if due and due[-1] not in reminded:
        return FeedbackAction("remind", due[-1])
    return None


def responded_on_time(responded_at: datetime, due_at: datetime) -> bool:
    return responded_at <= due_at


def response_rate(on_time: int, due: int) -> float | None:
    """Share of closed-out applications the merchant answered in time; None before there is any."""
    if due <= 0:
        return None
    return round(on_time / due, 4)

"""Cloud function `timers`: the scheduled sweeps of the core loop. Each TriggerName in serverless.yml maps to one
entry of TIMERS; every sweep is idempotent, so a timer that fires twice or late is harmless."""

from __future__ import annotations

from shared.runtime import bootstrap, timer_handler
from shared.uow import run


def feedback_guarantee() -> dict[str, int]:
    from shared.applications.service import run_feedback_guarantee

    return run(run_feedback_guarantee)


def auto_accept() -> int:
    from shared.work.service import auto_accept_overdue

    return run(auto_accept_overdue)


def task_expiry() -> int:
    from shared.tasks.service import expire_overdue

    return run(expire_overdue)


def orders_poll() -> dict[str, int]:
    """Unpaid orders older than a few minutes are queried at WeChat Pay (a notification can be lost)."""
    from shared.payments.poll import poll_unpaid_orders

    return poll_unpaid_orders()


def payouts_sweep() -> dict[str, int]:
    """Payouts stuck unconfirmed or failed are queried, cancelled or retried."""
    from shared.payouts.sweep import sweep_payouts

    return sweep_payouts()


def payments_reconcile() -> dict[str, int]:
    """Yesterday's WeChat Pay trade and fund-flow bills, matched line by line against the ledger (hourly until they
    are ready), and the last week's days still pending."""
    from shared.billing.reconciliation import reconcile_due

    return reconcile_due()


def memberships() -> dict[str, int]:
    """Memberships and promotions that ended are expired; members near the end are reminded."""
    from shared.billing.memberships import expire_and_remind

    return run(expire_and_remind)


def growth_levels() -> dict[str, int]:
    """Nightly: every developer's level re-evaluated (promotions missed, demotions whose grace period ended)."""
    from shared.growth.service import reevaluate_all

    return reevaluate_all()


def badges_nightly() -> dict[str, int]:
    """Every enabled badge re-checked for the users it may have changed for (new events, windows, holders of
    revocable badges): grants missed, revocations due."""
    from shared.badges.service import run_nightly

    return run_nightly()


def badges_digest() -> dict[str, int]:
    """New badges told to their users: one notification per user for the grants of the last moments."""
    from shared.badges.service import run_digest

    return run_digest()


def leaderboard_snapshots() -> dict[str, int]:
    """The rank snapshot of every live board (ranks beyond the exact top 1,000 are read from it: ≤ 5 minutes old)."""
    from shared.leaderboards.service import refresh_snapshots

    return refresh_snapshots()


def challenges() -> dict[str, int]:
    """Challenge cash bonuses the budget could not cover before are paid; from 20:00 Beijing time the daily check-in
    reminders go out (once per user per day)."""
    from shared.challenges.checkin import send_reminders
    from shared.challenges.subscribers import pay_owed

    return {"bonuses_paid": run(pay_owed), "reminders": run(send_reminders)}


def lottery() -> dict[str, int]:
    """The monthly lottery's due stages: announce this month's draw, close past draws, draw once the beacon round is
    out (fetched outside any transaction), pay owed prizes."""
    from shared.lottery.service import advance

    return advance()


TIMERS = {
    "feedback_guarantee": feedback_guarantee,
    "auto_accept": auto_accept,
    "task_expiry": task_expiry,
    "orders_poll": orders_poll,
    "payouts_sweep": payouts_sweep,
    "payments_reconcile": payments_reconcile,
    "memberships": memberships,
    "growth_levels": growth_levels,
    "badges_nightly": badges_nightly,
    "badges_digest": badges_digest,
    "leaderboard_snapshots": leaderboard_snapshots,
    "challenges": challenges,
    "lottery": lottery,
}

bootstrap()
main_handler = timer_handler(TIMERS)

"""Memberships: enterprise (merchants: commission tier), growth pass (advanced and mentor challenges), premium
(developers: higher daily application cap, more visibility); plus the cold-start free period.

A paid subscription order becomes one `memberships` row: the period it bought. Periods of one user and plan stack —
bought while active, the new period starts where the current one ends (renewal); bought after expiry, it starts now.
So a user is a member at `t` when some row covers `t`, and the membership runs until the latest `period_end`.

Premium also keeps `users.premium_until` (the latest premium period_end) in step, because that column is what the
application cap reads (shared/applications/service.py) — one indexed row, no join on the hot apply path.

Cold start (SPEC "developers use the core features free for the first 3 months after launch"), precisely: from
00:00 Beijing time on `Rules.launch_date` until 00:00 Beijing time `Rules.free_period_months` calendar months later
(default 2026-01-01 → 2026-04-01 00:00 +08:00, exclusive), every developer gets the premium daily application cap.
The core loop (browse, apply, deliver, get paid) never costs a developer anything anyway; the cap is the one core
feature a paid plan changes. The free period grants neither the growth pass (an add-on, not a core feature) nor
enterprise (merchants), and changes no commission. GET /billing/subscriptions says so to the user.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.billing import texts
from shared.billing.plans import PLANS, add_months, free_period, free_period_last_day, in_free_period
from shared.billing.queries import (  # noqa: F401 - the membership reads, kept importable from here
    has_growth_pass,
    is_enterprise,
    is_member,
    is_premium,
    member_until,
    premium_cap_applies,
)
from shared.errors import ValidationFailed
from shared.events import MembershipExpired, MembershipStarted
from shared.rules_config import Rules, load_rules
from shared.uow import UnitOfWork

# A timer run handles at most this many rows per step; the next run (hourly) takes the rest.
_BATCH = 1000


# --------------------------------------------------------------------------------------------------- granting


def validate_purchase(plan: str, months: int) -> None:
    if plan not in PLANS:
        raise ValidationFailed.field("plan", "未知的会员类型")
    if not 1 <= months <= 12:
        raise ValidationFailed.field("months", "购买时长须为 1–12 个月")


def grant_membership(uow: UnitOfWork, *, order_id: int, out_trade_no: str, user_id: int, plan: str, months: int,
                     price_fen: int) -> dict[str, Any] | None:
    """Grant the period a paid subscription order bought; None when that order was already granted.

    The user row lock serialises two orders of one user paid at once, so each stacks on the other's end.
    The period starts when we learn of the payment (not at WeChat's success_time): a notification that arrives late
    must not eat into what the user paid for.
    """
    validate_purchase(plan, months)
    uow.execute("SELECT 1 FROM users WHERE id = :u FOR UPDATE", {"u": user_id})
    if uow.execute("SELECT 1 FROM memberships WHERE source_order_id = :o", {"o": order_id}).first():
        return None
    current_end = member_until(uow, user_id, plan, uow.now)
    start = max(uow.now, current_end) if current_end else uow.now
    end = add_months(start, months)
    row = uow.execute(
        "INSERT INTO memberships (user_id, plan, months, period_start, period_end, price_fen, source_order_id,"
        " out_trade_no, created_at) VALUES (:u, :p, :m, :s, :e, :price, :o, :no, :now)"
        " ON CONFLICT (source_order_id) DO NOTHING RETURNING id",
        {"u": user_id, "p": plan, "m": months, "s": start, "e": end, "price": price_fen, "o": order_id,
         "no": out_trade_no, "now": uow.now},
    ).first()
    if row is None:
        return None
    if plan == "premium":
        # `end` is the latest premium period_end now (periods only ever stack onto the latest one).
        uow.execute("UPDATE users SET premium_until = :e, updated_at = :now WHERE id = :u",
                    {"e": end, "now": uow.now, "u": user_id})
    name = PLANS[plan].name
    renewal = current_end is not None
    uow.publish(MembershipStarted(membership_id=row.id, user_id=user_id, plan=plan, months=months, order_id=order_id,
                                  period_end=end.isoformat(), renewal=renewal))
    started = texts.MEMBERSHIP_RENEWED if renewal else texts.MEMBERSHIP_STARTED
    uow.notify(user_id, *started.render(name=name, until=_beijing(end)), data={"plan": plan, "membership_id": row.id},
               dedupe_key=f"membership_activated:{row.id}")
    return {"id": row.id, "plan": plan, "period_start": start, "period_end": end, "renewal": renewal}


# --------------------------------------------------------------------------------------------------- the timer


def expire_and_remind(uow: UnitOfWork) -> dict[str, int]:
    """The hourly `memberships` timer: expire ended periods, remind members whose membership ends within
    `membership_reminder_days` (once per period), end promotions. Idempotent: every step is driven by stored state,
    so a timer that fires twice or late does the right thing."""
    from shared.billing.promotion import end_promotions

    rules = load_rules(uow)
    expired, lapsed = _expire(uow)
    reminded = _remind(uow, rules)
    ended = end_promotions(uow)
    return {"memberships_expired": expired, "memberships_lapsed": lapsed, "reminded": reminded,
            "promotions_ended": ended}


def _expire(uow: UnitOfWork) -> tuple[int, int]:
    rows = uow.execute(
        # A MATERIALIZED pick (not `IN (SELECT … LIMIT)`, which PostgreSQL may re-run) keeps the batch bounded.
        "WITH picked AS MATERIALIZED (SELECT id FROM memberships"
        " WHERE expired_at IS NULL AND period_end <= :now ORDER BY period_end LIMIT :n FOR UPDATE SKIP LOCKED)"
        " UPDATE memberships SET expired_at = :now FROM picked WHERE memberships.id = picked.id"
        " RETURNING memberships.id, user_id, plan, period_end", {"now": uow.now, "n": _BATCH}).all()
    lapsed = 0
    for r in rows:
        if member_until(uow, r.user_id, r.plan, uow.now) is not None:
            continue  # renewed: the next period has already started, nothing lapsed
        lapsed += 1
        if r.plan == "premium":
            # Keep the cap's column truthful; a premium_until still in the future (a later period) stays.
            uow.execute("UPDATE users SET premium_until = NULL, updated_at = :now"
                        " WHERE id = :u AND premium_until <= :now", {"u": r.user_id, "now": uow.now})
        name = PLANS[r.plan].name
        uow.publish(MembershipExpired(membership_id=r.id, user_id=r.user_id, plan=r.plan))
        uow.notify(r.user_id, *texts.MEMBERSHIP_EXPIRED.render(name=name, ended=_beijing(r.period_end)),
                   data={"plan": r.plan, "membership_id": r.id}, dedupe_key=f"membership_expired:{r.id}")
    return len(rows), lapsed


def _remind(uow: UnitOfWork, rules: Rules) -> int:
    # Only the latest period of a membership is reminded: a period followed by a renewal does not end for the user.
    rows = uow.execute(
        "WITH picked AS MATERIALIZED (SELECT id FROM memberships x"
        " WHERE x.reminded_at IS NULL AND x.expired_at IS NULL AND x.period_end > :now AND x.period_end <= :soon"
        " AND NOT EXISTS (SELECT 1 FROM memberships y WHERE y.user_id = x.user_id AND y.plan = x.plan"
        " AND y.period_end > x.period_end) ORDER BY x.period_end LIMIT :n FOR UPDATE OF x SKIP LOCKED)"
        " UPDATE memberships m SET reminded_at = :now FROM picked WHERE m.id = picked.id"
        " RETURNING m.id, m.user_id, m.plan, m.period_end",
        {"now": uow.now, "soon": uow.now + timedelta(days=rules.membership_reminder_days), "n": _BATCH}).all()
    for r in rows:
        name = PLANS[r.plan].name
        uow.notify(r.user_id, *texts.MEMBERSHIP_EXPIRING.render(name=name, ends=_beijing(r.period_end)),
                   data={"plan": r.plan, "membership_id": r.id}, dedupe_key=f"membership_expiring:{r.id}")
    return len(rows)


# --------------------------------------------------------------------------------------------------- the view


def my_subscriptions(uow: UnitOfWork, user_id: int) -> dict[str, Any]:
    """The user's memberships (newest first), the status of each plan and the perks in effect now."""
    from shared.auth.models import User

    rules = load_rules(uow)
    now = uow.now
    user = uow.session.get(User, user_id)
    assert user is not None
    rows = uow.execute(
        "SELECT id, plan, months, period_start, period_end, price_fen, out_trade_no, created_at FROM memberships"
        " WHERE user_id = :u ORDER BY period_start DESC, id DESC LIMIT 100", {"u": user_id}).mappings().all()
    history = [{**dict(r), "plan_name": PLANS[r["plan"]].name,
                "status": "active" if r["period_start"] <= now < r["period_end"]
                else "scheduled" if r["period_start"] > now else "expired"} for r in rows]
    plans = []
    for code, plan in PLANS.items():
        until = member_until(uow, user_id, code, now)
        plans.append({"plan": code, "name": plan.name, "active": until is not None, "until": until,
                      "price_fen_per_month": plan.price_fen(rules, 1), "for_role": plan.role,
                      "perks": list(plan.perks)})
    active = {p["plan"] for p in plans if p["active"]}
    start, end = free_period(rules)
    free_now = in_free_period(rules, now)
    premium_cap = premium_cap_applies(rules, user.premium_until, now)
    perks = {
        "premium": "premium" in active,
        "growth_pass": "growth" in active,
        "enterprise": "enterprise" in active,
        "commission_tier": "enterprise" if "enterprise" in active else "standard",
        "daily_application_cap": rules.daily_applications_premium if premium_cap else rules.daily_applications_free,
        "premium_cap_reason": ("premium" if "premium" in active else "free_period" if free_now else None),
    }
    last_day = free_period_last_day(rules)
    free = {
        "active": free_now, "starts_at": start, "ends_at": end,
        "description": (f"冷启动免费期：{rules.launch_date.isoformat()} 至 {last_day.isoformat()}（北京时间），"
                        f"所有开发者每日可投递 {rules.daily_applications_premium} 次（高级会员同等上限）；"
                        "成长通行证与企业会员不在免费范围内。"),
    }
    return {"plans": plans, "perks": perks, "free_period": free, "memberships": history}


def _beijing(at: datetime) -> str:
    from shared.clock import SHANGHAI

    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")

"""The plans and the calendar arithmetic of periods. Pure: callers pass the rules and the time.

Periods are counted in calendar months in Beijing time (a month bought on 31 January at 10:00 ends on 28/29 February
at 10:00), because that is how a Chinese user reads "one month", whatever UTC says.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from shared.clock import SHANGHAI
from shared.rules_config import Rules


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    role: str  # who may buy it: enterprise is for merchants, the others for developers
    price_rule: str  # the Rules field holding the monthly price in fen
    perks: tuple[str, ...]

    def price_fen(self, rules: Rules, months: int) -> int:
        return int(getattr(rules, self.price_rule)) * months


PLANS: dict[str, Plan] = {
    "enterprise": Plan("enterprise", "企业会员", "merchant", "enterprise_price_fen",
                       ("佣金按企业会员档（10%）收取",)),
    "growth": Plan("growth", "成长通行证", "developer", "growth_pass_price_fen",
                   ("解锁进阶挑战与导师特训",)),
    "premium": Plan("premium", "高级会员", "developer", "premium_price_fen",
                    ("每日投递上限提高", "更高的曝光")),
}


def add_months(at: datetime, months: int) -> datetime:
    """`at` plus calendar months in Beijing time, clamped to the month's last day; the result is UTC."""
    if at.tzinfo is None:
        raise ValueError("add_months needs an aware datetime")
    local = at.astimezone(SHANGHAI)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(timezone.utc)


def free_period(rules: Rules) -> tuple[datetime, datetime]:
    """The cold-start window [start, end): from 00:00 Beijing time on the launch date to 00:00 Beijing time on the
    same day `free_period_months` months later (launch 2026-01-01 -> free until 2026-04-01 00:00 +08:00)."""
    start = datetime.combine(rules.launch_date, time(0), tzinfo=SHANGHAI).astimezone(timezone.utc)
    return start, add_months(start, rules.free_period_months)


def in_free_period(rules: Rules, at: datetime) -> bool:
    start, end = free_period(rules)
    return start <= at < end


def free_period_last_day(rules: Rules) -> date:
    """The last Beijing calendar day of the free period, as shown to users."""
    _, end = free_period(rules)
    return end.astimezone(SHANGHAI).date() - timedelta(days=1)

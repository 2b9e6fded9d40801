"""The business dashboard, read from the aggregates (three small queries: counters of the last 12 months, the users
registered before them, the last cohorts). Read-only; the console renders it (shared/console/pages/dashboard.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from shared.metrics.rules import REVENUE_SOURCES, STAGES, Stage, month_of, rate, stage_reached, week_of

if TYPE_CHECKING:
    from shared.uow import UnitOfWork

MONTHS = 12
DAYS = 30
WEEKS = 12
COHORTS = 8


@dataclass
class StageProgress:
    reached: int  # stages reached (0..3)
    current: Stage | None
    next: Stage | None
    users: int
    revenue_fen: int  # the last full month's revenue (the stage is judged on a whole month)
    users_progress: float | None  # toward the next stage, 0..1
    revenue_progress: float | None


@dataclass
class Cohort:
    week: date
    size: int
    shares: list[float | None]  # week 0, 1, … after registration; None: not reached yet


@dataclass
class Dashboard:
    today: date
    users_total: int
    registrations_today: int
    dau_today: int
    dau_yesterday: int
    wau_this_week: int
    wau_last_week: int
    mau_this_month: int
    revenue_this_month_fen: int
    revenue_last_month_fen: int
    gmv_this_month_fen: int
    stage: StageProgress
    days: list[date] = field(default_factory=list)
    daily: dict[str, list[int]] = field(default_factory=dict)
    weeks: list[date] = field(default_factory=list)
    weekly: dict[str, list[int]] = field(default_factory=dict)
    months: list[date] = field(default_factory=list)
    monthly: dict[str, list[int]] = field(default_factory=dict)
    users_cumulative: list[int] = field(default_factory=list)  # at each month's end
    response_rate: list[float | None] = field(default_factory=list)
    dispute_rate: list[float | None] = field(default_factory=list)
    cohorts: list[Cohort] = field(default_factory=list)


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def dashboard(uow: UnitOfWork, today: date) -> Dashboard:
    first_month = _add_months(month_of(today), -(MONTHS - 1))
    values: dict[str, dict[date, int]] = defaultdict(dict)
    for row in uow.execute("SELECT metric, period, value FROM metrics_counters WHERE period >= :since",
                           {"since": first_month}).all():
        values[row.metric][row.period] = int(row.value)
    before = int(uow.execute("SELECT coalesce(sum(value), 0) FROM metrics_counters WHERE metric = 'registrations'"
                             " AND period < :since", {"since": first_month}).scalar_one())
    this_week = week_of(today)
    first_cohort = this_week - timedelta(weeks=COHORTS - 1)
    retention: dict[date, dict[date, int]] = defaultdict(dict)
    for row in uow.execute("SELECT cohort_week, week, users FROM metrics_retention WHERE cohort_week >= :c",
                           {"c": first_cohort}).all():
        retention[row.cohort_week][row.week] = int(row.users)

    def day_value(metric: str, day: date) -> int:
        return values[metric].get(day, 0)

    def summed(metric: str, start: date, end: date) -> int:
        """An additive metric over [start, end)."""
        return sum(v for d, v in values[metric].items() if start <= d < end)

    months = [_add_months(first_month, i) for i in range(MONTHS)]
    month_ends = [*months[1:], _add_months(months[-1], 1)]
    monthly: dict[str, list[int]] = {}
    for metric in ("registrations", "tasks_published", "tasks_funded", "tasks_completed", "gmv", "responses_due",
                   "responses_on_time", "disputes_opened", "tasks_delivered",
                   *(f"revenue:{s}" for s in REVENUE_SOURCES)):
        monthly[metric] = [summed(metric, m, e) for m, e in zip(months, month_ends, strict=True)]
    monthly["mau"] = [values["mau"].get(m, 0) for m in months]
    monthly["revenue"] = [sum(monthly[f"revenue:{s}"][i] for s in REVENUE_SOURCES) for i in range(MONTHS)]
    cumulative, running = [], before
    for n in monthly["registrations"]:
        running += n
        cumulative.append(running)

    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    daily = {m: [day_value(m, d) for d in days]
             for m in ("registrations", "dau", "tasks_published", "tasks_funded", "tasks_completed")}
    weeks = [this_week - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]
    weekly = {"wau": [values["wau"].get(w, 0) for w in weeks],
              "registrations": [summed("registrations", w, w + timedelta(weeks=1)) for w in weeks]}

    cohorts = []
    for i in range(COHORTS):
        week = first_cohort + timedelta(weeks=i)
        size = summed("registrations", week, week + timedelta(weeks=1))
        reached = (this_week - week).days // 7 + 1
        shares = [rate(retention[week].get(week + timedelta(weeks=k), 0), size) if k < reached else None
                  for k in range(COHORTS)]
        cohorts.append(Cohort(week, size, shares))

    users_total = running
    last_month_revenue = monthly["revenue"][-2]
    reached = stage_reached(users_total, last_month_revenue)
    upcoming = STAGES[reached] if reached < len(STAGES) else None
    stage = StageProgress(
        reached=reached, current=STAGES[reached - 1] if reached else None, next=upcoming, users=users_total,
        revenue_fen=last_month_revenue,
        users_progress=min(users_total / upcoming.users, 1.0) if upcoming else None,
        revenue_progress=min(max(last_month_revenue, 0) / upcoming.revenue_fen, 1.0) if upcoming else None)
    return Dashboard(
        today=today, users_total=users_total, registrations_today=day_value("registrations", today),
        dau_today=day_value("dau", today), dau_yesterday=day_value("dau", today - timedelta(days=1)),
        wau_this_week=values["wau"].get(this_week, 0),
        wau_last_week=values["wau"].get(this_week - timedelta(weeks=1), 0),
        mau_this_month=values["mau"].get(month_of(today), 0), revenue_this_month_fen=monthly["revenue"][-1],
        revenue_last_month_fen=last_month_revenue, gmv_this_month_fen=monthly["gmv"][-1], stage=stage,
        days=days, daily=daily, weeks=weeks, weekly=weekly, months=months, monthly=monthly,
        users_cumulative=cumulative,
        response_rate=[rate(a, b) for a, b in zip(monthly["responses_on_time"], monthly["responses_due"], strict=True)],
        dispute_rate=[rate(a, b) for a, b in zip(monthly["disputes_opened"], monthly["tasks_delivered"], strict=True)],
        cohorts=cohorts)

"""`metrics.record`: the after-commit subscriber that keeps the dashboard's aggregates (shared/metrics/rules.py says
what each event adds). Writes only the metrics_* tables.

Exactly once in effect, even under replay: every counter moves only together with a new row — a fact keyed by the
business event (metrics_facts), a user's first activity in a day / week / month (metrics_activity), a user's
registration (metrics_users) — in this delivery's transaction. Deliveries run in any order and concurrently: the
rows of one user are serialised by an advisory lock (so a registration and that user's first activity cannot both
miss each other's cohort row), and counters are written last, in one statement, in key order (no deadlocks between
deliveries).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, Any

from shared.metrics.rules import effects, month_of, week_of

if TYPE_CHECKING:
    from shared.events import Stored
    from shared.uow import UnitOfWork


def record(uow: UnitOfWork, stored: Stored[Any]) -> None:
    fx = effects(stored.event, stored.occurred_at, stored.id)
    counters: Counter[tuple[str, date]] = Counter()
    retention: Counter[tuple[date, date]] = Counter()
    for count in sorted(fx.counts, key=lambda c: c.fact):
        new = uow.execute("INSERT INTO metrics_facts (kind, key, counted_at) VALUES (:k, :key, :now)"
                          " ON CONFLICT DO NOTHING RETURNING 1",
                          {"k": count.fact[0], "key": count.fact[1], "now": uow.now}).first()
        if new is not None:
            for metric, delta in count.deltas:
                counters[(metric, fx.day)] += delta
    user = fx.registered_user or fx.active_user
    if user is not None:
        uow.execute("SELECT pg_advisory_xact_lock(hashtext('metrics:user:' || CAST(:u AS text)))", {"u": user})
        if fx.registered_user is not None:
            _register(uow, fx.registered_user, fx.day, counters, retention)
        if fx.active_user is not None:
            _activity(uow, fx.active_user, fx.day, counters, retention)
    _add_counters(uow, counters)
    _add_retention(uow, retention)


def _register(uow: UnitOfWork, user_id: int, day: date, counters: Counter[tuple[str, date]],
              retention: Counter[tuple[date, date]]) -> None:
    cohort = week_of(day)
    new = uow.execute("INSERT INTO metrics_users (user_id, registered_on, cohort_week) VALUES (:u, :d, :c)"
                      " ON CONFLICT DO NOTHING RETURNING 1", {"u": user_id, "d": day, "c": cohort}).first()
    if new is None:
        return
    counters[("registrations", day)] += 1
    # The user's activity may have been recorded before this registration (deliveries run in any order): those
    # weeks join the cohort now. Later weeks are counted by _activity, which finds the cohort row from here on.
    for row in uow.execute("SELECT period FROM metrics_activity WHERE user_id = :u AND period_kind = 'w'"
                           " AND period >= :c", {"u": user_id, "c": cohort}).all():
        retention[(cohort, row.period)] += 1


def _activity(uow: UnitOfWork, user_id: int, day: date, counters: Counter[tuple[str, date]],
              retention: Counter[tuple[date, date]]) -> None:
    week = week_of(day)
    for kind, period, metric in (("d", day, "dau"), ("w", week, "wau"), ("m", month_of(day), "mau")):
        new = uow.execute("INSERT INTO metrics_activity (user_id, period_kind, period) VALUES (:u, :k, :p)"
                          " ON CONFLICT DO NOTHING RETURNING 1", {"u": user_id, "k": kind, "p": period}).first()
        if new is None:
            if kind == "d":
                return  # active today already: this week and month are counted too
            continue
        counters[(metric, period)] += 1
        if kind == "w":
            cohort = uow.execute("SELECT cohort_week FROM metrics_users WHERE user_id = :u",
                                 {"u": user_id}).scalar()
            if cohort is not None and week >= cohort:
                retention[(cohort, week)] += 1


def _add_counters(uow: UnitOfWork, counters: Counter[tuple[str, date]]) -> None:
    items = sorted((k, v) for k, v in counters.items() if v)
    if not items:
        return
    params: dict[str, Any] = {}
    values = []
    for i, ((metric, period), delta) in enumerate(items):
        values.append(f"(:m{i}, :p{i}, :v{i})")
        params |= {f"m{i}": metric, f"p{i}": period, f"v{i}": delta}
    uow.execute("INSERT INTO metrics_counters (metric, period, value) VALUES " + ", ".join(values)
                + " ON CONFLICT (metric, period) DO UPDATE SET value = metrics_counters.value + EXCLUDED.value",
                params)


def _add_retention(uow: UnitOfWork, retention: Counter[tuple[date, date]]) -> None:
    for (cohort, week), users in sorted(retention.items()):
        uow.execute("INSERT INTO metrics_retention (cohort_week, week, users) VALUES (:c, :w, :n)"
                    " ON CONFLICT (cohort_week, week) DO UPDATE SET users = metrics_retention.users + EXCLUDED.users",
                    {"c": cohort, "w": week, "n": users})

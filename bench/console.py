"""The operators' console at the benchmark's size (issue 11): the dashboard's p99 over the seeded 1,000,000 tasks and
200,000 developers (bench/seed.py), the other pages, and what keeping the aggregates up to date costs per event.

1. Aggregates. The seed writes its rows with set-based SQL and has no event log, so there is nothing to replay
   through `metrics.record` (and replaying millions of events through the jobs worker on 2 cores is not what is
   measured here). The metrics tables are filled instead from the seeded rows, with set-based SQL giving what the
   subscriber would have counted had those rows been made through the use cases: one registration per user (its
   cohort week), one fact and counter per task published / funded / delivered / completed / disputed, GMV, the
   standard commission on completed tasks, promotion fees of promoted tasks, monthly orders of the seeded premium
   members and of some merchants (enterprise) and developers (growth pass), and user activity: every user active on a
   random number of days of their lifetime (heavy-tailed: a few daily, most rarely), which gives DAU / WAU / MAU and
   the retention cohorts. The 48-hour response counters are synthetic (the seed has no applications). Built once per
   seed (marker table bench.console_aggregates) — millions of rows: the fact and activity tables are the big ones,
   the dashboard reads only the counters.
2. Measured in process through the admin function's `main_handler` with a real console session cookie (signed in by
   the SMS flow against the fake): GET /admin/console (the dashboard) and the other pages; the dashboard's read alone;
   and `metrics.record` per event (the subscriber's transaction, not the job claim around it: bench/events.py
   measures the delivery lag).

    python -m bench.run --only console          (what `make bench` runs as its `console` part)
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import text

from bench.stats import Summary

AGGREGATES_VERSION = 1
HEADING = "## Operators' console — the dashboard at 1,000,000 tasks / 200,000 developers (`bench/console.py`)"
BASE = "/admin/console"
PAGES = (("dashboard", ""), ("users (newest 50)", "/users"), ("users: search by name", "/users?q=开发者123456"),
         ("users: search by phone", "/users?q=13900001234"), ("review queue (100 of 20,000)", "/tasks"),
         ("task and its history", "/tasks/{task}"), ("user and timeline", "/users/{user}"),
         ("disputes", "/disputes"), ("money that needs a hand", "/money"), ("rules", "/rules"), ("audit", "/audit"))


@dataclass
class ConsoleResult:
    pages: list[tuple[str, Summary]]
    dashboard_read: Summary
    subscriber: list[tuple[str, Summary]]
    sizes: dict[str, int]
    aggregates_seconds: float
    bytes_dashboard: int


# --- the aggregates from the seeded rows ---------------------------------------------------------------------------

_COMMISSION = ("((least(reward_fen, 1000000) * 1500 + greatest(reward_fen - 1000000, 0) * 500 + 5000) / 10000)")
_DAY = "(({col}) AT TIME ZONE 'Asia/Shanghai')::date"


def _steps(epoch: datetime) -> list[tuple[str, str]]:
    day = _DAY.format
    return [
        ("users", "INSERT INTO metrics_users (user_id, registered_on, cohort_week)"
                  f" SELECT id, {day(col='created_at')}, date_trunc('week', {day(col='created_at')})::date"
                  " FROM users WHERE NOT ('admin' = ANY(roles))"),
        ("task facts", "INSERT INTO metrics_facts (kind, key, counted_at)"
                       " SELECT k, id::text || CASE WHEN k = 'gmv' THEN ':' || '0' ELSE '' END, :now FROM tasks,"
                       " LATERAL (VALUES ('published', true), ('funded', published_at IS NOT NULL),"
                       "  ('gmv', published_at IS NOT NULL AND NOT is_platform),"
                       "  ('delivered', delivered_at IS NOT NULL),"
                       "  ('completed', completed_at IS NOT NULL), ('commission', completed_at IS NOT NULL),"
                       "  ('dispute', status IN ('disputed', 'failed') AND delivered_at IS NOT NULL)) AS f(k, ok)"
                       " WHERE ok"),
        ("task counters", "INSERT INTO metrics_counters (metric, period, value)"
                          " SELECT metric, period, sum(v) FROM tasks, LATERAL (VALUES"
                          f"  ('tasks_published', {day(col='created_at')}, 1::bigint),"
                          f"  ('tasks_funded', {day(col='published_at')}, 1::bigint),"
                          f"  ('gmv', CASE WHEN NOT is_platform THEN {day(col='published_at')} END, reward_fen),"
                          f"  ('tasks_delivered', {day(col='delivered_at')}, 1::bigint),"
                          f"  ('tasks_completed', {day(col='completed_at')}, 1::bigint),"
                          f"  ('revenue:commission', {day(col='completed_at')}, {_COMMISSION}),"
                          f"  ('disputes_opened', CASE WHEN status IN ('disputed', 'failed')"
                          f"   THEN {day(col='delivered_at')} END, 1::bigint),"
                          f"  ('revenue:promotion', CASE WHEN promoted_until IS NOT NULL"
                          f"   THEN {day(col='published_at')} END, 5000::bigint),"
                          f"  ('responses_due', {day(col='published_at')}, 3::bigint),"
                          f"  ('responses_on_time', {day(col='published_at')}, CASE WHEN random() < 0.85 THEN 3"
                          "   ELSE 2 END::bigint)) AS c(metric, period, v)"
                          " WHERE period IS NOT NULL GROUP BY metric, period"),
        # Memberships: premium members of the seed, 10 % of merchants (enterprise), 2 % of developers (growth pass),
        # each with a monthly order since they registered, at most 12.
        ("orders", "CREATE TEMP TABLE bench_orders ON COMMIT DROP AS"
                   " SELECT u.id, plan, price, created_at + interval '1 month' * k AS paid_at FROM users u,"
                   " LATERAL (VALUES ('premium', 1990, premium_until IS NOT NULL),"
                   "  ('enterprise', 19900, 'merchant' = ANY(roles) AND u.id % 10 = 0),"
                   "  ('growth', 4900, 'developer' = ANY(roles) AND u.id % 50 = 7)) AS p(plan, price, ok),"
                   " generate_series(0, 11) AS k WHERE ok AND created_at + interval '1 month' * k <= :now"),
        ("order facts", "INSERT INTO metrics_facts (kind, key, counted_at)"
                        " SELECT 'order', 'bench-' || plan || '-' || id || '-' || paid_at, :now FROM bench_orders"),
        ("order counters", "INSERT INTO metrics_counters (metric, period, value)"
                           f" SELECT 'revenue:subscription:' || plan, {day(col='paid_at')}, sum(price)"
                           " FROM bench_orders GROUP BY 1, 2"),
        ("registrations", "INSERT INTO metrics_counters (metric, period, value)"
                          " SELECT 'registrations', registered_on, count(*) FROM metrics_users GROUP BY 2"),
        # Activity: each user active on k random days of their life, k heavy-tailed (mean ≈ 20 days a year).
        ("activity days", "INSERT INTO metrics_activity (user_id, period_kind, period)"
                          " SELECT DISTINCT u.user_id, 'd', u.registered_on"
                          " + floor(random() * (:today - u.registered_on + 1))::int FROM metrics_users u,"
                          # `+ user_id * 0`: a reference to the row, so the series length is drawn per user
                          " LATERAL generate_series(1, 1 + floor(power(random(), 3) * 80)::int + u.user_id * 0) g"),
        ("activity weeks", "INSERT INTO metrics_activity (user_id, period_kind, period)"
                           " SELECT DISTINCT user_id, 'w', date_trunc('week', period)::date FROM metrics_activity"
                           " WHERE period_kind = 'd'"),
        ("activity months", "INSERT INTO metrics_activity (user_id, period_kind, period)"
                            " SELECT DISTINCT user_id, 'm', date_trunc('month', period)::date FROM metrics_activity"
                            " WHERE period_kind = 'd'"),
        ("active counters", "INSERT INTO metrics_counters (metric, period, value)"
                            " SELECT CASE period_kind WHEN 'd' THEN 'dau' WHEN 'w' THEN 'wau' ELSE 'mau' END,"
                            " period, count(*) FROM metrics_activity GROUP BY period_kind, period"),
        ("retention", "INSERT INTO metrics_retention (cohort_week, week, users)"
                      " SELECT u.cohort_week, a.period, count(*) FROM metrics_activity a"
                      " JOIN metrics_users u ON u.user_id = a.user_id"
                      " WHERE a.period_kind = 'w' AND a.period >= u.cohort_week GROUP BY 1, 2"),
    ]


def build_aggregates(engine: Any, epoch: datetime, progress: Callable[[str], None]) -> float:
    """Fill the metrics tables from the seed (once per seed epoch); returns the seconds it took (then or now)."""
    from shared.clock import SHANGHAI

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench.console_aggregates (version int, epoch timestamptz,"
                          " seconds double precision)"))
        done = conn.execute(text("SELECT seconds FROM bench.console_aggregates WHERE version = :v AND epoch = :e"),
                            {"v": AGGREGATES_VERSION, "e": epoch}).first()
    if done is not None:
        progress(f"aggregates already built for this seed ({done.seconds:.0f} s then)")
        return float(done.seconds)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
        conn.execute(text("SELECT setseed(0.1111)"))
        conn.execute(text("TRUNCATE metrics_counters, metrics_facts, metrics_users, metrics_activity,"
                          " metrics_retention"))
        today = epoch.astimezone(SHANGHAI).date()
        for name, sql in _steps(epoch):
            step = time.perf_counter()
            conn.execute(text(sql), {"now": epoch, "today": today})
            progress(f"aggregates: {name} {time.perf_counter() - step:.1f} s")
        conn.execute(text("DELETE FROM bench.console_aggregates"))
        seconds = time.perf_counter() - started
        conn.execute(text("INSERT INTO bench.console_aggregates VALUES (:v, :e, :s)"),
                     {"v": AGGREGATES_VERSION, "e": epoch, "s": seconds})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) metrics_counters, metrics_facts, metrics_users, metrics_activity,"
                          " metrics_retention"))
    return seconds


# --- a console session, signed in like an operator ------------------------------------------------------------------


class Browser:
    """Cookies and forms against the admin function's main_handler (in process)."""

    def __init__(self) -> None:
        from functions.admin.index import main_handler

        self.handler = main_handler
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        target, _, query = path.partition("?")
        headers = {"content-type": "application/x-www-form-urlencoded", "x-scf-remote-addr": "127.0.0.1",
                   "cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        event = {"httpMethod": method, "path": target, "headers": headers, "isBase64Encoded": False,
                 "queryString": dict(p.split("=", 1) for p in query.split("&") if "=" in p),
                 "body": urlencode(form) if form else ""}
        answer = self.handler(event, None)
        cookie = (answer.get("headers") or {}).get("set-cookie")
        if cookie:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        body = answer.get("body") or ""
        return answer["statusCode"], base64.b64decode(body).decode() if answer.get("isBase64Encoded") else body

    def sign_in(self, sms: Any, phone: str) -> None:
        import re

        _, page = self.request("GET", f"{BASE}/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, "no login form"
        self.request("POST", f"{BASE}/login/code", {"phone": phone, "csrf_token": token.group(1)})
        status, _ = self.request("POST", f"{BASE}/login", {"phone": phone, "code": sms.last_code("+86" + phone),
                                                             "csrf_token": token.group(1)})
        assert status == 303, f"console login failed ({status})"


# --- measuring -----------------------------------------------------------------------------------------------------


def _time(fn: Callable[[], Any], warmup: int, iterations: int) -> Summary:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return Summary.of(samples)


def run(platform: Any, epoch: datetime, *, warmup: int, iterations: int,
        progress: Callable[[str], None]) -> ConsoleResult:
    from shared.auth.service import make_admin
    from shared.clock import SHANGHAI
    from shared.db import get_engine
    from shared.metrics import queries
    from shared.uow import run as run_uow

    engine = get_engine()
    seconds = build_aggregates(engine, epoch, progress)
    # A new operator each run: the clock is fixed at the seed's epoch, so a phone signed in by an earlier run would
    # still be inside its SMS resend interval.
    phone = f"139{random.randint(0, 10**8 - 1):08d}"
    run_uow(lambda uow: make_admin(uow, "+86" + phone))
    browser = Browser()
    browser.sign_in(platform.fakes["sms"], phone)
    with engine.connect() as conn:
        sizes = {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
                 for t in ("tasks", "users", "metrics_counters", "metrics_facts", "metrics_activity",
                           "metrics_retention")}
        task = conn.execute(text("SELECT max(id) FROM tasks WHERE status = 'completed'")).scalar_one()
        user = conn.execute(text("SELECT assignee_id FROM tasks WHERE id = :t"), {"t": task}).scalar_one()
    status, page = browser.request("GET", BASE)
    assert status == 200 and "经营看板" in page, f"dashboard answered {status}"
    today = epoch.astimezone(SHANGHAI).date()
    pages = []
    for name, path in PAGES:
        path = BASE + path.format(task=task, user=user)
        n = iterations if name == "dashboard" else max(iterations // 6, 20)
        progress(f"{name}: {n} requests")
        first = browser.request("GET", path)[0]
        assert first == 200, f"{path} answered {first}"
        pages.append((name, _time(lambda path=path: browser.request("GET", path), warmup, n)))
    read = _time(lambda: run_uow(lambda uow: queries.dashboard(uow, today)), warmup, iterations)
    progress("metrics.record per event")
    subscriber = _subscriber(epoch, warmup, max(iterations // 2, 50))
    return ConsoleResult(pages, read, subscriber, sizes, seconds, len(page.encode()))


def _subscriber(epoch: datetime, warmup: int, n: int) -> list[tuple[str, Summary]]:
    from shared.events import ApplicationSubmitted, HallBrowsed, Stored, TaskPublished
    from shared.metrics.subscribers import record
    from shared.uow import run as run_uow

    at = epoch - timedelta(minutes=1)
    ids = iter(range(10**12, 10**12 + 10**6))
    users = iter(range(50_000, 200_000, 7))  # seeded developers, mostly not active today yet
    tasks = iter(range(10**9, 10**9 + 10**6))

    def deliver(event: Any) -> None:
        stored = Stored(next(ids), at, event)
        run_uow(lambda uow: record(uow, stored))

    same = next(users)
    cases = [
        ("HallBrowsed, user already active today", lambda: deliver(HallBrowsed(user_id=same))),
        ("ApplicationSubmitted, user's first action today", lambda: deliver(ApplicationSubmitted(
            application_id=next(ids), task_id=1, developer_id=next(users), merchant_id=1))),
        ("TaskPublished (a fact and a counter, the merchant active)", lambda: deliver(TaskPublished(
            task_id=next(tasks), merchant_id=7, status="open", skill_tags=("python",), difficulty=2,
            reward_fen=10_000))),
    ]
    return [(name, _time(fn, warmup, n)) for name, fn in cases]


# --- the report ----------------------------------------------------------------------------------------------------


def render(r: ConsoleResult) -> str:
    dash = dict(r.pages)["dashboard"]
    verdict = "**met**" if dash.p99 <= 300 else "**missed**"
    lines = [
        f"Goal: the dashboard answers in ≤ 300 ms (p99) — {verdict}: p99 {dash.p99:.1f} ms over {dash.n} requests,"
        f" {r.bytes_dashboard / 1024:.0f} KB of HTML (the two libraries are cached by the browser: versioned URLs).",
        "",
        f"Data: {r.sizes['tasks']:,} tasks, {r.sizes['users']:,} users; aggregates {r.sizes['metrics_counters']:,}"
        f" counter rows (what the dashboard reads), {r.sizes['metrics_facts']:,} facts,"
        f" {r.sizes['metrics_activity']:,} activity rows, {r.sizes['metrics_retention']:,} retention cells"
        + f"; built from the seed's rows in {r.aggregates_seconds:.0f} s (set-based SQL, once per seed).",
        "",
        "| page (GET, through `main_handler`, with the session cookie) | n | p50 | p90 | p99 | max |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {name} | {s.n} | {s.p50:.1f} | {s.p90:.1f} | {s.p99:.1f} | {s.max:.1f} |" for name, s in r.pages]
    s = r.dashboard_read
    lines += [f"| (the dashboard's read alone: `metrics.queries.dashboard`) | {s.n} | {s.p50:.1f} | {s.p90:.1f} |"
              f" {s.p99:.1f} | {s.max:.1f} |", "",
              "| `metrics.record`, one event (its own transaction) | n | p50 | p90 | p99 | max |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {name} | {s.n} | {s.p50:.2f} | {s.p90:.2f} | {s.p99:.2f} | {s.max:.2f} |"
              for name, s in r.subscriber]
    return "\n".join(lines) + "\n"


def run_part(*, when: str, quiet: str, warmup: int, iterations: int, write: bool,
             progress: Callable[[str], None]) -> str:
    """`python -m bench.run --only console`: the platform on the benchmark database, the seed, the aggregates, the
    measurements; the result in its own block of docs/BENCHMARKS.md."""
    from bench import report
    from bench.env import start_platform
    from bench.seed import ensure_seeded
    from shared.clock import FixedClock, use_clock

    platform = start_platform()
    try:
        from shared.db import get_engine

        info = ensure_seeded(get_engine())
        use_clock(FixedClock(info.epoch))
        result = run(platform, info.epoch, warmup=warmup, iterations=iterations, progress=progress)
    finally:
        platform.stop()
    section = (f"Run **{when}** — {report.nproc()} CPU ({report.cpu_model()}), {report.python()}; {quiet}; load"
               f" average (1/5/15 min) after: {report.load()}. In process, clock fixed at the seed epoch"
               f" {info.epoch.isoformat()}; milliseconds.\n\n" + render(result))
    print("\n" + section, flush=True)
    if write:
        print(f"console block written to {report.write_block('console', HEADING, section)}")
    return section

"""Event benchmarks (issue 7): what the event system costs the hot use cases, and how fast after-commit subscribers
follow a commit.

1. Handler time of the three core-loop writes the rewiring touched, through the functions' `main_handler` with real
   bearer tokens, on a small database of its own (`codelink_bench_events`, rebuilt every run so runs compare):
   - apply: POST /applications (a fresh developer on a fresh open task each time);
   - accept application: POST /applications/{id}/accept (assigns the task, closes the other applicants);
   - accept delivery: POST /work/{id}/accept (completes the task and releases its escrow: ledger + payout + job).
   The same script runs on the code before the event system (it only needs the HTTP handlers and the ledger), so
   "before" and "after" are the same measurement.
2. Event-to-subscriber lag: a burst of events committed one use case after another, the jobs worker kicked after
   each commit through the SCF fake (async invoke, run in process like SCF would run it), a bench subscriber marks
   when it ran; lag = subscriber's commit - publisher's commit, both wall clock on this machine. p50/p99.

    python -m bench.events [--iterations 300] [--burst 200] [--only handlers|lag]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import text

from bench.stats import Summary, timed_ms

DATABASE = "codelink_bench_events"
NOW = datetime(2026, 6, 10, 2, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class HandlerResult:
    apply: Summary
    accept_application: Summary
    accept_delivery: Summary


def start_platform(jobs_kick: str = "off") -> Any:
    os.environ["JOBS_KICK"] = jobs_kick
    from bench.env import configure_logging
    from infra.local.platform import LocalPlatform

    configure_logging()
    platform = LocalPlatform(database_name=DATABASE, fresh_database=True, jobs_kick=jobs_kick,
                             gateway_port=0 if jobs_kick == "scf" else None).start()
    from shared.clock import FixedClock, use_clock

    use_clock(FixedClock(NOW))
    return platform


def _seed(engine: Any, n: int) -> dict[str, list[int]]:
    """One merchant; 2n developers with complete resume cards; n open tasks to apply to; n open tasks with two
    applicants each (to accept one); n delivered, funded tasks (to accept the delivery)."""
    from shared.ledger import accounts as acc
    from shared.ledger.service import post
    from shared.uow import run

    with engine.begin() as conn:
        merchant = conn.execute(text(
            "INSERT INTO users (openid, nickname, roles, created_at, updated_at)"
            " VALUES ('bench-merchant', '压测商家', '{merchant}', :now, :now) RETURNING id"), {"now": NOW}).scalar_one()
        conn.execute(text("INSERT INTO merchant_profiles (user_id, name, tasks_approved, created_at, updated_at)"
                          " VALUES (:m, '压测商家', 1, :now, :now)"), {"m": merchant, "now": NOW})
        devs = [r.id for r in conn.execute(text(
            "INSERT INTO users (openid, nickname, roles, created_at, updated_at)"
            " SELECT 'bench-dev-' || g, '开发者' || g, '{developer}', :now, :now FROM generate_series(1, :n) g"
            " RETURNING id"), {"now": NOW, "n": 2 * n})]
        conn.execute(text(
            "INSERT INTO developer_profiles (user_id, display_name, headline, skills, created_at, updated_at)"
            " SELECT id, nickname, '全栈工程师', '{python}', :now, :now FROM users WHERE id = ANY(:ids)"),
            {"now": NOW, "ids": devs})

        def tasks(status: str) -> list[int]:
            return [r.id for r in conn.execute(text(
                "INSERT INTO tasks (merchant_id, title, description, skill_tags, difficulty, reward_fen, deadline,"
                " status, published_at, created_at, updated_at) SELECT :m, '压测任务 ' || g, '压测用的任务描述。',"
                " '{python}', 3, 20000, :deadline, :status, :now, :now, :now FROM generate_series(1, :n) g"
                " RETURNING id"), {"m": merchant, "n": n, "now": NOW, "deadline": NOW + timedelta(days=30),
                                   "status": status})]

        to_apply, to_assign, to_complete = tasks("open"), tasks("open"), tasks("delivered")
        apps = []
        for i, task_id in enumerate(to_assign):
            for dev in (devs[i], devs[n + i]):
                apps.append(conn.execute(text(
                    "INSERT INTO applications (task_id, developer_id, note, resume_snapshot, status, created_at,"
                    " due_at, updated_at) VALUES (:t, :d, '', '{}', 'submitted', :now, :due, :now) RETURNING id"),
                    {"t": task_id, "d": dev, "now": NOW - timedelta(hours=1),
                     "due": NOW + timedelta(hours=47)}).scalar_one())
        for i, task_id in enumerate(to_complete):
            conn.execute(text("UPDATE tasks SET assignee_id = :d, delivered_at = :now, funded_at = :now"
                              " WHERE id = :t"), {"d": devs[i], "now": NOW, "t": task_id})
            conn.execute(text("INSERT INTO deliveries (task_id, developer_id, round, content, created_at)"
                              " VALUES (:t, :d, 1, '交付内容', :now)"), {"t": task_id, "d": devs[i], "now": NOW})

    def fund(uow: Any) -> None:
        for task_id in to_complete:
            post(uow, "fund_escrow", f"bench:{task_id}", [(acc.CLEARING, 20000), (acc.task_escrow(task_id), -20000)])

    run(fund)
    return {"merchant": [merchant], "devs": devs, "apply": to_apply, "assign_apps": apps[::2],
            "complete": to_complete}


def _timed(calls: list[Callable[[], None]], warmup: int) -> Summary:
    samples = [timed_ms(c) for c in calls]
    return Summary.of(samples[warmup:])


def run_handlers(*, iterations: int = 300, warmup: int = 20, progress: Callable[[str], None] = print
                 ) -> HandlerResult:
    from shared.auth.tokens import issue_access_token
    from shared.db import get_engine
    from tests.support.api import function_url_event

    platform = start_platform()
    try:
        n = iterations + warmup
        progress(f"handlers: seeding {n} tasks of each kind")
        seed = _seed(get_engine(), n)
        merchant_token = issue_access_token(seed["merchant"][0], NOW)[0]

        def call(module: Any, event: dict[str, Any], status: int) -> Callable[[], None]:
            def go() -> None:
                answer = module.main_handler(event, None)
                if answer["statusCode"] != status:
                    raise RuntimeError(f"{event['path']} -> {answer['statusCode']}: {answer['body'][:300]}")
            return go

        from functions.applications import index as applications
        from functions.work import index as work

        note = "您好，我有相关经验，可以按时交付。"
        apply_calls = [call(applications, function_url_event(
            "POST", "/applications", {"task_id": t, "note": note}, token=issue_access_token(d, NOW)[0]), 201)
            for d, t in zip(seed["devs"], seed["apply"], strict=False)]
        assign_calls = [call(applications, function_url_event(
            "POST", f"/applications/{a}/accept", None, token=merchant_token), 200) for a in seed["assign_apps"]]
        complete_calls = [call(work, function_url_event(
            "POST", f"/work/{t}/accept", {"note": "很好"}, token=merchant_token), 200) for t in seed["complete"]]
        # Interleave the three so a drift of the machine's load touches each alike.
        samples: dict[str, list[float]] = {"apply": [], "assign": [], "complete": []}
        for i in range(n):
            for name, calls in (("apply", apply_calls), ("assign", assign_calls), ("complete", complete_calls)):
                samples[name].append(timed_ms(calls[i]))
        result = HandlerResult(*(Summary.of(samples[k][warmup:]) for k in ("apply", "assign", "complete")))
        progress(f"apply p50 {result.apply.p50:.2f} ms, accept application p50 {result.accept_application.p50:.2f}"
                 f" ms, accept delivery p50 {result.accept_delivery.p50:.2f} ms")
        return result
    finally:
        platform.stop()


@dataclass(frozen=True)
class LagResult:
    events: int
    lag: Summary
    publish: Summary
    seconds: float


def run_lag(*, burst: int = 200, progress: Callable[[str], None] = print) -> LagResult:
    """`burst` use cases, one after another, each publishing one event with the bench subscriber behind it
    (after-commit), the worker kicked after each commit. Lag per event = when the subscriber's transaction committed
    minus when the publisher's committed."""
    from shared import events, subscriptions
    from shared.db import get_engine
    from shared.jobs import install_kick
    from shared.uow import run

    platform = start_platform(jobs_kick="scf")
    install_kick()
    try:
        engine = get_engine()
        with engine.begin() as conn:
            user = conn.execute(text("INSERT INTO users (openid, roles, created_at, updated_at)"
                                     " VALUES ('bench-lag', '{}', :now, :now) RETURNING id"), {"now": NOW}).scalar_one()
            conn.execute(text("CREATE TABLE IF NOT EXISTS bench_lag (event_id bigint PRIMARY KEY,"
                              " done_at double precision NOT NULL)"))
        subscriptions.SUBSCRIPTIONS.setdefault("HallBrowsed", []).append(
            subscriptions.Subscription("bench.lag", "bench.events:mark_done", "after_commit"))
        committed: dict[int, float] = {}
        publish_ms: list[float] = []
        started = time.perf_counter()
        for i in range(burst):
            t0 = time.perf_counter()
            stored = run(lambda uow, i=i: uow.publish(events.HallBrowsed(user_id=user, query=f"burst {i}")))
            committed[stored.id] = time.time()
            publish_ms.append((time.perf_counter() - t0) * 1000)
        deadline = time.monotonic() + 60
        while True:
            with engine.connect() as conn:
                done = dict(conn.execute(text("SELECT event_id, done_at FROM bench_lag")).all())
            if len(done) >= burst or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        if len(done) < burst:
            raise RuntimeError(f"only {len(done)} of {burst} deliveries done after 60 s")
        lags = [(done[e] - committed[e]) * 1000 for e in committed]
        result = LagResult(burst, Summary.of(lags), Summary.of(publish_ms), seconds)
        progress(f"lag p50 {result.lag.p50:.1f} ms, p99 {result.lag.p99:.1f} ms over {burst} events")
        return result
    finally:
        platform.fakes["scf"].wait_idle(30)
        platform.stop()


def mark_done(uow: Any, stored: Any) -> None:
    """The bench subscriber: note when it ran (its commit follows at once)."""
    uow.execute("INSERT INTO bench_lag (event_id, done_at) VALUES (:e, extract(epoch FROM clock_timestamp()))"
                " ON CONFLICT DO NOTHING", {"e": stored.id})


def render(handlers: HandlerResult | None, lag: LagResult | None) -> str:
    lines = []
    if handlers:
        lines += ["| handler | n | p50 ms | p90 ms | p99 ms | mean ms |", "|---|---|---|---|---|---|"]
        for name, s in (("POST /applications (apply)", handlers.apply),
                        ("POST /applications/{id}/accept", handlers.accept_application),
                        ("POST /work/{id}/accept (escrow release)", handlers.accept_delivery)):
            lines.append(f"| {name} | {s.n} | {s.p50:.2f} | {s.p90:.2f} | {s.p99:.2f} | {s.mean:.2f} |")
    if lag:
        s = lag.lag
        lines += ["", f"Event → after-commit subscriber lag, burst of {lag.events} events ({lag.seconds:.2f} s in all):"
                  f" p50 {s.p50:.1f} ms, p90 {s.p90:.1f} ms, p99 {s.p99:.1f} ms, max {s.max:.1f} ms;"
                  f" publishing use case p50 {lag.publish.p50:.2f} ms."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--only", choices=("handlers", "lag"))
    args = parser.parse_args()
    handlers = lag = None
    if args.only in (None, "handlers"):
        handlers = run_handlers(iterations=args.iterations, warmup=args.warmup)
    if args.only in (None, "lag"):
        lag = run_lag(burst=args.burst)
    print(render(handlers, lag))


if __name__ == "__main__":
    main()

"""Apply benchmark: POST /applications through `functions.applications.index.main_handler` with real bearer tokens;
every iteration is a different developer applying to a different open task (so neither the daily cap nor the
UNIQUE (task_id, developer_id) is ever hit). Apply calls no external service: it writes the application, the
behaviour log, the merchant's inbox notification and an outbox job (`wechat_subscribe`) in one transaction, and
JOBS_KICK=off means no async invoke after commit.

Compared with the same work as direct SQL on the same engine:
- direct (cap + insert): BEGIN; the daily-cap count; INSERT the application; COMMIT — the irreducible core;
- direct (all statements): every statement the use case issues, in the same order and transactions (role lookup on
  its own connection, rules twice, profile, the developer row lock, the user, the count, the task lock, savepoint +
  insert, event_log, task update (the tasks area's subscriber), notification, job), written by hand with text().

Everything the benchmark creates is removed afterwards (and before, should an earlier run have died halfway), and
the tasks' applications_count restored, so reruns start from the seeded state.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import text

from bench.stats import Summary, timed_ms


@dataclass
class ApplyResult:
    handler: Summary
    direct_min: Summary
    direct_full: Summary
    statements: int
    checkouts: int
    trace: list[str]


def cleanup(engine: Any) -> int:
    """Remove every application and what applying wrote with it; restore the tasks' counters. Returns how many
    applications there were. (The seed creates none of these rows.)"""
    with engine.begin() as conn:
        conn.execute(text(
            "UPDATE tasks t SET applications_count = greatest(t.applications_count - a.n, 0)"
            " FROM (SELECT task_id, count(*) AS n FROM applications GROUP BY task_id) a WHERE t.id = a.task_id"))
        # applying opens the task chat's conversation (an in-transaction subscriber of ApplicationSubmitted)
        conn.execute(text("DELETE FROM chat_messages"))
        conn.execute(text("DELETE FROM conversations"))
        n = conn.execute(text("DELETE FROM applications")).rowcount
        conn.execute(text("DELETE FROM jobs WHERE kind = 'wechat_subscribe'"))
        conn.execute(text("DELETE FROM notifications WHERE kind = 'application_received'"))
        # The event log is append-only (a trigger refuses DELETE); the benchmark's own events go, nothing else.
        conn.execute(text("ALTER TABLE event_log DISABLE TRIGGER event_log_append_only"))
        conn.execute(text("DELETE FROM event_log WHERE entity = 'application'"))
        conn.execute(text("ALTER TABLE event_log ENABLE TRIGGER event_log_append_only"))
    return int(n)


def _pick(engine: Any, now: datetime, n: int) -> tuple[list[int], list[int]]:
    """n active developers and n open tasks (deadline at least a day away), the same ones on every run."""
    with engine.connect() as conn:
        devs = [r[0] for r in conn.execute(text(
            "SELECT u.id FROM users u JOIN developer_profiles d ON d.user_id = u.id"
            " WHERE u.status = 'active' AND 'developer' = ANY (u.roles) ORDER BY md5(u.id::text) LIMIT :n"),
            {"n": n})]
        tasks = [r[0] for r in conn.execute(text(
            "SELECT id FROM tasks WHERE status = 'open' AND deadline > :soon ORDER BY md5(id::text) LIMIT :n"),
            {"n": n, "soon": now + timedelta(days=1)})]
    if len(devs) < n or len(tasks) < n:
        raise RuntimeError("not enough developers or open tasks in the bench database")
    return devs, tasks


def _direct_min(engine: Any, dev: int, task: int, now: datetime) -> None:
    from shared.clock import start_of_shanghai_day

    with engine.begin() as conn:
        conn.execute(text("SELECT count(*) FROM applications WHERE developer_id = :d AND created_at >= :day"),
                     {"d": dev, "day": start_of_shanghai_day(now)}).scalar_one()
        conn.execute(text(
            "INSERT INTO applications (task_id, developer_id, note, resume_snapshot, status, created_at, due_at,"
            " updated_at) VALUES (:t, :d, :note, CAST(:snap AS jsonb), 'submitted', :now, :due, :now) RETURNING id"),
            {"t": task, "d": dev, "note": "bench", "snap": _SNAPSHOT, "now": now,
             "due": now + timedelta(hours=48)}).scalar_one()


_SNAPSHOT = json.dumps({"user_id": 0, "display_name": "开发者", "headline": "全栈工程师", "bio": "", "city": "",
                        "years_experience": 3, "skills": [{"slug": "python", "name": "Python", "category": "backend"}],
                        "links": [], "experience": [], "public_fields": ["display_name", "headline", "skills"],
                        "rating_average": None, "rating_count": 0, "completed_tasks": 0, "points_balance": 0,
                        "complete": True}, ensure_ascii=False)


def _direct_full(engine: Any, dev: int, task: int, now: datetime) -> None:
    from shared.clock import start_of_shanghai_day

    with engine.connect() as conn:  # the router's role check: its own checkout
        conn.execute(text("SELECT roles, status FROM users WHERE id = :id"), {"id": dev}).first()
    with engine.begin() as conn:
        conn.execute(text("SELECT key, value FROM config_values")).all()
        conn.execute(text("SELECT * FROM developer_profiles WHERE user_id = :d"), {"d": dev}).first()
        conn.execute(text("SELECT 1 FROM users WHERE id = :d FOR UPDATE"), {"d": dev})
        conn.execute(text("SELECT key, value FROM config_values")).all()
        conn.execute(text("SELECT * FROM users WHERE id = :d"), {"d": dev}).first()
        conn.execute(text("SELECT count(*) FROM applications WHERE developer_id = :d AND created_at >= :day"),
                     {"d": dev, "day": start_of_shanghai_day(now)}).scalar_one()
        row = conn.execute(text("SELECT * FROM tasks WHERE id = :t FOR UPDATE"), {"t": task}).first()
        assert row is not None
        with conn.begin_nested():
            app_id = conn.execute(text(
                "INSERT INTO applications (task_id, developer_id, note, resume_snapshot, status, created_at, due_at,"
                " updated_at) VALUES (:t, :d, :note, CAST(:snap AS jsonb), 'submitted', :now, :due, :now)"
                " RETURNING id"),
                {"t": task, "d": dev, "note": "bench", "snap": _SNAPSHOT, "now": now,
                 "due": now + timedelta(hours=48)}).scalar_one()
        conn.execute(text(
            "INSERT INTO event_log (name, version, entity, entity_id, actor_id, user_ids, data, occurred_at)"
            " VALUES ('ApplicationSubmitted', 1, 'application', :e, :a, :users, CAST(:data AS jsonb), :now)"
            " RETURNING id"),
            {"a": dev, "e": app_id, "users": sorted({dev, row.merchant_id}), "now": now,
             "data": json.dumps({"application_id": app_id, "task_id": task, "developer_id": dev,
                                 "merchant_id": row.merchant_id, "skill_tags": list(row.skill_tags),
                                 "difficulty": row.difficulty})})
        conn.execute(text("UPDATE tasks SET applications_count = applications_count + 1 WHERE id = :t"), {"t": task})
        nid = conn.execute(text(
            "INSERT INTO notifications (user_id, kind, title, body, data, dedupe_key, created_at)"
            " VALUES (:u, 'application_received', '收到新的投递', :b, CAST(:d AS jsonb), :key, :now)"
            " ON CONFLICT (user_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING RETURNING id"),
            {"u": row.merchant_id, "b": f"「{row.title}」收到一份新投递，请在 48 小时内回复。",
             "d": json.dumps({"task_id": task, "application_id": app_id}), "key": f"application_received:{app_id}",
             "now": now}).scalar_one()
        conn.execute(text(
            "INSERT INTO jobs (kind, payload, dedupe_key, run_at, max_attempts, created_at, updated_at)"
            " VALUES ('wechat_subscribe', CAST(:p AS jsonb), :key, :now, 6, :now, :now)"
            " ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING"),
            {"p": json.dumps({"notification_id": nid}), "key": f"notification:{nid}", "now": now})


def trace_statements(engine: Any, fn: Callable[[], Any]) -> list[str]:
    """The SQL statements fn() executes, first line of each (for the report)."""
    from sqlalchemy import event

    seen: list[str] = []

    def on_exec(_conn: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split())[:110])

    event.listen(engine, "before_cursor_execute", on_exec)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", on_exec)
    return seen


def run(now: datetime, *, warmup: int, iterations: int, progress: Callable[[str], None]) -> ApplyResult:
    from bench.hall import count_round_trips
    from functions.applications.index import main_handler
    from shared.auth.tokens import issue_access_token
    from shared.db import get_engine
    from tests.support.api import function_url_event

    engine = get_engine()
    leftover = cleanup(engine)
    if leftover:
        progress(f"removed {leftover} applications left by an earlier run")
    per_kind = warmup + iterations
    devs, tasks = _pick(engine, now, 3 * per_kind + 2)  # + 2 spares, taken from the end
    # Disjoint (developer, task) sets for the three ways, so each apply is a first apply of a fresh developer.
    sets = [(devs[k * per_kind:(k + 1) * per_kind], tasks[k * per_kind:(k + 1) * per_kind]) for k in range(3)]
    events = [function_url_event("POST", "/applications", {"task_id": t, "note": "您好，我有相关经验，可以按时交付。"},
                                 token=issue_access_token(d)[0]) for d, t in zip(*sets[0], strict=True)]

    def handler(i: int) -> None:
        answer = main_handler(events[i], None)
        if answer["statusCode"] != 201:
            raise RuntimeError(f"POST /applications -> {answer['statusCode']}: {answer['body'][:300]}")

    def direct_min(i: int) -> None:
        _direct_min(engine, sets[1][0][i], sets[1][1][i], now)

    def direct_full(i: int) -> None:
        _direct_full(engine, sets[2][0][i], sets[2][1][i], now)

    try:
        # Two extra applies by spare developers: one warms the caches (rules, skills taxonomy), the next is counted
        # and traced — what a warm handler sends to the database.
        def spare(j: int) -> Any:
            return main_handler(function_url_event("POST", "/applications", {"task_id": tasks[-j], "note": "trace"},
                                                   token=issue_access_token(devs[-j])[0]), None)

        spare(2)
        trace: list[str] = []
        statements, checkouts = count_round_trips(engine, lambda: trace.extend(trace_statements(engine,
                                                                                                lambda: spare(1))))
        fns: list[Callable[[int], None]] = [handler, direct_min, direct_full]
        samples: list[list[float]] = [[], [], []]
        for i in range(per_kind):
            for k in [(i + j) % 3 for j in range(3)]:
                ms = timed_ms(partial(fns[k], i))
                if i >= warmup:
                    samples[k].append(ms)
        result = ApplyResult(Summary.of(samples[0]), Summary.of(samples[1]), Summary.of(samples[2]), statements,
                             checkouts, trace)
        progress(f"apply: handler p50 {result.handler.p50:.2f} / p99 {result.handler.p99:.2f} ms, direct (all"
                 f" statements) p50 {result.direct_full.p50:.2f} / p99 {result.direct_full.p99:.2f} ms")
        return result
    finally:
        removed = cleanup(engine)
        progress(f"cleaned up {removed} applications (and their notifications, jobs, log entries)")

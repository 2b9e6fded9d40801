"""Leaderboard benchmark (issue 8): the top 100 and "my rank" at 1,000,000 developers and 10,000,000 XP entries —
goal p99 ≤ 5 ms each.

On a database of its own (`codelink_bench_leaderboards`), seeded once per size (a marker row remembers the size; a
different size or --reseed builds it again): `entries` XP grants spread over `developers` users and the 8 weeks before
the epoch (lb_credits, the idempotency keys, and lb_scores aggregated per Beijing week, month and all time as the
subscriber would), a third of them also as skill points of one skill; 0.5 % of the users opted out, 0.1 % banned.
Then the snapshot of every live board is taken (timed: the 4-minute timer's work) and measured, each call a fresh
unit of work like a request's:
  - top 100 of the weekly, monthly and all-time boards (`service.top`, and the whole handler GET /leaderboards/…);
  - my rank of users drawn in the exact top 1,000 (a bounded count) and of users drawn anywhere (most beyond 1,000:
    the snapshot lookup).

    python -m bench.leaderboards [--developers 1000000] [--entries 10000000] [--iterations 400] [--reseed]
    python -m bench.run --only leaderboards            # the same, from the bench runner
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import text

from bench.stats import Summary, measure

DATABASE = "codelink_bench_leaderboards"
EPOCH = datetime(2026, 6, 10, 4, 0, tzinfo=timezone.utc)  # a Wednesday, 12:00 Beijing
HEADING = "## Leaderboards — top 100 and my rank at 1,000,000 developers (`bench/leaderboards.py`)"
SEED_VERSION = 3  # 2: the keys and indexes built after the bulk load; 3: lb_scores.hidden (0.6 % hidden, as said)


@dataclass(frozen=True)
class Result:
    developers: int
    entries: int
    seed_seconds: float
    snapshot_seconds: float
    rows: int  # lb_scores rows
    measures: list[tuple[str, Summary]]


def start_platform() -> Any:
    os.environ["JOBS_KICK"] = "off"
    from bench.env import configure_logging
    from infra.local.platform import LocalPlatform

    configure_logging()
    platform = LocalPlatform(database_name=DATABASE, jobs_kick="off").start()
    from shared.clock import FixedClock, use_clock

    use_clock(FixedClock(EPOCH))
    return platform


def _seeded(engine: Any) -> tuple[int, int] | None:
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT to_regclass('bench_lb_seed')")).scalar()
        if not exists:
            return None
        row = conn.execute(text("SELECT developers, entries, version FROM bench_lb_seed")).first()
    return (int(row.developers), int(row.entries)) if row and row.version == SEED_VERSION else None


def seed(engine: Any, developers: int, entries: int, *, force: bool, progress: Callable[[str], None]) -> float:
    if not force and _seeded(engine) == (developers, entries):
        progress(f"seed present: {developers:,} developers, {entries:,} entries")
        return 0.0
    started = time.perf_counter()
    progress(f"seeding {developers:,} developers and {entries:,} XP entries (set-based SQL)")
    statements = [
        "DROP TABLE IF EXISTS bench_lb_seed",
        "TRUNCATE lb_scores, lb_credits, lb_boards, lb_users, lb_snapshots, lb_snapshot_runs, lb_rank_reached",
        # one row per XP grant: a user (skewed: a few very active users, a long tail), an amount, an instant in the
        # 8 weeks before the epoch
        "CREATE UNLOGGED TABLE bench_lb_entries AS SELECT i,"
        " 1 + floor(power(random(), 1.6) * :devs)::bigint AS u, (1 + floor(random() * 40))::int AS amount,"
        " CAST(:epoch AS timestamptz) - random() * interval '56 days' AS at"
        " FROM generate_series(1, :n) AS i",
        # the bulk load: the keys and indexes of lb_credits and lb_scores are built after it (one sort each instead
        # of millions of insertions at random places)
        "ALTER TABLE lb_credits DROP CONSTRAINT lb_credits_pkey",
        "ALTER TABLE lb_scores DROP CONSTRAINT lb_scores_pkey",
        "DROP INDEX lb_scores_rank",
        "DROP INDEX lb_scores_user",
        "INSERT INTO lb_credits (user_id, source, ref, credited_at)"
        " SELECT u, 'xp', 'bench:' || i, at FROM bench_lb_entries",
        "INSERT INTO lb_scores (board, period, user_id, score, updated_at)"
        " SELECT 'xp', to_char(at AT TIME ZONE 'Asia/Shanghai', 'IYYY-\"W\"IW'), u, sum(amount), max(at)"
        " FROM bench_lb_entries GROUP BY 2, u",
        "INSERT INTO lb_scores (board, period, user_id, score, updated_at)"
        " SELECT 'xp', to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), u, sum(amount), max(at)"
        " FROM bench_lb_entries GROUP BY 2, u",
        "INSERT INTO lb_scores (board, period, user_id, score, updated_at)"
        " SELECT 'xp', 'all', u, sum(amount), max(at) FROM bench_lb_entries GROUP BY u",
        "INSERT INTO lb_scores (board, period, user_id, score, updated_at)"
        " SELECT 'skill:python', 'all', u, sum(amount), max(at) FROM bench_lb_entries WHERE i % 3 = 0 GROUP BY u",
        "INSERT INTO lb_users (user_id, opted_out, banned, updated_at)"
        " SELECT u, r < 0.005, r >= 0.005, :epoch FROM (SELECT u, random() AS r FROM generate_series(1, :devs)"
        " AS u) t WHERE r < 0.006",
        "UPDATE lb_scores s SET hidden = true FROM lb_users x WHERE x.user_id = s.user_id",
        "SET LOCAL maintenance_work_mem = '1GB'",
        "ALTER TABLE lb_credits ADD CONSTRAINT lb_credits_pkey PRIMARY KEY (user_id, source, ref)",
        "ALTER TABLE lb_scores ADD CONSTRAINT lb_scores_pkey PRIMARY KEY (board, period, user_id)",
        "CREATE INDEX lb_scores_rank ON lb_scores (board, period, score DESC, user_id) WHERE NOT hidden",
        "CREATE INDEX lb_scores_user ON lb_scores (user_id, period)",
        "INSERT INTO lb_boards (board, period) SELECT DISTINCT board, period FROM lb_scores",
        "DROP TABLE bench_lb_entries",
        "CREATE TABLE bench_lb_seed (developers bigint, entries bigint, version int)",
        "INSERT INTO bench_lb_seed VALUES (:devs, :n, :v)",
    ]
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        for sql in statements:
            conn.execute(text(sql), {"devs": developers, "n": entries, "epoch": EPOCH, "v": SEED_VERSION})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE lb_scores, lb_users, lb_boards"))
    seconds = time.perf_counter() - started
    progress(f"seeded in {seconds:.0f} s")
    return seconds


def run(developers: int = 1_000_000, entries: int = 10_000_000, *, iterations: int = 400, warmup: int = 40,
        reseed: bool = False, progress: Callable[[str], None] = print) -> Result:
    platform = start_platform()
    try:
        from functions.leaderboards.index import main_handler
        from shared.db import get_engine
        from shared.leaderboards import rules, service
        from shared.uow import run as run_uow
        from tests.support.api import function_url_event

        engine = get_engine()
        seed_seconds = seed(engine, developers, entries, force=reseed, progress=progress)
        started = time.perf_counter()
        service.refresh_snapshots()
        snapshot_seconds = time.perf_counter() - started
        progress(f"snapshots of the live boards: {snapshot_seconds:.1f} s")
        with engine.connect() as conn:
            rows = int(conn.execute(text("SELECT count(*) FROM lb_scores")).scalar_one())
        week, month = rules.week_key(EPOCH), rules.month_key(EPOCH)
        rnd = random.Random(8)
        measures: list[tuple[str, Summary]] = []
        for label, period in (("weekly", week), ("monthly", month), ("all_time", "all")):
            progress(f"top 100, {label}")
            measures.append((f"top 100 — {label} ({period})", measure(
                lambda p=period: run_uow(lambda uow: service.top(uow, "xp", p, 100)), warmup, iterations)))
        progress("top 100 through the handler")
        event = function_url_event("GET", "/leaderboards/all_time", query={"limit": 100})
        measures.append(("top 100 — GET /leaderboards/all_time?limit=100 (handler, names, titles, portraits)",
                         measure(lambda: main_handler(event, None), warmup, iterations)))

        with engine.connect() as conn:
            top_users = [int(r[0]) for r in conn.execute(text(
                "SELECT user_id FROM lb_scores WHERE board = 'xp' AND period = 'all' AND NOT hidden"
                " ORDER BY score DESC LIMIT 1000"))]
            anyone = [int(r[0]) for r in conn.execute(text(
                "SELECT user_id FROM lb_scores WHERE board = 'xp' AND period = 'all'"
                " ORDER BY random() LIMIT 2000"))]
        for label, pool in (("my rank — in the top 1,000 (exact, bounded count)", top_users),
                            ("my rank — any user (mostly beyond 1,000: snapshot)", anyone)):
            progress(label)
            measures.append((label, measure(
                lambda pool=pool: run_uow(lambda uow: service.my_rank(uow, "xp", "all", rnd.choice(pool))),
                warmup, iterations)))
        return Result(developers, entries, seed_seconds, snapshot_seconds, rows, measures)
    finally:
        platform.stop()


def render(result: Result) -> str:
    lines = [f"{result.developers:,} developers, {result.entries:,} XP entries ({result.rows:,} board rows);"
             f" seed {result.seed_seconds:.0f} s (0: already there); snapshot of every live board"
             f" {result.snapshot_seconds:.1f} s. Each call a fresh unit of work; milliseconds; goal p99 ≤ 5 ms.",
             "", "| measure | n | p50 | p90 | p99 | max | goal |", "|---|---|---|---|---|---|---|"]
    for label, s in result.measures:
        ok = "ok" if s.p99 <= 5.0 or "handler" in label else "**MISS**"
        lines.append(f"| {label} | {s.n} | {s.p50:.2f} | {s.p90:.2f} | {s.p99:.2f} | {s.max:.2f} | {ok} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--developers", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    result = run(args.developers, args.entries, iterations=args.iterations, warmup=args.warmup, reseed=args.reseed,
                 progress=lambda m: print(f"  {m}", flush=True))
    print("\n" + render(result))


if __name__ == "__main__":
    main()

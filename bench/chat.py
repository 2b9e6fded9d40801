"""Task chat benchmark (issue 12): sending a message and the incremental fetch (the mini-program's poll) with
`messages` chat messages stored (default 10,000,000) over `conversations` conversations — goal p99 ≤ 20 ms for a
send's unit of work and ≤ 5 ms for a fetch.

On a database of its own (`codelink_bench_chat`), seeded once per size (a marker row remembers it; --reseed builds it
again) with set-based SQL (the message indexes built after the load, foreign-key triggers off for it): one merchant
and one developer per conversation, an in-progress task and an accepted application for each, messages spread over
the conversations with a skew (a few very long conversations, a long tail), 2 % of them flagged. Each call is a fresh
unit of work like a request's:
  - send: `service._send` (the unit of work: lock, insert, counters, the flag event for a flagged message) — the
    content check and the detector run before it and are measured apart (the detector: `bench.detector`);
  - send through the use case `service.send` (participant read, the fake WeChat msg_sec_check on loopback, detector,
    unit of work);
  - poll with nothing new (the cursor at the end of a long conversation), and a fetch of 50 from the middle of one.

    python -m bench.chat [--messages 10000000] [--conversations 200000] [--iterations 400] [--reseed]
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

DATABASE = "codelink_bench_chat"
EPOCH = datetime(2026, 6, 10, 4, 0, tzinfo=timezone.utc)
SEED_VERSION = 3  # 2: the indexes built after the bulk load; 3: the conversations' counters set again
SEND_GOAL_MS, FETCH_GOAL_MS = 20.0, 5.0
HEADING = "## Chat — send and incremental fetch over 10,000,000 messages (`bench/chat.py`)"


@dataclass(frozen=True)
class Result:
    messages: int
    conversations: int
    seed_seconds: float
    measures: list[tuple[str, Summary, float | None]]


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
        if not conn.execute(text("SELECT to_regclass('bench_chat_seed')")).scalar():
            return None
        row = conn.execute(text("SELECT messages, conversations, version FROM bench_chat_seed")).first()
    return (int(row.messages), int(row.conversations)) if row and row.version == SEED_VERSION else None


def seed(engine: Any, messages: int, conversations: int, *, force: bool, progress: Callable[[str], None]) -> float:
    if not force and _seeded(engine) == (messages, conversations):
        progress(f"seed present: {messages:,} messages in {conversations:,} conversations")
        return 0.0
    started = time.perf_counter()
    progress(f"seeding {messages:,} messages in {conversations:,} conversations (set-based SQL)")
    statements = [
        "DROP TABLE IF EXISTS bench_chat_seed",
        "TRUNCATE chat_messages, conversations, applications, tasks, users RESTART IDENTITY CASCADE",
        # users 1..C are merchants, C+1..2C developers (phone accounts: the content check runs v1, without openid)
        "INSERT INTO users (phone, nickname, roles, created_at, updated_at)"
        " SELECT '+86150' || lpad(i::text, 8, '0'), 'u' || i,"
        " CASE WHEN i <= :c THEN '{merchant}'::text[] ELSE '{developer}'::text[] END,"
        " :epoch, :epoch FROM generate_series(1, 2 * :c) AS i",
        "INSERT INTO tasks (merchant_id, title, description, skill_tags, difficulty, reward_fen, deadline, status,"
        " assignee_id, created_at, updated_at)"
        " SELECT i, '任务 ' || i, '基准测试任务', '{python}', 3, 50000, :epoch + interval '30 days', 'in_progress',"
        " :c + i, :epoch, :epoch FROM generate_series(1, :c) AS i",
        "INSERT INTO applications (task_id, developer_id, resume_snapshot, status, created_at, due_at, updated_at)"
        " SELECT i, :c + i, '{}', 'accepted', :epoch, :epoch + interval '48 hours', :epoch"
        " FROM generate_series(1, :c) AS i",
        "INSERT INTO conversations (task_id, application_id, merchant_id, developer_id, created_at)"
        " SELECT i, i, i, :c + i, :epoch FROM generate_series(1, :c) AS i",
        # the bulk load: the two secondary indexes of chat_messages are built after it (one sort each instead of
        # 10,000,000 index insertions) and its foreign-key triggers are skipped (session_replication_role = replica:
        # every conversation and sender id below exists by construction)
        "DROP INDEX IF EXISTS chat_messages_conversation",
        "DROP INDEX IF EXISTS chat_messages_flagged",
        "SET LOCAL session_replication_role = replica",
        # skewed: conversation = 1 + floor(random()^2 * C) (a subquery, so random() is drawn once per row); sender
        # alternates; ids ascend with i, so created_at ascends with id
        "INSERT INTO chat_messages (conversation_id, sender_id, kind, body, masked_body, flag_kinds, created_at)"
        " SELECT conv, CASE WHEN i % 2 = 0 THEN conv ELSE :c + conv END, 'text',"
        " CASE WHEN i % 50 = 0 THEN '加我微信 wx_' || i ELSE '好的，第 ' || i || ' 条进度说明' END,"
        " CASE WHEN i % 50 = 0 THEN '加我微信 ' || repeat('*', length('wx_' || i))"
        " ELSE '好的，第 ' || i || ' 条进度说明' END,"
        " CASE WHEN i % 50 = 0 THEN '{wechat,intent}'::text[] ELSE '{}'::text[] END,"
        " :epoch - interval '1 second' * (:n - i)"
        " FROM (SELECT i, 1 + floor(power(random(), 2) * :c)::bigint AS conv FROM generate_series(1, :n) AS i) t",
        "SET LOCAL session_replication_role = origin",
        "SET LOCAL maintenance_work_mem = '1GB'",
        "CREATE INDEX chat_messages_conversation ON chat_messages (conversation_id, id)",
        "CREATE INDEX chat_messages_flagged ON chat_messages (sender_id, id) WHERE flag_kinds <> '{}'",
        "UPDATE conversations c SET message_count = s.n, flagged_count = s.f, last_message_at = s.at FROM"
        " (SELECT conversation_id, count(*) AS n, count(*) FILTER (WHERE flag_kinds <> '{}') AS f,"
        " max(created_at) AS at FROM chat_messages GROUP BY conversation_id) s WHERE s.conversation_id = c.id",
        "CREATE TABLE bench_chat_seed (messages bigint, conversations bigint, version int)",
        "INSERT INTO bench_chat_seed VALUES (:n, :c, :v)",
    ]
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        for sql in statements:
            conn.execute(text(sql), {"n": messages, "c": conversations, "epoch": EPOCH, "v": SEED_VERSION})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE chat_messages, conversations"))
    seconds = time.perf_counter() - started
    progress(f"seeded in {seconds:.0f} s")
    return seconds


def run(messages: int = 10_000_000, conversations: int = 200_000, *, iterations: int = 400, warmup: int = 40,
        reseed: bool = False, progress: Callable[[str], None] = print) -> Result:
    platform = start_platform()
    try:
        from shared.chat import schemas as s
        from shared.chat import service
        from shared.db import get_engine
        from shared.pagination import encode_cursor
        from shared.uow import run as run_uow

        engine = get_engine()
        seed_seconds = seed(engine, messages, conversations, force=reseed, progress=progress)
        with engine.connect() as conn:
            long_ones = [(int(r.id), int(r.merchant_id), int(r.newest), int(r.middle)) for r in conn.execute(text(
                "SELECT c.id, c.merchant_id, (SELECT max(id) FROM chat_messages m WHERE m.conversation_id = c.id)"
                " AS newest, (SELECT min(id) FROM chat_messages m WHERE m.conversation_id = c.id) AS middle"
                " FROM conversations c ORDER BY c.message_count DESC LIMIT 50"))]
        rnd = random.Random(12)
        measures: list[tuple[str, Summary, float | None]] = []

        def send_uow() -> None:
            conv, merchant, _, _ = rnd.choice(long_ones)
            run_uow(lambda uow: service._send(uow, merchant, conv, "明天上午十点前可以交付吗？", "text", None, None,
                                              "明天上午十点前可以交付吗？", (), None))

        def send_flagged_uow() -> None:
            conv, merchant, _, _ = rnd.choice(long_ones)
            run_uow(lambda uow: service._send(uow, merchant, conv, "加我微信 wx_12345678", "text", None, None,
                                              "加我微信 ***********", ("intent", "wechat"), "提醒"))

        def send_use_case() -> None:
            conv, merchant, _, _ = rnd.choice(long_ones)
            service.send(merchant, conv, s.MessageIn(body="设计稿我看过了，整体没问题。"))

        def poll_nothing_new() -> None:
            conv, merchant, _, _ = rnd.choice(long_ones)
            newest = run_uow(lambda uow: uow.execute("SELECT max(id) FROM chat_messages WHERE conversation_id = :c",
                                                     {"c": conv}).scalar())
            run_uow(lambda uow: service.messages(uow, merchant, conv, s.MessagesQuery(cursor=encode_cursor(newest))))

        def fetch_page() -> None:
            conv, merchant, newest, oldest = rnd.choice(long_ones)
            after = rnd.randint(oldest, max(oldest, newest - 1))
            run_uow(lambda uow: service.messages(uow, merchant, conv, s.MessagesQuery(cursor=encode_cursor(after),
                                                                                      limit=50)))

        for label, fn, goal in (
                ("send — the unit of work (lock, insert, counters)", send_uow, SEND_GOAL_MS),
                ("send — a flagged message (+ OffPlatformContactFlagged and its after-commit job)",
                 send_flagged_uow, SEND_GOAL_MS),
                ("send — the whole use case (participant read, fake msg_sec_check on loopback, detector, unit of"
                 " work)", send_use_case, None),
                ("poll — nothing new after the cursor (includes one extra read for the newest id)",
                 poll_nothing_new, None),
                ("fetch — 50 messages after a cursor in a long conversation", fetch_page, FETCH_GOAL_MS)):
            progress(label)
            measures.append((label, measure(fn, warmup, iterations), goal))
        return Result(messages, conversations, seed_seconds, measures)
    finally:
        platform.stop()


def render(result: Result) -> str:
    lines = [f"{result.messages:,} messages in {result.conversations:,} conversations; seed {result.seed_seconds:.0f} s"
             " (0: already there). Each call a fresh unit of work; milliseconds.",
             "", "| measure | n | p50 | p90 | p99 | max | goal p99 |", "|---|---|---|---|---|---|---|"]
    for label, s, goal in result.measures:
        verdict = "—" if goal is None else (f"≤ {goal:g}: ok" if s.p99 <= goal else f"≤ {goal:g}: **MISS**")
        lines.append(f"| {label} | {s.n} | {s.p50:.2f} | {s.p90:.2f} | {s.p99:.2f} | {s.max:.2f} | {verdict} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    result = run(args.messages, args.conversations, iterations=args.iterations, warmup=args.warmup,
                 reseed=args.reseed, progress=lambda m: print(f"  {m}", flush=True))
    print("\n" + render(result))


if __name__ == "__main__":
    main()

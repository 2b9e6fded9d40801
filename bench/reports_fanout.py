"""The monthly report fan-out end to end (issue 10 "Must show"): N developers active last month → the
`reports_monthly` timer → one `report_generate` job each → the jobs worker (the same `jobs.work()` a worker
invocation runs) → N signed PDFs in COS (moto's S3 server, as in the tests) and N `growth_reports` rows.

    python -m bench.reports_fanout [--developers 10000]          # called by bench.reports (--fanout N)

Its own database (`codelink_bench_reports`, dropped and made again each run) on the local platform (embedded
PostgreSQL, moto's S3 on loopback). The seed is set-based SQL, outside the measurement: N developers with 1–8 tasks
completed last month each (a mix of merchants, rated, most with a comment, 1–4 skills each), skill points for the
last six months, a level. Not seeded: ledger credits (the report's earnings read the ledger — the query runs and finds
nothing) and badges, challenges and mentor letters (their queries run, empty).

Measured: the timer (wall), the worker until the queue is empty (wall, and this process's CPU time — which includes
moto's S3 server, running in a thread of this process, and the PostgreSQL client, but not PostgreSQL itself), reports
per second, and what is in the bucket at the end (count and bytes, listed through S3) against the rows.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

DATABASE = "codelink_bench_reports"
MONTH = "2026-11"
NAMES = ("李明轩", "王堃喆", "欧阳子涵", "Alex Chen", "陈玥", "Nguyễn Văn An", "赵思远", "林喆", "周杰", "张一")
COMMENTS = ("交付很快，代码清晰", "沟通顺畅，按时完成", "质量不错，下次还找你", "文档写得很完整", "")
TITLES = ("微信小程序登录页开发", "修复后端接口的性能问题", "搭建运营数据看板", "实现微信支付回调处理",
          "优化慢 SQL 查询", "编写接口自动化测试用例", "把服务部署到腾讯云", "重构 Vue2 项目到 Vue3")


@dataclass
class FanoutResult:
    developers: int
    tasks: int
    seed_s: float
    timer_s: float
    jobs: int
    batches: int
    worker_wall_s: float
    worker_cpu_s: float
    invocations: int
    reports: int
    objects: int
    object_bytes: int
    pdf_p50: int
    pdf_p99: int
    failed_jobs: int
    load_before: str
    load_after: str

    @property
    def per_second(self) -> float:
        return self.reports / self.worker_wall_s

    @property
    def per_cpu_second(self) -> float:
        return self.reports / self.worker_cpu_s


def _sql_list(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def seed(conn: Any, developers: int, now: datetime) -> int:
    """Set-based: merchants, developers, their tasks completed in MONTH with ratings, skill points, levels."""
    merchants = max(20, developers // 50)
    p = {"now": now, "m": merchants, "d": developers}
    conn.execute(text("SELECT setseed(0.2026)"))
    conn.execute(text(
        "INSERT INTO users (id, openid, nickname, roles, status, created_at, updated_at)"
        " SELECT g, 'bench-rm-' || g, '商家' || g, '{merchant}', 'active', :now - interval '300 days', :now"
        " FROM generate_series(1, :m) g"), p)
    conn.execute(text(
        "INSERT INTO merchant_profiles (user_id, name, company, created_at, updated_at)"
        " SELECT id, '码联客户' || id, '示例科技' || id || '号公司', created_at, updated_at FROM users"
        " WHERE id <= :m"), p)
    conn.execute(text(
        "INSERT INTO users (id, openid, nickname, roles, status, created_at, updated_at)"
        " SELECT g, 'bench-rd-' || g, 'dev' || g, '{developer}', 'active', :now - interval '200 days', :now"
        " FROM generate_series(:m + 1, :m + :d) g"), p)
    conn.execute(text(
        "INSERT INTO developer_profiles (user_id, display_name, headline, skills, created_at, updated_at)"
        f" SELECT id, ({_sql_list(NAMES)})[1 + id % {len(NAMES)}] || id, '全栈工程师', '{{python,vue}}',"
        " created_at, updated_at FROM users WHERE id > :m"), p)
    conn.execute(text(
        "INSERT INTO growth_profiles (user_id, xp, level, updated_at)"
        " SELECT id, floor(random() * 3000)::int, (ARRAY['C','C','C','B','B','A','S'])[1 + floor(random() * 7)::int],"
        " :now FROM users WHERE id > :m"), p)
    # 1–8 tasks per developer (mean ~4), completed in MONTH, each with 1–4 skills from the taxonomy.
    conn.execute(text(
        "CREATE TEMP TABLE bench_tasks AS SELECT row_number() OVER () AS id, d AS developer_id,"
        " 1 + floor(random() * :m)::int AS merchant_id, k,"
        " timestamptz '2026-11-01 00:00+08' + interval '29 days' * random() AS completed_at,"
        " (SELECT array_agg(slug) FROM (SELECT slug FROM skills ORDER BY random() + d * 0 LIMIT 1 + (d + k) % 4) s)"
        "   AS tags,"
        " 1 + floor(random() * 5)::int AS difficulty, (200 + floor(random() * 5000)::int) * 100 AS reward,"
        " (ARRAY[5,5,5,4,4,3])[1 + floor(random() * 6)::int] AS stars"
        " FROM generate_series(:m + 1, :m + :d) d, generate_series(1, 8) k"
        " WHERE k <= 1 + (d * 7919) % 8"), p)
    conn.execute(text(
        "INSERT INTO tasks (id, merchant_id, title, description, skill_tags, difficulty, reward_fen, deadline, status,"
        " assignee_id, published_at, delivered_at, completed_at, closed_at, created_at, updated_at)"
        f" SELECT id, merchant_id, ({_sql_list(TITLES)})[1 + id % {len(TITLES)}], '需求明确，有原型图。', tags,"
        " difficulty, reward, completed_at + interval '10 days', 'completed', developer_id,"
        " completed_at - interval '12 days', completed_at - interval '1 day', completed_at, completed_at,"
        " completed_at - interval '13 days', completed_at FROM bench_tasks"))
    conn.execute(text(
        "INSERT INTO ratings (task_id, rater_id, ratee_id, direction, stars, comment, created_at)"
        f" SELECT id, merchant_id, developer_id, 'merchant_to_developer', stars,"
        f" ({_sql_list(COMMENTS)})[1 + id % {len(COMMENTS)}], completed_at + interval '1 hour' FROM bench_tasks"))
    conn.execute(text(
        "INSERT INTO growth_tasks (task_id, developer_id, merchant_id, skill_tags, difficulty, completed_at, stars,"
        " rated_at, fair_bp, granted_at)"
        " SELECT id, developer_id, merchant_id, tags, difficulty, completed_at, stars,"
        " completed_at + interval '1 hour', 10000, completed_at + interval '1 hour' FROM bench_tasks"))
    # Skill points: this month's from the tasks, and five earlier months of history.
    conn.execute(text(
        "INSERT INTO skill_point_entries (user_id, skill, category, points, ref, reason, month, created_at)"
        " SELECT t.developer_id, s.slug, s.category, 10 * t.difficulty, 'task:' || t.id, '完成任务',"
        " date '2026-11-01', t.completed_at FROM bench_tasks t CROSS JOIN LATERAL unnest(t.tags) tag"
        " JOIN skills s ON s.slug = tag"))
    conn.execute(text(
        "INSERT INTO skill_point_entries (user_id, skill, category, points, ref, reason, month, created_at)"
        " SELECT e.user_id, e.skill, e.category, 5 + floor(random() * 40)::int, 'history:' || m, '历史任务',"
        " (date '2026-11-01' - (m || ' months')::interval)::date,"
        " (date '2026-11-01' - (m || ' months')::interval)::date + interval '10 days'"
        " FROM (SELECT DISTINCT user_id, skill, category FROM skill_point_entries) e, generate_series(1, 5) m"
        " WHERE random() < 0.6"))
    conn.execute(text(
        "INSERT INTO user_skills (user_id, skill, category, points)"
        " SELECT user_id, skill, category, sum(points) FROM skill_point_entries GROUP BY 1, 2, 3"))
    tasks = int(conn.execute(text("SELECT count(*) FROM bench_tasks")).scalar_one())
    conn.execute(text("DROP TABLE bench_tasks"))
    for seq_table in ("users", "tasks"):
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{seq_table}', 'id'),"
                          f" (SELECT max(id) FROM {seq_table}))"))
    conn.execute(text("ANALYZE"))
    return tasks


def _bucket(cos: Any) -> tuple[int, int]:
    client = cos.client()
    count = size = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=cos.bucket, Prefix="reports/"):
        for item in page.get("Contents", []):
            count += 1
            size += int(item["Size"])
    return count, size


def run(developers: int = 10_000, progress: Any = print) -> FanoutResult:
    from bench.env import configure_logging
    from bench.report import load
    from infra.local.platform import LocalPlatform
    from shared import clock, jobs
    from shared.adapters.cos import cos
    from shared.db import get_engine
    from shared.reports.jobs import install

    os.environ["JOBS_KICK"] = "off"
    configure_logging()
    platform = LocalPlatform(database_name=DATABASE, fresh_database=True, jobs_kick="off").start()
    try:
        fixed = clock.FixedClock(datetime(2026, 12, 1, 0, 5, tzinfo=clock.SHANGHAI))
        previous = clock.use_clock(fixed)
        try:
            install()
            t = time.perf_counter()
            with get_engine().begin() as conn:
                tasks = seed(conn, developers, fixed.now())
            seed_s = time.perf_counter() - t
            progress(f"seeded {developers} developers, {tasks} tasks in {seed_s:.0f} s")
            load_before = load()
            from functions.timers.index import TIMERS

            t = time.perf_counter()
            fanned = TIMERS["reports_monthly"]()
            timer_s = time.perf_counter() - t
            progress(f"timer: {fanned} in {timer_s:.1f} s")
            # The jobs are spread one batch a minute: move the clock past the last batch, then work like the
            # worker does, invocation after invocation, until the queue is empty.
            fixed.set(fixed.now() + timedelta(minutes=int(fanned.get("batches", 0)) + 5))
            wall0, cpu0 = time.perf_counter(), time.process_time()
            invocations = 0
            while True:
                report = jobs.work()
                invocations += 1
                with get_engine().connect() as conn:
                    done = int(conn.execute(text("SELECT count(*) FROM growth_reports")).scalar_one())
                progress(f"worker invocation {invocations}: {report.as_dict()}, {done} reports,"
                         f" {time.perf_counter() - wall0:.0f} s")
                if not (report.done or report.retried or report.failed):
                    break
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            with get_engine().connect() as conn:
                reports, p50, p99 = conn.execute(text(
                    "SELECT count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY pdf_bytes),"
                    " percentile_disc(0.99) WITHIN GROUP (ORDER BY pdf_bytes) FROM growth_reports")).one()
                failed = conn.execute(text("SELECT count(*) FROM jobs WHERE status = 'failed'")).scalar_one()
            objects, object_bytes = _bucket(cos())
        finally:
            clock.use_clock(previous)
    finally:
        platform.stop()
        platform.drop_database()
    return FanoutResult(developers, tasks, seed_s, timer_s, int(fanned.get("developers", 0)),
                        int(fanned.get("batches", 0)), wall, cpu, invocations, int(reports), objects, object_bytes,
                        int(p50 or 0), int(p99 or 0), int(failed), load_before, load())


def render_markdown(r: FanoutResult, when: str) -> str:
    at_10k = 10_000 / r.per_second
    how = "" if r.developers >= 10_000 else (
        " (extrapolated: a job's work does not grow with N — it reads one developer by index — so time is linear)")
    ok = "✅" if r.reports == r.developers == r.objects and not r.failed_jobs else "❌"
    return (
        f"Run **{when}** — {r.developers:,} active developers ({r.tasks:,} tasks completed in {MONTH}); load average"
        f" {r.load_before} before, {r.load_after} after.\n\n"
        "| step | result |\n|---|---|\n"
        f"| seed (set-based SQL, not measured) | {r.seed_s:.0f} s |\n"
        f"| timer `reports_monthly` (pages of active developers → jobs) | {r.jobs:,} jobs in {r.batches} batches,"
        f" {r.timer_s:.1f} s |\n"
        f"| jobs worker until the queue is empty ({r.invocations} `jobs.work()` invocations, one process) |"
        f" **{r.worker_wall_s:.0f} s** wall, {r.worker_cpu_s:.0f} s CPU of this process |\n"
        f"| reports per second (wall) / per CPU-second of the worker process | **{r.per_second:.1f}** /"
        f" {r.per_cpu_second:.1f} |\n"
        f"| end state: rows / PDFs listed in the bucket / failed jobs | {r.reports:,} / {r.objects:,}"
        f" ({r.object_bytes / 1024 / 1024:.1f} MiB) / {r.failed_jobs} {ok} |\n"
        f"| PDF size p50 / p99 | {r.pdf_p50 / 1024:.1f} KB / {r.pdf_p99 / 1024:.1f} KB |\n\n"
        f"At this rate one worker process issues 10,000 reports in ~{at_10k / 60:.0f} min"
        f"{how}.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--developers", type=int, default=10_000)
    args = parser.parse_args()
    result = run(args.developers, progress=lambda m: print(f"  {m}", flush=True))
    when = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print(render_markdown(result, when))


if __name__ == "__main__":
    main()

"""Seed `codelink_bench` with 1,000,000 tasks, 200,000 developers and a few thousand merchants — set-based SQL only
(INSERT … SELECT over generate_series), so it takes minutes, not hours.

The data is relative to a reference time, the *epoch*, recorded with the seed in `bench.seed_info`; the benchmarks run
on a fixed clock at that epoch, so a database seeded weeks ago still has ~70% of its tasks open and reruns compare.

Distributions (all drawn with a fixed `setseed`, so two seeds give the same data):
- skills: from the `skills` table, Zipf-like popularity (weight 1/rank; the ranking is POPULARITY, then the rest);
  1–4 tags per task, 1–6 per developer (a row picks one of 20,000 tag sets pre-drawn for its tag count: drawing
  per row is a correlated subquery at ~70 µs a row);
- difficulty 1–5 (10/30/35/18/7 %); reward 100–2,000,000 fen, log-uniform, rounded to whole yuan;
- published_at uniform over the last 180 days; open tasks' deadlines uniform over the next 90 days;
- status: 70% open, the rest spread over the other statuses with timestamps and assignees that fit them;
- promotion (置顶推荐, tasks.promoted_until, when the column exists): 0.1% of open tasks, promoted for up to 7 days
  (the hall's promoted segment reads them; no `promotions` rows are created);
- merchants' task counts skewed (a few merchants post a lot), every merchant has a merchant_profile.
Every constraint of infra/migrations/0001_core.sql holds (the database checks them: CHECKs, FKs, UNIQUEs).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

SEED_VERSION = 2
TASKS = 1_000_000
DEVELOPERS = 200_000
MERCHANTS = 3_000

# Most-used skills first (the rest of the taxonomy follows in table order): weight 1/rank.
POPULARITY = ["python", "javascript", "miniprogram", "vue", "java", "typescript", "mysql", "react", "nodejs", "go",
              "php", "css", "uniapp", "linux", "docker", "sql", "crawler", "android", "ios", "redis"]

# status -> share of all tasks (sums to 1)
STATUS_SHARES = [
    ("open", 0.70), ("in_progress", 0.08), ("completed", 0.10), ("cancelled", 0.03), ("expired", 0.025),
    ("pending_review", 0.02), ("delivered", 0.02), ("awaiting_funding", 0.01), ("failed", 0.007),
    ("rejected", 0.005), ("disputed", 0.003),
]
DIFFICULTY_SHARES = [0.10, 0.30, 0.35, 0.18, 0.07]
TAG_COUNT_SHARES = [0.25, 0.40, 0.25, 0.10]  # 1, 2, 3, 4 tags
TAG_POOL = 20_000  # pre-drawn tag sets per tag count
PROMOTED_SHARE = 0.001  # of open tasks
REWARD_MIN, REWARD_MAX = 100, 2_000_000

TITLES = ["开发一个小程序登录页", "修复后端接口的性能问题", "搭建运营数据看板", "编写爬虫抓取公开数据",
          "实现微信支付回调处理", "优化慢 SQL 查询", "设计 App 首页 UI", "编写接口自动化测试用例", "把服务部署到腾讯云",
          "训练一个图像分类模型",
          "开发商城后台管理系统", "接入大模型做客服问答", "迁移旧系统数据到 PostgreSQL", "实现 Flutter 聊天页面",
          "配置 CI/CD 流水线", "重构 Vue2 项目到 Vue3"]
DESCRIPTION = ("需求明确，有原型图和接口文档；要求代码规范、有必要的单元测试，交付时附部署说明。"
               "按里程碑验收，沟通请用微信，工作日晚上和周末均可。")
HEADLINES = ["全栈工程师", "后端开发，五年经验", "前端 / 小程序开发", "数据工程师", "运维与云原生", "UI/UX 设计师",
             "测试开发工程师", "算法工程师", "移动端开发", "在校研究生，熟悉 Python"]
CITIES = ["北京", "上海", "深圳", "广州", "杭州", "成都", "武汉", "西安", "南京", "远程"]


@dataclass
class SeedInfo:
    version: int
    epoch: datetime
    tasks: int
    developers: int
    merchants: int
    seconds: float


def _sql_list(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def _pick(shares: list[tuple[str, float]], u: str) -> str:
    """A CASE over cumulative shares: the category of the uniform draw `u`."""
    parts, acc = [], 0.0
    for value, share in shares[:-1]:
        acc += share
        parts.append(f"WHEN {u} < {acc:.6f} THEN {value}")
    return f"CASE {' '.join(parts)} ELSE {shares[-1][0]} END"


def _tag_pool(conn: Connection, name: str, max_tags: int) -> None:
    """Temp table `name` (n, k, tags): for each tag count n, TAG_POOL sets of n skills drawn by popularity
    (duplicate draws collapse, so a few sets are shorter), most popular first."""
    conn.execute(text(
        f"CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT n, k, ARRAY(SELECT c.slug FROM"
        " (SELECT random() AS r, j FROM generate_series(1, n) AS j) AS x"
        " JOIN bench_skill_cdf c ON x.r >= c.lo AND x.r < c.hi GROUP BY c.slug, c.rank ORDER BY c.rank) AS tags"
        f" FROM generate_series(1, {max_tags}) AS n, generate_series(1, {TAG_POOL}) AS k"))
    conn.execute(text(f"ALTER TABLE {name} ADD PRIMARY KEY (n, k)"))


def _log(msg: str) -> None:
    print(f"  [seed] {msg}", flush=True)


def read_seed_info(conn: Connection) -> SeedInfo | None:
    conn.execute(text("CREATE SCHEMA IF NOT EXISTS bench"))
    conn.execute(text(
        "CREATE TABLE IF NOT EXISTS bench.seed_info (version int NOT NULL, epoch timestamptz NOT NULL,"
        " tasks bigint NOT NULL, developers bigint NOT NULL, merchants bigint NOT NULL,"
        " seconds double precision NOT NULL, seeded_at timestamptz NOT NULL DEFAULT now())"))
    row = conn.execute(text("SELECT * FROM bench.seed_info ORDER BY seeded_at DESC LIMIT 1")).first()
    if row is None:
        return None
    return SeedInfo(row.version, row.epoch, row.tasks, row.developers, row.merchants, row.seconds)


def is_complete(conn: Connection, info: SeedInfo | None) -> bool:
    if info is None or info.version != SEED_VERSION:
        return False
    tasks = conn.execute(text("SELECT count(*) FROM tasks")).scalar_one()
    devs = conn.execute(text("SELECT count(*) FROM developer_profiles")).scalar_one()
    merchants = conn.execute(text("SELECT count(*) FROM merchant_profiles")).scalar_one()
    return (tasks, devs, merchants) == (info.tasks, info.developers, info.merchants) == (TASKS, DEVELOPERS, MERCHANTS)


def ensure_seeded(engine: Engine, *, force: bool = False) -> SeedInfo:
    """Seed unless a complete seed of this version is already there; return what is there."""
    with engine.begin() as conn:
        info = read_seed_info(conn)
        if not force and is_complete(conn, info):
            assert info is not None
            _log(f"already seeded (v{info.version}, epoch {info.epoch.isoformat()}, took {info.seconds:.0f} s then)")
            return info
    return seed(engine)


def seed(engine: Engine) -> SeedInfo:
    from infra.local.platform import truncate_all

    started = time.perf_counter()
    epoch = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    _log(f"seeding {TASKS:,} tasks, {DEVELOPERS:,} developers, {MERCHANTS:,} merchants (epoch {epoch.isoformat()})")
    truncate_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM bench.seed_info"))
    p: dict[str, Any] = {"now": epoch}

    with engine.begin() as conn:
        _session(conn)
        _skill_cdf(conn)
        step = time.perf_counter()
        _users(conn, p)
        _log(f"users + profiles: {time.perf_counter() - step:.1f} s")

    with engine.begin() as conn:
        _session(conn)
        _skill_cdf(conn)
        step = time.perf_counter()
        indexes = conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'tasks'"
            " AND indexname <> 'tasks_pkey'")).all()
        # Bulk load without the secondary indexes, then build each one once from its own definition (faster than
        # maintaining eight indexes, one a GIN, row by row). All of this is one transaction.
        for ix in indexes:
            conn.execute(text(f'DROP INDEX "{ix.indexname}"'))
        _tasks(conn, p)
        _log(f"tasks: {time.perf_counter() - step:.1f} s")
        step = time.perf_counter()
        for ix in indexes:
            conn.execute(text(ix.indexdef))
        _log(f"tasks indexes ({len(indexes)}): {time.perf_counter() - step:.1f} s")
        conn.execute(text("SELECT setval('users_id_seq', (SELECT max(id) FROM users))"))
        conn.execute(text("SELECT setval('tasks_id_seq', (SELECT max(id) FROM tasks))"))

    step = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) users, developer_profiles, merchant_profiles, tasks"))
        conn.execute(text("ANALYZE"))
    _log(f"VACUUM ANALYZE: {time.perf_counter() - step:.1f} s")

    seconds = time.perf_counter() - started
    info = SeedInfo(SEED_VERSION, epoch, TASKS, DEVELOPERS, MERCHANTS, seconds)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO bench.seed_info (version, epoch, tasks, developers, merchants, seconds)"
                          " VALUES (:v, :e, :t, :d, :m, :s)"),
                     {"v": info.version, "e": epoch, "t": TASKS, "d": DEVELOPERS, "m": MERCHANTS, "s": seconds})
    _log(f"seeded in {seconds:.0f} s")
    return info


def _session(conn: Connection) -> None:
    conn.execute(text("SET LOCAL synchronous_commit = off"))
    conn.execute(text("SET LOCAL work_mem = '256MB'"))
    conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
    conn.execute(text("SELECT setseed(0.4242)"))


def _skill_cdf(conn: Connection) -> None:
    conn.execute(text(
        "CREATE TEMP TABLE IF NOT EXISTS bench_skill_cdf ON COMMIT DROP AS"
        " WITH ranked AS (SELECT slug, row_number() OVER (ORDER BY coalesce(array_position("
        f"{_sql_list(POPULARITY)}, slug), 1000), slug) AS rank FROM skills),"
        " w AS (SELECT slug, rank, 1.0 / rank AS w FROM ranked)"
        " SELECT slug, rank, (sum(w) OVER (ORDER BY rank) - w) / sum(w) OVER () AS lo,"
        " sum(w) OVER (ORDER BY rank) / sum(w) OVER () AS hi FROM w"))
    # The top bucket ends at exactly 1.0 and random() < 1.0, so every draw lands in one bucket.
    n = conn.execute(text("SELECT count(*) FROM bench_skill_cdf")).scalar_one()
    if n == 0:
        raise RuntimeError("the skills table is empty: run the migrations first")


def _users(conn: Connection, p: dict[str, Any]) -> None:
    m, d = MERCHANTS, DEVELOPERS
    _tag_pool(conn, "bench_dev_tags", 6)
    conn.execute(text(
        "INSERT INTO users (id, openid, phone, nickname, roles, status, created_at, updated_at)"
        " SELECT g, 'bench-m-' || g, '+86139' || lpad(g::text, 8, '0'), '商家' || g, '{merchant}', 'active',"
        " :now - interval '400 days' * (0.1 + random()), :now - interval '30 days' * random()"
        f" FROM generate_series(1, {m}) AS g"), p)
    conn.execute(text(
        "INSERT INTO merchant_profiles (user_id, name, company, description, rating_count, rating_sum,"
        " responses_due, responses_on_time, tasks_approved, created_at, updated_at)"
        " SELECT id, '商家' || id, '码联示例科技' || id || '号公司', '专注小程序与企业软件外包',"
        " rc, rc * 3 + floor(random() * (rc * 2 + 1))::int, due, floor(due * (0.5 + 0.5 * random()))::int,"
        " 1 + floor(random() * 20)::int, created_at, updated_at"
        " FROM (SELECT id, created_at, updated_at, floor(random() * 50)::int AS rc,"
        "       floor(power(random(), 2) * 300)::int AS due FROM users WHERE id <= :m) s"), {"m": m})
    conn.execute(text(
        "INSERT INTO users (id, openid, nickname, roles, status, premium_until, created_at, updated_at)"
        " SELECT g, 'bench-d-' || g, '开发者' || g, '{developer}',"
        " CASE WHEN random() < 0.003 THEN 'banned' ELSE 'active' END,"
        " CASE WHEN random() < 0.05 THEN :now + interval '180 days' * random() END,"
        " :now - interval '365 days' * (0.05 + random()), :now - interval '30 days' * random()"
        f" FROM generate_series({m + 1}, {m + d}) AS g"), p)
    conn.execute(text(
        "INSERT INTO developer_profiles (user_id, display_name, headline, bio, city, years_experience, skills,"
        " links, rating_count, rating_sum, completed_tasks, points_balance, created_at, updated_at)"
        " SELECT id, '开发者' || id, (" + _sql_list(HEADLINES) + ")[1 + floor(random() * "
        f"{len(HEADLINES)})::int], '喜欢把事情做完整：需求、实现、测试、上线。',"
        " (" + _sql_list(CITIES) + f")[1 + floor(random() * {len(CITIES)})::int],"
        " floor(power(random(), 2) * 21)::int, (SELECT tp.tags FROM bench_dev_tags tp WHERE tp.n = s.nskills"
        f" AND tp.k = s.tag_k),"
        " CASE WHEN random() < 0.3 THEN jsonb_build_array(jsonb_build_object('title', 'GitHub', 'url',"
        " 'https://github.com/dev' || id)) ELSE '[]'::jsonb END,"
        " rc, rc * 4 + floor(random() * (rc + 1))::int, rc + floor(random() * 3)::int,"
        " floor(random() * 500)::int, created_at, updated_at"
        " FROM (SELECT id, created_at, updated_at, 1 + floor(power(random(), 1.5) * 6)::int AS nskills,"
        f"       1 + floor(random() * {TAG_POOL})::int AS tag_k,"
        "       floor(power(random(), 3) * 40)::int AS rc FROM users WHERE id > :m) s"), {"m": m})


def _tasks(conn: Connection, p: dict[str, Any]) -> None:
    status = _pick([(f"'{s}'", share) for s, share in STATUS_SHARES], "u_status")
    difficulty = _pick([(str(i + 1), share) for i, share in enumerate(DIFFICULTY_SHARES)], "u_diff")
    ntags = _pick([(str(i + 1), share) for i, share in enumerate(TAG_COUNT_SHARES)], "u_ntags")
    _tag_pool(conn, "bench_task_tags", len(TAG_COUNT_SHARES))
    promoted = conn.execute(text(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'tasks'"
        " AND column_name = 'promoted_until'")).first() is not None
    # promoted_until: u_promo < PROMOTED_SHARE picks the task; u_promo / PROMOTED_SHARE is again uniform on [0, 1).
    promo_col, promo_val = ("", "") if not promoted else (
        ", promoted_until", f", CASE WHEN status = 'open' AND u_promo < {PROMOTED_SHARE} THEN :now + interval"
        f" '7 days' * (0.02 + 0.98 * u_promo / {PROMOTED_SHARE}) END")
    lo, hi = REWARD_MIN, REWARD_MAX
    # 1. Per-task random draws, materialised once so every column derived from one draw agrees.
    conn.execute(text(
        "CREATE TEMP TABLE bench_task_src ON COMMIT DROP AS"
        " SELECT g, random() AS u_status, random() AS u_diff, random() AS u_reward, random() AS u_pub,"
        " random() AS u_deadline, random() AS u_stage, random() AS u_merchant, random() AS u_title,"
        " 1 + floor(random() * 3)::int AS desc_repeat, random() AS u_assignee, random() AS u_ntags,"
        f" 1 + floor(random() * {TAG_POOL})::int AS tag_k, random() AS u_promo"
        f" FROM generate_series(1, {TASKS}) AS g"))
    # 2. Status, and when the task was created and went public (`pub`: NULL for tasks still in review, awaiting
    #    funding, or rejected at review). Ids are then numbered in creation order, as a bigserial would have.
    conn.execute(text(
        "CREATE TEMP TABLE bench_task_shape ON COMMIT DROP AS"
        " SELECT row_number() OVER (ORDER BY created_at, g) AS id, * FROM ("
        "  SELECT *, coalesce(pub, :now - interval '7 days' * u_pub) - interval '1 minute' * (5 + u_stage * 2880)"
        "   AS created_at FROM ("
        "   SELECT *, CASE WHEN status IN ('pending_review', 'awaiting_funding', 'rejected') THEN NULL"
        "    ELSE :now - interval '180 days' * u_pub END AS pub FROM ("
        f"    SELECT s.*, {status} AS status, {difficulty} AS difficulty, {ntags} AS ntags"
        "     FROM bench_task_src s) a) b) c ORDER BY 1"), p)
    # 3. The rows, in id order. Open and in-flight tasks have deadlines in the next 90 days, expired ones in the past.
    conn.execute(text(
        "INSERT INTO tasks (id, merchant_id, title, description, skill_tags, difficulty, reward_fen, deadline, status,"
        " review_reason, assignee_id, revision_count, applications_count, published_at, delivered_at, completed_at,"
        f" closed_at, created_at, updated_at{promo_col})"
        " SELECT id, merchant_id, title, description, skill_tags, difficulty, reward_fen, deadline, status,"
        " CASE WHEN status = 'rejected' THEN '描述不清，请补充验收标准' END, assignee_id,"
        " CASE WHEN status IN ('completed', 'disputed') THEN floor(u_stage * 3)::int ELSE 0 END, 0,"
        " pub, delivered, completed, closed, created_at, coalesce(closed, completed, delivered, pub, created_at)"
        + promo_val +
        " FROM (SELECT x.*,"
        "   CASE WHEN status IN ('delivered', 'completed', 'disputed', 'failed')"
        "        THEN pub + (:now - pub) * (0.5 + 0.5 * u_stage) END AS delivered,"
        "   CASE WHEN status = 'completed' THEN pub + (:now - pub) * (0.75 + 0.25 * u_stage) END AS completed,"
        "   CASE WHEN status = 'completed' THEN pub + (:now - pub) * (0.75 + 0.25 * u_stage)"
        "        WHEN status IN ('cancelled', 'failed') THEN pub + (:now - pub) * (0.5 + 0.5 * u_stage)"
        "        WHEN status = 'expired' THEN least(deadline + interval '10 minutes', :now)"
        "        WHEN status = 'rejected' THEN created_at + (:now - created_at) * u_stage END AS closed"
        "  FROM (SELECT s.*,"
        f"    1 + floor(power(u_merchant, 2) * {MERCHANTS})::int AS merchant_id,"
        f"    ({_sql_list(TITLES)})[1 + floor(u_title * {len(TITLES)})::int] || '（#' || s.id || '）' AS title,"
        f"    repeat('{DESCRIPTION}', desc_repeat) AS description,"
        "     tp.tags AS skill_tags,"
        f"    greatest({lo}, round(exp(ln({lo}) + u_reward * (ln({hi}) - ln({lo}))) / 100) * 100)::bigint"
        "     AS reward_fen,"
        "     CASE WHEN status = 'expired' THEN pub + (:now - pub) * u_deadline"
        "          WHEN status IN ('completed', 'cancelled', 'failed')"
        "          THEN pub + interval '90 days' * u_deadline + interval '1 day'"
        "          ELSE :now + interval '1 hour' + (interval '90 days' - interval '1 hour') * u_deadline"
        "     END AS deadline,"
        "     CASE WHEN status IN ('in_progress', 'delivered', 'completed', 'disputed', 'failed')"
        f"         THEN {MERCHANTS + 1} + floor(u_assignee * {DEVELOPERS})::int END AS assignee_id"
        "   FROM bench_task_shape s JOIN bench_task_tags tp ON tp.n = s.ntags AND tp.k = s.tag_k) AS x) AS y"
        " ORDER BY id"), p)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="reseed even if a complete seed is there")
    args = parser.parse_args()
    from bench.env import start_platform

    platform = start_platform()
    try:
        from shared.db import get_engine

        ensure_seeded(get_engine(), force=args.force)
    finally:
        platform.stop()


if __name__ == "__main__":
    main()


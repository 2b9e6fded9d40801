"""Task hall benchmark: GET /tasks through `functions.tasks.index.main_handler` (a Function URL event, in process)
against the very SQL the handler runs (`shared.tasks.hall.hall_sql`), executed directly on the same engine.

Three timings per scenario, interleaved (rotating order) so machine noise hits them alike:
- handler: main_handler(event, None) — routing, validation, pool checkout (+pre-ping), SQL, TaskCards, JSON;
- direct:  `with engine.connect() as c: c.execute(text(sql), params).all()` — same engine, same pool;
- raw:     psycopg2 cursor.execute + fetchall on one autocommit connection held open (the floor: one round trip).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, text

from bench.stats import Summary, timed_ms

# Query strings as the mini-program sends them.
MAIN = {"tags": "python,javascript", "difficulty_min": "2", "difficulty_max": "4", "reward_min": "5000",
        "sort": "reward"}
SCENARIOS: list[tuple[str, dict[str, str]]] = [
    ("tags∨2 popular + difficulty 2–4 + reward ≥ 5000 fen, sort reward (page 1)", MAIN),
    ("  … page 2 (cursor)", {**MAIN, "cursor": "<page 2>"}),
    ("  … first page past the promoted tasks (cursor)", {**MAIN, "cursor": "<ordinary>"}),
    ("no filter, sort newest (landing page)", {}),
    ("tag miniprogram + reward 500–5000 yuan, sort deadline", {"tags": "miniprogram", "reward_min": "50000",
                                                               "reward_max": "500000", "sort": "deadline"}),
    ("tags vue∧typescript + difficulty 1–3, sort newest", {"tags": "vue,typescript", "tag_mode": "all",
                                                           "difficulty_max": "3", "sort": "newest"}),
    ("rare tag (computer-vision), sort newest", {"tags": "computer-vision", "sort": "newest"}),
]


@dataclass
class HallResult:
    name: str
    rows: int
    page: int
    handler: Summary
    direct: Summary
    raw: Summary
    statements: int
    checkouts: int
    query: dict[str, str] = field(default_factory=dict)


def _call(handler: Callable[..., Any], query: dict[str, str]) -> dict[str, Any]:
    from tests.support.api import function_url_event

    answer = handler(function_url_event("GET", "/tasks", query=query), None)
    if answer["statusCode"] != 200:
        raise RuntimeError(f"GET /tasks {query} -> {answer['statusCode']}: {answer['body'][:300]}")
    return json.loads(answer["body"])


def _resolve_cursors(handler: Callable[..., Any], query: dict[str, str]) -> tuple[dict[str, str], int]:
    """Replace the cursor placeholders by real cursors, found by paging like a client; return (query, page no.)."""
    if query.get("cursor") not in ("<page 2>", "<ordinary>"):
        return query, 1
    want_ordinary = query["cursor"] == "<ordinary>"
    base = {k: v for k, v in query.items() if k != "cursor"}
    page, cursor = 1, _call(handler, base)["next_cursor"]
    while cursor is not None:
        page += 1
        if not want_ordinary or _arity(cursor) == 2:  # ("p", key, id) inside the promoted segment, else (key, id)
            return {**base, "cursor": cursor}, page
        if page > 200:
            break
        cursor = _call(handler, {**base, "cursor": cursor})["next_cursor"]
    raise RuntimeError(f"no {'ordinary-segment' if want_ordinary else 'second'} page for {base}")


def _arity(cursor: str) -> int:
    import base64

    return len(json.loads(base64.urlsafe_b64decode(cursor.encode())))


def _pyformat(sql: str) -> str:
    """:name -> %(name)s for psycopg2 (the hall SQL uses CAST(), never ::)."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql.replace("%", "%%"))


def count_round_trips(engine: Any, fn: Callable[[], Any]) -> tuple[int, int]:
    """(SQL statements executed, pool checkouts) during fn(). Each checkout also costs a pre-ping."""
    counts = {"stmts": 0, "checkouts": 0}

    def on_exec(*_: Any) -> None:
        counts["stmts"] += 1

    def on_checkout(*_: Any) -> None:
        counts["checkouts"] += 1

    event.listen(engine, "before_cursor_execute", on_exec)
    event.listen(engine.pool, "checkout", on_checkout)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", on_exec)
        event.remove(engine.pool, "checkout", on_checkout)
    return counts["stmts"], counts["checkouts"]


def run(now: datetime, *, warmup: int, iterations: int, progress: Callable[[str], None]) -> list[HallResult]:
    from functions.tasks.index import main_handler
    from shared.db import get_engine
    from shared.tasks.hall import hall_sql
    from shared.tasks.schemas import HallQuery

    engine = get_engine()
    raw_conn = engine.raw_connection()
    raw_conn.detach()  # ours alone: it is really closed at the end, never returned to the pool in autocommit
    raw_conn.dbapi_connection.autocommit = True  # type: ignore[union-attr]
    results = []
    try:
        for name, template in SCENARIOS:
            query, page = _resolve_cursors(main_handler, template)
            sql, params = hall_sql(HallQuery.model_validate(query), now)
            raw_sql = _pyformat(sql)

            def handler(q: dict[str, str] = query) -> Any:
                return _call(main_handler, q)

            def direct(s: str = sql, p: dict[str, Any] = params) -> Any:
                with engine.connect() as conn:
                    return conn.execute(text(s), p).all()

            def raw(s: str = raw_sql, p: dict[str, Any] = params) -> Any:
                cur = raw_conn.cursor()
                try:
                    cur.execute(s, p)
                    return cur.fetchall()
                finally:
                    cur.close()

            body, rows = handler(), direct()
            limit = int(query.get("limit", 20))
            if [t["id"] for t in body["items"]] != [r.id for r in rows[:limit]] or len(raw()) != len(rows):
                raise RuntimeError(f"handler and direct SQL disagree for {query}")
            statements, checkouts = count_round_trips(engine, handler)
            fns: list[Callable[[], Any]] = [handler, direct, raw]
            samples: list[list[float]] = [[], [], []]
            for i in range(warmup + iterations):
                order = [(i + k) % 3 for k in range(3)]
                for k in order:
                    ms = timed_ms(fns[k])
                    if i >= warmup:
                        samples[k].append(ms)
            result = HallResult(name, len(body["items"]), page, Summary.of(samples[0]), Summary.of(samples[1]),
                                Summary.of(samples[2]), statements, checkouts, query)
            results.append(result)
            progress(f"{name.strip()}: handler p50 {result.handler.p50:.2f} / p99 {result.handler.p99:.2f} ms,"
                     f" direct p50 {result.direct.p50:.2f} / p99 {result.direct.p99:.2f} ms")
    finally:
        raw_conn.close()
    return results


def explain(now: datetime, query: dict[str, str]) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the hall SQL for `query` (cursor placeholders resolved)."""
    from functions.tasks.index import main_handler
    from shared.db import get_engine
    from shared.tasks.hall import hall_sql
    from shared.tasks.schemas import HallQuery

    resolved, _ = _resolve_cursors(main_handler, query)
    sql, params = hall_sql(HallQuery.model_validate(resolved), now)
    with get_engine().connect() as conn:
        return "\n".join(r[0] for r in conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql), params))

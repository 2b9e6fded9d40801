"""The task hall: open tasks, filtered and sorted, keyset-paginated. One SQL statement on partial indexes that hold
only open tasks (infra/migrations/0001_core.sql), written as SQL because it is the hottest read of the platform."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text

from shared.applications.rules import response_rate
from shared.pagination import decode_cursor, encode_cursor
from shared.tasks.schemas import HallPage, HallQuery, TaskCard

# sort -> (key column, direction)
_SORTS = {"newest": ("published_at", "DESC"), "reward": ("reward_fen", "DESC"), "deadline": ("deadline", "ASC")}


def hall_sql(q: HallQuery, now: datetime) -> tuple[str, dict[str, Any]]:
    key, direction = _SORTS[q.sort]
    where = ["t.status = 'open'", "t.deadline > :now", "t.difficulty BETWEEN :dmin AND :dmax"]
    params: dict[str, Any] = {"now": now, "dmin": q.difficulty_min, "dmax": q.difficulty_max, "limit": q.limit + 1}
    if q.tags:
        where.append("t.skill_tags @> CAST(:tags AS text[])" if q.tag_mode == "all"
                     else "t.skill_tags && CAST(:tags AS text[])")
        params["tags"] = q.tags
    if q.reward_min is not None:
        where.append("t.reward_fen >= :rmin")
        params["rmin"] = q.reward_min
    if q.reward_max is not None:
        where.append("t.reward_fen <= :rmax")
        params["rmax"] = q.reward_max
    if q.deadline_after is not None:
        where.append("t.deadline >= :dafter")
        params["dafter"] = q.deadline_after
    if q.deadline_before is not None:
        where.append("t.deadline <= :dbefore")
        params["dbefore"] = q.deadline_before
    if q.cursor:
        last_key, last_id = decode_cursor(q.cursor, 2)
        op = "<" if direction == "DESC" else ">"
        where.append(f"(t.{key}, t.id) {op} (:ckey, :cid)")
        params["ckey"], params["cid"] = last_key, int(last_id)
    sql = (
        "SELECT t.id, t.title, t.skill_tags, t.difficulty, t.reward_fen, t.deadline, t.published_at,"
        " t.applications_count, t.merchant_id, coalesce(m.name, '') AS merchant_name,"
        " coalesce(m.responses_on_time, 0) AS on_time, coalesce(m.responses_due, 0) AS due"
        " FROM tasks t LEFT JOIN merchant_profiles m ON m.user_id = t.merchant_id"
        f" WHERE {' AND '.join(where)}"
        f" ORDER BY t.{key} {direction}, t.id {direction} LIMIT :limit"
    )
    return sql, params


def browse(conn: Any, q: HallQuery, now: datetime) -> HallPage:
    sql, params = hall_sql(q, now)
    rows = conn.execute(text(sql), params).all()
    items = [
        TaskCard(id=r.id, title=r.title, skill_tags=r.skill_tags, difficulty=r.difficulty, reward_fen=r.reward_fen,
                 deadline=r.deadline, published_at=r.published_at, applications_count=r.applications_count,
                 merchant_id=r.merchant_id, merchant_name=r.merchant_name,
                 merchant_response_rate=response_rate(r.on_time, r.due))
        for r in rows[: q.limit]
    ]
    next_cursor = None
    if len(rows) > q.limit:
        last = rows[q.limit - 1]
        key = _SORTS[q.sort][0]
        value = getattr(last, key)
        next_cursor = encode_cursor(value.isoformat() if isinstance(value, datetime) else value, last.id)
    return HallPage(items=items, next_cursor=next_cursor)

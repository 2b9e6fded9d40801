"""The task hall: open tasks, filtered and sorted, keyset-paginated. One SQL statement on partial indexes that hold
only open tasks, written as SQL because it is the hottest read of the platform. Keys first: the page's ids come from
an index-only keyset walk over covering indexes (infra/migrations/0006_hall_covering_indexes.sql), which test every
filter on index tuples; only the page's rows are then read from the table.

Promotion (置顶推荐, shared/billing/promotion.py): while `promoted_until > now` a task ranks first. The walk is two
keyset segments in the requested sort — the promoted tasks that match the filters, then all the others — so every
task still appears exactly once. A cursor inside the promoted segment is tagged ("p", key, id); a cursor in the
ordinary segment keeps the plain (key, id) form. Pages in the ordinary segment (every page after the first, in
practice) walk one index; pages that touch the promoted segment are one statement too: a UNION ALL of the promoted
branch (read from the small tasks_hall_promoted_cover partial index) and the ordinary one; merchants are joined to the
page's rows only."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from shared.applications.rules import response_rate
from shared.pagination import ID, INT, TIME, check_cursor, cursor_values, decode_cursor, encode_cursor, literal
from shared.tasks.schemas import HallPage, HallQuery, TaskCard

if TYPE_CHECKING:
    from shared.growth.queries import MatchProfile

# sort -> (key column, direction)
_SORTS = {"newest": ("published_at", "DESC"), "reward": ("reward_fen", "DESC"), "deadline": ("deadline", "ASC")}
_CURSOR_KEYS = {"newest": TIME, "reward": INT, "deadline": TIME}
_CARD = ("SELECT t.id, t.title, t.skill_tags, t.difficulty, t.reward_fen, t.deadline, t.published_at,"
         " t.applications_count, t.merchant_id, coalesce(m.name, '') AS merchant_name,"
         " coalesce(m.responses_on_time, 0) AS on_time, coalesce(m.responses_due, 0) AS due")


def _filters(q: HallQuery, now: datetime) -> tuple[list[str], dict[str, Any]]:
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
    return where, params


def hall_sql(q: HallQuery, now: datetime) -> tuple[str, dict[str, Any]]:
    key, direction = _SORTS[q.sort]
    promoted_segment, after = _decode(q.cursor, q.sort)
    where, params = _filters(q, now)
    keyset = ""
    if after is not None:
        op = "<" if direction == "DESC" else ">"
        keyset = f" AND (t.{key}, t.id) {op} (:ckey, :cid)"
        params["ckey"], params["cid"] = after
    order = f" ORDER BY t.{key} {direction}, t.id {direction} LIMIT :limit"
    ordinary = " AND (t.promoted_until IS NULL OR t.promoted_until <= :now)"

    def ids(promoted: bool, extra: str) -> str:
        # Keys first: only columns the covering indexes hold, so the walk is an index-only scan.
        return (f"(SELECT t.id, t.{key} AS sort_key, {'true' if promoted else 'false'} AS promoted FROM tasks t"
                f" WHERE {' AND '.join(where)}{extra}{order})")

    if promoted_segment:
        # First page (or a page inside the promoted segment): the rest of the promoted segment, then the ordinary
        # segment from its start. Each branch is LIMITed on its own index; the union's sort sees ≤ 2 × (limit + 1).
        page = (f"(SELECT * FROM ({ids(True, ' AND t.promoted_until > :now' + keyset)} UNION ALL"
                f" {ids(False, ordinary)}) u ORDER BY promoted DESC, sort_key {direction}, id {direction}"
                " LIMIT :limit)")
    else:
        page = ids(False, ordinary + keyset)
    sql = (
        "SELECT t.id, t.title, t.skill_tags, t.difficulty, t.reward_fen, t.deadline, t.published_at,"
        " t.applications_count, t.merchant_id, k.promoted, coalesce(m.name, '') AS merchant_name,"
        " coalesce(m.responses_on_time, 0) AS on_time, coalesce(m.responses_due, 0) AS due"
        f" FROM {page} k JOIN tasks t ON t.id = k.id LEFT JOIN merchant_profiles m ON m.user_id = t.merchant_id"
        f" ORDER BY k.promoted DESC, k.sort_key {direction}, k.id {direction}"
    )
    return sql, params


def _decode(cursor: str | None, sort: str) -> tuple[bool, tuple[Any, int] | None]:
    """(in the promoted segment?, the (key, id) to continue after). No cursor: the first page, which starts with the
    promoted segment. The key must have the type of the sort's key (a time for newest/deadline, fen for reward): a
    cursor of another sort, or a tampered one, is INVALID_CURSOR, never a database error."""
    if not cursor:
        return True, None
    key = _CURSOR_KEYS[sort]
    values = cursor_values(cursor)
    if len(values) == 3:
        _, last_key, last_id = check_cursor(values, literal("p"), key, ID)
        return True, (last_key, last_id)
    last_key, last_id = check_cursor(values, key, ID)
    return False, (last_key, last_id)


def match_sql(q: HallQuery, now: datetime, profile: MatchProfile) -> tuple[str, dict[str, Any]]:
    """The `match` sort: tasks scored like shared/growth/rules.py `match` (the same integers), ordered by (score, id)
    descending, keyset-paged on them. Personal, so promotion does not reorder it.

    Only tasks sharing a tag with the viewer's skills need scoring row by row (one GIN bitmap scan, a CASE per skill
    of the viewer); every other task scores by its difficulty alone — 3 values — so those come from three id-ordered
    walks (one per distance between the difficulty and the viewer's level), merged with the scored ones. A visitor
    without skills costs three short index walks."""
    where, params = _filters(q, now)
    mine = {k: v for k, v in profile.skills.items() if v > 0}
    tw = max(profile.skill_weight_bp + profile.level_weight_bp, 1)
    params.update({"full": profile.full_skill_points, "suits": profile.suits, "sw": profile.skill_weight_bp,
                   "lw": profile.level_weight_bp, "tw": tw, "mine": list(mine)})
    cursor: tuple[int, int] | None = None
    if q.cursor:
        cursor = decode_cursor(q.cursor, INT, ID)
        params["cscore"], params["cid"] = cursor
    base = " AND ".join(where)
    branches = []
    if mine:
        cases = []
        for i, (skill, points) in enumerate(sorted(mine.items())):
            params[f"ms{i}"], params[f"mp{i}"] = [skill], min(points, profile.full_skill_points)
            cases.append(f"CASE WHEN t.skill_tags @> CAST(:ms{i} AS text[]) THEN :mp{i} ELSE 0 END")
        score = (f"(({' + '.join(cases)}) * 10000 / (:full * greatest(cardinality(t.skill_tags), 1)) * :sw"
                 " + (CASE abs(t.difficulty - :suits) WHEN 0 THEN 10000 WHEN 1 THEN 5000 ELSE 0 END) * :lw) / :tw")
        keyset = f" AND ({score}, t.id) < (:cscore, :cid)" if cursor else ""
        branches.append(f"(SELECT t.id, {score} AS score FROM tasks t WHERE {base}"
                        f" AND t.skill_tags && CAST(:mine AS text[]){keyset} ORDER BY 2 DESC, t.id DESC LIMIT :limit)")
    other = " AND NOT (t.skill_tags && CAST(:mine AS text[]))" if mine else ""
    for gap, level_bp in ((0, 10_000), (1, 5_000), (2, 0)):
        value = level_bp * profile.level_weight_bp // tw
        if cursor and value > cursor[0]:
            continue  # this whole class ranks before the cursor
        keyset = " AND t.id < :cid" if cursor and value == cursor[0] else ""
        distance = "abs(t.difficulty - :suits) >= 2" if gap == 2 else f"abs(t.difficulty - :suits) = {gap}"
        branches.append(f"(SELECT t.id, {value} AS score FROM tasks t WHERE {base}{other} AND {distance}{keyset}"
                        " ORDER BY t.id DESC LIMIT :limit)")
    page = f"(SELECT * FROM ({' UNION ALL '.join(branches)}) u ORDER BY score DESC, id DESC LIMIT :limit)"
    sql = (f"{_CARD}, false AS promoted, k.score FROM {page} k JOIN tasks t ON t.id = k.id"
           " LEFT JOIN merchant_profiles m ON m.user_id = t.merchant_id ORDER BY k.score DESC, k.id DESC")
    return sql, params


def _with_reputation(conn: Any, items: list[TaskCard]) -> None:
    """Each card carries its merchant's reputation (one primary-key query per page, through the credit area's
    queries: response rate, median answer and pay times, dispute rate, tasks paid)."""
    from shared.credit.queries import reputations_of

    reps = reputations_of(conn, [i.merchant_id for i in items])
    for item in items:
        item.merchant_reputation = reps[item.merchant_id]


def browse(conn: Any, q: HallQuery, now: datetime, profile: MatchProfile | None = None) -> HallPage:
    if q.sort == "match":
        return _browse_match(conn, q, now, profile)
    sql, params = hall_sql(q, now)
    rows = conn.execute(text(sql), params).all()
    items = [
        TaskCard(id=r.id, title=r.title, skill_tags=r.skill_tags, difficulty=r.difficulty, reward_fen=r.reward_fen,
                 deadline=r.deadline, published_at=r.published_at, applications_count=r.applications_count,
                 merchant_id=r.merchant_id, merchant_name=r.merchant_name,
                 merchant_response_rate=response_rate(r.on_time, r.due), promoted=r.promoted)
        for r in rows[: q.limit]
    ]
    _with_reputation(conn, items)
    next_cursor = None
    if len(rows) > q.limit:
        last = rows[q.limit - 1]
        key = _SORTS[q.sort][0]
        value = getattr(last, key)
        value = value.isoformat() if isinstance(value, datetime) else value
        next_cursor = encode_cursor("p", value, last.id) if last.promoted else encode_cursor(value, last.id)
    return HallPage(items=items, next_cursor=next_cursor)


def _browse_match(conn: Any, q: HallQuery, now: datetime, profile: MatchProfile | None) -> HallPage:
    if profile is None:
        raise ValueError("the match sort needs the viewer's match profile")
    sql, params = match_sql(q, now, profile)
    rows = conn.execute(text(sql), params).all()
    items = []
    for r in rows[: q.limit]:
        fit = profile.score(r.skill_tags, r.difficulty)
        items.append(TaskCard(
            id=r.id, title=r.title, skill_tags=r.skill_tags, difficulty=r.difficulty, reward_fen=r.reward_fen,
            deadline=r.deadline, published_at=r.published_at, applications_count=r.applications_count,
            merchant_id=r.merchant_id, merchant_name=r.merchant_name,
            merchant_response_rate=response_rate(r.on_time, r.due), promoted=False, match_score=int(r.score),
            match_reasons=list(fit.reasons)))
    _with_reputation(conn, items)
    next_cursor = None
    if len(rows) > q.limit:
        last = rows[q.limit - 1]
        next_cursor = encode_cursor(int(last.score), last.id)
    return HallPage(items=items, next_cursor=next_cursor)

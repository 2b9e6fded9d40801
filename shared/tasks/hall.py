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


def _filters(q: HallQuery, now: datetime, *, tags: bool = True) -> tuple[list[str], dict[str, Any]]:
    where = ["t.status = 'open'", "t.deadline > :now", "t.difficulty BETWEEN :dmin AND :dmax"]
    params: dict[str, Any] = {"now": now, "dmin": q.difficulty_min, "dmax": q.difficulty_max, "limit": q.limit + 1}
    if q.tags and tags:
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


# The match sort reads the best score class alone (it usually fills the page), then batches of 2, 4, … classes per
# statement (each statement's rows all outrank the next's; a statement computes every class it holds).
_MATCH_BATCH = 1
# A class with at most this many shapes walks each shape's index on its own (LATERAL); a larger one lets the planner
# choose (a bitmap over tasks_hall_shape, or the id walk with a hashed shape filter).
_MATCH_LATERAL = 24


def _level_bp(gap: int) -> int:
    return 10_000 if gap == 0 else (5_000 if gap == 1 else 0)


def _gap_difficulties(profile: MatchProfile, gap: int) -> list[int]:
    return [d for d in range(1, 6) if min(abs(d - profile.suits), 2) == gap]


def match_classes(conn: Any, q: HallQuery, profile: MatchProfile) -> list[tuple[int, list[tuple[list[int] | None,
                                                                                                  list[int]]]]]:
    """The `match` score depends only on a task's tag set and difficulty (shared/growth/rules.py `match`): the skill
    part on the tag set, the level part on the difficulty's distance to the viewer's level (0, 1, 2+). So the hall
    ranks classes, not tasks: each distinct tag set sharing a tag with the viewer (a `task_shapes` row, kept by a
    trigger, infra/migrations/0022_task_shapes.sql) is scored once in SQL — the same integer arithmetic as the rule —
    and grouped by its skill part; each (skill part, distance) is one score. Tasks sharing no tag with the viewer
    score by their distance alone (shapes None). Returns [(score, [(shape ids or None, difficulties)])], best first."""
    mine = {k: min(v, profile.full_skill_points) for k, v in profile.skills.items() if v > 0}
    tw = max(profile.skill_weight_bp + profile.level_weight_bp, 1)
    skill_parts: list[tuple[int, list[int]]] = []
    if mine:
        params: dict[str, Any] = {"mine": list(mine), "full": profile.full_skill_points}
        cases = []
        for i, (skill, points) in enumerate(sorted(mine.items())):
            params[f"ms{i}"], params[f"mp{i}"] = skill, points
            cases.append(f"CASE WHEN :ms{i} = ANY(s.skill_tags) THEN :mp{i} ELSE 0 END")
        where = ["s.skill_tags && CAST(:mine AS text[])"]
        if q.tags:
            where.append("s.skill_tags @> CAST(:tags AS text[])" if q.tag_mode == "all"
                         else "s.skill_tags && CAST(:tags AS text[])")
            params["tags"] = q.tags
        skill_parts = [(int(r.bp), list(r.ids)) for r in conn.execute(text(
            f"SELECT ({' + '.join(cases)}) * 10000 / (:full * s.ntags) AS bp, array_agg(s.id) AS ids"
            f" FROM task_shapes s WHERE {' AND '.join(where)} GROUP BY 1"), params)]
    by_score: dict[int, list[tuple[list[int] | None, list[int]]]] = {}
    for gap in (0, 1, 2):
        difficulties = [d for d in _gap_difficulties(profile, gap) if q.difficulty_min <= d <= q.difficulty_max]
        if not difficulties:
            continue
        level = _level_bp(gap) * profile.level_weight_bp
        for bp, ids in skill_parts:
            by_score.setdefault((bp * profile.skill_weight_bp + level) // tw, []).append((ids, difficulties))
        by_score.setdefault(level // tw, []).append((None, difficulties))
    return sorted(by_score.items(), reverse=True)


def match_sql(q: HallQuery, now: datetime, profile: MatchProfile,
              classes: list[tuple[int, list[tuple[list[int] | None, list[int]]]]], need: int,
              cursor: tuple[int, int] | None, lateral: int = _MATCH_LATERAL) -> tuple[str, dict[str, Any]]:
    """One statement over a batch of score classes (best first): each class's tasks newest id first, LIMITed to what
    the page still needs, merged on (score, id) descending — the keyset order. Tasks of listed shapes come from
    tasks_hall_shape (one index walk per shape, or one scan over many); tasks sharing no tag with the viewer from an
    id-ordered walk that skips the viewer's tags."""
    where, params = _filters(q, now)
    params["limit"] = need
    mine = [k for k, v in profile.skills.items() if v > 0]
    params["mine"] = mine
    base = " AND ".join(where)
    # The shapes were chosen under the tag filter already: their tasks need no tag test, so the walks stay index-only.
    shaped = " AND ".join(_filters(q, now, tags=False)[0])
    branches = []
    for c, (score, members) in enumerate(classes):
        keyset = ""
        if cursor and score == cursor[0]:
            keyset, params["cid"] = " AND t.id < :cid", cursor[1]
        for m, (shapes, difficulties) in enumerate(members):
            d = f"d{c}_{m}"
            params[d] = difficulties
            if shapes is None:
                other = " AND NOT (t.skill_tags && CAST(:mine AS text[]))" if mine else ""
                branches.append(f"(SELECT t.id, {score} AS score FROM tasks t WHERE {base} AND t.difficulty ="
                                f" ANY(CAST(:{d} AS int[])){keyset}{other} ORDER BY t.id DESC LIMIT :limit)")
                continue
            common = f"{shaped} AND t.difficulty = ANY(CAST(:{d} AS int[])){keyset}"
            sp = f"s{c}_{m}"
            params[sp] = shapes
            if len(shapes) <= lateral:
                branches.append(
                    f"(SELECT x.id, {score} AS score FROM unnest(CAST(:{sp} AS bigint[])) AS sh(id) CROSS JOIN LATERAL"
                    f" (SELECT t.id FROM tasks t WHERE t.shape_id = sh.id AND {common} ORDER BY t.id DESC"
                    " LIMIT :limit) x ORDER BY x.id DESC LIMIT :limit)")
            else:
                branches.append(f"(SELECT t.id, {score} AS score FROM tasks t WHERE t.shape_id = ANY(CAST(:{sp} AS"
                                f" bigint[])) AND {common} ORDER BY t.id DESC LIMIT :limit)")
    page = f"(SELECT * FROM ({' UNION ALL '.join(branches)}) u ORDER BY score DESC, id DESC LIMIT :limit)"
    sql = (f"{_CARD}, false AS promoted, k.score FROM {page} k JOIN tasks t ON t.id = k.id"
           " LEFT JOIN merchant_profiles m ON m.user_id = t.merchant_id ORDER BY k.score DESC, k.id DESC")
    return sql, params


def match_rows(conn: Any, q: HallQuery, now: datetime, profile: MatchProfile, *, batch: int = _MATCH_BATCH,
               lateral: int = _MATCH_LATERAL) -> list[Any]:
    """Up to limit + 1 rows of the `match` sort after the cursor: the score classes below the cursor, best first, read
    in growing batches of classes per statement until the page is full (a statement's rows all outrank the next
    batch's)."""
    cursor = decode_cursor(q.cursor, INT, ID) if q.cursor else None
    classes = [c for c in match_classes(conn, q, profile) if cursor is None or c[0] <= cursor[0]]
    rows: list[Any] = []
    i = 0
    while i < len(classes) and len(rows) <= q.limit:
        sql, params = match_sql(q, now, profile, classes[i:i + batch], q.limit + 1 - len(rows), cursor, lateral)
        rows += conn.execute(text(sql), params).all()
        i, batch = i + batch, batch * 2
    return rows


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
    rows = match_rows(conn, q, now, profile)
    items = []
    for r in rows[: q.limit]:
        fit = profile.score(r.skill_tags, r.difficulty)
        items.append(TaskCard(
            id=r.id, title=r.title, skill_tags=r.skill_tags, difficulty=r.difficulty, reward_fen=r.reward_fen,
            deadline=r.deadline, published_at=r.published_at, applications_count=r.applications_count,
            merchant_id=r.merchant_id, merchant_name=r.merchant_name,
            merchant_response_rate=response_rate(r.on_time, r.due), promoted=False, match_score=int(r.score),
            match_reasons=list(fit.reasons)))
    next_cursor = None
    if len(rows) > q.limit:
        last = rows[q.limit - 1]
        next_cursor = encode_cursor(int(last.score), last.id)
    return HallPage(items=items, next_cursor=next_cursor)

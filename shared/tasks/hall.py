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
page's rows only.

The personal `match` sort is read differently (`match_rows`): by classes of equal score, a few short statements."""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
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


def _level_bp(gap: int) -> int:
    return 10_000 if gap == 0 else (5_000 if gap == 1 else 0)


# Shapes are scored in bands of tag count: the skill part of a task is its capped points on the viewer's skills over
# ITS number of tags, so few-tag shapes score highest and a page rarely needs more than the first band.
_MATCH_BANDS = (1, 2, 3, 4, None)

Members = list[tuple[list[int] | None, list[int]]]  # (shape ids, or None: tasks sharing no tag; difficulties)


def _skill_parts(conn: Any, q: HallQuery, profile: MatchProfile, above: int, upto: int | None
                 ) -> list[tuple[int, list[int]]]:
    """The skill part of every shape with above < tags ≤ upto sharing a tag with the viewer, grouped: [(bp, ids)].
    The same integer arithmetic as shared/growth/rules.py `match` (each skill capped, over the shape's tag count)."""
    mine = _capped_skills(profile)
    if not mine:
        return []
    params: dict[str, Any] = {"mine": list(mine), "full": profile.full_skill_points, "above": above, "upto": upto}
    cases = []
    for i, (skill, points) in enumerate(sorted(mine.items())):
        params[f"ms{i}"], params[f"mp{i}"] = skill, points
        cases.append(f"CASE WHEN :ms{i} = ANY(s.skill_tags) THEN :mp{i} ELSE 0 END")
    where = ["s.ntags > :above", "s.skill_tags && CAST(:mine AS text[])"]
    if upto is not None:
        where.append("s.ntags <= :upto")
    if q.tags:
        where.append("s.skill_tags @> CAST(:tags AS text[])" if q.tag_mode == "all"
                     else "s.skill_tags && CAST(:tags AS text[])")
        params["tags"] = q.tags
    return [(int(r.bp), list(r.ids)) for r in conn.execute(text(
        f"SELECT ({' + '.join(cases)}) * 10000 / (:full * s.ntags) AS bp, array_agg(s.id) AS ids"
        f" FROM task_shapes s WHERE {' AND '.join(where)} GROUP BY 1"), params)]


def _capped_skills(profile: MatchProfile) -> dict[str, int]:
    return {k: min(v, profile.full_skill_points) for k, v in profile.skills.items() if v > 0}


# --- scored bands, kept between pages ---------------------------------------------------------------------------
# A deep page of the match sort needs the bands of many-tag shapes (the 3-tag band is ~5,000 shapes at 1,000,000
# tasks), and scoring a band again on every page cost 5–25 ms (docs/BENCHMARKS.md). A band's scores depend only on
# the viewer's capped skills, full_skill_points, the band, the tag filter and the set of shapes; so a warm instance
# (SCF keeps module state between invocations; the local gateway serves on threads, hence the lock) keeps them.

def _shapes_version(conn: Any) -> int:
    """max(id) of task_shapes: which shapes exist, exactly. Shapes are never deleted, ids never reused, and new shapes
    are created one at a time (infra/migrations/0053_task_shapes_in_commit_order.sql), so ids become visible in id
    order and max(id) changes whenever a shape appears. One index-only read (~0.1 ms at 10,000 shapes; count(*) was
    ~0.45 ms, a fifth of a first page)."""
    return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM task_shapes")).scalar_one())


class ScoredBands:
    """A bounded LRU of `_skill_parts` results, keyed by everything they depend on and the shapes' version. The
    version makes an entry exact, so there is no time-to-live: an entry of an older version is never hit again and
    ages out of the LRU. Bounded in entries and in shape ids held (an id is 8 bytes in an array; ~2 MB at most);
    a band larger than the whole budget is not kept."""

    def __init__(self, max_entries: int = 512, max_ids: int = 250_000) -> None:
        self.max_entries, self.max_ids = max_entries, max_ids
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[Any, ...], list[tuple[int, array[int]]]] = OrderedDict()
        self._ids = 0

    def get(self, key: tuple[Any, ...]) -> list[tuple[int, list[int]]] | None:
        with self._lock:
            parts = self._entries.get(key)
            if parts is None:
                return None
            self._entries.move_to_end(key)
        # Fresh lists: the caller's score classes never share (or change) what is kept.
        return [(bp, ids.tolist()) for bp, ids in parts]

    def put(self, key: tuple[Any, ...], parts: list[tuple[int, list[int]]]) -> None:
        size = sum(len(ids) for _, ids in parts)
        if size > self.max_ids:
            return
        packed = [(bp, array("q", ids)) for bp, ids in parts]
        with self._lock:
            if key in self._entries:  # two requests scored the same band at once: keep one
                return
            self._entries[key] = packed
            self._ids += size
            while len(self._entries) > self.max_entries or self._ids > self.max_ids:
                _, dropped = self._entries.popitem(last=False)
                self._ids -= sum(len(ids) for _, ids in dropped)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._ids = 0

    def __len__(self) -> int:
        return len(self._entries)


_scored_bands = ScoredBands()


def _cached_skill_parts(conn: Any, q: HallQuery, profile: MatchProfile, above: int, upto: int | None,
                        version: int) -> list[tuple[int, list[int]]]:
    """`_skill_parts`, from the cache when this band was scored for the same skills, filter and shapes. `version`
    must be read before the band is scored (as match_rows does): a shape committed in between is then in the band
    but not in the version, so an entry holds at least the shapes of its version — an extra shape has no task
    visible to a reader that does not see the shape, and is scored right anyway."""
    tag_filter = (tuple(sorted(set(q.tags))), q.tag_mode) if q.tags else None  # @> and && are set operations
    key = (tuple(sorted(_capped_skills(profile).items())), profile.full_skill_points, above, upto, tag_filter,
           version)
    parts = _scored_bands.get(key)
    if parts is None:
        parts = _skill_parts(conn, q, profile, above, upto)
        _scored_bands.put(key, parts)
    return parts


def _best_skill_part(profile: MatchProfile, tags: int) -> int:
    """The highest skill part a shape of `tags` or more tags can reach for this viewer: the average of their best
    capped points over `tags` (non-increasing in the tag count)."""
    caps = sorted((min(v, profile.full_skill_points) for v in profile.skills.values() if v > 0), reverse=True)
    return sum(caps[:tags]) * 10_000 // (profile.full_skill_points * tags)


def match_rows(conn: Any, q: HallQuery, now: datetime, profile: MatchProfile, *, batch: int = 1,
               lateral: int = 24, bands: tuple[int | None, ...] = _MATCH_BANDS) -> list[Any]:
    """Up to limit + 1 rows of the `match` sort after the cursor.

    The score depends only on a task's tag set and difficulty (rules.match): the skill part on the tag set, the level
    part on the difficulty's distance to the viewer's level (0, 1, 2+). So the hall ranks classes of equal score, not
    tasks. Each distinct tag set sharing a tag with the viewer (a `task_shapes` row, kept by a trigger,
    infra/migrations/0022_task_shapes.sql) is scored in SQL and grouped by skill part; each (skill part, distance) is
    one score; tasks sharing no tag with the viewer score by their distance alone. Shapes are scored band by band of
    tag count; a class is read only once no unscored shape can reach its score (`_best_skill_part`), so equal scores
    are never split. Classes are read best first, the first alone, then 2, 4, … per statement, until the page is
    full (a statement's rows all outrank the next's). A band once scored is kept for the next pages
    (`_cached_skill_parts`): a page then costs one read of the shapes' version instead of re-scoring the bands."""
    cursor = decode_cursor(q.cursor, INT, ID) if q.cursor else None
    tw = max(profile.skill_weight_bp + profile.level_weight_bp, 1)
    gaps = {g: ds for g in (0, 1, 2) if (ds := [d for d in range(q.difficulty_min, q.difficulty_max + 1)
                                                 if min(abs(d - profile.suits), 2) == g])}
    top_level = max((_level_bp(g) for g in gaps), default=0)
    has_skills = any(v > 0 for v in profile.skills.values())
    version = _shapes_version(conn) if has_skills else 0
    known: dict[int, Members] = {}
    for g, ds in gaps.items():
        known.setdefault(_level_bp(g) * profile.level_weight_bp // tw, []).append((None, ds))
    walked: set[int] = set()
    rows: list[Any] = []
    above = 0
    for upto in bands if has_skills else (None,):
        for bp, ids in _cached_skill_parts(conn, q, profile, above, upto, version) if has_skills else []:
            for g, ds in gaps.items():
                known.setdefault((bp * profile.skill_weight_bp + _level_bp(g) * profile.level_weight_bp) // tw,
                                 []).append((ids, ds))
        if upto is None:
            bound = -1
        else:
            above = upto
            bound = (_best_skill_part(profile, upto + 1) * profile.skill_weight_bp
                     + top_level * profile.level_weight_bp) // tw
        ready = sorted(((score, members) for score, members in known.items()
                        if score > bound and score not in walked and (cursor is None or score <= cursor[0])),
                       reverse=True)
        i = 0
        while i < len(ready) and len(rows) <= q.limit:
            part = ready[i:i + batch]
            sql, params = match_sql(q, now, profile, part, q.limit + 1 - len(rows), cursor, lateral)
            rows += conn.execute(text(sql), params).all()
            walked.update(score for score, _ in part)
            i, batch = i + batch, batch * 2
        if len(rows) > q.limit or upto is None:
            break
    return rows


def match_sql(q: HallQuery, now: datetime, profile: MatchProfile, classes: list[tuple[int, Members]], need: int,
              cursor: tuple[int, int] | None, lateral: int = 24) -> tuple[str, dict[str, Any]]:
    """One statement over a batch of score classes (best first): each class's tasks newest id first, LIMITed to what
    the page still needs, merged on (score, id) descending — the keyset order. Tasks of a class of few shapes come
    from tasks_hall_shape, one index walk per shape (LATERAL); of a class of many shapes from the backward walk of
    tasks_hall_id_shape with a hashed shape filter; tasks sharing no tag with the viewer from an id-ordered walk that
    skips the viewer's tags."""
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
    _with_reputation(conn, items)
    next_cursor = None
    if len(rows) > q.limit:
        last = rows[q.limit - 1]
        next_cursor = encode_cursor(int(last.score), last.id)
    return HallPage(items=items, next_cursor=next_cursor)

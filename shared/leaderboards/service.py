"""Leaderboards: scores per board and period from XpGranted / SkillPointsGranted, the top N, "my rank", the snapshot,
the user's opt-out and portrait settings, bans.

- Credit (`credit`): idempotent on the grant's business key (lb_credits), then one upsert per board and period the
  grant's instant falls in (Beijing week, month, all time), then RankReached for each threshold (top 10 / 100) the
  user is inside of now, once per board, period and threshold (lb_rank_reached).
- Visible: a positive score, not opted out, not banned. Only users with a score in a period are on its board (active
  in the period). lb_users holds the settings and bans; each score row carries a copy (`hidden`), so the rank index
  (partial, visible rows only) answers counts without a join. The copy is kept in step under a per-user advisory
  lock: a credit takes it shared (and reads lb_users for the rows it creates), opt-out and bans exclusive (and rewrite
  every row of the user) — whichever commits first, the other sees it.
- Top N (`top`): live, an index range scan of (board, period, score DESC, user_id) skipping hidden users.
- My rank (`my_rank`): live and exact while fewer than 1,000 visible users are above (a bounded count on the same
  index); beyond that from the snapshot (`refresh_snapshots`, a timer every 4 minutes), shown as "截至 HH:MM". One
  statement reads the score, the bounded count and the snapshot's answer (`_standing`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.events import RankReached
from shared.leaderboards import rules
from shared.uow import UnitOfWork

VISIBLE = "NOT s.hidden"  # the predicate of the partial index lb_scores_rank (infra/migrations/0028)


def _lock_user(uow: UnitOfWork, user_id: int, *, exclusive: bool) -> None:
    """The per-user lock that keeps lb_scores.hidden in step with lb_users (see the module doc)."""
    fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    uow.execute(f"SELECT {fn}(hashtext('leaderboards:user:' || CAST(:u AS text)))", {"u": user_id})


def _hide_scores(uow: UnitOfWork, user_id: int) -> None:
    """Copy the user's visibility (lb_users) onto every score row of theirs that disagrees."""
    uow.execute("UPDATE lb_scores s SET hidden = v.hidden FROM (SELECT coalesce((SELECT x.opted_out OR x.banned"
                " FROM lb_users x WHERE x.user_id = :u), false) AS hidden) v WHERE s.user_id = :u"
                " AND s.hidden <> v.hidden",
                {"u": user_id})


@dataclass(frozen=True)
class Entry:
    rank: int
    user_id: int
    score: int


@dataclass(frozen=True)
class MyRank:
    score: int
    rank: int | None  # None: not on this board (no score in the period, opted out or banned)
    exact: bool
    as_of: datetime | None  # the snapshot's time when not exact


# --------------------------------------------------------------------------------------------------- credit


def credit(uow: UnitOfWork, user_id: int, source: str, ref: str, at: datetime, amounts: dict[str, int], *,
           all_time_only: bool = False) -> bool:
    """Add `amounts` ({board: points}, board 'xp' or 'skill:<slug>') to the user's scores of the periods `at` falls
    in (only all time when `all_time_only`: a backfilled grant, whose real week is unknown, must not crowd this
    week's board); False when this (user, source, ref) was credited before (a redelivery or replay)."""
    new = uow.execute("INSERT INTO lb_credits (user_id, source, ref, credited_at) VALUES (:u, :s, :r, :now)"
                      " ON CONFLICT DO NOTHING RETURNING 1",
                      {"u": user_id, "s": source, "r": ref, "now": uow.now}).first()
    if new is None:
        return False
    _lock_user(uow, user_id, exclusive=False)
    hidden = _hidden(uow, user_id)
    changed: list[tuple[str, str]] = []
    for board in sorted(amounts):
        amount = int(amounts[board])
        if amount == 0:
            continue
        for period in ("all",) if all_time_only else rules.periods_of(at):
            uow.execute("INSERT INTO lb_scores (board, period, user_id, score, hidden, updated_at)"
                        " VALUES (:b, :p, :u, :a, :h, :now) ON CONFLICT (board, period, user_id)"
                        " DO UPDATE SET score = lb_scores.score + EXCLUDED.score, updated_at = EXCLUDED.updated_at",
                        {"b": board, "p": period, "u": user_id, "a": amount, "h": hidden, "now": uow.now})
            uow.execute("INSERT INTO lb_boards (board, period) VALUES (:b, :p) ON CONFLICT DO NOTHING",
                        {"b": board, "p": period})
            if amount > 0:
                changed.append((board, period))
    for board, period in changed:
        _rank_reached(uow, user_id, board, period)
    return True


def _rank_reached(uow: UnitOfWork, user_id: int, board: str, period: str) -> None:
    st = _standing(uow, board, period, user_id, limit=max(rules.THRESHOLDS))
    if st is None or st.above is None:
        return
    rank = st.above + 1 if st.above < max(rules.THRESHOLDS) else None
    for threshold in rules.thresholds_within(rank):
        new = uow.execute("INSERT INTO lb_rank_reached (board, period, user_id, threshold, reached_at)"
                          " VALUES (:b, :p, :u, :t, :now) ON CONFLICT DO NOTHING RETURNING 1",
                          {"b": board, "p": period, "u": user_id, "t": threshold, "now": uow.now}).first()
        if new is not None:
            uow.publish(RankReached(user_id=user_id, board=rules.event_board(board, period), period=period,
                                    rank=threshold))


def set_banned(uow: UnitOfWork, user_id: int, banned: bool, event_id: int) -> None:
    """UserBanned / UserUnbanned, applied in event order whatever order they are delivered in."""
    _lock_user(uow, user_id, exclusive=True)
    uow.execute("INSERT INTO lb_users (user_id, banned, ban_event_id, updated_at) VALUES (:u, :b, :e, :now)"
                " ON CONFLICT (user_id) DO UPDATE SET banned = EXCLUDED.banned, ban_event_id = EXCLUDED.ban_event_id,"
                " updated_at = EXCLUDED.updated_at WHERE lb_users.ban_event_id < EXCLUDED.ban_event_id",
                {"u": user_id, "b": banned, "e": event_id, "now": uow.now})
    _hide_scores(uow, user_id)


# --------------------------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    opted_out: bool
    portrait_public: bool


def get_settings(uow: UnitOfWork, user_id: int) -> Settings:
    row = uow.execute("SELECT opted_out, portrait_public FROM lb_users WHERE user_id = :u", {"u": user_id}).first()
    return Settings(row.opted_out, row.portrait_public) if row else Settings(False, True)


def set_settings(uow: UnitOfWork, user_id: int, opted_out: bool, portrait_public: bool) -> Settings:
    _lock_user(uow, user_id, exclusive=True)
    uow.execute("INSERT INTO lb_users (user_id, opted_out, portrait_public, updated_at) VALUES (:u, :o, :p, :now)"
                " ON CONFLICT (user_id) DO UPDATE SET opted_out = EXCLUDED.opted_out,"
                " portrait_public = EXCLUDED.portrait_public, updated_at = EXCLUDED.updated_at",
                {"u": user_id, "o": opted_out, "p": portrait_public, "now": uow.now})
    _hide_scores(uow, user_id)
    return Settings(opted_out, portrait_public)


# --------------------------------------------------------------------------------------------------- reading


def _hidden(uow: UnitOfWork, user_id: int) -> bool:
    return uow.execute("SELECT 1 FROM lb_users WHERE user_id = :u AND (opted_out OR banned)",
                       {"u": user_id}).first() is not None


def _above(uow: UnitOfWork, board: str, period: str, score: int, *, limit: int | None) -> int:
    """Visible users with a strictly higher score (counted up to `limit`)."""
    inner = (f"SELECT 1 FROM lb_scores s WHERE s.board = :b AND s.period = :p AND s.score > :m AND {VISIBLE}"
             + (" LIMIT :n" if limit is not None else ""))
    return int(uow.execute(f"SELECT count(*) FROM ({inner}) t",
                           {"b": board, "p": period, "m": score, "n": limit}).scalar_one())


@dataclass(frozen=True)
class _Standing:
    score: int
    above: int | None  # visible users above, counted up to the limit; None: not ranked (hidden, or score ≤ 0)
    taken_at: datetime | None  # the board's last snapshot
    higher: int | None  # the snapshot's count of users above the score (None: none above, or no snapshot)


def _standing(uow: UnitOfWork, board: str, period: str, user_id: int, *, limit: int) -> _Standing | None:
    """The user's score on a board, the visible users above it (counted up to `limit`) and the snapshot's answer, in
    one statement (a request's round trips were most of "my rank"). None: no score in the period."""
    row = uow.execute(
        "SELECT s.score, CASE WHEN s.score > 0 AND NOT s.hidden THEN (SELECT count(*) FROM (SELECT 1 FROM lb_scores a"
        " WHERE a.board = :b AND a.period = :p AND a.score > s.score AND NOT a.hidden LIMIT :n) t) END AS above,"
        " r.taken_at, (SELECT z.at_or_above FROM lb_snapshots z WHERE z.board = :b AND z.period = :p"
        " AND z.score > s.score ORDER BY z.score LIMIT 1) AS higher"
        " FROM lb_scores s LEFT JOIN lb_snapshot_runs r ON r.board = :b AND r.period = :p"
        " WHERE s.board = :b AND s.period = :p AND s.user_id = :u",
        {"b": board, "p": period, "u": user_id, "n": limit}).first()
    if row is None:
        return None
    return _Standing(int(row.score), None if row.above is None else int(row.above), row.taken_at,
                     None if row.higher is None else int(row.higher))


def top(uow: UnitOfWork, board: str, period: str, n: int) -> list[Entry]:
    rows = uow.execute(f"SELECT s.user_id, s.score FROM lb_scores s WHERE s.board = :b AND s.period = :p"
                       f" AND s.score > 0 AND {VISIBLE} ORDER BY s.score DESC, s.user_id LIMIT :n",
                       {"b": board, "p": period, "n": n}).all()
    out: list[Entry] = []
    for i, r in enumerate(rows, start=1):
        rank = out[-1].rank if out and out[-1].score == int(r.score) else i  # ties share the rank
        out.append(Entry(rank, int(r.user_id), int(r.score)))
    return out


def my_rank(uow: UnitOfWork, board: str, period: str, user_id: int) -> MyRank | None:
    st = _standing(uow, board, period, user_id, limit=rules.EXACT_RANKS)
    if st is None:
        return None
    if st.above is None:
        return MyRank(st.score, None, True, None)
    if st.above < rules.EXACT_RANKS:
        return MyRank(st.score, st.above + 1, True, None)
    if st.taken_at is None:  # no snapshot yet (a board minutes old): count it all once
        return MyRank(st.score, _above(uow, board, period, st.score, limit=None) + 1, True, None)
    return MyRank(st.score, 1 + (st.higher or 0), False, st.taken_at)


@dataclass(frozen=True)
class Portrait:
    skill: str
    points: int


def portraits(uow: UnitOfWork, user_ids: Sequence[int], *, per_user: int = 5) -> dict[int, list[Portrait]]:
    """The skill portraits (all-time skill points, largest first) of the users who allow theirs to be shown."""
    if not user_ids:
        return {}
    rows = uow.execute("SELECT s.user_id, substr(s.board, 7) AS skill, s.score FROM lb_scores s"
                       " WHERE s.user_id = ANY(:us) AND s.period = 'all' AND s.board LIKE 'skill:%' AND s.score > 0"
                       " AND NOT EXISTS (SELECT 1 FROM lb_users x WHERE x.user_id = s.user_id"
                       " AND NOT x.portrait_public) ORDER BY s.user_id, s.score DESC, s.board",
                       {"us": list(user_ids)}).all()
    out: dict[int, list[Portrait]] = defaultdict(list)
    for r in rows:
        if len(out[int(r.user_id)]) < per_user:
            out[int(r.user_id)].append(Portrait(r.skill, int(r.score)))
    return out


def display_names(uow: UnitOfWork, user_ids: Sequence[int]) -> dict[int, str]:
    """Names for the board: the resume card's display name where the developer made it public (read-only)."""
    if not user_ids:
        return {}
    rows = uow.execute("SELECT p.user_id AS id, p.display_name AS name FROM developer_profiles p"
                       " WHERE p.user_id = ANY(:us) AND 'display_name' = ANY(p.public_fields) AND p.display_name <> ''",
                       {"us": list(user_ids)}).all()
    return {int(r.id): r.name for r in rows}


def portrait_allowed(uow: UnitOfWork, user_ids: Sequence[int]) -> set[int]:
    if not user_ids:
        return set()
    hidden = {int(r.user_id) for r in uow.execute(
        "SELECT user_id FROM lb_users WHERE user_id = ANY(:us) AND NOT portrait_public", {"us": list(user_ids)})}
    return set(user_ids) - hidden


# --------------------------------------------------------------------------------------------------- snapshot


def snapshot(uow: UnitOfWork, board: str, period: str) -> int:
    """Replace the board's snapshot: per distinct visible score, how many have at least it. Returns the users."""
    uow.execute("DELETE FROM lb_snapshots WHERE board = :b AND period = :p", {"b": board, "p": period})
    uow.execute(f"INSERT INTO lb_snapshots (board, period, score, at_or_above)"
                f" SELECT :b, :p, s.score, sum(count(*)) OVER (ORDER BY s.score DESC) FROM lb_scores s"
                f" WHERE s.board = :b AND s.period = :p AND s.score > 0 AND {VISIBLE} GROUP BY s.score",
                {"b": board, "p": period})
    users = int(uow.execute("SELECT coalesce(max(at_or_above), 0) FROM lb_snapshots WHERE board = :b AND period = :p",
                            {"b": board, "p": period}).scalar_one())
    uow.execute("INSERT INTO lb_snapshot_runs (board, period, taken_at, users) VALUES (:b, :p, :now, :n)"
                " ON CONFLICT (board, period) DO UPDATE SET taken_at = EXCLUDED.taken_at, users = EXCLUDED.users",
                {"b": board, "p": period, "now": uow.now, "n": users})
    return users


def live_periods(now: datetime) -> list[str]:
    """The periods worth a fresh snapshot: this and last week, this and last month, all time."""
    week_ago = now - timedelta(days=7)
    month_start = rules.bounds(rules.month_key(now))[0]
    month_ago = (month_start or now) - timedelta(seconds=1)
    return sorted({rules.week_key(now), rules.week_key(week_ago), rules.month_key(now), rules.month_key(month_ago),
                   "all"})


def refresh_snapshots() -> dict[str, int]:
    """The `leaderboard_snapshots` timer: each live board's snapshot in its own unit of work."""
    from shared import clock
    from shared.uow import run

    periods = live_periods(clock.now())
    boards = run(lambda uow: [(r.board, r.period) for r in uow.execute(
        "SELECT board, period FROM lb_boards WHERE period = ANY(:p) ORDER BY board, period", {"p": periods})])
    users = 0
    for board, period in boards:
        def one(uow: UnitOfWork, b: str = board, p: str = period) -> int:
            return snapshot(uow, b, p)

        users += run(one)
    return {"boards": len(boards), "ranked": users}


def sanitize_amounts(skills: Sequence[dict[str, Any]]) -> dict[str, int]:
    """SkillPointsGranted.skills -> {'skill:<slug>': points} (summing a skill named twice)."""
    out: dict[str, int] = defaultdict(int)
    for item in skills:
        slug, points = item.get("skill"), item.get("points")
        if isinstance(slug, str) and slug and isinstance(points, (int, float)) and not isinstance(points, bool):
            out[f"skill:{slug}"] += int(points)
    return dict(out)

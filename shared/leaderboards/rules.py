"""Leaderboard rules, pure: periods in Asia/Shanghai and ranks.

Periods: a week is an ISO week, Monday 00:00 to the next Monday 00:00 Beijing time, named by its ISO year and week
("2026-W49"; the last days of December may belong to week 1 of the next ISO year); a month is the Beijing calendar
month ("2026-12"); all time is "all". Boards: `weekly`, `monthly`, `all_time` (XP of the period) and `skill` (skill
points of one skill in the period: stored as board "skill:<slug>"). Ranks are competition ranks: 1 + the number of
visible users with a strictly higher score, so ties share a rank ("1, 2, 2, 4").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone

from shared.clock import SHANGHAI

BOARDS = ("weekly", "monthly", "all_time", "skill")
PERIOD_OF_BOARD = {"weekly": "week", "monthly": "month", "all_time": "all"}
THRESHOLDS = (10, 100)  # RankReached when a user enters the top 10 / top 100 of a board's period
EXACT_RANKS = 1000  # "my rank" is counted live up to here; beyond, it comes from the snapshot
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    pass


def week_key(at: datetime) -> str:
    year, week, _ = at.astimezone(SHANGHAI).date().isocalendar()
    return f"{year}-W{week:02d}"


def month_key(at: datetime) -> str:
    local = at.astimezone(SHANGHAI)
    return f"{local.year}-{local.month:02d}"


def periods_of(at: datetime) -> tuple[str, str, str]:
    """The week, month and all-time periods an instant counts in."""
    return week_key(at), month_key(at), "all"


def period_kind(period: str) -> str:
    if period == "all":
        return "all"
    if _WEEK.match(period):
        return "week"
    if _MONTH.match(period):
        return "month"
    raise PeriodError(f"unknown period {period!r}")


def bounds(period: str) -> tuple[datetime | None, datetime | None]:
    """[start, end) of a period in UTC (None, None for all time). Raises PeriodError for a malformed or impossible
    period ("2026-W54", "2026-13")."""
    if period == "all":
        return None, None
    m = _WEEK.match(period)
    if m:
        if not 2000 <= int(m.group(1)) <= 9998:
            raise PeriodError(f"no week {period}")
        try:
            monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            raise PeriodError(f"no week {period}") from None
        start = datetime(monday.year, monday.month, monday.day, tzinfo=SHANGHAI)
        return start.astimezone(timezone.utc), (start + timedelta(days=7)).astimezone(timezone.utc)
    m = _MONTH.match(period)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if not (1 <= month <= 12 and 2000 <= year <= 9998):
            raise PeriodError(f"no month {period}")
        start = datetime(year, month, 1, tzinfo=SHANGHAI)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SHANGHAI)
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)
    raise PeriodError(f"unknown period {period!r}")


def current_period(board: str, now: datetime) -> str:
    kind = PERIOD_OF_BOARD.get(board, "all")
    if kind == "week":
        return week_key(now)
    if kind == "month":
        return month_key(now)
    return "all"


def check_period(board: str, period: str) -> None:
    """A weekly board takes weeks, a monthly board months, all time only "all"; a skill board any of them."""
    kind = period_kind(period)
    bounds(period)
    want = PERIOD_OF_BOARD.get(board)
    if want is not None and kind != want:
        raise PeriodError(f"{board} board has no period {period}")


def stored_board(board: str, skill: str | None) -> str:
    """The board's key in lb_scores: 'xp' for the XP boards, 'skill:<slug>' for a skill."""
    return f"skill:{skill}" if board == "skill" else "xp"


def event_board(stored: str, period: str) -> str:
    """The board as RankReached names it: weekly / monthly / all_time, or skill:<slug>."""
    if stored.startswith("skill:"):
        return stored
    return {"week": "weekly", "month": "monthly", "all": "all_time"}[period_kind(period)]


def competition_ranks(scores: Mapping[int, int], hidden: Iterable[int] = ()) -> dict[int, int]:
    """user -> rank among the visible users with a positive score (the reference the SQL is tested against)."""
    gone = set(hidden)
    visible = {u: s for u, s in scores.items() if s > 0 and u not in gone}
    ordered = sorted(visible.values(), reverse=True)
    first: dict[int, int] = {}
    for i, s in enumerate(ordered, start=1):
        first.setdefault(s, i)
    return {u: first[s] for u, s in visible.items()}


def rank_from_snapshot(histogram: Mapping[int, int], score: int) -> int:
    """rank(m) = 1 + how many users had a score above m, from {score: users with at least that score}."""
    above = [s for s in histogram if s > score]
    return 1 + (histogram[min(above)] if above else 0)


def histogram(scores: Iterable[int]) -> dict[int, int]:
    """{score: users with at least that score} of positive scores: what the snapshot stores."""
    ordered = sorted((s for s in scores if s > 0), reverse=True)
    out: dict[int, int] = {}
    for i, s in enumerate(ordered, start=1):
        out[s] = i
    return out


def thresholds_within(rank: int | None) -> list[int]:
    """The thresholds a rank is inside of (RankReached is published once per board, period and threshold; the
    table lb_rank_reached remembers which were)."""
    if rank is None:
        return []
    return [t for t in THRESHOLDS if rank <= t]


def as_of_label(at: datetime) -> str:
    return f"截至 {at.astimezone(SHANGHAI):%H:%M}"

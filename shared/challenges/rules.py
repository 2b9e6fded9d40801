"""Challenges as data, and the pure rules over them: windows, conditions, progress, completion; and the daily check-in's
streak with freezes. No I/O: the service loads and stores, these decide (docs/CHALLENGES.md).

A challenge's `definition` (the JSON of the `challenges` row, snapshotted into every window it opens):

    window   {"kind": "registration", "start_day": 0, "end_day": 7}   Beijing days after the day of registration
             {"kind": "daily" | "weekly" | "monthly"}                  recurring, Asia/Shanghai (weeks start Monday)
    rule     {"combine": "all" | "any", "conditions": [
                 {"key", "label", "event", "user_field", "count", "where": {field: value}}]}
             a condition counts distinct events of type `event` whose `user_field` names the user and whose `where`
             fields equal the given values; it is met at `count` of them. "all": every condition met; "any": one.
    rewards  points, xp, badge_key, title_key, lottery_entries, unlocks, cash_fen (ChallengeCompleted's fields)
    requires_growth_pass

Progress is a set of (condition key, event id): adding an event twice changes nothing, and the set — hence the
result — does not depend on the order events arrive in. Completion is decided once, when the set first satisfies
the rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")  # a challenge's key
WINDOW_KINDS = ("registration", "daily", "weekly", "monthly")
COMBINES = ("all", "any")
UNLOCKS = ("skill_graph", "resume")

# The events a condition may count, and the fields of each that name a user (what `user_field` may be). The
# subscriber table (shared/subscriptions.py) subscribes `challenges.progress` to exactly these.
EVENTS: dict[str, tuple[str, ...]] = {
    "UserRegistered": ("user_id",),
    "ProfileCompleted": ("user_id",),
    "HallBrowsed": ("user_id",),
    "ApplicationSubmitted": ("developer_id",),
    "TaskCompleted": ("developer_id",),
    "RatingGiven": ("ratee_id", "rater_id"),
    "CheckedIn": ("user_id",),
    "PostPublished": ("author_id",),
    "InvitationCredited": ("inviter_id",),
    "MentorReviewGiven": ("developer_id",),
}


class RuleError(ValueError):
    """A definition that cannot be used (the admin route turns it into 422, naming `field`)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


# ------------------------------------------------------------------------------------------------ the definition


@dataclass(frozen=True)
class Window:
    kind: str
    start_day: int = 0
    end_day: int = 0


@dataclass(frozen=True)
class Condition:
    key: str
    label: str
    event: str
    user_field: str
    count: int = 1
    where: tuple[tuple[str, Any], ...] = ()

    def matches(self, event_name: str, data: Mapping[str, Any], user_id: int) -> bool:
        if event_name != self.event:
            return False
        who = data.get(self.user_field)
        if who is None or int(who) != user_id:
            return False
        return all(data.get(k) == v for k, v in self.where)


@dataclass(frozen=True)
class Rule:
    combine: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Rewards:
    points: int = 0
    xp: int = 0
    badge_key: str | None = None
    title_key: str | None = None
    lottery_entries: int = 0
    unlocks: tuple[str, ...] = ()
    cash_fen: int = 0


@dataclass(frozen=True)
class Definition:
    window: Window
    rule: Rule
    rewards: Rewards = field(default_factory=Rewards)
    requires_growth_pass: bool = False

    def users_of(self, event_name: str, data: Mapping[str, Any]) -> set[int]:
        """The users whose progress this event may move (each condition's `user_field`)."""
        found = set()
        for c in self.rule.conditions:
            if c.event == event_name and data.get(c.user_field) is not None:
                found.add(int(data[c.user_field]))
        return found

    def to_json(self) -> dict[str, Any]:
        w = self.window
        window: dict[str, Any] = {"kind": w.kind}
        if w.kind == "registration":
            window.update(start_day=w.start_day, end_day=w.end_day)
        r = self.rewards
        return {
            "window": window,
            "rule": {"combine": self.rule.combine, "conditions": [
                {"key": c.key, "label": c.label, "event": c.event, "user_field": c.user_field, "count": c.count,
                 **({"where": dict(c.where)} if c.where else {})} for c in self.rule.conditions]},
            "rewards": {"points": r.points, "xp": r.xp, "badge_key": r.badge_key, "title_key": r.title_key,
                        "lottery_entries": r.lottery_entries, "unlocks": list(r.unlocks), "cash_fen": r.cash_fen},
            "requires_growth_pass": self.requires_growth_pass,
        }


def _int(data: Mapping[str, Any], name: str, where: str, *, default: int | None = None, lo: int = 0,
         hi: int = 10**9) -> int:
    value = data.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise RuleError(f"{where}.{name}", "必须是整数")
    if not lo <= value <= hi:
        raise RuleError(f"{where}.{name}", f"必须在 {lo} 到 {hi} 之间")
    return value


def _key(data: Mapping[str, Any], name: str, where: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > 64:
        raise RuleError(f"{where}.{name}", "必须是 1–64 个字符的字符串或 null")
    return value


def parse_definition(data: Any) -> Definition:
    """Validate a definition (from the database or an admin's edit); RuleError names the first bad field."""
    if not isinstance(data, Mapping):
        raise RuleError("definition", "必须是对象")
    w = data.get("window")
    if not isinstance(w, Mapping) or w.get("kind") not in WINDOW_KINDS:
        raise RuleError("window.kind", f"必须是 {' / '.join(WINDOW_KINDS)} 之一")
    if w["kind"] == "registration":
        start = _int(w, "start_day", "window", lo=0, hi=3650)
        end = _int(w, "end_day", "window", lo=1, hi=3650)
        if end <= start:
            raise RuleError("window.end_day", "必须大于 start_day")
        window = Window("registration", start, end)
    else:
        window = Window(str(w["kind"]))
    r = data.get("rule")
    if not isinstance(r, Mapping) or r.get("combine") not in COMBINES:
        raise RuleError("rule.combine", "必须是 all 或 any")
    raw = r.get("conditions")
    if not isinstance(raw, list) or not 1 <= len(raw) <= 10:
        raise RuleError("rule.conditions", "必须是 1–10 个条件")
    conditions: list[Condition] = []
    for i, c in enumerate(raw):
        where = f"rule.conditions[{i}]"
        if not isinstance(c, Mapping):
            raise RuleError(where, "必须是对象")
        key = _key(c, "key", where)
        if key is None or key in {x.key for x in conditions}:
            raise RuleError(f"{where}.key", "必须填写且在本挑战内唯一")
        event = c.get("event")
        if event not in EVENTS:
            raise RuleError(f"{where}.event", f"不支持的事件：{event}")
        user_field = c.get("user_field")
        if user_field not in EVENTS[str(event)]:
            raise RuleError(f"{where}.user_field", f"必须是 {' / '.join(EVENTS[str(event)])} 之一")
        label = c.get("label", key)
        if not isinstance(label, str) or not label or len(label) > 40:
            raise RuleError(f"{where}.label", "必须是 1–40 个字符")
        filters = c.get("where", {})
        if not isinstance(filters, Mapping) or not all(
                isinstance(v, (str, int, bool)) or v is None for v in filters.values()):
            raise RuleError(f"{where}.where", "必须是 字段 → 字符串/整数/布尔 的对象")
        conditions.append(Condition(key, label, str(event), str(user_field), _int(c, "count", where, default=1,
                                                                                   lo=1, hi=1000),
                                    tuple(sorted(filters.items()))))
    rw = data.get("rewards", {})
    if not isinstance(rw, Mapping):
        raise RuleError("rewards", "必须是对象")
    unlocks = rw.get("unlocks", [])
    if not isinstance(unlocks, list) or any(u not in UNLOCKS for u in unlocks):
        raise RuleError("rewards.unlocks", f"只能包含 {' / '.join(UNLOCKS)}")
    rewards = Rewards(
        points=_int(rw, "points", "rewards", default=0, hi=100_000),
        xp=_int(rw, "xp", "rewards", default=0, hi=100_000),
        badge_key=_key(rw, "badge_key", "rewards"),
        title_key=_key(rw, "title_key", "rewards"),
        lottery_entries=_int(rw, "lottery_entries", "rewards", default=0, hi=100),
        unlocks=tuple(unlocks),
        cash_fen=_int(rw, "cash_fen", "rewards", default=0, hi=10_000_000),
    )
    gp = data.get("requires_growth_pass", False)
    if not isinstance(gp, bool):
        raise RuleError("requires_growth_pass", "必须是布尔值")
    return Definition(window, Rule(str(r["combine"]), tuple(conditions)), rewards, gp)


# ------------------------------------------------------------------------------------------------ windows


@dataclass(frozen=True)
class Span:
    key: str
    starts_at: datetime
    ends_at: datetime  # exclusive

    def contains(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(timezone.utc)


def window_at(window: Window, registered_at: datetime, at: datetime) -> Span | None:
    """The window of this kind that contains instant `at` (None: a registration window `at` is outside of).
    Days are Asia/Shanghai: a registration window [start_day, end_day) counts Beijing days from the day of
    registration (day 0), a week starts on Monday 00:00 Beijing time, a month on the 1st."""
    local = at.astimezone(SHANGHAI).date()
    if window.kind == "registration":
        day0 = registered_at.astimezone(SHANGHAI).date()
        span = Span(f"reg:{window.start_day}-{window.end_day}", _midnight(day0 + timedelta(days=window.start_day)),
                    _midnight(day0 + timedelta(days=window.end_day)))
        return span if span.contains(at) else None
    if window.kind == "daily":
        return Span(local.isoformat(), _midnight(local), _midnight(local + timedelta(days=1)))
    if window.kind == "weekly":
        monday = local - timedelta(days=local.weekday())
        year, week, _ = monday.isocalendar()
        return Span(f"{year}-W{week:02d}", _midnight(monday), _midnight(monday + timedelta(days=7)))
    if window.kind == "monthly":
        first = local.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return Span(f"{first.year}-{first.month:02d}", _midnight(first), _midnight(nxt))
    raise ValueError(f"unknown window kind {window.kind!r}")


# ------------------------------------------------------------------------------------------------ progress


@dataclass(frozen=True)
class ConditionProgress:
    key: str
    label: str
    count: int  # distinct events counted (capped at `need` for display)
    need: int

    @property
    def met(self) -> bool:
        return self.count >= self.need


@dataclass(frozen=True)
class Progress:
    combine: str
    conditions: tuple[ConditionProgress, ...]

    @property
    def complete(self) -> bool:
        met = [c.met for c in self.conditions]
        return all(met) if self.combine == "all" else any(met)

    @property
    def done(self) -> int:
        """"2/3 已完成": conditions met of those needed (an "any" rule needs one)."""
        met = sum(c.met for c in self.conditions)
        return met if self.combine == "all" else min(met, 1)

    @property
    def total(self) -> int:
        return len(self.conditions) if self.combine == "all" else 1

    def summary(self) -> str:
        return f"{self.done}/{self.total} 已完成"


def progress(rule: Rule, counted: Iterable[tuple[str, int]]) -> Progress:
    """Progress from the set of (condition key, event id) counted so far (duplicates collapse)."""
    per: dict[str, set[int]] = {}
    for key, event_id in counted:
        per.setdefault(key, set()).add(event_id)
    return Progress(rule.combine, tuple(
        ConditionProgress(c.key, c.label, min(len(per.get(c.key, ())), c.count), c.count) for c in rule.conditions))


def count_event(rule: Rule, event_id: int, event_name: str, data: Mapping[str, Any],
                user_id: int) -> list[tuple[str, int]]:
    """The (condition key, event id) pairs this event adds for `user_id`."""
    return [(c.key, event_id) for c in rule.conditions if c.matches(event_name, data, user_id)]


def step(rule: Rule, counted: frozenset[tuple[str, int]], event_id: int, event_name: str, data: Mapping[str, Any],
         user_id: int) -> tuple[frozenset[tuple[str, int]], bool]:
    """One event into a window's progress: the new set, and whether the window became complete with it (True
    exactly once over any sequence of events: only the step that turns the rule from unmet to met)."""
    before = progress(rule, counted).complete
    after_set = counted | frozenset(count_event(rule, event_id, event_name, data, user_id))
    return after_set, (not before and progress(rule, after_set).complete)


# ------------------------------------------------------------------------------------------------ check-in


MAX_FREEZES = 2
FREEZE_EVERY = 7  # a freeze is earned at every 7th day of a streak (7, 14, …), while fewer than MAX_FREEZES are held


@dataclass(frozen=True)
class Streak:
    last_day: date | None = None
    streak: int = 0
    total: int = 0
    freezes: int = 0
    longest: int = 0


@dataclass(frozen=True)
class CheckinResult:
    state: Streak
    new: bool  # False: already checked in that day (nothing changed)
    freezes_used: int = 0
    freeze_earned: bool = False
    broken: bool = False  # the gap was longer than the freezes held: the streak restarted at 1


def missed_days(last_day: date, day: date, excused: Iterable[date] = ()) -> int:
    """Days strictly between `last_day` and `day` that were neither checked in nor excused (a platform outage)."""
    gap = (day - last_day).days - 1
    if gap <= 0:
        return 0
    ex = {d for d in excused if last_day < d < day}
    return gap - len(ex)


def check_in(state: Streak, day: date, excused: Iterable[date] = ()) -> CheckinResult:
    """A check-in on Beijing day `day`. The same day again changes nothing; the next day continues the streak; a gap
    of n missed days consumes n freezes when n are held (the streak continues), otherwise the streak restarts at 1
    and the freezes are kept. The total never resets. A check-in for a day before the last one is not new."""
    if state.last_day is not None and day <= state.last_day:
        return CheckinResult(state, False)
    used, broken = 0, False
    if state.last_day is None:
        streak = 1
    else:
        missed = missed_days(state.last_day, day, excused)
        if missed == 0:
            streak = state.streak + 1
        elif missed <= state.freezes:
            used, streak = missed, state.streak + 1
        else:
            streak, broken = 1, True
    freezes = state.freezes - used
    earned = streak % FREEZE_EVERY == 0 and freezes < MAX_FREEZES
    if earned:
        freezes += 1
    return CheckinResult(Streak(day, streak, state.total + 1, freezes, max(state.longest, streak)), True, used,
                         earned, broken)


def replay_checkins(days: Iterable[date], excused: Iterable[date] = ()) -> Streak:
    """The state after checking in on each of `days` (any order; duplicates collapse) with `excused` outage days:
    what an admin's streak repair recomputes from the history."""
    ex = sorted(set(excused))
    state = Streak()
    for d in sorted(set(days)):
        state = check_in(state, d, ex).state
    return state


def streak_alive(state: Streak, today: date, excused: Iterable[date] = ()) -> bool:
    """Whether checking in today would continue the streak (shown before the user checks in)."""
    if state.last_day is None:
        return False
    if state.last_day >= today:
        return True
    return missed_days(state.last_day, today, excused) <= state.freezes

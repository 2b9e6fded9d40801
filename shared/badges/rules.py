"""Badge rules, pure: a badge's rule (a known kind with parameters) evaluated over the events that concern one user.

The database side (shared/badges/service.py) loads a user's events of the badge's trigger types from the event log
and calls `evaluate`; the result says which grants the user should hold (`owed`: business keys) and why, so the same
function serves the live subscriber, the nightly re-check, the admin preview and replay backfills — and a unit test.

Kinds and their parameters (`params`):
    count       {event, n, user_field?, where?, at_least?}   events of `event` for the user ≥ n
                (repeatable: one grant per n events, refs "n:1", "n:2" …)
    first       {event, user_field?, where?, at_least?}      the first such event (count with n = 1)
    sum         {event, field, n, user_field?, where?}       the sum of a numeric field ≥ n (e.g. XP)
    avg_rating  {min_avg, min_count, window_days}            merchants' ratings of the user in the last
                window_days (Asia/Shanghai is irrelevant: a rolling window): at least min_count, average ≥ min_avg
    streak      {n}                                          a check-in streak of ≥ n days (CheckedIn.streak)
    rank        {rank, board?}                               RankReached with rank ≤ `rank` (board: weekly /
                monthly / all_time / skill, a prefix) — repeatable: one per (board, period)
    level       {level}                                      the current level (the latest LevelChanged) ≥ level
    challenge   {challenge_key?, any?}                       a ChallengeCompleted that names this badge (badge_key
                or title_key); with `challenge_key` that challenge; with `any` every challenge — repeatable: one per
                window
`where` is {field: value} equality, `at_least` {field: minimum}. The user an event counts for is `user_field`, by
default SUBJECT[event] (the developer of a completed task, the ratee of a rating …).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

KINDS = ("count", "first", "sum", "avg_rating", "streak", "rank", "level", "challenge")
LEVELS = ("C", "B", "A", "S")  # ascending

# The user an event counts for, by default (badges are the developer's).
SUBJECT: dict[str, str] = {
    "TaskCompleted": "developer_id",
    "TaskAssigned": "developer_id",
    "DeliverySubmitted": "developer_id",
    "RatingGiven": "ratee_id",
    "ApplicationSubmitted": "developer_id",
    "ProfileCompleted": "user_id",
    "DeveloperProfileSaved": "user_id",
    "PhoneBound": "user_id",
    "CheckedIn": "user_id",
    "ChallengeCompleted": "user_id",
    "RankReached": "user_id",
    "LevelChanged": "user_id",
    "XpGranted": "user_id",
    "SkillPointsGranted": "user_id",
    "PointsGranted": "user_id",
    "InvitationCredited": "invitee_id",
    "MentorReviewGiven": "developer_id",
    "PostPublished": "author_id",
}
# Event names a badge may be triggered by: those the badges subscriber listens to (shared/subscriptions.py).
TRIGGERS: tuple[str, ...] = tuple(SUBJECT)


class RuleError(ValueError):
    """A rule that cannot be evaluated: `errors` names each bad field (the admin API answers 422 with them)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors))


@dataclass(frozen=True)
class Fact:
    """One event as the rules see it."""

    name: str
    occurred_at: datetime
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Rule:
    kind: str
    params: Mapping[str, Any]
    triggers: tuple[str, ...]
    repeatable: bool = False
    badge_key: str = ""


@dataclass(frozen=True)
class Verdict:
    owed: tuple[str, ...]  # business keys of the grants the user should hold ("once" for a one-off badge)
    reason: str  # why (met) or what is missing (not met), Chinese
    progress: tuple[int, int] = (0, 0)  # (have, need) when the rule counts something
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return bool(self.owed)


def _int(params: Mapping[str, Any], key: str, errors: list[tuple[str, str]], *, low: int = 1,
         high: int = 1_000_000_000) -> int:
    value = params.get(key)
    if type(value) is not int or not low <= value <= high:
        errors.append((f"params.{key}", f"须为 {low} 到 {high} 的整数"))
        return low
    return value


def validate(rule: Rule) -> None:
    """Raise RuleError naming every problem of the rule (kind, parameters, triggers)."""
    errors: list[tuple[str, str]] = []
    p = rule.params
    scalar = (str, int, float, bool, type(None))
    for key, value in p.items():
        if isinstance(value, dict) and key in ("where", "at_least"):
            if not all(isinstance(v, scalar) for v in value.values()):
                errors.append((f"params.{key}", "取值须为简单值（字符串、数字、布尔）"))
        elif not isinstance(value, scalar):
            errors.append((f"params.{key}", "须为简单值（字符串、数字、布尔）"))
    if len(json.dumps(p, ensure_ascii=False, default=str)) > 2000:
        errors.append(("params", "参数过长"))
    if errors:
        raise RuleError(errors)
    if rule.kind not in KINDS:
        raise RuleError([("rule_kind", f"未知的规则类型，可选：{', '.join(KINDS)}")])
    if not rule.triggers:
        errors.append(("triggers", "至少需要一个触发事件"))
    for t in rule.triggers:
        if t not in TRIGGERS:
            errors.append(("triggers", f"{t} 不能触发徽章，可选：{', '.join(TRIGGERS)}"))
    if rule.kind in ("count", "first", "sum"):
        event = p.get("event")
        if event not in TRIGGERS:
            errors.append(("params.event", "须为可触发徽章的事件名"))
        elif event not in rule.triggers:
            errors.append(("triggers", f"须包含规则计数的事件 {event}"))
        uf = p.get("user_field")
        if uf is not None and (not isinstance(uf, str) or not uf):
            errors.append(("params.user_field", "须为事件中的用户字段名"))
        for key in ("where", "at_least"):
            if key in p and not isinstance(p[key], dict):
                errors.append((f"params.{key}", "须为对象"))
        if isinstance(p.get("at_least"), dict) and any(type(v) not in (int, float) or isinstance(v, bool)
                                                     for v in p["at_least"].values()):
            errors.append(("params.at_least", "取值须为数字"))
        if rule.kind == "count":
            _int(p, "n", errors)
        if rule.kind == "sum":
            _int(p, "n", errors)
            if not isinstance(p.get("field"), str) or not p.get("field"):
                errors.append(("params.field", "须为要累加的数值字段名"))
    elif rule.kind == "avg_rating":
        avg = p.get("min_avg")
        if not isinstance(avg, (int, float)) or isinstance(avg, bool) or not 1 <= avg <= 5:
            errors.append(("params.min_avg", "须为 1 到 5 的数字"))
        _int(p, "min_count", errors)
        _int(p, "window_days", errors, high=3650)
    elif rule.kind == "streak":
        _int(p, "n", errors, high=3650)
    elif rule.kind == "rank":
        _int(p, "rank", errors, high=1000)
        board = p.get("board")
        if board is not None and board not in ("weekly", "monthly", "all_time", "skill"):
            errors.append(("params.board", "须为 weekly / monthly / all_time / skill"))
    elif rule.kind == "level":
        if p.get("level") not in LEVELS:
            errors.append(("params.level", "须为 C / B / A / S"))
    elif rule.kind == "challenge":
        ck = p.get("challenge_key")
        if ck is not None and (not isinstance(ck, str) or not ck):
            errors.append(("params.challenge_key", "须为挑战的 key"))
        if "any" in p and type(p["any"]) is not bool:
            errors.append(("params.any", "须为布尔值"))
    needed = {"count": None, "first": None, "sum": None, "avg_rating": "RatingGiven", "streak": "CheckedIn",
              "rank": "RankReached", "level": "LevelChanged", "challenge": "ChallengeCompleted"}[rule.kind]
    if needed and needed not in rule.triggers:
        errors.append(("triggers", f"须包含 {needed}"))
    if errors:
        raise RuleError(errors)


def subject_field(rule: Rule, event: str) -> str:
    return str(rule.params.get("user_field") or SUBJECT.get(event, "user_id"))


def _matches(rule: Rule, fact: Fact, user_id: int) -> bool:
    p = rule.params
    if fact.name != p.get("event"):
        return False
    if fact.data.get(subject_field(rule, fact.name)) != user_id:
        return False
    for k, v in (p.get("where") or {}).items():
        if fact.data.get(k) != v:
            return False
    for k, v in (p.get("at_least") or {}).items():
        got = fact.data.get(k)
        if not isinstance(got, (int, float)) or got < v:
            return False
    return True


def _counted(have: int, need: int, repeatable: bool, unit: str) -> Verdict:
    if have >= need:
        owed = tuple(f"n:{i}" for i in range(1, have // need + 1)) if repeatable else ("once",)
        return Verdict(owed, f"已累计 {have}{unit}（需 {need}{unit}）", (have, need))
    return Verdict((), f"还差 {need - have}{unit}（已有 {have}{unit}）", (have, need))


def evaluate(rule: Rule, user_id: int, facts: Iterable[Fact], now: datetime) -> Verdict:
    """Which grants `user_id` should hold under `rule`, given the events that concern them (any order; events after
    `now` are ignored, so a re-check is reproducible)."""
    p = rule.params
    seen = sorted((f for f in facts if f.occurred_at <= now), key=lambda f: f.occurred_at)
    kind = rule.kind
    if kind in ("count", "first"):
        need = 1 if kind == "first" else int(p["n"])
        have = sum(1 for f in seen if _matches(rule, f, user_id))
        return _counted(have, need, rule.repeatable and kind == "count", " 次")
    if kind == "sum":
        total = 0
        for f in seen:
            if _matches(rule, f, user_id):
                value = f.data.get(p["field"])
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    total += int(value)
        return _counted(total, int(p["n"]), rule.repeatable, "")
    if kind == "avg_rating":
        since = now - timedelta(days=int(p["window_days"]))
        stars = [int(f.data["stars"]) for f in seen
                 if f.name == "RatingGiven" and f.data.get("ratee_id") == user_id
                 and f.data.get("direction") == "merchant_to_developer" and f.occurred_at > since]
        need, floor = int(p["min_count"]), float(p["min_avg"])
        if len(stars) < need:
            return Verdict((), f"近 {p['window_days']} 天还差 {need - len(stars)} 次评价", (len(stars), need))
        # compare exactly: sum ≥ min_avg × count, without float rounding at the boundary (4.8 × 5 = 24)
        avg_x100 = round(floor * 100)
        ok = sum(stars) * 100 >= avg_x100 * len(stars)
        shown = f"{sum(stars) / len(stars):.2f}"
        if ok:
            why = f"近 {p['window_days']} 天 {len(stars)} 次评价，平均 {shown} 星"
            return Verdict(("once",), why, (len(stars), need))
        return Verdict((), f"近 {p['window_days']} 天平均 {shown} 星，低于 {floor:g} 星", (len(stars), need))
    if kind == "streak":
        best = max((int(f.data.get("streak", 0)) for f in seen
                    if f.name == "CheckedIn" and f.data.get("user_id") == user_id), default=0)
        need = int(p["n"])
        if best >= need:
            return Verdict(("once",), f"连续打卡 {best} 天", (best, need))
        return Verdict((), f"连续打卡还差 {need - best} 天", (best, need))
    if kind == "rank":
        limit, board = int(p["rank"]), p.get("board")
        hits = sorted({(str(f.data["board"]), str(f.data["period"])) for f in seen
                       if f.name == "RankReached" and f.data.get("user_id") == user_id
                       and int(f.data.get("rank", 10**9)) <= limit
                       and (board is None or str(f.data.get("board", "")).startswith(str(board)))})
        if not hits:
            return Verdict((), f"尚未进入排行榜前 {limit} 名", (0, 1))
        owed = tuple(f"{period}:{b}" for b, period in hits) if rule.repeatable else ("once",)
        b, period = hits[-1]
        return Verdict(owed, f"进入 {b} 榜（{period}）前 {limit} 名", (len(hits), 1))
    if kind == "level":
        levels = [f.data.get("new_level") for f in seen
                  if f.name == "LevelChanged" and f.data.get("user_id") == user_id]
        current = levels[-1] if levels else None
        level = str(p["level"])
        if current in LEVELS and LEVELS.index(current) >= LEVELS.index(level):
            return Verdict(("once",), f"当前等级 {current}（需 {level} 或以上）", (1, 1))
        return Verdict((), f"当前等级 {current or '无'}，需 {level} 或以上", (0, 1))
    if kind == "challenge":
        key = p.get("challenge_key")
        windows = [f"{f.data.get('challenge_key')}:{f.data.get('window')}" for f in seen
                   if f.name == "ChallengeCompleted" and f.data.get("user_id") == user_id
                   and (f.data.get("challenge_key") == key if key else
                        bool(p.get("any")) or rule.badge_key in (f.data.get("badge_key"), f.data.get("title_key")))]
        if not windows:
            return Verdict((), "尚未完成对应的挑战", (0, 1))
        owed = tuple(dict.fromkeys(windows)) if rule.repeatable else ("once",)
        return Verdict(owed, f"完成挑战 {windows[-1].split(':')[0]}", (len(windows), 1))
    raise RuleError([("rule_kind", f"未知的规则类型 {kind}")])


def subjects(rule: Rule) -> set[tuple[str, str]]:
    """(event, field) pairs of the only events `evaluate` can count for a user: those naming the user in that field
    (it checks exactly these). Lets the database leave out the events that merely mention the user — a merchant's
    ratings of others, say — which the rules would skip anyway."""
    fixed = {"avg_rating": ("RatingGiven", "ratee_id"), "streak": ("CheckedIn", "user_id"),
             "rank": ("RankReached", "user_id"), "level": ("LevelChanged", "user_id"),
             "challenge": ("ChallengeCompleted", "user_id")}
    if rule.kind in fixed:
        return {fixed[rule.kind]}
    event = str(rule.params["event"])  # count / first / sum
    return {(event, subject_field(rule, event))}


def candidates_window(rule: Rule) -> timedelta | None:
    """The window (with a day's margin) whose edge the nightly re-check watches: users with an event leaving it may
    have a new verdict without a new event (time passing changes only windowed rules); None: only users with new
    events can."""
    if rule.kind == "avg_rating":
        return timedelta(days=int(rule.params["window_days"]) + 1)
    return None


def relevant_events(rules: Sequence[Rule]) -> list[str]:
    return sorted({t for r in rules for t in r.triggers})

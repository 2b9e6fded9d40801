"""Growth rules, pure: skill points, XP, the fair-play factor, the daily points cap, levels S/A/B/C and what is still
missing for the next one, and the hall's `match` score. No I/O: the numbers come from `shared.rules_config.Rules`
(operators change them without a deploy), the facts from the caller.

Factors are basis points (10 000 = ×1) so every amount stays an integer; products are rounded half up, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

LEVELS = ("C", "B", "A", "S")  # lowest first; C is where every developer starts
FULL = 10_000  # basis points: ×1
CRITERIA = ("tasks", "avg_rating", "merchants", "categories")
# The source classes of points and whether a daily cap may apply (paid work is never capped).
SOURCE_CLASSES = ("challenge", "checkin", "compensation", "invitation", "community", "work", "admin", "reversal",
                  "lottery")
# A lottery prize was won, not earned by the day's activity: like paid work, it is never capped.
UNCAPPED = frozenset({"work", "admin", "reversal", "lottery"})


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (both ≥ 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


# --------------------------------------------------------------------------------------------------- fair play


@dataclass(frozen=True)
class FairPlay:
    factor_bp: int  # what this task's growth is multiplied by
    reason: str  # shown to the user beside the grant ("" when nothing was reduced)
    same_person: bool = False


def fair_play(*, same_person_reasons: Iterable[str], prior_from_merchant: int, window_days: int,
              decay_bp: int) -> FairPlay:
    """A merchant and a developer who are the same person earn nothing from each other; the n-th rated task from the
    same merchant within the window counts decay^n (1st full, 2nd × decay, 3rd × decay², …)."""
    same = [r for r in same_person_reasons]
    if same:
        return FairPlay(0, f"商家与开发者疑似同一人（{'、'.join(same)}），本任务不计成长", True)
    if prior_from_merchant <= 0:
        return FairPlay(FULL, "")
    factor = FULL
    for _ in range(prior_from_merchant):
        factor = _half_up(factor * decay_bp, FULL)
    return FairPlay(factor, f"同一商家 {window_days} 天内第 {prior_from_merchant + 1} 次评价，成长按 "
                            f"{_percent(factor)} 计")


def _percent(bp: int) -> str:
    whole, rest = divmod(bp, 100)
    return f"{whole}%" if rest == 0 else f"{bp / 100:.2f}".rstrip("0").rstrip(".") + "%"


# --------------------------------------------------------------------------------------------------- skill points, XP


def rating_factor_bp(stars: int, factors: Mapping[int, int]) -> int:
    """SPEC default: rating ≥ 4 ×1, 3 ×0.5, below 3 nothing (factors keyed by the lowest stars they apply from)."""
    best = 0
    for threshold in sorted(factors):
        if stars >= threshold:
            best = factors[threshold]
    return best


def skill_points(*, tags: Iterable[str], difficulty: int, stars: int, weights: Mapping[int, int],
                 factors: Mapping[int, int], fair_bp: int = FULL) -> dict[str, int]:
    """Points per skill tag of one accepted and rated task: difficulty weight × rating factor (× fair play)."""
    weight = weights.get(difficulty, 0)
    points = _half_up(weight * rating_factor_bp(stars, factors) * fair_bp, FULL * FULL)
    return {tag: points for tag in dict.fromkeys(tags)} if points > 0 else {}


def task_xp(*, stars: int, difficulty: int, per_star_difficulty: int, fair_bp: int = FULL) -> int:
    """XP of a rated task: rating × difficulty × the table's multiplier (× fair play)."""
    return _half_up(stars * difficulty * per_star_difficulty * fair_bp, FULL)


def roll_up(skills: Mapping[str, int], taxonomy: Mapping[str, tuple[str, str]]) -> dict[str, int]:
    """Skill points summed per category (skills outside the taxonomy are left out)."""
    out: dict[str, int] = {}
    for skill, points in skills.items():
        if skill in taxonomy:
            category = taxonomy[skill][1]
            out[category] = out.get(category, 0) + points
    return out


# --------------------------------------------------------------------------------------------------- daily points cap


def capped(requested: int, credited_today: int, cap: int | None) -> int:
    """What a grant credits under its source class's daily cap, given what that class already credited that day.
    Greedy filling makes the day's total min(cap, Σ requested) whatever order grants arrive in."""
    if cap is None or requested <= 0:
        return requested
    return max(0, min(requested, cap - credited_today))


# --------------------------------------------------------------------------------------------------- levels


@dataclass(frozen=True)
class Stats:
    tasks: int = 0  # completed tasks that count (same-person pairs excluded)
    rating_sum: int = 0
    rating_count: int = 0
    merchants: int = 0  # distinct merchants who rated the developer well (≥ good_rating)
    categories: int = 0  # skill categories with points

    @property
    def avg_rating(self) -> float:
        return self.rating_sum / self.rating_count if self.rating_count else 0.0


@dataclass(frozen=True)
class Threshold:
    tasks: int = 0
    avg_rating: float = 0.0
    merchants: int = 0
    categories: int = 0


def meets(stats: Stats, t: Threshold, share: float = 1.0) -> list[str]:
    """The criteria of `t` that `stats` misses, with `share` of each threshold (0.9: the demotion buffer)."""
    eps = 1e-9
    missing = []
    if stats.tasks + eps < t.tasks * share:
        missing.append("tasks")
    if t.avg_rating and stats.avg_rating + eps < t.avg_rating * share:
        missing.append("avg_rating")
    if stats.merchants + eps < t.merchants * share:
        missing.append("merchants")
    if stats.categories + eps < t.categories * share:
        missing.append("categories")
    return missing


def earned_level(stats: Stats, thresholds: Mapping[str, Threshold]) -> str:
    """The highest level whose every threshold is met (C needs nothing)."""
    level = "C"
    for candidate in LEVELS[1:]:
        t = thresholds.get(candidate)
        if t is not None and not meets(stats, t):
            level = candidate
    return level


@dataclass(frozen=True)
class Decision:
    level: str
    below_since: datetime | None  # first seen below the buffer of the current level (the grace period runs)
    direction: str | None  # promoted / demoted / None
    reasons: tuple[str, ...] = field(default=())


def rank(level: str) -> int:
    return LEVELS.index(level)


def evaluate(current: str, stats: Stats, thresholds: Mapping[str, Threshold], *, below_since: datetime | None,
             now: datetime, grace_days: int, buffer: float = 0.9) -> Decision:
    """Promotion is immediate; demotion only below `buffer` of a threshold of the current level and only once that
    has lasted `grace_days` (a level regained in the meantime stops the clock)."""
    earned = earned_level(stats, thresholds)
    if rank(earned) > rank(current):
        return Decision(earned, None, "promoted", tuple(_achieved(earned, stats, thresholds[earned])))
    if rank(earned) == rank(current) or current == "C":
        return Decision(current, None, None)
    short = meets(stats, thresholds[current], buffer)
    if not short:
        return Decision(current, None, None)  # inside the 90 % buffer
    if below_since is None or now - below_since < timedelta(days=grace_days):
        return Decision(current, below_since or now, None)
    target = earned
    for candidate in LEVELS[rank(earned) + 1:rank(current)]:
        if not meets(stats, thresholds[candidate], buffer):
            target = candidate
    reasons = tuple(f"{LABELS[c]}低于 {current} 级门槛的 {round(buffer * 100)}%：{_value(c, stats)} < "
                    f"{_value_of(c, thresholds[current], buffer)}" for c in short)
    return Decision(target, None, "demoted", (*reasons, f"宽限期 {grace_days} 天已过"))


LABELS = {"tasks": "完成任务数", "avg_rating": "平均评分", "merchants": "不同商家好评数", "categories": "技能类别数"}


def _value(criterion: str, stats: Stats) -> str:
    return f"{stats.avg_rating:.2f}" if criterion == "avg_rating" else str(getattr(stats, criterion))


def _value_of(criterion: str, t: Threshold, share: float) -> str:
    v = getattr(t, criterion) * share
    return f"{v:.2f}" if criterion == "avg_rating" else f"{v:g}"


def _achieved(level: str, stats: Stats, t: Threshold) -> list[str]:
    out = [f"完成任务 {stats.tasks} 个（≥ {t.tasks}）"]
    if t.avg_rating:
        out.append(f"平均评分 {stats.avg_rating:.2f}（≥ {t.avg_rating:g}）")
    if t.merchants:
        out.append(f"{stats.merchants} 个不同商家的好评（≥ {t.merchants}）")
    if t.categories:
        out.append(f"{stats.categories} 个技能类别（≥ {t.categories}）")
    return out


def next_level(current: str) -> str | None:
    i = rank(current)
    return LEVELS[i + 1] if i + 1 < len(LEVELS) else None


def missing_texts(stats: Stats, t: Threshold) -> list[str]:
    """What is still missing for a level, as the profile shows it (还差 2 个不同商家的好评)."""
    out = []
    if stats.tasks < t.tasks:
        out.append(f"还差 {t.tasks - stats.tasks} 个完成的任务")
    if t.avg_rating and stats.avg_rating + 1e-9 < t.avg_rating:
        out.append(f"平均评分还需达到 {t.avg_rating:g}（当前 {stats.avg_rating:.2f}）")
    if stats.merchants < t.merchants:
        out.append(f"还差 {t.merchants - stats.merchants} 个不同商家的好评")
    if stats.categories < t.categories:
        out.append(f"还差 {t.categories - stats.categories} 个技能类别")
    return out


# --------------------------------------------------------------------------------------------------- match


@dataclass(frozen=True)
class Match:
    score: int  # 0..10 000
    reasons: tuple[str, ...]  # the top two, for the task card


def match(*, task_tags: Iterable[str], difficulty: int, skills: Mapping[str, int], names: Mapping[str, str],
          level: str, skill_weight_bp: int, level_weight_bp: int, full_skill_points: int,
          level_difficulty: Mapping[str, int]) -> Match:
    """How well a task fits a developer: their skill points on the task's tags (each tag saturating at
    `full_skill_points`) and their level against the difficulty (`level_difficulty`: the difficulty that suits each
    level; one step off costs half, two or more everything)."""
    tags = list(dict.fromkeys(task_tags))
    per_tag = [(min(skills.get(t, 0), full_skill_points), t) for t in tags]
    skill_bp = sum(p for p, _ in per_tag) * FULL // (full_skill_points * len(tags)) if tags else 0
    suits = level_difficulty.get(level, 1)
    gap = abs(difficulty - suits)
    level_bp = FULL if gap == 0 else (FULL // 2 if gap == 1 else 0)
    total_weight = skill_weight_bp + level_weight_bp
    score = (skill_bp * skill_weight_bp + level_bp * level_weight_bp) // total_weight if total_weight else 0
    reasons: list[tuple[int, str]] = []
    for points, tag in sorted(per_tag, key=lambda x: (-x[0], x[1])):
        if points > 0:
            reasons.append((points * FULL // full_skill_points * skill_weight_bp // max(len(tags), 1),
                            f"{names.get(tag, tag)} 技能 {skills.get(tag, 0)} 分"))
    if gap == 0:
        reasons.append((level_bp * level_weight_bp, "难度适合"))
    elif gap == 1:
        reasons.append((level_bp * level_weight_bp, "难度略高" if difficulty > suits else "难度略低"))
    reasons.sort(key=lambda r: -r[0])
    return Match(score, tuple(text for _, text in reasons[:2]))


@dataclass(frozen=True)
class Fit:
    score: int  # 0..10 000
    reasons: tuple[str, ...]  # the top two


def applicant_fit(m: Match, *, rating_avg: float | None, rating_count: int, completed: int, match_weight_bp: int,
                  rating_weight_bp: int, reliability_weight_bp: int, full_completed: int) -> Fit:
    """How well an applicant fits a task, for the merchant: the task's match to them (skills, level), their average
    rating (unrated: nothing) and their reliability (completed tasks, saturating at `full_completed`)."""
    rating_bp = round((rating_avg or 0) * FULL / 5) if rating_count else 0
    reliability_bp = min(completed, full_completed) * FULL // full_completed if full_completed else 0
    weight = match_weight_bp + rating_weight_bp + reliability_weight_bp
    parts = [(m.score * match_weight_bp, m.reasons[0] if m.reasons else ""),
             (rating_bp * rating_weight_bp, f"评分 {rating_avg:.1f}（{rating_count} 次）" if rating_count else ""),
             (reliability_bp * reliability_weight_bp, f"已完成 {completed} 个任务" if completed else "")]
    score = sum(p for p, _ in parts) // weight if weight else 0
    reasons = tuple(text for p, text in sorted(parts, key=lambda x: -x[0]) if text and p > 0)[:2]
    return Fit(score, reasons)

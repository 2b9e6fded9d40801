"""Growth suggestions derived from a month's report data by explainable rules (pure).

Each rule looks at a few numbers of the report, and when its condition holds it produces one `Suggestion` carrying the
rule's name, the sentence shown in the PDF, and the numbers it compared (`facts`) — so a developer or an operator can
always answer "why does my report say this?". Rules run in the fixed order of `RULES` (problems first, then gaps,
then encouragement) and at most `SuggestionRules.max_suggestions` are kept. Thresholds are `SuggestionRules` fields.

Ratings are hundredths of a star (4.67 → 467) everywhere, so every comparison is on integers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from shared.reports.model import ReportData, Suggestion


@dataclass(frozen=True)
class SuggestionRules:
    max_suggestions: int = 5
    low_rating_x100: int = 400  # an average below 4.00 …
    low_rating_min_count: int = 2  # … over at least this many ratings
    rating_drop_x100: int = 30  # a drop of 0.30 or more from last month
    focus_share_pct: int = 80  # one category earns this share of the month's points …
    focus_min_points: int = 20  # … of at least this many points
    dormant_months: int = 3  # points in each of the N months before, none this month
    rising_factor_x100: int = 200  # this month ≥ 2× the average of the previous 3 months …
    rising_min_points: int = 10  # … and at least this many points
    unrated_min: int = 2  # completed tasks without a rating
    earnings_growth_pct: int = 20  # net earnings up this much from last month


DEFAULT_RULES = SuggestionRules()


def stars(x100: int) -> str:
    """4.67, 4.00 — a rating in hundredths as shown."""
    return f"{x100 // 100}.{x100 % 100:02d}"


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def no_tasks(d: ReportData, r: SuggestionRules) -> Suggestion | None:
    if d.tasks:
        return None
    return Suggestion(rule="no_tasks", facts=(("tasks", 0),),
                      text="本月还没有完成的任务。每周完成 1 个任务就能完成每周成长挑战，"
                           "去任务大厅看看与你技能匹配的任务吧。")


def low_rating(d: ReportData, r: SuggestionRules) -> Suggestion | None:
    avg, n = d.ratings.average_x100, d.ratings.count
    if avg is None or n < r.low_rating_min_count or avg >= r.low_rating_x100:
        return None
    return Suggestion(
        rule="low_rating", facts=(("average_x100", avg), ("threshold_x100", r.low_rating_x100), ("ratings", n)),
        text=f"本月平均评分 {stars(avg)}（{n} 次评价），低于 {stars(r.low_rating_x100)}。交付前对照需求逐条自查，"
             "并在过程中主动同步进度。")


def rating_drop(d: ReportData, r: SuggestionRules) -> Suggestion | None:
    avg = d.ratings.average_x100
    before = d.previous.average_x100 if d.previous else None
    if avg is None or before is None or before - avg < r.rating_drop_x100:
        return None
    return Suggestion(
        rule="rating_drop", facts=(("average_x100", avg), ("previous_x100", before), ("drop_x100", before - avg)),
        text=f"平均评分从上月的 {stars(before)} 降到 {stars(avg)}。回看本月评价里商家提到的问题，下个任务优先改进。")


def level_gap(d: ReportData, r: SuggestionRules) -> Suggestion | None:
    nxt = d.level.next
    if nxt is None or not d.level.requirements:
        return None
    unmet = [q for q in d.level.requirements if not q.met]
    if not unmet:
        return Suggestion(rule="level_ready", facts=(("requirements", len(d.level.requirements)),),
                          text=f"你已满足 {nxt} 级的全部条件，等级会在下次评估（每晚）时升级。")
    # closest first: the smallest share still missing, then the key (a stable order)
    unmet.sort(key=lambda q: (q.missing * 10_000 // max(q.required, 1), q.key))
    parts = []
    for q in unmet[:3]:
        if q.scale == 100:
            parts.append(f"{q.label}还差 {stars(q.missing)}（现 {stars(q.current)}，需 {stars(q.required)}）")
        else:
            parts.append(f"{q.label}还差 {q.missing}（现 {q.current}，需 {q.required}）")
    facts = tuple((f"{q.key}_missing", q.missing) for q in unmet[:3])
    return Suggestion(rule="level_gap", facts=facts, text=_clip(f"距离 {nxt} 级：" + "；".join(parts) + "。"))


def skill_focus(d: ReportData, r: SuggestionRules) -> Suggestion | None:
    month_total = sum(s.points_month for s in d.skills)
    if month_total < r.focus_min_points or len(d.skills) < 2:
        return None
    top = max(d.skills, key=lambda s: (s.points_month, s.key))
    share = top.points_month * 100 // month_total
    if share < r.focus_share_pct:
        return None
    others = [s for s in d.skills if s.key != top.key]
    other = max(others, key=lambda s: (s.points_total, s.key))
    return Suggestion(
        rule="skill_focus", facts=(("share_pct", share), ("month_points", month_total)),
        text=f"本月 {share}% 的技能积分来自{top.name}。可以接一两个{other.name}任务，"
             "拓宽技能图谱（A 级需要至少 2 个技能方向）。")


def skill_dormant(d: ReportData, r: SuggestionRules) -> Suggestion | None:
    n = r.dormant_months
    dormant = [s for s in d.skills
               if s.points_month == 0 and len(s.history) > n and all(m.points > 0 for m in s.history[-1 - n:-1])]
    if not dormant:
        return None
    s = max(dormant, key=lambda s: (s.points_total, s.key))
    return Suggestion(
        rule="skill_dormant", facts=(("months_active_before", n), ("points_total", s.points_total)),
        text=f"{s.name}此前连续 {n} 个月都有积分，本月没有。保持手感：留意大厅里的{s.name}任务或相关挑战。")


def skill_rising(d: ReportData, r: SuggestionRules) -> Suggestion | None:
    best: tuple[int, str, Suggestion] | None = None
    for s in d.skills:
        if s.points_month < r.rising_min_points or len(s.history) < 4:
            continue
        before = sum(m.points for m in s.history[-4:-1])  # the 3 months before
        # this month ≥ factor × (before / 3)  ⇔  points_month × 300 ≥ factor_x100 × before
        if s.points_month * 300 < r.rising_factor_x100 * before:
            continue
        factor_x100 = s.points_month * 300 // before if before else 0
        text = (f"{s.name}本月获得 {s.points_month} 积分，是前三个月月均的 {stars(factor_x100)} 倍，"
                "势头很好，继续保持。"
                if before else f"{s.name}本月获得 {s.points_month} 积分，是新的成长方向，继续保持。")
        sug = Suggestion(rule="skill_rising", text=text,
                         facts=(("points_month", s.points_month), ("points_prev_3_months", before)))
        if best is None or (s.points_month, s.key) > (best[0], best[1]):
            best = (s.points_month, s.key, sug)
    return best[2] if best else None


def unrated_tasks(d: ReportData, r: SuggestionRules) -> Suggestion | None:
    unrated = sum(1 for t in d.tasks if t.rating is None)
    if unrated < r.unrated_min:
        return None
    return Suggestion(rule="unrated_tasks", facts=(("unrated", unrated), ("tasks", len(d.tasks))),
                      text=f"本月有 {unrated} 个已完成任务还没有评价。评价会计入技能积分和等级，"
                           "可以在交付后礼貌提醒商家评价。")


def open_challenges(d: ReportData, r: SuggestionRules) -> Suggestion | None:
    open_ = [c for c in d.challenges if c.status == "in_progress"]
    if not open_:
        return None
    first = min(open_, key=lambda c: c.key)
    return Suggestion(rule="open_challenges", facts=(("in_progress", len(open_)),),
                      text=_clip(f"还有 {len(open_)} 个挑战进行中（如「{first.name}」），完成后可获得积分和徽章。"))


def earnings_growth(d: ReportData, r: SuggestionRules) -> Suggestion | None:
    if d.previous is None or d.previous.net_fen <= 0:
        return None
    growth = (d.earnings.net_fen - d.previous.net_fen) * 100 // d.previous.net_fen
    if growth < r.earnings_growth_pct:
        return None
    return Suggestion(rule="earnings_growth",
                      facts=(("net_fen", d.earnings.net_fen), ("previous_net_fen", d.previous.net_fen),
                             ("growth_pct", growth)),
                      text=f"本月收入比上月增长 {growth}%。稳定的交付节奏是最好的简历，继续保持。")


Rule = Callable[[ReportData, SuggestionRules], "Suggestion | None"]
# Problems first, then the way to the next level, then skills, then encouragement.
RULES: tuple[Rule, ...] = (no_tasks, low_rating, rating_drop, level_gap, unrated_tasks, skill_focus, skill_dormant,
                           open_challenges, skill_rising, earnings_growth)


def derive(data: ReportData, rules: SuggestionRules = DEFAULT_RULES) -> list[Suggestion]:
    out: list[Suggestion] = []
    for rule in RULES:
        suggestion = rule(data, rules)
        if suggestion is not None:
            out.append(suggestion)
        if len(out) >= rules.max_suggestions:
            break
    return out


def finalize(data: ReportData) -> ReportData:
    """The report in canonical order, with the growth suggestions derived from it. Idempotent."""
    ordered = data.model_copy(update={
        "tasks": tuple(sorted(data.tasks, key=lambda t: (t.completed_on, t.task_id))),
        "skills": tuple(sorted(data.skills, key=lambda s: (-s.points_total, s.key))),
        "badges": tuple(sorted(data.badges, key=lambda b: (b.earned_on, b.key))),
        "challenges": tuple(sorted(data.challenges, key=lambda c: (c.finished_on or date.max, c.key))),
        "mentor_letters": tuple(sorted(data.mentor_letters, key=lambda m: (m.written_on, m.mentor_name))),
    })
    return ordered.model_copy(update={"suggestions": tuple(derive(ordered))})

"""Growth suggestions: each rule fires exactly at its threshold and explains itself with the numbers it compared."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings

from shared.reports.model import (
    ChallengeResult,
    CompletedTask,
    Earnings,
    LevelProgress,
    MonthPoints,
    PreviousMonth,
    RatingSummary,
    ReportData,
    Requirement,
    SkillCategory,
)
from shared.reports.suggestions import DEFAULT_RULES, RULES, SuggestionRules, derive, finalize, stars
from tests.support.report_strategies import report_data
from tests.support.reports import quiet_month

MONTHS = ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10")


def task(i: int, rating: int | None = 5) -> CompletedTask:
    return CompletedTask(task_id=i, title=f"任务{i}", merchant="商家", completed_on=date(2026, 10, 1 + i % 28),
                         reward_fen=10_000, earned_fen=8_500, rating=rating)


def skill(key: str, name: str, *points: int) -> SkillCategory:
    history = tuple(MonthPoints(month=m, points=p) for m, p in zip(MONTHS[-len(points):], points, strict=True))
    return SkillCategory(key=key, name=name, points_total=sum(points), points_month=points[-1], history=history)


def report(**changes) -> ReportData:
    base = dict(
        developer={"id": 1, "display_name": "测试"}, month="2026-10", as_of=date(2026, 10, 31),
        tasks=(task(1), task(2)), earnings=Earnings(reward_fen=20_000, commission_fen=3_000, net_fen=17_000),
        ratings=RatingSummary(count=2, average_x100=500, stars=(0, 0, 0, 0, 2)),
        level=LevelProgress(current="B", next="A"))
    return ReportData.model_validate({**base, **changes})


def rules_of(data: ReportData, rules: SuggestionRules = DEFAULT_RULES) -> dict[str, dict[str, int]]:
    return {s.rule: dict(s.facts) for s in derive(data, rules)}


def test_no_tasks():
    assert rules_of(quiet_month())["no_tasks"] == {"tasks": 0}
    assert "no_tasks" not in rules_of(report())


def test_low_rating_threshold_and_minimum_count():
    def with_avg(avg: int, count: int) -> ReportData:
        stars_ = (0, 0, 0, count, 0)
        return report(ratings=RatingSummary(count=count, average_x100=avg, stars=stars_))

    assert rules_of(with_avg(399, 2))["low_rating"] == {"average_x100": 399, "threshold_x100": 400, "ratings": 2}
    assert "low_rating" not in rules_of(with_avg(400, 2))  # 4.00 is not below 4.00
    assert "low_rating" not in rules_of(with_avg(300, 1))  # one rating is not a trend
    assert "低于 4.00" in next(s.text for s in derive(with_avg(367, 3)) if s.rule == "low_rating")


def test_rating_drop():
    def drop(before: int, now: int) -> dict:
        return rules_of(report(ratings=RatingSummary(count=2, average_x100=now, stars=(0, 0, 0, 2, 0)),
                               previous=PreviousMonth(average_x100=before)))

    assert drop(480, 450)["rating_drop"] == {"average_x100": 450, "previous_x100": 480, "drop_x100": 30}
    assert "rating_drop" not in drop(479, 450)
    assert "rating_drop" not in rules_of(report())  # no previous month


def test_level_gap_names_the_closest_requirements_first():
    reqs = (Requirement(key="completed_tasks", label="完成任务", current=7, required=10),
            Requirement(key="average_rating", label="平均评分", current=441, required=450, scale=100),
            Requirement(key="merchants", label="合作商家", current=1, required=3),
            Requirement(key="categories", label="技能方向", current=2, required=2))
    got = derive(report(level=LevelProgress(current="B", next="A", requirements=reqs)))
    gap = next(s for s in got if s.rule == "level_gap")
    # missing shares: rating 9/450 = 2 %, tasks 3/10 = 30 %, merchants 2/3 = 67 %; categories is met
    assert gap.facts == (("average_rating_missing", 9), ("completed_tasks_missing", 3), ("merchants_missing", 2))
    assert gap.text.startswith("距离 A 级：平均评分还差 0.09（现 4.41，需 4.50）；完成任务还差 3")
    ready = derive(report(level=LevelProgress(current="B", next="A", requirements=reqs[3:])))
    assert ready[0].rule == "level_ready"
    assert not [s for s in derive(report(level=LevelProgress(current="S"))) if s.rule.startswith("level")]


def test_unrated_tasks():
    assert rules_of(report(tasks=(task(1, None), task(2, None)), ratings=RatingSummary(count=0)))[
        "unrated_tasks"] == {"unrated": 2, "tasks": 2}
    assert "unrated_tasks" not in rules_of(report(tasks=(task(1, None), task(2)),
                                                  ratings=RatingSummary(count=1, average_x100=500,
                                                                        stars=(0, 0, 0, 0, 1))))


def test_skill_focus_at_80_percent():
    def focus(top: int, other: int) -> dict:
        return rules_of(report(skills=(skill("backend", "后端", top), skill("frontend", "前端", other))))

    assert focus(80, 20)["skill_focus"] == {"share_pct": 80, "month_points": 100}
    assert "skill_focus" not in focus(79, 21)
    assert "skill_focus" not in focus(19, 0)  # under 20 points in the month: too little to judge


def test_skill_dormant_after_three_active_months():
    dormant = rules_of(report(skills=(skill("backend", "后端", 5, 5, 5, 0), skill("frontend", "前端", 9, 9, 9, 9))))
    assert dormant["skill_dormant"] == {"months_active_before": 3, "points_total": 15}
    assert "skill_dormant" not in rules_of(report(skills=(skill("backend", "后端", 0, 5, 5, 0),)))


def test_skill_rising_at_twice_the_recent_average():
    exactly_double = rules_of(report(skills=(skill("backend", "后端", 10, 10, 10, 20),)))
    assert exactly_double["skill_rising"] == {"points_month": 20, "points_prev_3_months": 30}
    assert "skill_rising" not in rules_of(report(skills=(skill("backend", "后端", 10, 10, 11, 20),)))
    assert "skill_rising" not in rules_of(report(skills=(skill("backend", "后端", 1, 1, 1, 9),)))  # < 10 points


def test_open_challenges():
    ch = (ChallengeResult(key="w44", name="每周成长挑战", status="in_progress"),
          ChallengeResult(key="w43", name="上周挑战", status="completed", points=50, finished_on=date(2026, 10, 3)))
    assert rules_of(report(challenges=ch))["open_challenges"] == {"in_progress": 1}


def test_earnings_growth_at_20_percent():
    def growth(before: int) -> dict:
        return rules_of(report(previous=PreviousMonth(net_fen=before)))

    assert growth(14_166)["earnings_growth"]["growth_pct"] == 20  # 17,000 / 14,166 = +20.0 %
    assert "earnings_growth" not in growth(14_200)  # +19.7 %
    assert "earnings_growth" not in growth(0)


def test_at_most_five_in_rule_order():
    data = report(tasks=(task(1, None), task(2, None), task(3, 2)),
                  ratings=RatingSummary(count=2, average_x100=250, stars=(0, 2, 0, 0, 0)),
                  previous=PreviousMonth(average_x100=480, net_fen=1_000),
                  level=LevelProgress(current="C", next="B", requirements=(
                      Requirement(key="completed_tasks", label="完成任务", current=2, required=3),)),
                  skills=(skill("backend", "后端", 5, 5, 5, 100), skill("frontend", "前端", 5, 5, 5, 0)),
                  challenges=(ChallengeResult(key="w", name="挑战", status="in_progress"),))
    got = [s.rule for s in derive(data)]
    order = [r.__name__ for r in RULES]
    assert len(got) == 5
    assert got == sorted(got, key=lambda r: order.index(r if r != "level_ready" else "level_gap"))
    assert got[:3] == ["low_rating", "rating_drop", "level_gap"]


def test_stars_format():
    assert stars(467) == "4.67" and stars(400) == "4.00" and stars(5) == "0.05"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(report_data())
def test_rules_are_total_and_pure(data):
    first = derive(data)
    assert first == derive(data)  # no hidden state
    assert len(first) <= DEFAULT_RULES.max_suggestions
    assert len({s.rule for s in first}) == len(first)
    assert finalize(data).suggestions == tuple(first)

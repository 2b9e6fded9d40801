"""The growth rules (shared/growth/rules.py), pure: SPEC's numbers and their boundaries, the 90 % demotion buffer and
grace period, caps that do not depend on the order grants arrive in, levels monotone in the stats, fair play, match,
and the Asia/Shanghai month of an entry."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from shared.growth import rules
from shared.growth.rules import FULL, Stats
from shared.growth.service import month_of, thresholds
from shared.rules_config import Rules

R = Rules()
T = thresholds(R)
W, F = R.growth_difficulty_weights, R.growth_rating_factors_bp
NOW = datetime(2026, 12, 4, 12, tzinfo=timezone.utc)


def stats(tasks=0, avg=0.0, merchants=0, categories=0, n=None) -> Stats:
    n = tasks if n is None else n
    return Stats(tasks=tasks, rating_sum=round(avg * n), rating_count=n, merchants=merchants, categories=categories)


# --- skill points and XP -------------------------------------------------------------------------------------------

def test_skill_points_are_difficulty_weight_times_rating_factor_per_tag():
    assert rules.skill_points(tags=["python", "vue"], difficulty=4, stars=5, weights=W, factors=F) == \
        {"python": 8, "vue": 8}
    assert rules.skill_points(tags=["python"], difficulty=4, stars=4, weights=W, factors=F) == {"python": 8}
    assert rules.skill_points(tags=["python"], difficulty=4, stars=3, weights=W, factors=F) == {"python": 4}
    assert rules.skill_points(tags=["python"], difficulty=4, stars=2, weights=W, factors=F) == {}
    assert rules.skill_points(tags=["python"], difficulty=4, stars=1, weights=W, factors=F) == {}
    assert rules.skill_points(tags=["python", "python"], difficulty=1, stars=5, weights=W, factors=F) == {"python": 2}


def test_rating_factor_boundaries():
    assert [rules.rating_factor_bp(s, F) for s in (1, 2, 3, 4, 5)] == [0, 0, 5_000, FULL, FULL]


def test_fair_play_factor_reduces_skill_points_and_xp_half_up():
    assert rules.skill_points(tags=["go"], difficulty=3, stars=3, weights=W, factors=F, fair_bp=5_000) == {"go": 2}
    assert rules.task_xp(stars=5, difficulty=3, per_star_difficulty=10) == 150
    assert rules.task_xp(stars=5, difficulty=3, per_star_difficulty=10, fair_bp=5_000) == 75
    assert rules.task_xp(stars=5, difficulty=3, per_star_difficulty=10, fair_bp=0) == 0


def test_fair_play_decays_repeats_from_one_merchant_and_zeroes_the_same_person():
    first = rules.fair_play(same_person_reasons=[], prior_from_merchant=0, window_days=30, decay_bp=5_000)
    assert first.factor_bp == FULL and first.reason == ""
    second = rules.fair_play(same_person_reasons=[], prior_from_merchant=1, window_days=30, decay_bp=5_000)
    assert second.factor_bp == 5_000 and "第 2 次评价" in second.reason and "50%" in second.reason
    third = rules.fair_play(same_person_reasons=[], prior_from_merchant=2, window_days=30, decay_bp=5_000)
    assert third.factor_bp == 2_500 and "25%" in third.reason
    same = rules.fair_play(same_person_reasons=["相同手机号"], prior_from_merchant=0, window_days=30, decay_bp=5_000)
    assert same.factor_bp == 0 and same.same_person and "相同手机号" in same.reason


def test_roll_up_into_categories():
    taxonomy = {"python": ("Python", "backend"), "go": ("Go", "backend"), "vue": ("Vue", "frontend")}
    assert rules.roll_up({"python": 8, "go": 4, "vue": 2, "cobol": 9}, taxonomy) == {"backend": 12, "frontend": 2}


# --- the daily cap -------------------------------------------------------------------------------------------------

def test_cap_boundaries():
    assert rules.capped(150, 0, 200) == 150
    assert rules.capped(100, 150, 200) == 50
    assert rules.capped(10, 200, 200) == 0
    assert rules.capped(500, 0, None) == 500  # uncapped classes


@given(st.lists(st.integers(1, 300), max_size=12), st.randoms())
def test_the_days_total_is_the_same_whatever_order_grants_arrive_in(grants, rnd):
    def total(order):
        credited = 0
        for g in order:
            d = rules.capped(g, credited, 200)
            assert 0 <= d <= g
            credited += d
        return credited

    shuffled = list(grants)
    rnd.shuffle(shuffled)
    assert total(grants) == total(shuffled) == min(200, sum(grants))


def test_work_and_operator_points_can_never_be_capped_by_config():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Rules(growth_points_daily_caps={"work": 100})
    with pytest.raises(ValidationError):
        Rules(growth_points_daily_caps={"nonsense": 100})
    assert Rules(growth_points_daily_caps={"checkin": 50}).growth_points_daily_caps == {"checkin": 50}


# --- levels --------------------------------------------------------------------------------------------------------

def test_spec_thresholds_at_their_boundaries():
    assert rules.earned_level(stats(2, 5.0), T) == "C"
    assert rules.earned_level(stats(3, 4.0), T) == "B"
    assert rules.earned_level(Stats(tasks=3, rating_sum=11, rating_count=3), T) == "C"  # avg 3.67
    assert rules.earned_level(stats(10, 4.5, 3, 2), T) == "A"
    assert rules.earned_level(stats(10, 4.5, 2, 2), T) == "B"  # distinct merchants short
    assert rules.earned_level(stats(10, 4.5, 3, 1), T) == "B"  # one skill category only
    assert rules.earned_level(stats(9, 5.0, 9, 5), T) == "B"
    assert rules.earned_level(Stats(tasks=30, rating_sum=141, rating_count=30, merchants=10, categories=2), T) == "S"
    assert rules.earned_level(Stats(tasks=30, rating_sum=140, rating_count=30, merchants=10, categories=2), T) == "A"
    assert rules.earned_level(stats(30, 4.7, 9, 2), T) == "A"


stats_strategy = st.builds(
    lambda tasks, rated, rsum, merchants, cats: Stats(tasks=tasks, rating_count=rated,
                                                      rating_sum=min(rsum, rated * 5) if rated else 0,
                                                      merchants=merchants, categories=cats),
    st.integers(0, 60), st.integers(0, 60), st.integers(0, 300), st.integers(0, 15), st.integers(0, 8))


@given(stats_strategy, st.integers(0, 10), st.integers(0, 5), st.integers(0, 3), st.integers(0, 3))
def test_levels_are_monotone_in_every_criterion(s, more_tasks, more_merchants, more_cats, more_fives):
    better = Stats(tasks=s.tasks + more_tasks + more_fives, rating_sum=s.rating_sum + 5 * more_fives,
                   rating_count=s.rating_count + more_fives, merchants=s.merchants + more_merchants,
                   categories=s.categories + more_cats)
    assert rules.rank(rules.earned_level(better, T)) >= rules.rank(rules.earned_level(s, T))


def test_promotion_is_immediate_with_reasons():
    d = rules.evaluate("C", stats(3, 4.0), T, below_since=None, now=NOW, grace_days=14)
    assert d.level == "B" and d.direction == "promoted" and any("完成任务 3" in r for r in d.reasons)


def test_demotion_only_below_90_percent_and_only_after_the_grace_period():
    # A needs avg 4.5: 90 % is 4.05. At 4.1 (below A, inside the buffer) an A stays A, and no clock starts.
    inside = stats(10, 4.1, 3, 2)
    d = rules.evaluate("A", inside, T, below_since=None, now=NOW, grace_days=14)
    assert d.level == "A" and d.below_since is None and d.direction is None
    # Exactly 90 % of a threshold still holds (merchants 3 × 0.9 = 2.7: 3 holds, 2 does not).
    at_buffer = Stats(tasks=9, rating_sum=45 * 9 // 10, rating_count=9, merchants=3, categories=2)  # tasks 9 ≥ 9.0
    assert rules.evaluate("A", at_buffer, T, below_since=None, now=NOW, grace_days=14).below_since is None
    below = stats(10, 4.5, 2, 2)  # 2 merchants < 2.7
    d = rules.evaluate("A", below, T, below_since=None, now=NOW, grace_days=14)
    assert d.level == "A" and d.below_since == NOW and d.direction is None  # the grace period starts
    d = rules.evaluate("A", below, T, below_since=NOW, now=NOW + timedelta(days=14) - timedelta(seconds=1),
                       grace_days=14)
    assert d.level == "A" and d.below_since == NOW
    d = rules.evaluate("A", below, T, below_since=NOW, now=NOW + timedelta(days=14), grace_days=14)
    assert d.level == "B" and d.direction == "demoted" and any("不同商家好评数" in r for r in d.reasons)
    # Regained within the grace period: the clock stops.
    assert rules.evaluate("A", stats(10, 4.5, 3, 2), T, below_since=NOW, now=NOW + timedelta(days=20),
                          grace_days=14).below_since is None


def test_demotion_lands_on_the_highest_level_still_held_within_the_buffer():
    # An S falls to 2 merchants and 1 category: below A's buffer too, but B holds.
    d = rules.evaluate("S", stats(30, 4.8, 2, 1), T, below_since=NOW - timedelta(days=30), now=NOW, grace_days=14)
    assert d.level == "B" and d.direction == "demoted"


@given(stats_strategy, st.sampled_from(rules.LEVELS))
def test_never_demoted_while_within_the_buffer_of_the_current_level(s, current):
    d = rules.evaluate(current, s, T, below_since=NOW - timedelta(days=365), now=NOW, grace_days=14)
    if current != "C" and not rules.meets(s, T[current], 0.9):
        assert rules.rank(d.level) >= rules.rank(current)
    if rules.rank(d.level) < rules.rank(current):
        assert rules.meets(s, T[current], 0.9)  # demoted only when short of 90 % of something


def test_what_is_still_missing():
    assert rules.missing_texts(stats(10, 4.6, 1, 2), T["A"]) == ["还差 2 个不同商家的好评"]
    texts = rules.missing_texts(stats(1, 3.0, 0, 0), T["B"])
    assert texts == ["还差 2 个完成的任务", "平均评分还需达到 4（当前 3.00）"]
    assert rules.missing_texts(stats(30, 5.0, 10, 3), T["S"]) == []


def test_thresholds_must_not_decrease_with_the_level():
    import pytest
    from pydantic import ValidationError

    bad = {k: v.model_dump() for k, v in R.growth_level_thresholds.items()}
    bad["S"]["tasks"] = 5
    with pytest.raises(ValidationError):
        Rules(growth_level_thresholds=bad)


# --- months ---------------------------------------------------------------------------------------------------------

def test_entries_fall_in_their_asia_shanghai_month():
    # 2026-11-30 16:00 UTC is 2026-12-01 00:00 in Beijing: December's history.
    assert month_of(datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)).isoformat() == "2026-12-01"
    assert month_of(datetime(2026, 11, 30, 15, 59, 59, tzinfo=timezone.utc)).isoformat() == "2026-11-01"


# --- match ----------------------------------------------------------------------------------------------------------

def _match(tags, difficulty, skills, level="B"):
    return rules.match(task_tags=tags, difficulty=difficulty, skills=skills, names={"python": "Python", "vue": "Vue"},
                       level=level, skill_weight_bp=7_000, level_weight_bp=3_000, full_skill_points=100,
                       level_difficulty=R.growth_match_level_difficulty)


def test_match_scores_skills_and_level_with_the_top_two_reasons():
    m = _match(["python"], 3, {"python": 80})
    assert m.score == (8_000 * 7_000 + FULL * 3_000) // 10_000
    assert m.reasons == ("Python 技能 80 分", "难度适合")
    assert _match(["python"], 5, {"python": 80}).reasons == ("Python 技能 80 分",)  # two steps harder: no level fit
    assert _match(["python", "vue"], 3, {}).reasons == ("难度适合",)
    assert _match(["python"], 3, {"python": 500}).score == FULL  # saturates


@given(st.dictionaries(st.sampled_from(["python", "vue", "go"]), st.integers(0, 300)), st.integers(1, 5),
       st.sampled_from(rules.LEVELS))
def test_match_is_bounded_and_more_skill_never_scores_less(skills, difficulty, level):
    base = _match(["python", "vue"], difficulty, skills, level)
    more = _match(["python", "vue"], difficulty, {**skills, "python": skills.get("python", 0) + 10}, level)
    assert 0 <= base.score <= FULL and more.score >= base.score and len(base.reasons) <= 2


def test_applicant_fit_weighs_match_rating_and_reliability_with_the_top_two_reasons():
    m = rules.Match(8_000, ("Python 技能 80 分", "难度适合"))
    kw = {"match_weight_bp": 6_000, "rating_weight_bp": 2_500, "reliability_weight_bp": 1_500, "full_completed": 10}
    fit = rules.applicant_fit(m, rating_avg=4.0, rating_count=5, completed=20, **kw)
    assert fit.score == (8_000 * 6_000 + 8_000 * 2_500 + 10_000 * 1_500) // 10_000
    assert fit.reasons == ("Python 技能 80 分", "评分 4.0（5 次）")
    fresh = rules.applicant_fit(rules.Match(0, ()), rating_avg=None, rating_count=0, completed=0, **kw)
    assert fresh.score == 0 and fresh.reasons == ()

"""Commission tiers (SPEC "Money"): 15 % standard, 10 % enterprise, 5 % on the part above ¥10,000; integer fen,
rounded half up, never more than the reward."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.payouts.commission import commission_fen, split
from shared.rules_config import Rules

RULES = Rules()
rewards = st.integers(min_value=0, max_value=100_000_000)  # up to the max reward, ¥1,000,000


@pytest.mark.parametrize(("reward", "enterprise", "expected"), [
    (50_000, False, 7_500),  # ¥500 × 15 %
    (50_000, True, 5_000),  # ¥500 × 10 %
    (1_000_000, False, 150_000),  # exactly ¥10,000: all at 15 %
    (1_000_001, False, 150_000),  # + 1 fen × 5 % = 0.05 fen, rounds down
    (1_000_010, False, 150_001),  # + 10 fen × 5 % = 0.5 fen, half rounds up
    (2_000_000, False, 200_000),  # 150,000 + 1,000,000 × 5 %
    (2_000_000, True, 150_000),  # 100,000 + 50,000
    (10, False, 2),  # 1.5 fen → 2 (half up)
    (3, False, 0),  # 0.45 fen → 0
    (0, False, 0),
    (100, False, 15),  # the minimum reward
])
def test_spec_examples(reward, enterprise, expected):
    assert commission_fen(reward, enterprise, RULES) == expected


def exact(reward: int, enterprise: bool, rules: Rules = RULES) -> Fraction:
    rate = Fraction(rules.commission_enterprise_bp if enterprise else rules.commission_standard_bp, 10_000)
    high = min(Fraction(rules.commission_high_tier_bp, 10_000), rate)
    t = rules.commission_high_tier_from_fen
    return min(reward, t) * rate + max(reward - t, 0) * high


@given(rewards, st.booleans())
def test_is_the_exact_commission_rounded_half_up(reward, enterprise):
    c = commission_fen(reward, enterprise, RULES)
    e = exact(reward, enterprise)
    assert isinstance(c, int)
    assert abs(c - e) <= Fraction(1, 2)
    if abs(c - e) == Fraction(1, 2):
        assert c > e  # a half is rounded up


@given(rewards, st.booleans())
def test_never_negative_never_more_than_the_reward_and_share_adds_up(reward, enterprise):
    c = commission_fen(reward, enterprise, RULES)
    assert 0 <= c <= reward
    parts = split(reward, enterprise, RULES)
    assert parts.share_fen + parts.commission_fen == reward and parts.share_fen >= 0


@given(rewards, rewards, st.booleans())
def test_a_bigger_reward_never_gives_a_smaller_share_or_commission(a, b, enterprise):
    low, high = sorted((a, b))
    assert commission_fen(low, enterprise, RULES) <= commission_fen(high, enterprise, RULES)
    assert split(low, enterprise, RULES).share_fen <= split(high, enterprise, RULES).share_fen


@given(rewards)
def test_enterprise_members_never_pay_more(reward):
    assert commission_fen(reward, True, RULES) <= commission_fen(reward, False, RULES)


@given(st.integers(min_value=100, max_value=100_000_000), st.booleans())
def test_effective_rate_stays_between_5_and_15_percent(reward, enterprise):
    c = commission_fen(reward, enterprise, RULES)
    # within rounding (half a fen) of the 5 %–15 % band SPEC promises
    assert reward * Fraction(5, 100) - Fraction(1, 2) <= c <= reward * Fraction(15, 100) + Fraction(1, 2)


@given(rewards, st.booleans(),
       st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(1, 10_000_000))
def test_any_operator_configuration_keeps_the_invariants(reward, enterprise, std, ent, high, threshold):
    rules = Rules(commission_standard_bp=std, commission_enterprise_bp=ent, commission_high_tier_bp=high,
                  commission_high_tier_from_fen=threshold)
    c = commission_fen(reward, enterprise, rules)
    assert 0 <= c <= reward
    assert abs(c - exact(reward, enterprise, rules)) <= Fraction(1, 2)


def test_platform_tasks_pay_no_commission():
    assert split(50_000, False, RULES, platform_task=True).commission_fen == 0


@pytest.mark.parametrize("bad", [-1, 1.5, True, "100"])
def test_refuses_anything_but_non_negative_integer_fen(bad):
    with pytest.raises(ValueError):
        commission_fen(bad, False, RULES)


@pytest.mark.parametrize(("reward", "expected"), [
    (999_999, 100_000),  # 99,999.9 fen → 100,000 (half up)
    (1_000_000, 100_000),  # exactly the threshold: all at 10 %
    (1_000_001, 100_000),  # the fen above it at 5 %: 0.05 fen
    (1_000_010, 100_001),  # 0.5 fen, half up
    (100_000_000, 5_050_000),  # the max reward: 100,000 + 99,000,000 × 5 %
])
def test_enterprise_tier_boundaries(reward, expected):
    assert commission_fen(reward, True, RULES) == expected


def test_an_enterprise_rate_below_the_high_tier_applies_above_the_threshold_too():
    cheap = Rules(commission_enterprise_bp=300)  # 3 % < 5 %
    assert commission_fen(2_000_000, True, cheap) == 60_000  # 3 % of everything, not 3 % + 5 %
    assert commission_fen(2_000_000, False, cheap) == 200_000  # standard members unaffected


bps = st.integers(0, 10_000)


@given(rewards, bps, bps, bps, bps)
def test_raising_a_rate_never_lowers_the_commission(reward, std, more, high, more_high):
    low = Rules(commission_standard_bp=std, commission_high_tier_bp=high)
    dear = Rules(commission_standard_bp=min(std + more, 10_000), commission_high_tier_bp=min(high + more_high, 10_000))
    assert commission_fen(reward, False, low) <= commission_fen(reward, False, dear)


@given(rewards, st.integers(1, 100_000_000), st.integers(1, 100_000_000))
def test_a_higher_threshold_never_lowers_the_commission(reward, a, b):
    """The high tier is a discount (5 % ≤ 15 %): keeping more of the reward at the full rate can only cost more."""
    lower, higher = sorted((a, b))
    assert (commission_fen(reward, False, Rules(commission_high_tier_from_fen=higher))
            >= commission_fen(reward, False, Rules(commission_high_tier_from_fen=lower)))

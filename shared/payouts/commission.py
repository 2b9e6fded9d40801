"""The platform's commission on a released reward (SPEC "Money"). Pure: integer fen in, integer fen out.

    commission = round_half_up( min(reward, T) × rate  +  max(reward − T, 0) × min(high_rate, rate) )

with rate = 15 % (standard) or 10 % (the merchant is an enterprise member), T = ¥10,000 and high_rate = 5 % *(defaults,
in `Rules`, as basis points)*. Marginal, like a tax bracket: only the part above ¥10,000 is charged 5 %, so a bigger
reward never yields a smaller developer share. The upper part is never charged more than the member's own rate (an
operator who lowers the enterprise rate below 5 % does not make big rewards dearer).

Rounding: the exact commission is a multiple of 1/10,000 fen; it is rounded to the nearest fen, halves up (1.5 fen
→ 2 fen), once, on the whole sum — and is never more than the reward. Integer arithmetic only: no float ever touches
money. The developer's share is `reward − commission`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

BP = 10_000  # basis points in 100 %


class CommissionRules(Protocol):
    commission_standard_bp: int
    commission_enterprise_bp: int
    commission_high_tier_bp: int
    commission_high_tier_from_fen: int


def commission_fen(reward_fen: int, enterprise: bool, rules: CommissionRules) -> int:
    if isinstance(reward_fen, bool) or not isinstance(reward_fen, int) or reward_fen < 0:
        raise ValueError(f"reward must be a non-negative integer number of fen, got {reward_fen!r}")
    rate = rules.commission_enterprise_bp if enterprise else rules.commission_standard_bp
    high_rate = min(rules.commission_high_tier_bp, rate)
    threshold = rules.commission_high_tier_from_fen
    base, above = min(reward_fen, threshold), max(reward_fen - threshold, 0)
    exact_bp_fen = base * rate + above * high_rate  # commission × 10,000, exact
    rounded = (exact_bp_fen + BP // 2) // BP  # half up (all terms are non-negative)
    return min(rounded, reward_fen)


@dataclass(frozen=True)
class Split:
    """How a released amount divides: what the developer gets, what the platform keeps."""

    gross_fen: int
    commission_fen: int

    @property
    def share_fen(self) -> int:
        return self.gross_fen - self.commission_fen


def split(reward_fen: int, enterprise: bool, rules: CommissionRules, *, platform_task: bool = False) -> Split:
    """The release of `reward_fen`. A platform task (funded from the platform's own budget) pays no commission:
    charging it would only move the platform's money from budget to revenue and overstate revenue."""
    commission = 0 if platform_task else commission_fen(reward_fen, enterprise, rules)
    return Split(reward_fen, commission)

"""Operator-tunable business rules: SPEC's *(default)* numbers, overridable from the admin side without a deploy.

Defaults live in the `Rules` model; the `config_values` table holds only what operators changed. A use case loads
the rules once per unit of work (one small query).
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.errors import NotFound, ValidationFailed
from shared.http.messages import translate

if TYPE_CHECKING:
    from shared.uow import UnitOfWork


class LevelThreshold(BaseModel):
    """What a level asks for (growth): completed tasks, average rating, distinct merchants' good ratings, skill
    categories."""

    model_config = ConfigDict(extra="forbid")
    tasks: int = Field(0, ge=0, le=100_000, description="完成任务数下限")
    avg_rating: float = Field(0.0, ge=0, le=5, description="平均评分下限")
    merchants: int = Field(0, ge=0, le=100_000, description="给过好评的不同商家数下限")
    categories: int = Field(0, ge=0, le=100, description="技能类别数下限")


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Auth: SMS codes
    sms_code_ttl_seconds: int = Field(300, ge=60, le=3600)
    sms_max_attempts: int = Field(5, ge=1, le=20)
    sms_resend_seconds: int = Field(60, ge=10, le=3600)
    sms_daily_limit: int = Field(10, ge=1, le=100)
    # Applications
    daily_applications_free: int = Field(5, ge=1, le=1000)
    daily_applications_premium: int = Field(30, ge=1, le=1000)
    # The 48-hour feedback guarantee
    feedback_window_hours: int = Field(48, ge=1, le=24 * 14)
    feedback_reminder_hours: list[int] = Field(default_factory=lambda: [24, 40])
    no_response_compensation_points: int = Field(10, ge=0, le=10_000)
    # Delivery and acceptance
    max_revisions: int = Field(2, ge=0, le=10)
    auto_accept_days: int = Field(7, ge=1, le=60)
    # Commission (SPEC "Money"), in basis points (1 bp = 0.01 %) so rates stay integers: 15 % standard, 10 % for
    # enterprise members, 5 % on the part of a reward above ¥10,000. See shared/payouts/commission.py.
    commission_standard_bp: int = Field(1500, ge=0, le=10_000)
    commission_enterprise_bp: int = Field(1000, ge=0, le=10_000)
    commission_high_tier_bp: int = Field(500, ge=0, le=10_000)
    commission_high_tier_from_fen: int = Field(1_000_000, ge=1)
    # Payouts (merchant transfers): unconfirmed for this long the transfer is cancelled and the money returns to the
    # payable balance; a failed transfer is retried automatically this many times in all, backing off from the delay.
    payout_confirm_hours: int = Field(24, ge=1, le=24 * 30)
    payout_max_attempts: int = Field(3, ge=1, le=10)
    payout_retry_minutes: int = Field(30, ge=1, le=24 * 60)
    # Tasks
    min_reward_fen: int = Field(100, ge=1)
    max_reward_fen: int = Field(100_000_000, ge=1)
    # No task opens unfunded: approval leads to awaiting_funding until the escrow is paid (shared/payments).
    escrow_required: bool = True
    # Cold start: developers use core features free for 3 months after launch.
    launch_date: date = date(2026, 1, 1)
    # Fees and subscriptions (shared/billing). Prices are per month, integer fen.
    free_period_months: int = Field(3, ge=0, le=24)
    enterprise_price_fen: int = Field(19_900, ge=1)
    growth_pass_price_fen: int = Field(4_900, ge=1)
    premium_price_fen: int = Field(1_990, ge=1)
    membership_reminder_days: int = Field(3, ge=1, le=30)
    # Promotion (置顶推荐): days -> price in fen; the keys are the durations a merchant can buy.
    promotion_prices_fen: dict[int, int] = Field(default_factory=lambda: {1: 3_000, 3: 5_000, 7: 8_000})

    # Growth (shared/growth, docs/GROWTH.md). Skill points per tag = difficulty weight × rating factor (basis points,
    # keyed by the lowest stars they apply from: SPEC ≥ 4 ×1, 3 ×0.5, below 3 nothing).
    growth_difficulty_weights: dict[int, int] = Field(default_factory=lambda: {1: 2, 2: 4, 3: 6, 4: 8, 5: 10})
    growth_rating_factors_bp: dict[int, int] = Field(default_factory=lambda: {1: 0, 3: 5_000, 4: 10_000})
    # XP: a rated task earns stars × difficulty × task_per_star_difficulty; a challenge its own xp × challenge_bp;
    # an accepted mentor review mentor_review (+ mentor_letter with a recommendation letter).
    growth_xp_table: dict[str, int] = Field(default_factory=lambda: {
        "task_per_star_difficulty": 10, "challenge_bp": 10_000, "mentor_review": 50, "mentor_letter": 20})
    # Levels S/A/B/C (C needs nothing): completed tasks, average rating, distinct merchants with a good rating
    # (≥ growth_good_rating stars), skill categories. Demotion below demotion_buffer_bp of a threshold, after grace.
    growth_level_thresholds: dict[str, LevelThreshold] = Field(default_factory=lambda: {
        "B": LevelThreshold(tasks=3, avg_rating=4.0),
        "A": LevelThreshold(tasks=10, avg_rating=4.5, merchants=3, categories=2),
        "S": LevelThreshold(tasks=30, avg_rating=4.7, merchants=10, categories=2),  # S keeps A's breadth
    })
    growth_good_rating: int = Field(4, ge=1, le=5)
    growth_demotion_buffer_bp: int = Field(9_000, ge=0, le=10_000)
    growth_demotion_grace_days: int = Field(14, ge=0, le=365)
    # Points (成长积分): a daily cap per source class (Asia/Shanghai days); classes not listed are not capped, and
    # paid work, operator grants and reversals never are.
    growth_points_daily_caps: dict[str, int] = Field(default_factory=lambda: {"challenge": 200})
    # Fair play: the n-th rated task from the same merchant within the window counts decay^(n-1).
    growth_repeat_merchant_window_days: int = Field(30, ge=1, le=365)
    growth_repeat_merchant_decay_bp: int = Field(5_000, ge=0, le=10_000)
    # The hall's `match` sort: weights of skill fit and level fit, the skill points at which a tag counts as fully
    # mastered, and the difficulty that suits each level.
    growth_match_skill_weight_bp: int = Field(7_000, ge=0, le=10_000)
    growth_match_level_weight_bp: int = Field(3_000, ge=0, le=10_000)
    growth_match_full_skill_points: int = Field(100, ge=1, le=100_000)
    growth_match_level_difficulty: dict[str, int] = Field(default_factory=lambda: {"C": 2, "B": 3, "A": 4, "S": 5})
    # Merchants' applicants ranked by fit: the task's match to the applicant, their rating, their reliability
    # (completed tasks, full at growth_fit_full_completed).
    growth_fit_match_weight_bp: int = Field(6_000, ge=0, le=10_000)
    growth_fit_rating_weight_bp: int = Field(2_500, ge=0, le=10_000)
    growth_fit_reliability_weight_bp: int = Field(1_500, ge=0, le=10_000)
    growth_fit_full_completed: int = Field(10, ge=1, le=10_000)

    @field_validator("growth_difficulty_weights")
    @classmethod
    def _difficulty_weights(cls, v: dict[int, int]) -> dict[int, int]:
        if set(v) != {1, 2, 3, 4, 5} or any(w < 0 or w > 10_000 for w in v.values()):
            raise ValueError("难度权重须为难度 1–5 各一个 0–10000 的整数")
        return v

    @field_validator("growth_rating_factors_bp")
    @classmethod
    def _rating_factors(cls, v: dict[int, int]) -> dict[int, int]:
        if not v or any(not 1 <= s <= 5 or not 0 <= f <= 10_000 for s, f in v.items()):
            raise ValueError("评分系数须为 1–5 星对应 0–10000 的基点")
        return v

    @field_validator("growth_xp_table")
    @classmethod
    def _xp_table(cls, v: dict[str, int]) -> dict[str, int]:
        keys = {"task_per_star_difficulty", "challenge_bp", "mentor_review", "mentor_letter"}
        if set(v) != keys or any(not 0 <= x <= 1_000_000 for x in v.values()):
            raise ValueError(f"经验值表须包含且仅包含 {'、'.join(sorted(keys))}，值为 0–1000000")
        return v

    @field_validator("growth_level_thresholds")
    @classmethod
    def _levels(cls, v: dict[str, LevelThreshold]) -> dict[str, LevelThreshold]:
        if set(v) != {"B", "A", "S"}:
            raise ValueError("等级门槛须包含 B、A、S 三级")
        for lower, higher in ((v["B"], v["A"]), (v["A"], v["S"])):
            if (higher.tasks < lower.tasks or higher.avg_rating < lower.avg_rating
                    or higher.merchants < lower.merchants or higher.categories < lower.categories):
                raise ValueError("高等级的每项门槛都不能低于低等级")
        return v

    @field_validator("growth_points_daily_caps")
    @classmethod
    def _caps(cls, v: dict[str, int]) -> dict[str, int]:
        from shared.growth.rules import SOURCE_CLASSES, UNCAPPED

        bad = [k for k in v if k not in SOURCE_CLASSES or k in UNCAPPED]
        if bad or any(c < 0 for c in v.values()):
            raise ValueError(f"不能设置每日上限的积分来源：{'、'.join(bad) or '负数上限'}"
                             "（付费工作、运营调整与冲正不设上限）")
        return v

    @field_validator("growth_match_level_difficulty")
    @classmethod
    def _level_difficulty(cls, v: dict[str, int]) -> dict[str, int]:
        if set(v) != {"C", "B", "A", "S"} or any(not 1 <= d <= 5 for d in v.values()):
            raise ValueError("每个等级（C/B/A/S）须对应 1–5 的难度")
        return v

    @field_validator("promotion_prices_fen")
    @classmethod
    def _promotion_prices(cls, v: dict[int, int]) -> dict[int, int]:
        if not v or any(not 1 <= days <= 90 or price < 1 for days, price in v.items()):
            raise ValueError("置顶推荐价格表须为 1–90 天对应正整数分")
        return v


def load_rules(uow: UnitOfWork) -> Rules:
    """The rules in force, read once per unit of work (many steps of one use case ask for them)."""
    cached = uow.memo.get("rules")
    if cached is None:
        rows = uow.execute("SELECT key, value FROM config_values").all()
        overrides = {r.key: r.value for r in rows if r.key in Rules.model_fields}
        cached = uow.memo["rules"] = Rules.model_validate({**Rules().model_dump(), **overrides})
    return cached


def set_rule(uow: UnitOfWork, key: str, value: Any, *, admin_id: int) -> Rules:
    if key not in Rules.model_fields:
        raise NotFound("UNKNOWN_RULE", f"没有名为 {key} 的配置项")
    previous = load_rules(uow)
    current = previous.model_dump(mode="json")
    current[key] = value
    try:
        # Strict, as request bodies are (shared/http/router.py): "3" is not a number of revisions, "true" not a flag.
        rules = Rules.model_validate_json(json.dumps(current), strict=True)
    except ValidationError as exc:
        raise ValidationFailed(translate(exc.errors(include_url=False))) from None
    uow.execute(
        "INSERT INTO config_values (key, value, updated_by, updated_at) VALUES (:k, CAST(:v AS jsonb), :by, :now)"
        " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by,"
        " updated_at = EXCLUDED.updated_at",
        {"k": key, "v": json.dumps(rules.model_dump(mode="json")[key]), "by": admin_id, "now": uow.now},
    )
    from shared.events import AdminAudited  # every module loads the rules; only this write needs the events

    uow.publish(AdminAudited(admin_id=admin_id, action="rule.change", entity_name="config", entity_id=0,
                             before={key: previous.model_dump(mode="json")[key]},
                             after={key: rules.model_dump(mode="json")[key]}))
    uow.memo["rules"] = rules
    return rules

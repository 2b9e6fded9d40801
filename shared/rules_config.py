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

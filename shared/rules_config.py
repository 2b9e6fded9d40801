"""Operator-tunable business rules: SPEC's *(default)* numbers, overridable from the admin side without a deploy.

Defaults live in the `Rules` model; the `config_values` table holds only what operators changed. A use case loads
the rules once per unit of work (one small query).
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    # Tasks
    min_reward_fen: int = Field(100, ge=1)
    max_reward_fen: int = Field(100_000_000, ge=1)
    escrow_required: bool = False
    # Cold start: developers use core features free for 3 months after launch.
    launch_date: date = date(2026, 1, 1)


def load_rules(uow: UnitOfWork) -> Rules:
    rows = uow.execute("SELECT key, value FROM config_values").all()
    overrides = {r.key: r.value for r in rows if r.key in Rules.model_fields}
    return Rules.model_validate({**Rules().model_dump(), **overrides})


def set_rule(uow: UnitOfWork, key: str, value: Any, *, admin_id: int) -> Rules:
    if key not in Rules.model_fields:
        raise NotFound("UNKNOWN_RULE", f"没有名为 {key} 的配置项")
    current = load_rules(uow).model_dump()
    current[key] = value
    try:
        rules = Rules.model_validate(current)
    except ValidationError as exc:
        raise ValidationFailed(translate(exc.errors(include_url=False))) from None
    uow.execute(
        "INSERT INTO config_values (key, value, updated_by, updated_at) VALUES (:k, CAST(:v AS jsonb), :by, :now)"
        " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by,"
        " updated_at = EXCLUDED.updated_at",
        {"k": key, "v": json.dumps(rules.model_dump(mode="json")[key]), "by": admin_id, "now": uow.now},
    )
    uow.record("config", 0, "rule_changed", actor_id=admin_id, data={"key": key, "value": value})
    return rules

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from shared.columns import jsonb, text_array, timestamp


class DeveloperProfile(SQLModel, table=True):
    __tablename__ = "developer_profiles"

    user_id: int = Field(primary_key=True)
    display_name: str = ""
    headline: str = ""
    bio: str = ""
    city: str = ""
    years_experience: int = 0
    skills: list[str] = text_array()
    links: list[dict[str, Any]] = jsonb()
    experience: list[dict[str, Any]] = jsonb()
    public_fields: list[str] = text_array()
    rating_count: int = 0
    rating_sum: int = 0
    completed_tasks: int = 0
    points_balance: int = 0
    # The payee's real name for transfers from ¥2,000 (0004_payouts). Private: never on the resume card or in an
    # application snapshot; only its owner sees it, masked.
    real_name: str | None = None
    real_name_updated_at: datetime | None = timestamp(nullable=True)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class MerchantProfile(SQLModel, table=True):
    __tablename__ = "merchant_profiles"

    user_id: int = Field(primary_key=True)
    name: str = ""
    company: str = ""
    description: str = ""
    rating_count: int = 0
    rating_sum: int = 0
    responses_due: int = 0
    responses_on_time: int = 0
    tasks_approved: int = 0
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()

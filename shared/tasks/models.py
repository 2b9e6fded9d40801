from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from shared.columns import text_array, timestamp


class Task(SQLModel, table=True):
    __tablename__ = "tasks"

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: int
    title: str
    description: str
    skill_tags: list[str] = text_array()
    difficulty: int
    reward_fen: int
    deadline: datetime = timestamp()
    status: str
    is_platform: bool = False
    review_reason: str | None = None
    moderation_label: str | None = None
    assignee_id: int | None = None
    revision_count: int = 0
    applications_count: int = 0
    published_at: datetime | None = timestamp(nullable=True)
    delivered_at: datetime | None = timestamp(nullable=True)
    completed_at: datetime | None = timestamp(nullable=True)
    closed_at: datetime | None = timestamp(nullable=True)
    funded_at: datetime | None = timestamp(nullable=True)  # escrow first funded (0003_payments)
    promoted_until: datetime | None = timestamp(nullable=True)  # ranks first in the hall until then
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    version: int = 1

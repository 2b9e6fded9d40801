from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from shared.columns import jsonb, timestamp


class Delivery(SQLModel, table=True):
    __tablename__ = "deliveries"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int
    developer_id: int
    round: int
    content: str
    links: list[dict[str, Any]] = jsonb()
    decision: str | None = None
    decision_note: str | None = None
    decided_at: datetime | None = timestamp(nullable=True)
    created_at: datetime = timestamp()


class Rating(SQLModel, table=True):
    __tablename__ = "ratings"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int
    rater_id: int
    ratee_id: int
    direction: str
    stars: int
    comment: str = ""
    created_at: datetime = timestamp()

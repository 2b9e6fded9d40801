from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from shared.columns import jsonb, timestamp


class Application(SQLModel, table=True):
    __tablename__ = "applications"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int
    developer_id: int
    note: str = ""
    resume_snapshot: dict[str, Any] = jsonb(dict)
    status: str = "submitted"
    reject_reason: str | None = None
    created_at: datetime = timestamp()
    due_at: datetime = timestamp()
    responded_at: datetime | None = timestamp(nullable=True)
    reminded_24_at: datetime | None = timestamp(nullable=True)
    reminded_40_at: datetime | None = timestamp(nullable=True)
    closed_at: datetime | None = timestamp(nullable=True)
    updated_at: datetime = timestamp()

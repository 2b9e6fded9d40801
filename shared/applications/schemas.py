from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task_id: int = Field(gt=0)
    note: str = Field("", max_length=500, description="给商家的附言（可选）")


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=2, max_length=200, description="拒绝理由，会告知开发者")


class ApplicationOut(BaseModel):
    id: int
    task_id: int
    task_title: str | None = None
    developer_id: int
    note: str
    status: str
    status_name: str
    reject_reason: str | None
    created_at: datetime
    due_at: datetime
    responded_at: datetime | None
    resume: dict[str, Any] | None = Field(None, description="投递时的简历卡片快照（仅商家可见）")


class ApplicationList(BaseModel):
    items: list[ApplicationOut]
    next_cursor: str | None


class ApplicantsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task_id: int = Field(gt=0)
    status: str | None = Field(None, max_length=20)
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(20, ge=1, le=100)


class MyApplicationsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(20, ge=1, le=50)


class ApplyQuota(BaseModel):
    used_today: int
    daily_cap: int
    premium: bool

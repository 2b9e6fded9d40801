from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.credit.schemas import Reputation


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
    fit_score: int | None = Field(None, description="与任务的匹配度（0–10000，仅 sort=fit）", examples=[7200])
    fit_reasons: list[str] = Field(default_factory=list, description="匹配理由（至多两条，仅 sort=fit）",
                                   examples=[["Python 技能 80 分", "评分 4.8（12 次）"]])
    reliability: Reputation | None = Field(
        None, description="投递者的可靠度：信用分、完成率、评价、纠纷与站外联系记录（仅商家查看投递者时）")


class ApplicationList(BaseModel):
    items: list[ApplicationOut]
    next_cursor: str | None


class ApplicantsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task_id: int = Field(gt=0)
    status: str | None = Field(None, max_length=20)
    sort: Literal["applied", "fit"] = Field("applied",
                                            description="排序：applied 投递先后、fit 匹配度（技能、评分、可靠性）")
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

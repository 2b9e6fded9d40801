from __future__ import annotations

from datetime import datetime

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field


class DeliveryLink(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=60)
    url: AnyHttpUrl


class DeliverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: str = Field(min_length=5, max_length=10000, description="交付说明")
    links: list[DeliveryLink] = Field(default_factory=list, max_length=20, description="代码仓库、文件、演示链接")


class RevisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=2, max_length=2000, description="需要修改的内容")


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field("", max_length=500)


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stars: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=500)


class DeliveryOut(BaseModel):
    id: int
    task_id: int
    round: int
    content: str
    links: list[dict]
    decision: str | None
    decision_note: str | None
    decided_at: datetime | None
    created_at: datetime


class RatingOut(BaseModel):
    id: int
    task_id: int
    rater_id: int
    ratee_id: int
    direction: str
    stars: int
    comment: str
    created_at: datetime


class WorkState(BaseModel):
    task_id: int
    status: str
    revision_count: int
    max_revisions: int
    auto_accept_at: datetime | None = Field(None, description="无人验收时自动验收的时间")
    deliveries: list[DeliveryOut]
    ratings: list[RatingOut]

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.credit.schemas import Reputation
from shared.http.fields import Timestamp


def _tags(value: object) -> object:
    if isinstance(value, str):
        return [t for t in (p.strip() for p in value.split(",")) if t]
    return value


class MilestoneIn(BaseModel):
    """One part of a milestone task, funded (and released) separately (shared/payments/milestones.py)."""
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=2, max_length=60)
    reward_fen: int = Field(gt=0, description="该里程碑赏金，单位：分")


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=4, max_length=80)
    description: str = Field(min_length=10, max_length=5000)
    skill_tags: list[str] = Field(min_length=1, max_length=8)
    difficulty: int = Field(ge=1, le=5)
    reward_fen: int = Field(gt=0, description="赏金，单位：分")
    deadline: Timestamp
    milestones: list[MilestoneIn] | None = Field(
        None, max_length=10, description="分里程碑（可选，2–10 个，赏金之和须等于 reward_fen；每个单独托管）")
    is_platform: bool = Field(False, description="平台任务（仅管理员；由平台预算托管）")

    @field_validator("title", "description")
    @classmethod
    def _strip(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("不能为空")
        return v


class TaskUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, min_length=4, max_length=80)
    description: str | None = Field(None, min_length=10, max_length=5000)
    skill_tags: list[str] | None = Field(None, min_length=1, max_length=8)
    difficulty: int | None = Field(None, ge=1, le=5)
    reward_fen: int | None = Field(None, gt=0)
    deadline: Timestamp | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> TaskUpdate:
        if not self.model_fields_set:
            raise ValueError("至少修改一个字段")
        return self


class CancelTask(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=200)


class TaskOut(BaseModel):
    id: int
    merchant_id: int
    title: str
    description: str
    skill_tags: list[str]
    difficulty: int
    reward_fen: int
    deadline: datetime
    status: str
    status_name: str
    review_reason: str | None = None
    assignee_id: int | None = None
    revision_count: int
    applications_count: int
    published_at: datetime | None
    created_at: datetime
    is_platform: bool = False
    funded_at: datetime | None = Field(None, description="赏金托管时间；为空表示尚未托管")
    merchant_name: str | None = None
    merchant_response_rate: float | None = None
    merchant_reputation: Reputation | None = Field(
        None, description="商家信誉：响应率、答复与付款时长中位数、纠纷率、已付款任务数（任务详情）")


class TaskCard(BaseModel):
    """A task as the hall lists it."""
    id: int
    title: str
    skill_tags: list[str]
    difficulty: int
    reward_fen: int
    deadline: datetime
    published_at: datetime
    applications_count: int
    merchant_id: int
    merchant_name: str
    merchant_response_rate: float | None
    merchant_reputation: Reputation | None = Field(
        None, description="商家信誉：响应率、答复与付款时长中位数、纠纷率、已付款任务数")
    promoted: bool = Field(False, description="置顶推荐中（排在大厅最前）")
    match_score: int | None = Field(None, description="与我的匹配度（0–10000，仅 sort=match）", examples=[7600])
    match_reasons: list[str] = Field(default_factory=list, description="匹配理由（至多两条，仅 sort=match）",
                                     examples=[["Python 技能 80 分", "难度适合"]])


class HallQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tags: list[str] = Field(default_factory=list, max_length=10, description="技能标签，逗号分隔")
    tag_mode: Literal["any", "all"] = "any"
    difficulty_min: int = Field(1, ge=1, le=5)
    difficulty_max: int = Field(5, ge=1, le=5)
    reward_min: int | None = Field(None, ge=0, description="最低赏金（分）")
    reward_max: int | None = Field(None, ge=0, description="最高赏金（分）")
    deadline_after: Timestamp | None = None
    deadline_before: Timestamp | None = None
    sort: Literal["newest", "reward", "deadline", "match"] = Field(
        "newest", description="排序：newest 最新、reward 赏金、deadline 截止时间、match 匹配我（技能与等级，需登录）")
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(20, ge=1, le=50)

    _split = field_validator("tags", mode="before")(classmethod(lambda cls, v: _tags(v)))

    @model_validator(mode="after")
    def _ranges(self) -> HallQuery:
        if self.difficulty_min > self.difficulty_max:
            raise ValueError("难度下限不能大于上限")
        if self.reward_min is not None and self.reward_max is not None and self.reward_min > self.reward_max:
            raise ValueError("赏金下限不能大于上限")
        return self


class HallPage(BaseModel):
    items: list[TaskCard]
    next_cursor: str | None = Field(description="下一页游标；为 null 表示没有更多")


class MyTasksQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str | None = Field(None, max_length=30)
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(20, ge=1, le=50)


class TaskList(BaseModel):
    items: list[TaskOut]
    next_cursor: str | None


class ReviewDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=200)


class RejectTask(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=2, max_length=200)

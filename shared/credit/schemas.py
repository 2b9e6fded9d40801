"""Shapes other areas show of a credit profile (task cards and pages, applicant lists)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Reputation(BaseModel):
    """A user's reputation as the other side sees it (merchant for developers, applicant for merchants)."""

    score: int = Field(description="信用分（0–100）")
    level: str = Field(description="信用等级：优秀 / 良好 / 一般 / 较差")
    response_rate: float | None = Field(None, description="48 小时响应率（0–1；尚无应答记录时为空）")
    median_answer_hours: float | None = Field(None, description="投递后首次答复的中位时长（小时）")
    median_pay_hours: float | None = Field(None, description="交付到验收付款的中位时长（小时）")
    dispute_rate: float | None = Field(None, description="纠纷率（纠纷数 ÷ 已交付任务数）")
    tasks_paid: int = Field(0, description="已验收付款的任务数（商家）")
    tasks_completed: int = Field(0, description="已完成的任务数（开发者）")
    completion_rate: float | None = Field(None, description="被指派任务的完成率（开发者）")
    rating_average: float | None = Field(None, description="收到评价的平均分")
    rating_count: int = Field(0, description="收到评价的次数")
    off_platform_flags: int = Field(0, description="聊天中被标记的站外联系次数")
    disputes_lost: int = Field(0, description="裁决对其不利的纠纷数")

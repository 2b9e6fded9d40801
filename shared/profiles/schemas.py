from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from shared.growth.schemas import PublicGrowthOut

PublicField = Literal["display_name", "headline", "bio", "city", "years_experience", "skills", "links",
                      "experience", "rating", "completed_tasks"]


DEFAULT_PUBLIC_FIELDS: tuple[PublicField, ...] = ("display_name", "headline", "skills", "rating", "completed_tasks")


class Link(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=40)
    url: AnyHttpUrl


class Experience(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=60, description="职位或项目名")
    organization: str = Field("", max_length=60)
    start: date
    end: date | None = None
    description: str = Field("", max_length=1000)


class DeveloperProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str = Field(min_length=1, max_length=30)
    headline: str = Field("", max_length=60)
    bio: str = Field("", max_length=2000)
    city: str = Field("", max_length=30)
    years_experience: int = Field(0, ge=0, le=60)
    skills: list[str] = Field(min_length=1, max_length=20)
    links: list[Link] = Field(default_factory=list, max_length=10)
    experience: list[Experience] = Field(default_factory=list, max_length=20)
    public_fields: list[PublicField] = Field(default_factory=lambda: list(DEFAULT_PUBLIC_FIELDS))
    real_name: str | None = Field(None, min_length=2, max_length=30,
                                  description="收款实名（单笔 2000 元起的转账使用，永不公开）；不填则保持不变")


class SkillOut(BaseModel):
    slug: str
    name: str
    category: str


class DeveloperProfileOut(BaseModel):
    user_id: int
    display_name: str
    headline: str
    bio: str
    city: str
    years_experience: int
    skills: list[SkillOut]
    links: list[dict]
    experience: list[dict]
    public_fields: list[str]
    rating_average: float | None
    rating_count: int
    completed_tasks: int
    points_balance: int
    complete: bool = Field(description="简历卡片是否已填写完整")


class ResumeCardOut(BaseModel):
    """The public resume card: only what the developer chose to show."""
    user_id: int
    display_name: str | None = None
    headline: str | None = None
    bio: str | None = None
    city: str | None = None
    years_experience: int | None = None
    skills: list[SkillOut] | None = None
    links: list[dict] | None = None
    experience: list[dict] | None = None
    rating_average: float | None = None
    rating_count: int | None = None
    completed_tasks: int | None = None
    growth: PublicGrowthOut | None = Field(None, description="成长：等级、经验值与技能图谱（公开技能时显示）")


class MerchantProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=40)
    company: str = Field("", max_length=60)
    description: str = Field("", max_length=2000)


class MerchantProfileOut(BaseModel):
    user_id: int
    name: str
    company: str
    description: str
    rating_average: float | None
    rating_count: int
    response_rate: float | None = Field(description="48 小时内响应率（0–1），尚无数据时为 null")


class SkillCategoryOut(BaseModel):
    slug: str
    name: str
    skills: list[SkillOut]


class RealNameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    real_name: str = Field(min_length=2, max_length=30, description="与微信实名一致的姓名（单笔 2000 元起的转账使用）")


class RealNameOut(BaseModel):
    """The owner's view of their payee name: masked, never in full (it is not shown anywhere else at all)."""
    has_real_name: bool
    real_name_masked: str | None
    updated_at: datetime | None

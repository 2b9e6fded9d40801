"""Request and response bodies of the growth routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.badges.schemas import HeldBadgeOut, TitleOut


class SkillPointsOut(BaseModel):
    skill: str = Field(description="技能标签", examples=["python"])
    name: str = Field(description="技能名称", examples=["Python"])
    category: str = Field(description="技能类别", examples=["backend"])
    points: int = Field(description="技能分", examples=[80])


class CategoryPointsOut(BaseModel):
    category: str = Field(description="技能类别", examples=["backend"])
    name: str = Field(description="类别名称", examples=["后端"])
    points: int = Field(description="该类别技能分合计", examples=[120])


class MonthOut(BaseModel):
    month: str = Field(description="月份（北京时间）", examples=["2026-12"])
    skill_points: int = Field(description="当月获得的技能分", examples=[24])
    xp: int = Field(description="当月获得的经验值", examples=[300])
    categories: dict[str, int] = Field(description="当月各类别技能分", examples=[{"backend": 16, "frontend": 8}])


class LevelOut(BaseModel):
    level: str = Field(description="当前等级（C/B/A/S）", examples=["B"])
    since: datetime | None = Field(description="获得当前等级的时间")
    next_level: str | None = Field(description="下一等级（已是 S 则为空）", examples=["A"])
    missing: list[str] = Field(description="升到下一等级还差什么", examples=[["还差 2 个不同商家的好评"]])
    tasks: int = Field(description="计入等级的完成任务数", examples=[8])
    avg_rating: float | None = Field(description="平均评分", examples=[4.6])
    merchants: int = Field(description="给过好评的不同商家数", examples=[1])
    categories: int = Field(description="有技能分的技能类别数", examples=[2])
    at_risk: bool = Field(description="已低于当前等级门槛的 90%，宽限期内未恢复将降级", examples=[False])


class PointsEntryOut(BaseModel):
    id: int = Field(description="积分记录 ID", examples=[101])
    delta: int = Field(description="实际变动的积分（冲正为负）", examples=[50])
    requested: int = Field(description="来源申请的积分（受每日上限前）", examples=[100])
    source_class: str = Field(description="来源类别：challenge/checkin/compensation/invitation/community/work/admin/"
                                          "reversal", examples=["challenge"])
    kind: str = Field(description="来源类型", examples=["challenge"])
    ref: str = Field(description="来源业务编号", examples=["challenge:weekly:2026-W49"])
    reason: str = Field(description="原因（展示给用户）", examples=["完成挑战「每周成长挑战」"])
    reverses_id: int | None = Field(description="冲正的原记录 ID", examples=[None])
    created_at: datetime = Field(description="记录时间")


class PointsPage(BaseModel):
    balance: int = Field(description="积分余额", examples=[230])
    history: list[PointsEntryOut] = Field(description="积分明细（新的在前）")
    next_cursor: str | None = Field(description="下一页游标（没有更多则为空）")


class PointsHistoryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: str | None = Field(None, max_length=200, description="分页游标")
    limit: int = Field(20, ge=1, le=50, description="每页条数")


class PointsHistoryOut(BaseModel):
    items: list[PointsEntryOut] = Field(description="积分明细（新的在前）")
    next_cursor: str | None = Field(description="下一页游标（没有更多则为空）")


class GrowthMeOut(BaseModel):
    user_id: int = Field(description="用户 ID", examples=[1001])
    xp: int = Field(description="经验值", examples=[360])
    level: LevelOut = Field(description="等级与升级差距")
    skills: list[SkillPointsOut] = Field(description="技能图谱（按技能分从高到低）")
    categories: list[CategoryPointsOut] = Field(description="技能类别汇总（按分从高到低）")
    monthly: list[MonthOut] = Field(description="月度成长（新的在前，最近 12 个月）")
    points: PointsPage = Field(description="成长积分与明细第一页")
    badges: list[HeldBadgeOut] = Field(description="持有的徽章（最新在前；由徽章模块提供）")
    title: str | None = Field(None, description="佩戴的头衔名称（未佩戴为空）", examples=["稳定输出者"])
    title_badge: TitleOut | None = Field(None, description="佩戴的头衔（徽章标识与名称；未佩戴为空）")


class PublicGrowthOut(BaseModel):
    """The growth part of the public resume card."""
    level: str = Field(description="等级（C/B/A/S）", examples=["A"])
    xp: int = Field(description="经验值", examples=[1200])
    categories: list[CategoryPointsOut] = Field(description="技能类别汇总")
    top_skills: list[SkillPointsOut] = Field(description="技能分最高的技能（至多 5 个）")
    badges: list[HeldBadgeOut] = Field(default_factory=list, description="持有的徽章（最新在前）")
    title: str | None = Field(None, description="佩戴的头衔名称（未佩戴为空）", examples=["稳定输出者"])


class PointsAdjustIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: int = Field(ge=1, description="用户 ID", examples=[1001])
    delta: int = Field(ge=-100_000, le=100_000, description="发放（正）或扣除（负）的积分", examples=[80])
    reason: str = Field(min_length=2, max_length=200, description="原因（用户可见，记入审计）",
                        examples=["社区活动奖励"])
    request_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$",
                            description="请求编号：同一编号重复提交只发放一次", examples=["ops-20261204-001"])

    @field_validator("delta")
    @classmethod
    def _not_zero(cls, v: int) -> int:
        if v == 0:
            raise ValueError("积分变动不能为 0")
        return v


class ReverseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=2, max_length=200, description="冲正原因（用户可见，记入审计）",
                        examples=["误发，冲正"])


class PointsGrantOut(BaseModel):
    entry_id: int = Field(description="积分记录 ID", examples=[101])
    delta: int = Field(description="实际变动的积分", examples=[80])


class TaskReversalOut(BaseModel):
    skills: int = Field(description="冲正的技能分条目数", examples=[2])
    xp: int = Field(description="冲正的经验值", examples=[-200])


class FairPlayFlagOut(BaseModel):
    merchant_id: int = Field(description="商家用户 ID", examples=[2001])
    developer_id: int = Field(description="开发者用户 ID", examples=[1001])
    reasons: list[str] = Field(description="判定为同一人的依据", examples=[["相同手机号"]])
    first_task_id: int = Field(description="首次发现的任务 ID", examples=[5001])
    tasks: int = Field(description="涉及的任务数", examples=[1])
    created_at: datetime = Field(description="首次发现时间")


class FairPlayFlagsOut(BaseModel):
    items: list[FairPlayFlagOut] = Field(description="疑似同一人的商家与开发者（新的在前）")

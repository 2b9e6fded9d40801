"""Request and response bodies of the `challenges`, `checkin` and `lottery` routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

WEEKLY_EXAMPLE: dict[str, Any] = {
    "window": {"kind": "weekly"},
    "rule": {"combine": "any", "conditions": [
        {"key": "task_done", "label": "完成 1 个任务", "event": "TaskCompleted", "user_field": "developer_id",
         "count": 1},
        {"key": "post", "label": "发布 1 篇社区帖子", "event": "PostPublished", "user_field": "author_id",
         "count": 1}]},
    "rewards": {"points": 50, "xp": 20, "badge_key": None, "title_key": None, "lottery_entries": 1, "unlocks": [],
                "cash_fen": 0},
    "requires_growth_pass": False,
}


class ConditionOut(BaseModel):
    key: str = Field(description="条件标识")
    label: str = Field(description="条件说明")
    count: int = Field(description="已计入的事件数（最多到 need）")
    need: int = Field(description="需要的事件数")
    met: bool = Field(description="条件是否已达成")


class RewardsOut(BaseModel):
    points: int = Field(description="成长积分")
    xp: int = Field(description="经验值")
    badge_key: str | None = Field(description="徽章标识")
    title_key: str | None = Field(description="称号标识")
    lottery_entries: int = Field(description="月度抽奖次数")
    unlocks: list[str] = Field(description="解锁功能：skill_graph 技能图谱 / resume 履历生成")
    cash_fen: int = Field(description="现金奖励，单位：分（由平台预算账户支付）")


class ChallengeProgress(BaseModel):
    key: str = Field(description="挑战标识")
    name: str = Field(description="挑战名称")
    description: str = Field(description="挑战说明")
    window_kind: Literal["registration", "daily", "weekly", "monthly"] = Field(
        description="周期：registration 注册后第几天 / daily / weekly / monthly（北京时间）")
    window: str = Field(description="周期标识，如 reg:0-7、2026-W49、2026-12")
    starts_at: datetime = Field(description="周期开始时间")
    ends_at: datetime = Field(description="周期结束时间（不含）")
    status: Literal["running", "completed", "upcoming", "expired", "locked"] = Field(
        description="running 进行中 / completed 已完成 / upcoming 未开始 / expired 已结束 / locked 需成长通行证")
    done: int = Field(description="已达成的条件数")
    total: int = Field(description="需要达成的条件数")
    summary: str = Field(description="进度文案，如「2/3 已完成」")
    completed_at: datetime | None = Field(description="完成时间")
    conditions: list[ConditionOut] = Field(description="各条件进度")
    rewards: RewardsOut = Field(description="奖励")
    requires_growth_pass: bool = Field(description="是否需要成长通行证")


class MyChallenges(BaseModel):
    items: list[ChallengeProgress] = Field(description="我的挑战（当前周期）")


class ChallengeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=40, description="挑战名称", examples=["每周成长挑战"])
    description: str = Field("", max_length=200, description="挑战说明",
                             examples=["本周完成 1 个任务，或发布 1 篇社区帖子"])
    definition: dict[str, Any] = Field(description="挑战定义：window 周期、rule 条件（all/any 与次数）、rewards 奖励、"
                                                   "requires_growth_pass（见 docs/CHALLENGES.md）",
                                       examples=[WEEKLY_EXAMPLE])
    active: bool = Field(True, description="是否启用")
    position: int = Field(0, ge=0, le=1000, description="展示顺序")
    reason: str = Field("", max_length=200, description="修改原因（记入审计日志）", examples=["调整每周挑战奖励"])


class ChallengeAdminOut(BaseModel):
    key: str = Field(description="挑战标识")
    name: str = Field(description="挑战名称")
    description: str = Field(description="挑战说明")
    definition: dict[str, Any] = Field(description="挑战定义", examples=[WEEKLY_EXAMPLE])
    active: bool = Field(description="是否启用")
    position: int = Field(description="展示顺序")
    version: int = Field(description="版本号（每次修改加一；进行中的周期保留开启时的版本）")


class ChallengeAdminList(BaseModel):
    items: list[ChallengeAdminOut] = Field(description="全部挑战")


# ------------------------------------------------------------------------------------------------ check-in


class CheckinStatus(BaseModel):
    today: date = Field(description="今天（北京时间）")
    checked_in_today: bool = Field(description="今天是否已签到")
    streak: int = Field(description="连续签到天数（今天签到可延续时为当前值，已中断为 0）")
    total: int = Field(description="累计签到天数（永不清零）")
    longest: int = Field(description="最长连续签到天数")
    freezes: int = Field(description="持有的补签卡（最多 2 张）")
    last_day: date | None = Field(description="最近一次签到日期")
    remind: bool = Field(description="是否开启签到提醒")


class CheckinOut(CheckinStatus):
    new: bool = Field(description="本次是否为新签到（今天已签到时为 false）")
    freezes_used: int = Field(description="本次消耗的补签卡")
    freeze_earned: bool = Field(description="本次是否获得补签卡")


class ReminderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    remind: bool = Field(description="开启或关闭每日签到提醒（订阅消息，占用用户授权次数）")


class RepairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: date = Field(description="故障开始日期（北京时间，含）", examples=["2026-12-01"])
    end: date = Field(description="故障结束日期（北京时间，含）", examples=["2026-12-02"])
    reason: str = Field(min_length=1, max_length=200, description="原因（记入审计日志）", examples=["平台故障无法签到"])


class RepairOut(BaseModel):
    excused_days: list[date] = Field(description="本次豁免的日期")
    users_repaired: int = Field(description="连续签到被重新计算的用户数")

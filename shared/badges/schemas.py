"""Request and response shapes of the badge routes (the user's under /leaderboards/badges, the operators' under
/admin/badges)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RuleKind = Literal["count", "first", "sum", "avg_rating", "streak", "rank", "level", "challenge"]


class BadgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=20, description="徽章名称（头衔也用它）", examples=["代码快手"])
    description: str = Field("", max_length=200, description="获得条件的说明（展示给用户）",
                             examples=["累计完成 20 个任务"])
    rule_kind: RuleKind = Field(description="规则类型：count 次数、first 首次、sum 数值累计、avg_rating 平均评分、"
                                            "streak 连续打卡、rank 排行榜名次、level 等级、challenge 挑战",
                                examples=["count"])
    params: dict[str, Any] = Field(default_factory=dict, description="规则参数（见 docs/GROWTH-BADGES.md）",
                                   examples=[{"event": "TaskCompleted", "n": 20}])
    triggers: list[str] = Field(min_length=1, max_length=10, description="触发重新计算的事件名",
                                examples=[["TaskCompleted"]])
    repeatable: bool = Field(False, description="可重复获得（每满一次条件得一枚）")
    revocable: bool = Field(False, description="条件不再满足时收回（以补偿记录，附原因）")
    wearable: bool = Field(False, description="可作为头衔佩戴")


class BadgeCreate(BadgeIn):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$", description="徽章标识（小写字母、数字、下划线）",
                     examples=["fast_coder"])


class BadgeUpdate(BadgeIn):
    reason: str = Field("", max_length=200, description="修改原因（记入审计日志）", examples=["门槛调整"])


class BadgeOut(BaseModel):
    key: str = Field(description="徽章标识")
    name: str = Field(description="徽章名称")
    description: str = Field(description="获得条件的说明")
    rule_kind: str = Field(description="规则类型")
    params: dict[str, Any] = Field(description="规则参数")
    triggers: list[str] = Field(description="触发重新计算的事件名")
    repeatable: bool = Field(description="可重复获得")
    revocable: bool = Field(description="条件不再满足时收回")
    wearable: bool = Field(description="可作为头衔佩戴")
    enabled: bool = Field(description="已启用（启用时按历史事件回填）")
    version: int = Field(description="规则版本（每次修改规则加 1）")
    holders: int = Field(0, description="当前持有人数")


class BadgePreviewOut(BaseModel):
    users: int = Field(description="按此规则现在会持有的人数")
    new: int = Field(description="其中尚未持有、启用后将获得的人数")
    losing: int = Field(description="已持有但不再满足条件、将被收回的人数（仅可收回的徽章）")
    evaluated: int = Field(description="参与计算的用户数")
    sample: list[int] = Field(description="将持有的用户 ID 示例（最多 10 个）")


class BadgeReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=200, description="原因（记入审计日志）", examples=["新徽章上线"])


class BadgeEnableOut(BaseModel):
    badge: BadgeOut = Field(description="徽章")
    backfill_queued: int = Field(description="为回填排队重放的历史事件数（回填不发通知）")


class BadgeRevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: int = Field(ge=1, description="用户 ID")
    reason: str = Field(min_length=1, max_length=200, description="收回原因（告知用户并记入审计日志）",
                        examples=["评价存在刷分行为"])


class BadgeRevokeOut(BaseModel):
    revoked: int = Field(description="收回的授予记录数")


class HeldBadgeOut(BaseModel):
    key: str = Field(description="徽章标识")
    name: str = Field(description="徽章名称")
    description: str = Field(description="获得条件的说明")
    wearable: bool = Field(description="可作为头衔佩戴")
    count: int = Field(description="持有枚数（可重复获得的徽章可多枚）")
    first_granted_at: datetime = Field(description="首次获得时间")
    last_granted_at: datetime = Field(description="最近获得时间")
    reason: str = Field(description="最近一次获得的原因")


class TitleOut(BaseModel):
    key: str = Field(description="头衔（徽章）标识")
    name: str = Field(description="头衔名称")


class MyBadgesOut(BaseModel):
    badges: list[HeldBadgeOut] = Field(description="我持有的徽章（最新在前）")
    title: TitleOut | None = Field(description="我佩戴的头衔（未佩戴为空）")


class TitleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    badge_key: str | None = Field(max_length=40, description="要佩戴的徽章标识；为空表示摘下头衔",
                                  examples=["high_scorer"])

"""Request and response shapes of /leaderboards/…."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class BoardQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: str | None = Field(None, max_length=10, description="周期：周 2026-W49、月 2026-12、总榜 all；默认当前周期",
                               examples=["2026-W49"])
    skill: str | None = Field(None, max_length=40, description="技能标识（skill 榜必填）", examples=["python"])
    limit: int = Field(10, ge=1, le=100, description="返回前多少名（1–100）")


class SkillPortraitOut(BaseModel):
    skill: str = Field(description="技能标识")
    points: int = Field(description="该技能的累计技能点")


class BoardEntryOut(BaseModel):
    rank: int = Field(description="名次（同分同名次）")
    user_id: int = Field(description="用户 ID")
    display_name: str = Field(description="展示名")
    score: int = Field(description="本周期得分（XP 或技能点）")
    title: str | None = Field(description="佩戴的头衔（未佩戴为空）")
    portrait: list[SkillPortraitOut] | None = Field(description="技能画像（仅前 10 名且本人允许展示时提供）")


class MyRankOut(BaseModel):
    score: int = Field(description="我的本周期得分")
    rank: int | None = Field(description="我的名次（未上榜、已退出排行榜时为空）")
    exact: bool = Field(description="名次为实时精确值（前 1000 名）；否则来自快照")
    as_of: str | None = Field(description="快照时间，如“截至 14:05”（北京时间；精确名次时为空）",
                              examples=["截至 14:05"])
    as_of_at: datetime | None = Field(description="快照时间（精确名次时为空）")


class BoardOut(BaseModel):
    board: str = Field(description="榜单：weekly 周榜、monthly 月榜、all_time 总榜、skill 技能榜")
    period: str = Field(description="周期：2026-W49 / 2026-12 / all")
    period_start: datetime | None = Field(description="周期开始（北京时间零点；总榜为空）")
    period_end: datetime | None = Field(description="周期结束（不含；总榜为空）")
    skill: str | None = Field(description="技能标识（技能榜）")
    entries: list[BoardEntryOut] = Field(description="排名（已退出排行榜和被封禁的用户不出现）")
    me: MyRankOut | None = Field(description="我的名次（未登录或本周期没有得分时为空）")


class LeaderboardSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    opted_out: bool = Field(description="退出排行榜（不出现在任何榜单上）")
    portrait_public: bool = Field(description="上榜前 10 名时展示我的技能画像")


class LeaderboardSettingsOut(BaseModel):
    opted_out: bool = Field(description="已退出排行榜")
    portrait_public: bool = Field(description="上榜前 10 名时展示技能画像")

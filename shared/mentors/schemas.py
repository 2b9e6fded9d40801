"""Request and response shapes of the mentor routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from shared.mentors.rules import DEFAULT_PASS_SCORE, MAX_BONUS_FEN, SCORE_MAX, SCORE_MIN


class MentorRealNameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    real_name: str = Field(min_length=2, max_length=30, description="真实姓名（仅管理员可见）", examples=["张三"])
    title: str = Field(min_length=2, max_length=60, description="导师头衔（公开，经内容安全检测）",
                       examples=["资深后端工程师"])


class MentorOut(BaseModel):
    user_id: int = Field(description="用户 ID")
    flagged: bool = Field(description="管理员已设为导师")
    real_name_status: str = Field(description="none：未提交；pending：待审核；approved：已通过；rejected：未通过")
    title: str = Field(description="导师头衔")
    active: bool = Field(description="是否为有效导师（已设为导师且实名通过）")


class AdminMentorOut(MentorOut):
    real_name: str = Field(description="真实姓名（仅管理员可见）")


class AdminMentorList(BaseModel):
    items: list[AdminMentorOut] = Field(description="导师记录")


class MentorQueueQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["pending", "approved", "rejected"] = Field("pending", description="实名审核状态")


class RealNameDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool = Field(description="true：通过；false：驳回")
    reason: str = Field("", max_length=200, description="理由（驳回时告知用户）")


class FlagIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mentor: bool = Field(description="true：设为导师；false：取消导师身份")
    reason: str = Field(min_length=2, max_length=200, description="理由（记入审计日志）")


class MentorChallengeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mentor_id: int = Field(ge=1, description="负责点评的导师用户 ID")
    title: str = Field(min_length=2, max_length=60, description="特训标题", examples=["用 FastAPI 实现一个限流中间件"])
    brief: str = Field(min_length=10, max_length=4000, description="特训要求",
                       examples=["实现令牌桶限流中间件，附单元测试与压测报告，提交代码仓库链接。"])
    bonus_fen: int = Field(0, ge=0, le=MAX_BONUS_FEN, description="通过点评后发放的现金奖金（分，平台预算出资）")
    pass_score: int = Field(DEFAULT_PASS_SCORE, ge=SCORE_MIN, le=SCORE_MAX, description="通过分数线（0–100）")


class ChallengeOut(BaseModel):
    id: int = Field(description="特训 ID")
    mentor_id: int = Field(description="导师用户 ID")
    mentor_name: str = Field(description="导师昵称")
    mentor_title: str = Field(description="导师头衔")
    title: str = Field(description="特训标题")
    brief: str = Field(description="特训要求")
    bonus_fen: int = Field(description="现金奖金（分）")
    pass_score: int = Field(description="通过分数线")
    status: str = Field(description="open：报名中；closed：已结束报名")
    created_at: datetime = Field(description="发布时间")


class ChallengeList(BaseModel):
    items: list[ChallengeOut] = Field(description="导师特训")


class DeliverableIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: AnyHttpUrl = Field(description="作品链接（代码仓库、演示地址）", examples=["https://git.example.com/me/limiter"])
    note: str = Field("", max_length=2000, description="作品说明（经内容安全检测）")


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: int = Field(ge=SCORE_MIN, le=SCORE_MAX, description="评分（0–100）", examples=[86])
    comment: str = Field(min_length=2, max_length=2000, description="点评（经内容安全检测）",
                         examples=["实现清晰，测试覆盖充分；压测部分可以补充 P99。"])
    letter: str | None = Field(None, min_length=10, max_length=2000,
                               description="推荐信（可选；展示在简历卡片并写入成长报告）",
                               examples=["该学员在特训中展现了扎实的工程能力，推荐承担后端开发任务。"])


class EnrolmentOut(BaseModel):
    id: int = Field(description="报名 ID")
    challenge_id: int = Field(description="特训 ID")
    challenge_title: str = Field(description="特训标题")
    developer_id: int = Field(description="学员用户 ID")
    mentor_id: int = Field(description="导师用户 ID")
    status: str = Field(description="enrolled：已报名；submitted：已提交作品；reviewed：已点评")
    deliverable_url: str = Field(description="作品链接")
    deliverable_note: str = Field(description="作品说明")
    submitted_at: datetime | None = Field(None, description="提交时间")
    score: int | None = Field(None, description="评分")
    comment: str = Field(description="导师点评")
    accepted: bool | None = Field(None, description="是否通过")
    bonus_fen: int = Field(description="已发放的奖金（分）")
    letter: str | None = Field(None, description="推荐信")
    reviewed_at: datetime | None = Field(None, description="点评时间")
    created_at: datetime = Field(description="报名时间")


class EnrolmentQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["developer", "mentor"] = Field("developer", description="developer：我报名的；mentor：待我点评的")


class EnrolmentList(BaseModel):
    items: list[EnrolmentOut] = Field(description="特训报名")


class LetterOut(BaseModel):
    enrolment_id: int = Field(description="报名 ID")
    mentor_id: int = Field(description="导师用户 ID")
    mentor_name: str = Field(description="导师昵称")
    mentor_title: str = Field(description="导师头衔")
    challenge_title: str = Field(description="特训标题")
    score: int = Field(description="评分")
    body: str = Field(description="推荐信")
    created_at: datetime = Field(description="写信时间")


class LetterList(BaseModel):
    items: list[LetterOut] = Field(description="推荐信（最新在前）")

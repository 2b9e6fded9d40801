"""Request and response shapes of the reports API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.profiles.schemas import ResumeCardOut

Section = Literal["growth", "badges", "rated_work", "challenges", "letters"]
ALL_SECTIONS: tuple[Section, ...] = ("growth", "badges", "rated_work", "challenges", "letters")


class ReportOut(BaseModel):
    id: int = Field(description="报告 ID", examples=[12])
    month: str = Field(description="月份（北京时间）", examples=["2026-11"])
    version: int = Field(description="该月第几版（“本月至今”可多次生成）", examples=[1])
    final: bool = Field(description="是否为月度终版（次月 1 日生成）", examples=[False])
    as_of: date = Field(description="数据截至（北京时间）", examples=["2026-11-25"])
    code: str = Field(description="验证码（显示形式）", examples=["ABCD-EFGH-JKM"])
    verify_url: str = Field(description="验证页地址（报告每页二维码指向这里）",
                            examples=["https://api.codelink.example/verify/ABCDEFGHJKM"])
    download_url: str = Field(description="PDF 下载链接（5 分钟内有效）",
                              examples=["https://cos.example/reports/7/2026-11/ABCDEFGHJKM.pdf?X-Amz-Signature=…"])
    pdf_sha256: str = Field(description="PDF 的 SHA-256",
                            examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"])
    pages: int = Field(description="页数", examples=[2])
    generated_at: datetime = Field(description="生成时间")
    created: bool = Field(True, description="false：数据未变，返回的是已签发的同一份报告", examples=[True])


class ReportList(BaseModel):
    items: list[ReportOut] = Field(description="每月当前版本，最新在前")


class CardSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(description="是否公开简历卡片页面；关闭后立即下线", examples=[True])
    sections: list[Section] = Field(default_factory=lambda: list(ALL_SECTIONS),
                                    description="公开哪些部分（资料字段另由简历的公开字段决定）", max_length=5)


class CardSettingsOut(BaseModel):
    enabled: bool = Field(description="是否公开", examples=[True])
    sections: list[str] = Field(description="公开的部分", examples=[["growth", "badges"]])
    url: str | None = Field(None, description="公开页面地址（公开时）",
                            examples=["https://api.codelink.example/reports/cards/7"])


class ShareOut(BaseModel):
    url: str = Field(description="简历卡片分享链接", examples=["https://api.codelink.example/reports/cards/7"])
    wxa_code_url: str = Field(description="小程序码图片（PNG）下载链接（5 分钟内有效）",
                              examples=["https://cos.example/cards/7/wxacode.png?X-Amz-Signature=…"])
    scene: str = Field(description="小程序码的 scene 参数", examples=["card=7"])


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: str = Field(description="月份 YYYY-MM（北京时间）", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-11"])
    user_id: int | None = Field(None, description="只生成这一位开发者（与其他筛选互斥）", ge=1, le=2**63 - 1,
                                examples=[7])
    level: Literal["C", "B", "A", "S"] | None = Field(None, description="按等级筛选", examples=["B"])
    skill: str | None = Field(None, description="按技能筛选（有该技能分）", max_length=40, examples=["python"])
    active_only: bool = Field(False, description="只含该月活跃的开发者", examples=[True])


class ExportOut(BaseModel):
    id: int = Field(description="导出任务 ID", examples=[3])
    month: str = Field(description="月份", examples=["2026-11"])
    status: Literal["running", "done", "failed"] = Field(description="状态", examples=["running"])
    total: int = Field(description="开发者人数", examples=[120])
    done: int = Field(description="已生成", examples=[40])
    failed: int = Field(description="生成失败", examples=[0])
    progress_percent: int = Field(description="进度（%）", examples=[33])
    filters: dict = Field(description="筛选条件")
    zip_url: str | None = Field(None, description="完成后：ZIP（PDF + summary.csv）下载链接（5 分钟内有效）")
    error: str | None = Field(None, description="失败原因（failed），或正在重试的最近一次错误（running）",
                              examples=[None])
    created_at: datetime = Field(description="创建时间")
    finished_at: datetime | None = Field(None, description="完成时间")


class PointsOut(BaseModel):
    name: str = Field(description="技能或类别名称", examples=["后端开发"])
    points: int = Field(description="技能分", examples=[320])


class RatedWorkOut(BaseModel):
    title: str = Field(description="任务标题", examples=["微信小程序登录页开发"])
    merchant: str = Field(description="商家", examples=["码联商家"])
    stars: int = Field(description="评分（1–5 星）", examples=[5])
    comment: str = Field(description="商家评价", examples=["交付很快，代码清晰"])
    on: date = Field(description="完成日期（北京时间）", examples=["2026-11-20"])


class CardLetterOut(BaseModel):
    mentor: str = Field(description="导师", examples=["王老师"])
    challenge: str = Field(description="挑战", examples=["七天小程序挑战"])
    body: str = Field(description="推荐信内容")


class PublicCardOut(BaseModel):
    """The public resume card as data (the mini-program's card page, opened from the card's mini-program code)."""
    profile: ResumeCardOut = Field(description="开发者选择公开的资料字段")
    level: str | None = Field(None, description="等级（公开成长时）", examples=["B"])
    xp: int | None = Field(None, description="经验值（公开成长时）", examples=[1280])
    categories: list[PointsOut] = Field(default_factory=list, description="各类别技能分")
    top_skills: list[PointsOut] = Field(default_factory=list, description="技能分最高的技能")
    title: str | None = Field(None, description="称号", examples=["小程序达人"])
    badges: list[str] = Field(default_factory=list, description="徽章")
    rated_work: list[RatedWorkOut] = Field(default_factory=list, description="最近获得评价的任务（最多 10 个）")
    challenges: list[str] = Field(default_factory=list, description="完成的挑战")
    letters: list[CardLetterOut] = Field(default_factory=list, description="导师推荐信")
    url: str = Field(description="卡片网页地址（分享用）", examples=["https://api.codelink.example/reports/cards/7"])

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

STATUS_NAMES = {"open": "处理中", "ruled": "已裁决"}
OUTCOME_NAMES = {"refund": "全额退款给商家", "payout": "全额支付给开发者", "split": "按比例分配"}


class EvidenceLink(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=60)
    url: AnyHttpUrl


class OpenDisputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task_id: int = Field(ge=1)
    reason: str = Field(min_length=5, max_length=2000, description="纠纷原因")
    links: list[EvidenceLink] = Field(default_factory=list, max_length=20, description="证据链接")


class EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=2, max_length=5000, description="说明")
    links: list[EvidenceLink] = Field(default_factory=list, max_length=20)


class RulingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["refund", "payout", "split"] = Field(
        description="refund：全额退款给商家；payout：全额支付给开发者；split：payout_fen 支付给开发者，其余退款")
    payout_fen: int | None = Field(None, ge=1, description="split 时支付给开发者的赏金（分，平台按此金额收取服务费）")
    note: str = Field(min_length=2, max_length=2000, description="裁决理由（双方可见）")
    relied_on: list[str] = Field(default_factory=list, max_length=20,
                                 description="裁决所依据的风险评估理由（须为当前评估中的理由原文）")

    @model_validator(mode="after")
    def _split_needs_amount(self) -> RulingIn:
        if (self.outcome == "split") != (self.payout_fen is not None):
            raise ValueError("payout_fen 仅在 split 裁决时填写，且必须填写")
        return self


class EntryOut(BaseModel):
    id: int
    author_id: int | None
    role: str
    kind: str
    body: str
    links: list[dict]
    created_at: datetime


class RiskReason(BaseModel):
    points: int
    reason: str


class CreditReason(BaseModel):
    points: int = Field(description="对信用分的影响（正为加分）")
    reason: str = Field(description="理由")


class PartyRisk(BaseModel):
    score: int
    level: str
    reasons: list[RiskReason]
    credit_score: int | None = Field(None, description="该方的信用分（0–100）")
    credit_level: str | None = Field(None, description="该方的信用等级")
    credit_reasons: list[CreditReason] = Field(default_factory=list, description="信用分的理由")
    chat_flags: int = Field(0, description="该方在本任务聊天中被标记的站外联系次数")


class TimelineItem(BaseModel):
    at: datetime = Field(description="时间")
    source: Literal["chat", "delivery", "revision", "event", "entry"] = Field(
        description="来源：chat 聊天；delivery 交付；revision 修改要求；event 事件日志；entry 纠纷陈述与证据")
    actor_id: int | None = Field(None, description="操作者用户 ID（系统为空）")
    title: str = Field(description="摘要")
    body: str = Field("", description="内容（聊天为原文）")
    flags: list[str] = Field(default_factory=list, description="聊天消息被标记的站外联系类型")


class DisputeRisk(BaseModel):
    merchant: PartyRisk
    developer: PartyRisk


class DisputeOut(BaseModel):
    id: int
    task_id: int
    task_title: str
    merchant_id: int
    developer_id: int
    opened_by: int
    reason: str
    status: str
    status_name: str
    escrow_fen: int = Field(description="纠纷发起时冻结的托管金额（分）")
    outcome: str | None
    outcome_name: str | None
    payout_gross_fen: int | None = Field(description="裁决支付给开发者的赏金（分，含平台服务费）")
    commission_fen: int | None
    developer_share_fen: int | None
    refund_fen: int | None
    ruling_note: str | None
    ruled_at: datetime | None
    created_at: datetime
    timeline: list[EntryOut]
    risk: DisputeRisk | None = Field(None, description="风险评估（仅管理员可见）")
    evidence: list[TimelineItem] | None = Field(
        None, description="完整证据时间线：聊天、交付、修改要求、事件日志与陈述（仅管理员可见）")
    ruling_reasons: list[str] = Field(default_factory=list, description="裁决所依据的理由")


class DisputeList(BaseModel):
    items: list[DisputeOut]
    next_cursor: str | None = Field(None, description="下一页游标（仅调解队列）；为 null 表示没有更多")


class QueueQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["open", "ruled"] = Field("open", description="open：待裁决；ruled：已裁决")
    cursor: str | None = Field(None, max_length=200, description="分页游标：上一页的 next_cursor")
    limit: int = Field(50, ge=1, le=200, description="每页条数")

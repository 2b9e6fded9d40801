from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.tasks.schemas import MilestoneIn  # noqa: F401 - part of the publish request, re-exported


class FundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    promotion_days: int | None = Field(None, ge=1, le=90, description="同时购买置顶推荐的天数（可选，如 1/3/7）")
    milestone_id: int | None = Field(None, ge=1, description="分里程碑任务：要托管的里程碑；不填则为下一个待托管的")


class PaymentParams(BaseModel):
    """The arguments of wx.requestPayment, as the mini-program passes them."""
    timeStamp: str
    nonceStr: str
    package: str
    signType: str
    paySign: str


class FundOut(BaseModel):
    out_trade_no: str
    task_id: int
    milestone_id: int | None
    amount_fen: int
    reward_fen: int
    promotion_fee_fen: int
    promotion_days: int | None
    expires_at: datetime
    reused: bool = Field(description="是否复用了尚未支付的同一订单（重复点击）")
    payment_params: PaymentParams = Field(description="传给 wx.requestPayment 的参数")


class RefundOut(BaseModel):
    out_refund_no: str
    task_id: int | None
    milestone_id: int | None
    amount_fen: int
    reason: str
    state: str
    state_name: str
    failure: str | None
    created_at: datetime
    succeeded_at: datetime | None


class OrderOut(BaseModel):
    out_trade_no: str
    purpose: str
    state: str
    state_name: str
    task_id: int | None
    milestone_id: int | None
    amount_fen: int
    reward_fen: int
    promotion_fee_fen: int
    promotion_days: int | None
    paid_at: datetime | None
    expires_at: datetime
    closed_at: datetime | None
    created_at: datetime
    refunds: list[RefundOut] = Field(default_factory=list)


class MilestoneOut(BaseModel):
    id: int
    position: int
    title: str
    reward_fen: int
    state: str
    state_name: str
    funded_at: datetime | None


class FundingOut(BaseModel):
    """Where a task's money stands: what is held in escrow, per milestone, and its orders and refunds."""
    task_id: int
    status: str
    reward_fen: int
    funded: bool
    escrow_fen: int
    milestones: list[MilestoneOut]
    orders: list[OrderOut]
    refunds: list[RefundOut]


class TopUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_fen: int = Field(gt=0, le=10_000_000_000, description="到账金额，单位：分")
    reference: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_\-]+$",
                           description="到账凭证号（同一凭证只记一次）")
    note: str = Field("", max_length=200)


class BudgetOut(BaseModel):
    balance_fen: int
    posted: bool | None = Field(None, description="本次充值是否入账（同一凭证重复提交为 false）")


class AdminRefundsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: str | None = Field(None, pattern=r"^(requested|processing|succeeded|failed)$")
    limit: int = Field(50, ge=1, le=200)


class AdminRefundOut(RefundOut):
    id: int
    out_trade_no: str
    refund_id: str | None
    request_key: str


class RefusedNotification(BaseModel):
    id: str
    event_type: str
    ref: str | None
    outcome: str
    detail: str
    attempts: int
    first_seen_at: datetime
    last_seen_at: datetime

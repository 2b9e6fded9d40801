from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SubscribeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan: Literal["enterprise", "growth", "premium"] = Field(
        description="enterprise 企业会员（商家）/ growth 成长通行证 / premium 高级会员")
    months: int = Field(1, ge=1, le=12, description="购买月数 1–12")


class PromoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(description="置顶天数（默认可选 1 / 3 / 7 天，由运营配置）")


class PaymentOrderOut(BaseModel):
    """A WeChat Pay order to pay in the mini-program: pass `payment` to wx.requestPayment."""
    order_id: int
    out_trade_no: str
    purpose: str
    amount_fen: int
    description: str
    payment: dict[str, str] = Field(
        description="wx.requestPayment 参数：timeStamp, nonceStr, package, signType, paySign")


class PlanStatus(BaseModel):
    plan: str
    name: str
    active: bool
    until: datetime | None
    price_fen_per_month: int
    for_role: str
    perks: list[str]


class Perks(BaseModel):
    premium: bool
    growth_pass: bool
    enterprise: bool
    commission_tier: Literal["enterprise", "standard"]
    daily_application_cap: int
    premium_cap_reason: Literal["premium", "free_period"] | None = Field(
        description="为何享有高级投递上限：premium 会员 / free_period 冷启动免费期 / null 不享有")


class FreePeriod(BaseModel):
    active: bool
    starts_at: datetime
    ends_at: datetime = Field(description="免费期结束时刻（不含），北京时间当日零点")
    description: str


class MembershipOut(BaseModel):
    id: int
    plan: str
    plan_name: str
    months: int
    period_start: datetime
    period_end: datetime
    price_fen: int
    out_trade_no: str
    status: Literal["active", "scheduled", "expired"]
    created_at: datetime


class SubscriptionsOut(BaseModel):
    plans: list[PlanStatus]
    perks: Perks
    free_period: FreePeriod
    memberships: list[MembershipOut]


class PromotionOption(BaseModel):
    days: int
    price_fen: int


class PromotionHistory(BaseModel):
    id: int
    days: int
    price_fen: int
    starts_at: datetime
    ends_at: datetime
    out_trade_no: str
    created_at: datetime


class PromotionOut(BaseModel):
    task_id: int
    promoted: bool
    promoted_until: datetime | None
    options: list[PromotionOption]
    history: list[PromotionHistory]


class PlanPrice(BaseModel):
    plan: str
    name: str
    for_role: str
    price_fen_per_month: int
    perks: list[str]


class PriceList(BaseModel):
    plans: list[PlanPrice]
    promotion: list[PromotionOption]


class RunsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(30, ge=1, le=100)


class ReconciliationRun(BaseModel):
    id: int
    bill_date: date
    # pending: WeChat Pay is still making the day's bills (STATEMENT_CREATING); the hourly run asks again.
    status: Literal["matched", "differences", "failed", "pending"]
    bill_lines: int
    matched_lines: int
    diff_count: int
    bill_paid_fen: int
    bill_refund_fen: int
    ours_paid_fen: int
    ours_refund_fen: int
    # The fund-flow bill (资金账单): its lines, money in and out of the basic account, the transfers it shows and ours.
    fund_lines: int = Field(0, description="资金账单的明细行数")
    fund_income_fen: int = Field(0, description="资金账单收入合计（分）")
    fund_expense_fen: int = Field(0, description="资金账单支出合计（分）")
    bill_transfer_fen: int = Field(0, description="资金账单中商家转账支出合计（分）")
    ours_transfer_fen: int = Field(0, description="我方记录的已到账转账合计（分）")
    error: str | None
    runs: int
    started_at: datetime
    finished_at: datetime


class RunList(BaseModel):
    items: list[ReconciliationRun]
    next_cursor: str | None


class ReconciliationDiff(BaseModel):
    id: int
    kind: Literal["missing_in_ledger", "missing_in_bill", "amount_mismatch", "state_mismatch"]
    line_type: Literal["payment", "refund", "transfer"]
    out_trade_no: str | None  # None for a transfer line
    out_refund_no: str | None
    out_bill_no: str | None = None  # a transfer line's number (商家转账)
    bill_amount_fen: int | None
    our_amount_fen: int | None
    bill_state: str | None
    our_state: str | None
    detail: str


class RunDetail(BaseModel):
    run: ReconciliationRun
    diffs: list[ReconciliationDiff]

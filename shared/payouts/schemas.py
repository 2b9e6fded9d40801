from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

STATE_NAMES = {
    "pending": "待发起",
    "needs_real_name": "待补充实名",
    "needs_wechat": "待绑定微信",
    "transferring": "转账发起中",
    "wait_user_confirm": "待确认收款",
    "cancelling": "撤销中",
    "paid": "已到账",
    "failed": "转账失败",
    "cancelled": "已撤销",
}

# What the developer should do next, by state (shown under the state name).
STATE_HINTS = {
    "pending": "正在发起转账，请稍候",
    "needs_real_name": "金额达到 2000 元，请先在「收款实名」中填写与微信实名一致的姓名",
    "needs_wechat": "请使用微信登录小程序后再收款",
    "transferring": "正在发起转账，请稍候",
    "wait_user_confirm": "请点击「确认收款」，资金将转入微信零钱",
    "cancelling": "超时未确认，正在撤销，资金将退回可提现余额",
    "paid": "已转入微信零钱",
    "failed": "转账失败，资金已退回可提现余额",
    "cancelled": "超时未确认，资金已退回可提现余额，可随时申请提现",
}


class PayoutOut(BaseModel):
    id: int
    source: str = Field(description="task：任务验收 / dispute：纠纷裁决 / withdraw：余额提现")
    task_id: int | None
    task_title: str | None
    amount_fen: int = Field(description="到手金额（分）")
    gross_fen: int = Field(description="释放的赏金（分）")
    commission_fen: int = Field(description="平台服务费（分）")
    state: str
    state_name: str
    hint: str
    attempts: int
    fail_reason: str | None
    next_retry_at: datetime | None
    confirm_by: datetime | None = Field(None, description="请在此时间前确认收款，逾期自动撤销")
    out_bill_no: str | None
    package_info: str | None = Field(None, description="待确认收款时，传给 wx.requestMerchantTransfer 的 package")
    merchant_transfer_params: dict[str, str] | None = Field(
        None, description="wx.requestMerchantTransfer 的参数（mchId、appId、package），仅待确认收款时提供")
    paid_at: datetime | None
    created_at: datetime
    updated_at: datetime


class PayoutList(BaseModel):
    items: list[PayoutOut]
    next_cursor: str | None


class PayoutsQuery(BaseModel):
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(20, ge=1, le=50)


class BalanceOut(BaseModel):
    payable_fen: int = Field(description="平台应付给我、尚未转出的金额（分）")
    available_fen: int = Field(description="可立即提现的金额（分）：应付余额减去已排队的转账")
    queued_fen: int = Field(description="已排队、等待发起或重试的转账（分）")
    in_flight_fen: int = Field(description="已发起、等待确认或到账的转账（分）")
    paid_total_fen: int = Field(description="累计已到账（分）")
    has_real_name: bool
    real_name_required_from_fen: int = Field(description="单笔达到该金额（分）需要收款实名")


class ResendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attempt: int = Field(ge=1, le=1000, examples=[1],
                         description="要重发的那次失败（或被撤销）的转账尝试编号（页面上看到的 attempts）："
                                     "同一编号重复提交只会发起一次新的转账")
    reason: str = Field(min_length=2, max_length=200, description="重发原因（记入审计日志）",
                        examples=["开发者已解除微信账户限制，重新发起转账"])


class AdminResendOut(PayoutOut):
    developer_id: int
    resent: bool = Field(description="本次请求发起了新的转账尝试；false：该尝试之后已有新的尝试（重复提交），未再发起")

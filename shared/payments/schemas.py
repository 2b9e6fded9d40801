from __future__ import annotations

from datetime import datetime
from typing import Literal

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
    retried_by: str | None = Field(None, description="已被运营重试：接替它的新退款单号"
                                                     "（原退款单保留为历史，不再需要处理）")


class RefusedNotification(BaseModel):
    id: str
    event_type: str
    ref: str | None
    outcome: str
    detail: str
    attempts: int
    first_seen_at: datetime
    last_seen_at: datetime


# --- POST /payments/notify, documented for the OpenAPI document only: the webhook reads the raw body itself
# (the signature covers its exact bytes), so these are never used to validate.


class EncryptedResource(BaseModel):
    algorithm: str = Field(description="加密算法，固定为 AEAD_AES_256_GCM", examples=["AEAD_AES_256_GCM"])
    ciphertext: str = Field(description="Base64 编码的密文（用 APIv3 密钥解密）",
                            examples=["sGwXp1tqBase64Ciphertext=="])
    associated_data: str = Field("", description="附加数据", examples=["transaction"])
    original_type: str = Field(description="加密前的对象类型", examples=["transaction"])
    nonce: str = Field(description="加密使用的随机串", examples=["fdasflkja484w"])


class WeChatPayNotification(BaseModel):
    id: str = Field(description="通知 ID（去重依据；缺少则拒收）", examples=["EV-2018022511223320873"])
    create_time: str = Field(description="通知创建时间（RFC 3339）", examples=["2026-11-25T10:00:00+08:00"])
    event_type: str = Field(description="通知类型：TRANSACTION.SUCCESS、REFUND.SUCCESS、MCHTRANSFER.BILL.FINISHED 等",
                            examples=["TRANSACTION.SUCCESS"])
    resource_type: str = Field(description="资源类型，固定为 encrypt-resource", examples=["encrypt-resource"])
    summary: str = Field("", description="回调摘要", examples=["支付成功"])
    resource: EncryptedResource = Field(description="加密的通知数据")


class NotifyHeaders(BaseModel):
    wechatpay_timestamp: str = Field(alias="Wechatpay-Timestamp", examples=["1764036000"],
                                     description="签名时间戳（秒），与当前时间相差须在 5 分钟内")
    wechatpay_nonce: str = Field(alias="Wechatpay-Nonce", description="签名随机串", examples=["fdasflkja484w"])
    wechatpay_signature: str = Field(alias="Wechatpay-Signature", examples=["cVJ1ZJBase64Signature=="],
                                     description="对“时间戳\\n随机串\\n请求体\\n”的签名（Base64）")
    wechatpay_serial: str = Field(alias="Wechatpay-Serial", description="验签所用的微信支付公钥 ID 或平台证书序列号",
                                  examples=["PUB_KEY_ID_0114232134912410000000000000"])


class NotifyAck(BaseModel):
    code: Literal["SUCCESS", "FAIL"] = Field(description="SUCCESS：已处理；FAIL：未处理，微信支付将稍后重试")
    message: str | None = Field(None, description="未处理的原因")


class RefundActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=2, max_length=200, description="处理原因（记入审计日志）",
                        examples=["用户银行卡已注销，已联系用户改退至微信零钱，重新发起退款"])

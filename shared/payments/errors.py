"""Errors of the payments area that other modules (the webhook, refunds, the payouts area's transfer notifications)
raise or catch."""

from __future__ import annotations

from shared.errors import Conflict, NotFound, ServiceUnavailable


class Refused(Exception):
    """A payment report we must not act on (unknown order, wrong merchant, wrong amount). Nothing is posted; the
    webhook answers `status` so WeChat Pay keeps retrying, and records `outcome` for admins."""

    def __init__(self, status: int, outcome: str, message: str) -> None:
        super().__init__(f"{outcome}: {message}")
        self.status = status
        self.outcome = outcome
        self.message = message


class RefundNotFound(NotFound):
    code, message = "REFUND_NOT_FOUND", "退款单不存在"


class RefundNotFailed(Conflict):
    code, message = "REFUND_NOT_FAILED", "只有退款异常（失败）且尚未重试的退款单可以重试或核对"


class RefundNotCompletedAtWeChat(Conflict):
    code, message = "REFUND_NOT_COMPLETED_AT_WECHAT", "微信支付仍未显示该退款成功，请先在商户平台处理"


class RefundQueryUnavailable(ServiceUnavailable):
    code, message = "REFUND_QUERY_UNAVAILABLE", "暂时无法向微信支付查询该退款，请稍后再试"

"""HTTP routes of the `payments` function: funding a task, orders, the WeChat Pay webhook, the platform budget."""

from __future__ import annotations

from shared.http.router import Request, Response, Router
from shared.payments import budget as platform_budget
from shared.payments import funding as escrow_funding
from shared.payments import queries, refunds, webhook
from shared.payments import schemas as s
from shared.uow import run

router = Router("payments")
ADMIN = ("admin",)


@router.post("/payments/notify", summary="微信支付通知（支付、退款、商家转账）", auth=False, raw_body=True,
             body=s.WeChatPayNotification, headers=s.NotifyHeaders, response=s.NotifyAck,
             answers={400: "通知内容无法解密、格式错误或与订单不符（微信支付将重试）", 401: "签名验证失败或通知已过期",
                      404: "未知的订单、退款单或转账单（微信支付将重试）", 500: "系统繁忙（微信支付将重试）"})
def notify(req: Request) -> Response:
    """微信支付服务器调用：验签、解密后处理支付成功、退款结果与商家转账结果；小程序不调用。"""
    return webhook.handle(req.headers, req.raw_body)


@router.post("/payments/tasks/{task_id:int}/fund", summary="托管赏金：下单并返回 wx.requestPayment 参数",
             body=s.FundIn, response=s.FundOut, roles=("merchant",),
             errors=("TASK_NOT_AWAITING_FUNDING", "NOT_TASK_OWNER", "PLATFORM_TASK", "OPENID_REQUIRED",
                     "MILESTONE_ALREADY_FUNDED", "ORDER_ALREADY_PAID", "PAYMENT_UNAVAILABLE", "MILESTONE_NOT_FOUND",
                     "ORDER_NOT_FOUND", "TASK_NOT_FOUND", "ALREADY_FUNDED", "FUNDING_BUSY", "ORDER_NOT_PAYABLE",
                     "PROMOTION_NOT_WITH_THIS_ORDER", "TASK_STATE_CONFLICT"))
def fund(req: Request, body: s.FundIn) -> s.FundOut:
    return escrow_funding.fund_task(req.user_id, req.params["task_id"], body)


@router.get("/payments/tasks/{task_id:int}/funding", summary="任务的托管情况（里程碑、订单、退款）",
            response=s.FundingOut, errors=("TASK_NOT_FOUND",))
def funding(req: Request) -> s.FundingOut:
    return run(lambda uow: queries.task_funding(uow, req.user_id, req.params["task_id"]))


@router.get("/payments/orders/{out_trade_no:str}", summary="订单详情（仅付款人）", response=s.OrderOut,
            errors=("ORDER_NOT_FOUND",))
def order(req: Request) -> s.OrderOut:
    return run(lambda uow: queries.get_order(uow, req.user_id, req.params["out_trade_no"]))


# --- operators ---


@router.get("/payments/admin/budget", summary="平台预算余额", response=s.BudgetOut, roles=ADMIN)
def budget(req: Request) -> s.BudgetOut:
    return run(platform_budget.budget)


@router.post("/payments/admin/budget/topup", summary="平台预算充值（公司转入微信支付商户余额）", body=s.TopUpIn,
             response=s.BudgetOut, roles=ADMIN)
def top_up(req: Request, body: s.TopUpIn) -> s.BudgetOut:
    return run(lambda uow: platform_budget.top_up_budget(uow, req.user_id, body))


@router.get("/payments/admin/refunds", summary="退款单（可按状态筛选，failed 为待人工处理）",
            query=s.AdminRefundsQuery, response=list[s.AdminRefundOut], roles=ADMIN)
def admin_refunds(req: Request, query: s.AdminRefundsQuery) -> list[s.AdminRefundOut]:
    return run(lambda uow: refunds.admin_refunds(uow, query.state, query.limit))


@router.get("/payments/admin/notifications/refused", summary="被拒绝的微信支付通知（未知订单、金额不符等）",
            response=list[s.RefusedNotification], roles=ADMIN)
def refused(req: Request) -> list[s.RefusedNotification]:
    return run(queries.refused_notifications)


# The operators' actions on refunds that need a hand, composed into the `admin` function (functions/admin).
admin_router = Router("admin")


@admin_router.post("/admin/refunds/{refund_id:int}/retry",
                   summary="重试退款异常的退款单：以新的退款单号重新发起（重复提交只发起一次，记入审计日志）",
                   body=s.RefundActionIn, response=s.AdminRefundOut, roles=ADMIN,
                   errors=("REFUND_NOT_FOUND", "REFUND_NOT_FAILED"))
def retry_refund(req: Request, body: s.RefundActionIn) -> s.AdminRefundOut:
    return run(lambda uow: refunds.retry_refund(uow, req.params["refund_id"], admin_id=req.user_id,
                                                reason=body.reason))


@admin_router.post("/admin/refunds/{refund_id:int}/completed-at-wechat",
                   summary="已在微信支付商户平台手工处理的异常退款：向微信查询并按成功入账（记入审计日志）",
                   body=s.RefundActionIn, response=s.AdminRefundOut, roles=ADMIN,
                   errors=("REFUND_NOT_FOUND", "REFUND_NOT_FAILED", "REFUND_NOT_COMPLETED_AT_WECHAT",
                           "REFUND_QUERY_UNAVAILABLE"))
def completed_at_wechat(req: Request, body: s.RefundActionIn) -> s.AdminRefundOut:
    return refunds.check_refund_at_wechat(req.params["refund_id"], admin_id=req.user_id, reason=body.reason)

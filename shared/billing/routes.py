"""HTTP routes of the `billing` function: plans and prices, buying a subscription or a promotion, the user's
memberships and perks, and the reconciliation results for admins. Handlers only parse, call a use case, shape."""

from __future__ import annotations

from datetime import date

from shared import clock
from shared.billing import memberships, orders, promotion, reconciliation
from shared.billing import schemas as s
from shared.billing.plans import PLANS
from shared.errors import ValidationFailed
from shared.http.router import Request, Router
from shared.rules_config import load_rules
from shared.uow import UnitOfWork, run

router = Router("billing")
ADMIN = ("admin",)


@router.get("/billing/plans", summary="会员与置顶推荐价目表", response=s.PriceList, auth=False)
def plans(req: Request) -> s.PriceList:
    def read(uow: UnitOfWork) -> s.PriceList:
        rules = load_rules(uow)
        return s.PriceList(
            plans=[s.PlanPrice(plan=p.code, name=p.name, for_role=p.role, price_fen_per_month=p.price_fen(rules, 1),
                               perks=list(p.perks)) for p in PLANS.values()],
            promotion=[s.PromotionOption(days=d, price_fen=f) for d, f in sorted(rules.promotion_prices_fen.items())])

    return run(read)


@router.post("/billing/subscriptions", summary="购买会员（返回 wx.requestPayment 参数）", body=s.SubscribeIn,
             response=s.PaymentOrderOut, status=201,
             errors=("PLAN_ROLE_REQUIRED", "OPENID_REQUIRED", "PAYMENT_UNAVAILABLE", "ORDER_NOT_FOUND",
                     "ORDER_ALREADY_PAID", "ORDER_NOT_PAYABLE"))
def subscribe(req: Request, body: s.SubscribeIn) -> s.PaymentOrderOut:
    return s.PaymentOrderOut(**orders.subscribe(req.user_id, body.plan, body.months))


@router.get("/billing/subscriptions", summary="我的会员、当前权益与冷启动免费期", response=s.SubscriptionsOut)
def my_subscriptions(req: Request) -> s.SubscriptionsOut:
    return s.SubscriptionsOut(**run(lambda uow: memberships.my_subscriptions(uow, req.user_id)))


@router.post("/billing/tasks/{task_id:int}/promotion", summary="购买任务置顶推荐（返回 wx.requestPayment 参数）",
             body=s.PromoteIn, response=s.PaymentOrderOut, status=201, roles=("merchant",),
             errors=("TASK_NOT_FOUND", "NOT_TASK_OWNER", "TASK_NOT_OPEN", "OPENID_REQUIRED", "PAYMENT_UNAVAILABLE",
                     "ORDER_NOT_FOUND", "ORDER_ALREADY_PAID", "ORDER_NOT_PAYABLE"))
def promote(req: Request, body: s.PromoteIn) -> s.PaymentOrderOut:
    return s.PaymentOrderOut(**orders.promote(req.user_id, req.params["task_id"], body.days))


@router.get("/billing/tasks/{task_id:int}/promotion", summary="任务置顶推荐状态与可选时长", response=s.PromotionOut,
            roles=("merchant",), errors=("TASK_NOT_FOUND", "NOT_TASK_OWNER"))
def promotion_status(req: Request) -> s.PromotionOut:
    return s.PromotionOut(**run(lambda uow: promotion.task_promotion(uow, req.user_id, req.params["task_id"])))


@router.get("/billing/admin/reconciliation", summary="对账记录（按账单日期倒序）", query=s.RunsQuery,
            response=s.RunList, roles=ADMIN, errors=("INVALID_CURSOR",))
def reconciliation_runs(req: Request, query: s.RunsQuery) -> s.RunList:
    items, cursor = run(lambda uow: reconciliation.list_runs(uow, query.cursor, query.limit))
    return s.RunList(items=[s.ReconciliationRun(**i) for i in items], next_cursor=cursor)


@router.get("/billing/admin/reconciliation/{bill_date}", summary="某日对账结果与差异明细", response=s.RunDetail,
            roles=ADMIN, errors=("RECONCILIATION_NOT_FOUND", "VALIDATION_FAILED"))
def reconciliation_detail(req: Request) -> s.RunDetail:
    day = _bill_date(req.params["bill_date"])
    return s.RunDetail(**run(lambda uow: reconciliation.run_detail(uow, day)))


@router.post("/billing/admin/reconciliation/{bill_date}/run", summary="重新对账某日（结果替换该日旧结果）",
             response=s.RunDetail, roles=ADMIN, errors=("RECONCILIATION_NOT_FOUND", "VALIDATION_FAILED"))
def reconcile(req: Request) -> s.RunDetail:
    day = _bill_date(req.params["bill_date"])
    if day >= clock.shanghai_date(clock.now()):
        raise ValidationFailed.field("bill_date", "只能对账今天（北京时间）之前的日期")
    reconciliation.reconcile_date(day, actor_id=req.user_id)
    return s.RunDetail(**run(lambda uow: reconciliation.run_detail(uow, day)))


def _bill_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.field("bill_date", "日期格式应为 YYYY-MM-DD") from None

"""The glue between WeChat Pay orders (shared/payments owns `payment_orders` and the webhook) and what fees buy.

Buying: a subscription or a promotion is a `payment_orders` row of purpose `subscription` / `promotion`, made with the
payments area's `create_order` (same table, numbers, expiry and polling as escrow orders), then a JSAPI order at
WeChat Pay through its `request_payment`; the answer is what wx.requestPayment needs.

Paid: the payments webhook (and its polling timer) publishes PaymentOrderPaid under the order's row lock; our
in-transaction subscriber `on_order_paid` grants the period / the promotion and posts the money in that same
transaction — exactly one ledger transaction per paid order, the only one for these purposes:

    subscription_paid   order:<out_trade_no>   wechatpay:clearing +amount, platform:revenue -amount
    promotion_paid      order:<out_trade_no>   wechatpay:clearing +amount, platform:revenue -amount

Both the grant (UNIQUE source_order_id) and the posting (UNIQUE (kind, ref)) are idempotent, so a duplicate
notification, or the poller and the webhook racing, changes nothing the second time. A promotion paid after its task
stopped recruiting is taken in and refunded at once (PromotionUnusable: the payments area refunds it out of
platform:revenue). A promotion bought with a task's escrow starts when the escrow is funded (`on_escrow_funded`).
"""

from __future__ import annotations

from typing import Any

from shared.billing import memberships, promotion, texts
from shared.billing.plans import PLANS
from shared.errors import Forbidden
from shared.events import EscrowFunded, PaymentOrderPaid, PromotionUnusable, Stored
from shared.ledger.accounts import CLEARING, REVENUE
from shared.ledger.service import post
from shared.rules_config import load_rules
from shared.uow import UnitOfWork, run

# --------------------------------------------------------------------------------------------------- buying


def subscribe(user_id: int, plan: str, months: int) -> dict[str, Any]:
    """POST /billing/subscriptions: an order for `months` of `plan`, ready for wx.requestPayment."""
    memberships.validate_purchase(plan, months)
    spec = PLANS[plan]

    def prepare(uow: UnitOfWork) -> Any:
        roles = uow.execute("SELECT roles FROM users WHERE id = :u", {"u": user_id}).scalar_one()
        if spec.role not in roles:
            role = "商家" if spec.role == "merchant" else "开发者"
            raise Forbidden("PLAN_ROLE_REQUIRED", f"{spec.name}仅面向{role}，请先完善{role}资料")
        amount = spec.price_fen(load_rules(uow), months)
        return _create(uow, user_id, "subscription", amount, f"CodeLink {spec.name} {months} 个月",
                       breakdown={"plan": plan, "months": months, "price_fen_per_month": amount // months})

    return _checkout(run(prepare))


def promote(merchant_id: int, task_id: int, days: int) -> dict[str, Any]:
    """POST /billing/tasks/{id}/promotion: an order for `days` of 置顶推荐 on the merchant's own open task."""

    def prepare(uow: UnitOfWork) -> Any:
        price = promotion.promotion_price_fen(load_rules(uow), days)
        task = promotion.promotable_task(uow, merchant_id, task_id)
        return _create(uow, merchant_id, "promotion", price, f"CodeLink 任务#{task.id} 置顶推荐 {days} 天",
                       task_id=task.id, promotion_fee_fen=price, promotion_days=days,
                       breakdown={"days": days, "task_id": task.id})

    return _checkout(run(prepare))


def _create(uow: UnitOfWork, payer_id: int, purpose: str, amount_fen: int, description: str, **kw: Any) -> Any:
    # The payments area's order API, so its webhook, poller and expiry cover these orders too. Imported here: it
    # loads the WeChat Pay adapter, which the billing function's other routes never need (cold start).
    from shared.payments.checkout import create_order

    return create_order(uow, purpose=purpose, payer_id=payer_id, amount_fen=amount_fen, description=description,
                        **kw)


def _checkout(order: Any) -> dict[str, Any]:
    """The order is committed; now ask WeChat Pay for it (outside any transaction) and sign wx.requestPayment's
    arguments. If WeChat cannot be reached the order stays unpaid and the payments timer closes it."""
    from shared.payments.checkout import request_payment

    params = request_payment(order.out_trade_no)
    return {"order_id": order.id, "out_trade_no": order.out_trade_no, "purpose": order.purpose,
            "amount_fen": order.amount_fen, "description": order.description, "payment": params}


# --------------------------------------------------------------------------------------------------- paid


def on_order_paid(uow: UnitOfWork, stored: Stored[PaymentOrderPaid]) -> None:
    """A `subscription` / `promotion` order is paid: grant what it bought and post its revenue, once (the grant is
    unique per order, the posting per (kind, ref)). Other purposes are the payments area's own (escrow)."""
    e = stored.event
    if e.purpose not in ("subscription", "promotion"):
        return
    ref = f"order:{e.out_trade_no}"
    amount = e.amount_fen
    if e.purpose == "subscription":
        memberships.grant_membership(
            uow, order_id=e.order_id, out_trade_no=e.out_trade_no, user_id=e.payer_id, plan=e.breakdown["plan"],
            months=int(e.breakdown["months"]), price_fen=amount)
        post(uow, "subscription_paid", ref, [(CLEARING, amount), (REVENUE, -amount)],
             memo=f"{PLANS[e.breakdown['plan']].name} {e.breakdown['months']} 个月")
        return
    days = int(e.promotion_days or e.breakdown["days"])
    task_id = int(e.task_id or e.breakdown["task_id"])
    posted = post(uow, "promotion_paid", ref, [(CLEARING, amount), (REVENUE, -amount)], memo=f"置顶推荐 {days} 天")
    task = uow.execute("SELECT id, title, status, deadline FROM tasks WHERE id = :t FOR UPDATE", {"t": task_id}).one()
    if task.status != "open" or task.deadline <= uow.now:
        # Assigned, cancelled or expired between ordering and paying: ranking it first would buy nothing, so the fee
        # goes back (the payments area refunds it, idempotent on the order).
        if posted is not None:
            uow.publish(PromotionUnusable(order_id=e.order_id, out_trade_no=e.out_trade_no, payer_id=e.payer_id,
                                          task_id=task_id, amount_fen=amount))
            uow.notify(e.payer_id, *texts.PROMOTION_REFUNDED.render(title=task.title, yuan=amount / 100),
                       data={"task_id": task.id, "out_trade_no": e.out_trade_no},
                       dedupe_key=f"payment_refunded:{e.out_trade_no}")
        return
    promotion.grant_promotion(uow, order_id=e.order_id, out_trade_no=e.out_trade_no, task_id=task_id,
                              merchant_id=e.payer_id, days=days, price_fen=amount)


def on_escrow_funded(uow: UnitOfWork, stored: Stored[EscrowFunded]) -> None:
    """A promotion bought together with the task's escrow (one order) starts once that escrow is funded."""
    e = stored.event
    if e.promotion_days and e.promotion_fee_fen and e.order_id is not None and e.out_trade_no:
        promotion.grant_promotion(uow, order_id=e.order_id, out_trade_no=e.out_trade_no, task_id=e.task_id,
                                  merchant_id=e.merchant_id, days=e.promotion_days, price_fen=e.promotion_fee_fen)

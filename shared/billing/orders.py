"""The glue between WeChat Pay orders (shared/payments owns `payment_orders` and the webhook) and what fees buy.

Buying: a subscription or a promotion is a `payment_orders` row of purpose `subscription` / `promotion`, made with the
payments area's `create_order` (same table, numbers, expiry and polling as escrow orders), then a JSAPI order at
WeChat Pay through its `request_payment`; the answer is what wx.requestPayment needs.

Paid: the payments webhook (and its polling timer) calls `on_order_paid(uow, order)` under the order's row lock for
every paid order whose purpose is not escrow. In that same transaction this grants the period / the promotion and
posts the money — exactly one ledger transaction per paid order, the only one for these purposes:

    subscription_paid   order:<out_trade_no>   wechatpay:clearing +amount, platform:revenue -amount
    promotion_paid      order:<out_trade_no>   wechatpay:clearing +amount, platform:revenue -amount

Both the grant (UNIQUE source_order_id) and the posting (UNIQUE (kind, ref)) are idempotent, so a duplicate
notification, or the poller and the webhook racing, changes nothing the second time. A promotion paid after its task
stopped recruiting is taken in and refunded at once (refund_start out of platform:revenue, shared/payments/refunds).
"""

from __future__ import annotations

import json
from typing import Any

from shared.billing import memberships, promotion
from shared.billing.plans import PLANS
from shared.errors import Forbidden
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
    # The payments area's order table and number scheme, so its webhook, poller and expiry cover these orders too.
    from shared.payments.service import create_order

    order = create_order(uow, purpose=purpose, payer_id=payer_id, amount_fen=amount_fen, description=description,
                         **kw)
    uow.record("payment_order", order.id, "created", actor_id=payer_id,
               data={"out_trade_no": order.out_trade_no, "purpose": purpose, "amount_fen": amount_fen,
                     **kw.get("breakdown", {})})
    return order


def _checkout(order: Any) -> dict[str, Any]:
    """The order is committed; now ask WeChat Pay for it (outside any transaction) and sign wx.requestPayment's
    arguments. If WeChat cannot be reached the order stays unpaid and the payments timer closes it."""
    from shared.payments.service import request_payment

    params = request_payment(order.out_trade_no)
    return {"order_id": order.id, "out_trade_no": order.out_trade_no, "purpose": order.purpose,
            "amount_fen": order.amount_fen, "description": order.description, "payment": params}


# --------------------------------------------------------------------------------------------------- paid


def on_order_paid(uow: UnitOfWork, order: Any) -> dict[str, Any] | None:
    """A `subscription` / `promotion` order is paid: grant what it bought and post its revenue, once.

    Called by the payments webhook / poller inside their transaction, with the order row (locked by them). Returns
    what was granted, or None when this order had been handled already.
    """
    purpose = _get(order, "purpose")
    order_id, out_trade_no = int(_get(order, "id")), str(_get(order, "out_trade_no"))
    payer, amount = int(_get(order, "payer_id")), int(_get(order, "amount_fen"))
    breakdown = _get(order, "breakdown") or {}
    if isinstance(breakdown, str):
        breakdown = json.loads(breakdown)
    ref = f"order:{out_trade_no}"
    if purpose == "subscription":
        granted = memberships.grant_membership(
            uow, order_id=order_id, out_trade_no=out_trade_no, user_id=payer, plan=breakdown["plan"],
            months=int(breakdown["months"]), price_fen=amount)
        post(uow, "subscription_paid", ref, [(CLEARING, amount), (REVENUE, -amount)],
             memo=f"{PLANS[breakdown['plan']].name} {breakdown['months']} 个月")
    elif purpose == "promotion":
        days = int(_get(order, "promotion_days") or breakdown["days"])
        task_id = int(_get(order, "task_id") or breakdown["task_id"])
        posted = post(uow, "promotion_paid", ref, [(CLEARING, amount), (REVENUE, -amount)],
                      memo=f"置顶推荐 {days} 天")
        task = uow.execute("SELECT id, title, status, deadline FROM tasks WHERE id = :t FOR UPDATE",
                           {"t": task_id}).one()
        if task.status != "open" or task.deadline <= uow.now:
            # Assigned, cancelled or expired between ordering and paying: ranking it first would buy nothing, so the
            # fee goes back (revenue reversed through the payments area's refund, idempotent on the key).
            if posted is not None:
                _refund_unusable_promotion(uow, order, task, amount)
            return None
        granted = promotion.grant_promotion(
            uow, order_id=order_id, out_trade_no=out_trade_no, task_id=task_id, merchant_id=payer, days=days,
            price_fen=amount)
    else:
        raise ValueError(f"on_order_paid cannot handle purpose {purpose!r}")
    return granted


def _refund_unusable_promotion(uow: UnitOfWork, order: Any, task: Any, amount: int) -> None:
    from shared.payments.refunds import refund_order

    out_trade_no = _get(order, "out_trade_no")
    refund_order(uow, order, REVENUE, amount, "任务已停止招募，置顶推荐费用原路退回",
                 key=f"unusable:order:{out_trade_no}")
    uow.notify(int(_get(order, "payer_id")), "payment_refunded", "置顶推荐费用将原路退回",
               f"「{task.title}」已停止招募，置顶推荐费用 {amount / 100:.2f} 元将原路退回。",
               data={"task_id": task.id, "out_trade_no": out_trade_no},
               dedupe_key=f"payment_refunded:{out_trade_no}")


def _get(row: Any, name: str) -> Any:
    """A column of the order, whether the caller passes a SQLAlchemy Row, a mapping or a model."""
    if isinstance(row, dict):
        return row.get(name)
    mapping = getattr(row, "_mapping", None)
    if mapping is not None:
        return mapping.get(name)
    return getattr(row, name, None)

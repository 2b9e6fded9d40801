"""Settling a paid order: bringing a payment WeChat Pay reports — by notification (shared/payments/webhook.py) or by
query (the orders timer, a close or create that found it paid) — into our books, once, through this one code path.

    paid at WeChat ──▶ settle_paid_order: checks, order marked paid ── crash_point("payin.settle") ──
        PaymentOrderPaid (subscribers: what was bought) + for escrow: fund_escrow posted, EscrowFunded (task opens)
        — or, when the money can fund nothing any more, fund_escrow + an immediate refund

All of it is one transaction: a crash anywhere rolls it back and the notification's retry or the timer starts over.
"""

from __future__ import annotations

import logging

from shared.adapters import clients
from shared.adapters import wechatpay as wxp
from shared.events import EscrowFunded, PaymentOrderPaid
from shared.faults import crash_point
from shared.ledger import accounts as acc
from shared.ledger.service import post
from shared.payments import milestones as ms
from shared.payments import rules, texts
from shared.payments.errors import Refused
from shared.payments.models import Order, mark_paid, order_by_id, order_by_number
from shared.payments.refunds import refund_order
from shared.tasks import rules as task_rules
from shared.tasks.models import Task
from shared.uow import UnitOfWork, run

log = logging.getLogger("codelink.payments")


def settle_paid_order(uow: UnitOfWork, paid: wxp.Order, *, via: str) -> str:
    """Bring a payment WeChat Pay reports (notification or query) into our books, once. Returns the outcome.

    Checks merchant, app id and amount against our order; refuses (Refused) without writing anything otherwise.
    Locks the task, then the order row (the order funding and cancelling take them in), so a notification, the
    timer and a cancellation of the same task serialise; the ledger's (kind, ref) uniqueness is the last guard."""
    gateway = clients.wechatpay()
    head = order_by_number(uow, paid.out_trade_no)
    if head is None:
        raise Refused(404, "unknown_order", f"未知订单 {paid.out_trade_no}")
    if paid.mchid != gateway.mchid or paid.appid != gateway.appid:
        raise Refused(400, "merchant_mismatch", f"商户号或 AppID 不符：{paid.mchid}/{paid.appid}")
    if paid.state not in rules.WECHAT_PAID or not paid.transaction_id:
        return "not_paid"  # NOTPAY / CLOSED / ...: nothing to settle
    task = uow.session.get(Task, head.task_id, with_for_update=True) if head.task_id else None
    order = order_by_id(uow, head.id, lock=True)
    assert order is not None
    if paid.amount_fen != order.amount_fen:
        raise Refused(400, "amount_mismatch", f"金额不符：通知 {paid.amount_fen} 分，订单 {order.amount_fen} 分")
    if order.state not in rules.ORDER_TRANSITIONS["pay"]:  # paid already
        if order.transaction_id != paid.transaction_id:
            log.error("order %s paid as %s, now reported as %s", order.out_trade_no, order.transaction_id,
                      paid.transaction_id)
        return "already_paid"
    # `created`, or `closed` by us while the payer was already paying: the money arrived either way and is ours to
    # account for (and to send back if it cannot fund anything any more).
    order = mark_paid(uow, order.id, transaction_id=paid.transaction_id, paid_at=paid.success_time or uow.now,
                      via=via)
    # Marked paid, nothing posted yet: a crash rolls all of it back, and the notification's retry or the timer
    # settles it again from the start.
    crash_point("payin.settle")
    # Subscribers act on what was bought (shared/billing: subscriptions, promotions), in this transaction.
    uow.publish(PaymentOrderPaid(
        order_id=order.id, out_trade_no=order.out_trade_no, purpose=order.purpose, payer_id=order.payer_id,
        amount_fen=order.amount_fen, task_id=order.task_id, milestone_id=order.milestone_id,
        reward_fen=order.reward_fen, promotion_fee_fen=order.promotion_fee_fen, promotion_days=order.promotion_days,
        transaction_id=paid.transaction_id, via=via, breakdown=dict(order.breakdown or {})))
    if order.purpose in rules.ESCROW_PURPOSES:
        assert task is not None
        return _settle_escrow(uow, order, task)
    return "paid"


def _settle_escrow(uow: UnitOfWork, order: Order, task: Task) -> str:
    """The escrow order's money: into the escrow (EscrowFunded: the task opens, a promotion bought with it starts —
    subscribers), or, when it can fund nothing any more, taken in and sent back."""
    assert task.id is not None
    milestone = None
    if order.purpose == "milestone_escrow":
        assert order.milestone_id is not None
        milestone = ms.milestone_by_id(uow, order.milestone_id, lock=True)
        escrow = acc.milestone_escrow(milestone.id)
        usable = (milestone.state == rules.MILESTONE_UNFUNDED and milestone.reward_fen == order.reward_fen
                  and task.status in ("awaiting_funding", "pending_review", "open", "in_progress", "delivered"))
    else:
        escrow = acc.task_escrow(task.id)
        usable = (task.funded_at is None and task.reward_fen == order.reward_fen
                  and task.status in ("awaiting_funding", "pending_review"))
    ref = f"order:{order.out_trade_no}"
    if not usable:
        # The money cannot fund what it was for any more: the task closed before the payment came, the escrow was
        # funded by another order, or the reward changed since this order was made. Take it in and send it back.
        post(uow, "fund_escrow", ref, [(acc.CLEARING, order.amount_fen), (escrow, -order.amount_fen)],
             memo="paid but unusable: refunded at once")
        refund_order(uow, order, escrow, order.amount_fen, "任务已关闭或已托管，款项原路退回",
                     key=f"unusable:order:{order.out_trade_no}")
        uow.notify(order.payer_id, *texts.PAYMENT_REFUNDED.render(
                       task_id=task.id, status=task_rules.STATUS_NAMES[task.status], yuan=order.amount_fen / 100),
                   data={"task_id": task.id, "out_trade_no": order.out_trade_no},
                   dedupe_key=f"payment_refunded:{order.out_trade_no}")
        return "paid_refunded"
    entries = [(acc.CLEARING, order.amount_fen), (escrow, -order.reward_fen)]
    if order.promotion_fee_fen:
        entries.append((acc.REVENUE, -order.promotion_fee_fen))
    post(uow, "fund_escrow", ref, entries)
    if milestone is not None:
        ms.move(uow, "fund", milestone_id=milestone.id)
    uow.publish(EscrowFunded(
        task_id=task.id, merchant_id=task.merchant_id, reward_fen=order.reward_fen, source="wechatpay",
        out_trade_no=order.out_trade_no, order_id=order.id, milestone_id=milestone.id if milestone else None,
        milestone_position=milestone.position if milestone else None, promotion_days=order.promotion_days,
        promotion_fee_fen=order.promotion_fee_fen))
    return "paid"


def settle_from_query(out_trade_no: str) -> str:
    """Ask WeChat Pay about an order and settle it if paid (the timer, or a close that found it paid)."""
    paid = clients.wechatpay().query_order(out_trade_no)
    try:
        return run(lambda uow: settle_paid_order(uow, paid, via="poll"))
    except Refused as exc:  # nothing settled; the notification (kept for admins) or the next poll tries again
        log.error("settling %s refused: %s", out_trade_no, exc)
        return "refused"


def settle_now(out_trade_no: str) -> None:
    """Found paid while trying to create or close it: bring the payment in now rather than wait for the
    notification. Best effort: the notification and the timer settle it anyway."""
    try:
        settle_from_query(out_trade_no)
    except wxp.WeChatPayError as exc:
        log.warning("settling %s now failed (the notification or the timer will): %s", out_trade_no, exc)

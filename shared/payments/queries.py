"""The payments area's read side: an order for its payer, a task's funding, refused notifications for admins."""

from __future__ import annotations

from shared.auth.models import User
from shared.errors import NotFound
from shared.ledger import accounts as acc
from shared.ledger.service import balance
from shared.payments import milestones as ms
from shared.payments import schemas as s
from shared.payments.models import Order, escrow_orders_of_task, order_by_number
from shared.payments.refunds import refunds_of_order, refunds_of_task
from shared.payments.rules import ORDER_STATE_NAMES
from shared.tasks.models import Task
from shared.uow import UnitOfWork


def order_out(order: Order, refunds: list[s.RefundOut] | None = None) -> s.OrderOut:
    return s.OrderOut(out_trade_no=order.out_trade_no, purpose=order.purpose, state=order.state,
                      state_name=ORDER_STATE_NAMES[order.state], task_id=order.task_id,
                      milestone_id=order.milestone_id, amount_fen=order.amount_fen, reward_fen=order.reward_fen,
                      promotion_fee_fen=order.promotion_fee_fen, promotion_days=order.promotion_days,
                      paid_at=order.paid_at, expires_at=order.expires_at, closed_at=order.closed_at,
                      created_at=order.created_at, refunds=refunds or [])


def get_order(uow: UnitOfWork, user_id: int, out_trade_no: str) -> s.OrderOut:
    order = order_by_number(uow, out_trade_no)
    if order is None or order.payer_id != user_id:
        # Not 403: whether someone else's order exists is itself private.
        raise NotFound("ORDER_NOT_FOUND", "订单不存在")
    return order_out(order, refunds_of_order(uow, order.id))


def task_funding(uow: UnitOfWork, user_id: int, task_id: int) -> s.FundingOut:
    task = uow.session.get(Task, task_id)
    viewer = uow.session.get(User, user_id)
    if task is None or (task.merchant_id != user_id and not (viewer and viewer.has_role("admin"))):
        raise NotFound("TASK_NOT_FOUND", "任务不存在")
    milestones = ms.milestones_of(uow, task_id)
    codes = [acc.milestone_escrow(m.id) for m in milestones] or [acc.task_escrow(task_id)]
    held = sum(balance(uow, code) for code in codes)
    return s.FundingOut(task_id=task_id, status=task.status, reward_fen=task.reward_fen,
                        funded=task.funded_at is not None, escrow_fen=held,
                        milestones=[ms.milestone_out(m) for m in milestones],
                        orders=[order_out(o) for o in escrow_orders_of_task(uow, task_id)],
                        refunds=refunds_of_task(uow, task_id))


def refused_notifications(uow: UnitOfWork, limit: int = 100) -> list[s.RefusedNotification]:
    rows = uow.execute("SELECT id, event_type, ref, outcome, detail, attempts, first_seen_at, last_seen_at"
                       " FROM payment_notifications WHERE NOT done ORDER BY last_seen_at DESC LIMIT :n",
                       {"n": limit}).mappings().all()
    return [s.RefusedNotification.model_validate(dict(r)) for r in rows]

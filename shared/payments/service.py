"""Funding a task: JSAPI orders, settling a paid order (the webhook and the timer share that one code path), the
timer for orders whose notification never came, the platform budget, and the read side (orders, a task's funding).

External calls (WeChat Pay) never happen inside a database transaction: `fund_task` and `poll_unpaid_orders`
orchestrate short units of work around them. An order row is committed *before* WeChat Pay hears of it, so any
notification we receive is for an order we know, and a crash between the two leaves an unpaid order the timer closes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.exc import IntegrityError

from shared import clock
from shared.adapters import clients
from shared.adapters import wechatpay as wxp
from shared.auth.models import User
from shared.errors import Conflict, Forbidden, NotFound, ServiceUnavailable, ValidationFailed
from shared.events import AdminAudited, EscrowFunded, PaymentOrderPaid
from shared.faults import crash_point
from shared.ledger import accounts as acc
from shared.ledger.service import balance, post
from shared.payments import milestones as ms
from shared.payments import schemas as s
from shared.payments.checkout import (
    ORDER_COLUMNS,
    ORDER_STATE_NAMES,
    create_order,
    order_row,
    request_payment,
    wall_now,
)
from shared.payments.errors import Refused
from shared.rules_config import load_rules
from shared.tasks import rules as task_rules
from shared.tasks.models import Task
from shared.uow import UnitOfWork, run

log = logging.getLogger("codelink.payments")

# A reused order must leave the payer time to pay; closer to its expiry than this, a fresh one is made instead.
REUSE_MARGIN = timedelta(minutes=5)
# Notifications usually arrive within seconds; an order unpaid for longer is asked about (they can be lost).
POLL_AFTER = timedelta(minutes=3)
POLL_BATCH = 50
ESCROW_PURPOSES = ("task_escrow", "milestone_escrow")


def _close_at_wechat(out_trade_no: str) -> None:
    """Close an unpaid order at WeChat so it can no longer be paid. If it was paid meanwhile, settle it now."""
    try:
        clients.wechatpay().close_order(out_trade_no)
    except wxp.NotFound:
        return  # WeChat never saw it (our create call failed): nothing to close
    except wxp.WeChatPayError as exc:
        if exc.code == "ORDERPAID":
            _settle_now(out_trade_no)
            raise Conflict("ORDER_ALREADY_PAID", "该订单已支付，请刷新查看") from None
        log.warning("close_order %s failed: %s", out_trade_no, exc)
        raise ServiceUnavailable("PAYMENT_UNAVAILABLE", "微信支付暂时不可用，请稍后再试") from None


def _settle_now(out_trade_no: str) -> None:
    """Found paid while trying to create or close it: bring the payment in now rather than wait for the
    notification. Best effort: the notification and the timer settle it anyway."""
    try:
        settle_from_query(out_trade_no)
    except wxp.WeChatPayError as exc:
        log.warning("settling %s now failed (the notification or the timer will): %s", out_trade_no, exc)


def _mark_closed(uow: UnitOfWork, out_trade_no: str, reason: str) -> bool:
    return bool(uow.execute(
        "UPDATE payment_orders SET state = 'closed', closed_at = :now, close_reason = :r, updated_at = :now"
        " WHERE out_trade_no = :no AND state = 'created'",
        {"now": uow.now, "r": reason, "no": out_trade_no}).rowcount)


# --------------------------------------------------------------------------------------------------- funding a task


@dataclass
class FundingPlan:
    task_id: int
    milestone_id: int | None
    purpose: str
    reward_fen: int
    promotion_fee_fen: int
    promotion_days: int | None
    description: str
    existing: Any  # the unpaid order for this escrow, or None
    reusable: bool

    @property
    def amount_fen(self) -> int:
        return self.reward_fen + self.promotion_fee_fen


def plan_funding(uow: UnitOfWork, merchant_id: int, task_id: int, data: s.FundIn, *, lock: bool = False
                 ) -> FundingPlan:
    """What paying for this task (or milestone) means right now, and whether its unpaid order can be reused."""
    task = uow.session.get(Task, task_id, with_for_update=lock)
    if task is None:
        raise NotFound("TASK_NOT_FOUND", "任务不存在")
    if task.merchant_id != merchant_id:
        raise Forbidden("NOT_TASK_OWNER", "只有任务发布者可以操作")
    if task.is_platform:
        raise Conflict("PLATFORM_TASK", "平台任务由平台预算托管，无需支付")
    status_name = task_rules.STATUS_NAMES[task.status]
    milestones = ms.milestones_of(uow, task_id, lock=lock)
    milestone = None
    if milestones:
        if data.milestone_id is not None:
            milestone = next((m for m in milestones if m.id == data.milestone_id), None)
            if milestone is None:
                raise NotFound("MILESTONE_NOT_FOUND", "里程碑不存在")
        else:
            milestone = next((m for m in milestones if m.state == "awaiting_funding"), None)
            if milestone is None:
                raise Conflict("ALREADY_FUNDED", "各里程碑赏金均已托管")
        if milestone.state != "awaiting_funding":
            raise Conflict("MILESTONE_ALREADY_FUNDED", "该里程碑已托管或已结束")
        if task.status not in ("awaiting_funding", "open", "in_progress", "delivered"):
            raise Conflict("TASK_NOT_AWAITING_FUNDING", f"任务当前状态为「{status_name}」，不能托管赏金")
        purpose, reward = "milestone_escrow", int(milestone.reward_fen)
        description = f"CodeLink 任务#{task_id} 里程碑{milestone.position}赏金托管"
    else:
        if data.milestone_id is not None:
            raise ValidationFailed.field("milestone_id", "该任务没有分里程碑")
        if task.funded_at is not None or task.status != "awaiting_funding":
            raise Conflict("TASK_NOT_AWAITING_FUNDING", f"任务当前状态为「{status_name}」，无需托管赏金")
        purpose, reward = "task_escrow", task.reward_fen
        description = f"CodeLink 任务#{task_id} 赏金托管"
    fee = 0
    if data.promotion_days is not None:
        if task.status != "awaiting_funding":
            raise Conflict("PROMOTION_NOT_WITH_THIS_ORDER", "置顶推荐可随首次托管购买，任务上线后请单独购买")
        prices = load_rules(uow).promotion_prices_fen
        if data.promotion_days not in prices:
            allowed = "、".join(str(d) for d in sorted(prices))
            raise ValidationFailed.field("promotion_days", f"置顶天数须为 {allowed} 天之一")
        fee = prices[data.promotion_days]
        description += f"+置顶{data.promotion_days}天"
    existing = order_row(uow, "purpose = :p AND task_id = :t AND coalesce(milestone_id, 0) = :m AND state = 'created'",
                      {"p": purpose, "t": task_id, "m": milestone.id if milestone else 0}, lock=lock)
    reusable = bool(
        existing is not None and existing.amount_fen == reward + fee and existing.reward_fen == reward
        and existing.promotion_days == data.promotion_days and existing.expires_at > uow.now + REUSE_MARGIN
        and existing.wechat_time_expire > wall_now() + REUSE_MARGIN)
    return FundingPlan(task_id, milestone.id if milestone else None, purpose, reward, fee, data.promotion_days,
                       description, existing, reusable)


def _open_order(uow: UnitOfWork, merchant_id: int, task_id: int, data: s.FundIn, closed_at_wechat: str | None
                ) -> tuple[Any, bool] | None:
    """Under the task's lock: reuse the unpaid order, or replace the one already closed at WeChat by a new one.
    None when the picture changed since the caller looked (another tap): the caller looks again."""
    plan = plan_funding(uow, merchant_id, task_id, data, lock=True)
    if plan.existing is not None:
        if plan.reusable:
            return plan.existing, True
        if plan.existing.out_trade_no != closed_at_wechat:
            return None
        _mark_closed(uow, plan.existing.out_trade_no, "superseded")
    order = create_order(
        uow, purpose=plan.purpose, payer_id=merchant_id, amount_fen=plan.amount_fen, description=plan.description,
        task_id=task_id, milestone_id=plan.milestone_id, reward_fen=plan.reward_fen,
        promotion_fee_fen=plan.promotion_fee_fen, promotion_days=plan.promotion_days,
        breakdown={"reward_fen": plan.reward_fen, "promotion_fee_fen": plan.promotion_fee_fen})
    return order, False


def fund_task(merchant_id: int, task_id: int, data: s.FundIn) -> s.FundOut:
    """POST /payments/tasks/{id}/fund: the order for the task's escrow (plus any promotion) and the signed
    parameters of wx.requestPayment. A double tap gets the same order; a changed amount closes the old one first."""
    for _ in range(4):
        plan = run(lambda uow: plan_funding(uow, merchant_id, task_id, data))
        closed = None
        if plan.existing is not None and not plan.reusable:
            _close_at_wechat(plan.existing.out_trade_no)
            closed = plan.existing.out_trade_no
            # Closed at WeChat, still `created` here: the timer sees it CLOSED and closes it; a new tap replaces it.
            crash_point("payin.after_close")
        try:
            opened = run(partial(_open_order, merchant_id=merchant_id, task_id=task_id, data=data,
                                 closed_at_wechat=closed))
        except IntegrityError:
            continue  # a concurrent tap inserted the order first (one unpaid order per escrow): reuse it
        if opened is None:
            continue
        order, reused = opened
        # The order is committed, WeChat has not heard of it: the timer closes it unpaid once it expires.
        crash_point("payin.after_order")
        params = request_payment(order.out_trade_no, on_already_paid=_settle_now)
        return s.FundOut(out_trade_no=order.out_trade_no, task_id=task_id, milestone_id=order.milestone_id,
                         amount_fen=order.amount_fen, reward_fen=order.reward_fen,
                         promotion_fee_fen=order.promotion_fee_fen, promotion_days=order.promotion_days,
                         expires_at=order.expires_at, reused=reused, payment_params=s.PaymentParams(**params))
    raise Conflict("FUNDING_BUSY", "支付请求过于频繁，请稍后再试")


# --------------------------------------------------------------------------------------------------- settling


def settle_paid_order(uow: UnitOfWork, paid: wxp.Order, *, via: str) -> str:
    """Bring a payment WeChat Pay reports (notification or query) into our books, once. Returns the outcome.

    Checks merchant, app id and amount against our order; refuses (Refused) without writing anything otherwise.
    Locks the task, then the order row (the order funding and cancelling take them in), so a notification, the
    timer and a cancellation of the same task serialise; the ledger's (kind, ref) uniqueness is the last guard."""
    gateway = clients.wechatpay()
    head = uow.execute("SELECT id, task_id FROM payment_orders WHERE out_trade_no = :no",
                       {"no": paid.out_trade_no}).first()
    if head is None:
        raise Refused(404, "unknown_order", f"未知订单 {paid.out_trade_no}")
    if paid.mchid != gateway.mchid or paid.appid != gateway.appid:
        raise Refused(400, "merchant_mismatch", f"商户号或 AppID 不符：{paid.mchid}/{paid.appid}")
    if paid.state not in ("SUCCESS", "REFUND") or not paid.transaction_id:
        return "not_paid"  # NOTPAY / CLOSED / ...: nothing to settle
    task = uow.session.get(Task, head.task_id, with_for_update=True) if head.task_id else None
    order = order_row(uow, "id = :id", {"id": head.id}, lock=True)
    if paid.amount_fen != order.amount_fen:
        raise Refused(400, "amount_mismatch", f"金额不符：通知 {paid.amount_fen} 分，订单 {order.amount_fen} 分")
    if order.state == "paid":
        if order.transaction_id != paid.transaction_id:
            log.error("order %s paid as %s, now reported as %s", order.out_trade_no, order.transaction_id,
                      paid.transaction_id)
        return "already_paid"
    # `created`, or `closed` by us while the payer was already paying: the money arrived either way and is ours to
    # account for (and to send back if it cannot fund anything any more).
    uow.execute(
        "UPDATE payment_orders SET state = 'paid', transaction_id = :tx, paid_at = :at, settled_via = :via,"
        " updated_at = :now WHERE id = :id",
        {"tx": paid.transaction_id, "at": paid.success_time or uow.now, "via": via, "now": uow.now, "id": order.id})
    # Marked paid, nothing posted yet: a crash rolls all of it back, and the notification's retry or the timer
    # settles it again from the start.
    crash_point("payin.settle")
    order = order_row(uow, "id = :id", {"id": order.id})
    # Subscribers act on what was bought (shared/billing: subscriptions, promotions), in this transaction.
    uow.publish(PaymentOrderPaid(
        order_id=order.id, out_trade_no=order.out_trade_no, purpose=order.purpose, payer_id=order.payer_id,
        amount_fen=order.amount_fen, task_id=order.task_id, milestone_id=order.milestone_id,
        reward_fen=order.reward_fen, promotion_fee_fen=order.promotion_fee_fen, promotion_days=order.promotion_days,
        transaction_id=paid.transaction_id, via=via, breakdown=dict(order.breakdown or {})))
    if order.purpose in ESCROW_PURPOSES:
        assert task is not None
        return _settle_escrow(uow, order, task)
    return "paid"


def _settle_escrow(uow: UnitOfWork, order: Any, task: Task) -> str:
    """The escrow order's money: into the escrow (EscrowFunded: the task opens, a promotion bought with it starts —
    subscribers), or, when it can fund nothing any more, taken in and sent back."""
    from shared.payments.refunds import refund_order

    assert task.id is not None
    milestone = None
    if order.purpose == "milestone_escrow":
        milestone = uow.execute("SELECT id, position, title, reward_fen, state FROM task_milestones WHERE id = :id"
                                " FOR UPDATE", {"id": order.milestone_id}).one()
        escrow = acc.milestone_escrow(milestone.id)
        usable = (milestone.state == "awaiting_funding" and milestone.reward_fen == order.reward_fen
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
        uow.notify(order.payer_id, "payment_refunded", "付款将原路退回",
                   f"任务#{task.id} 当前无需这笔托管（{task_rules.STATUS_NAMES[task.status]}），"
                   f"{order.amount_fen / 100:.2f} 元将原路退回。",
                   data={"task_id": task.id, "out_trade_no": order.out_trade_no},
                   dedupe_key=f"payment_refunded:{order.out_trade_no}")
        return "paid_refunded"
    entries = [(acc.CLEARING, order.amount_fen), (escrow, -order.reward_fen)]
    if order.promotion_fee_fen:
        entries.append((acc.REVENUE, -order.promotion_fee_fen))
    post(uow, "fund_escrow", ref, entries)
    if milestone is not None:
        uow.execute("UPDATE task_milestones SET state = 'funded', funded_at = :now, updated_at = :now WHERE id = :id",
                    {"now": uow.now, "id": milestone.id})
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


# --------------------------------------------------------------------------------------------------- the timer


def poll_unpaid_orders(batch: int = POLL_BATCH) -> dict[str, int]:
    """Timer (orders_poll): orders unpaid for over 3 minutes are queried — a lost notification is settled through the
    same path as the webhook — and orders past their expiry (or whose task no longer needs them) are closed at WeChat
    and here. Then refunds WeChat has not reported on are queried. Idempotent, bounded."""
    from shared.payments.refunds import poll_open_refunds

    counts = {"checked": 0, "settled": 0, "closed": 0, "refused": 0, "errors": 0}
    now = clock.now()
    rows = run(lambda uow: uow.execute(
        "SELECT o.out_trade_no, o.expires_at, o.purpose, o.milestone_id, t.status AS task_status,"
        " t.funded_at AS task_funded_at, m.state AS milestone_state FROM payment_orders o"
        " LEFT JOIN tasks t ON t.id = o.task_id LEFT JOIN task_milestones m ON m.id = o.milestone_id"
        " WHERE o.state = 'created' AND o.created_at <= :cutoff ORDER BY o.created_at LIMIT :n",
        {"cutoff": now - POLL_AFTER, "n": batch}).all())
    gateway = clients.wechatpay()
    for row in rows:
        counts["checked"] += 1
        try:
            paid: wxp.Order | None = gateway.query_order(row.out_trade_no)
        except wxp.NotFound:
            paid = None  # WeChat never got it (our create failed or never ran)
        except wxp.WeChatPayError as exc:
            log.warning("orders_poll: query %s failed: %s", row.out_trade_no, exc)
            counts["errors"] += 1
            continue
        if paid is not None and paid.state in ("SUCCESS", "REFUND"):
            crash_point("payin.poll_found_paid")  # nothing written yet: the next run asks again
            try:
                run(partial(settle_paid_order, paid=paid, via="poll"))
                counts["settled"] += 1
            except Refused as exc:
                log.error("orders_poll: %s refused: %s", row.out_trade_no, exc)
                counts["refused"] += 1
            continue
        reason = _close_reason(row, paid, now)
        if reason is None:
            continue
        if paid is not None and paid.state != "CLOSED":
            try:
                gateway.close_order(row.out_trade_no)
            except wxp.NotFound:
                pass
            except wxp.WeChatPayError as exc:
                if exc.code == "ORDERPAID":  # paid between our query and the close
                    try:
                        settle_from_query(row.out_trade_no)
                        counts["settled"] += 1
                    except (wxp.WeChatPayError, Refused) as again:
                        log.warning("orders_poll: settling %s failed: %s", row.out_trade_no, again)
                        counts["errors"] += 1
                else:
                    log.warning("orders_poll: close %s failed: %s", row.out_trade_no, exc)
                    counts["errors"] += 1
                continue
        if run(partial(_mark_closed, out_trade_no=row.out_trade_no, reason=reason)):
            counts["closed"] += 1
    counts.update(poll_open_refunds())
    return counts


def _close_reason(row: Any, paid: wxp.Order | None, now: datetime) -> str | None:
    if paid is not None and paid.state == "CLOSED":
        return "closed_at_wechat"
    if row.expires_at <= now:
        return "expired"
    # The task no longer waits for this money (cancelled, expired, funded otherwise): stop it being paid at all.
    if row.purpose == "task_escrow" and (row.task_funded_at is not None or row.task_status in task_rules.TERMINAL):
        return "not_needed"
    if row.purpose == "milestone_escrow" and row.milestone_state != "awaiting_funding":
        return "not_needed"
    return None


# --------------------------------------------------------------------------------------------------- platform budget


def fund_platform_task(uow: UnitOfWork, task_id: int) -> None:
    """A platform task (published by the operators) is funded from the platform budget, in the same transaction that
    publishes or approves it (payments' subscriber): no WeChat order. Refused when the budget cannot cover it."""
    milestones = ms.milestones_of(uow, task_id, lock=True)
    targets = [(acc.milestone_escrow(m.id), int(m.reward_fen)) for m in milestones if m.state == "awaiting_funding"]
    if not milestones:
        reward = uow.execute("SELECT reward_fen FROM tasks WHERE id = :t", {"t": task_id}).scalar_one()
        targets = [(acc.task_escrow(task_id), int(reward))]
    need = sum(amount for _, amount in targets)
    # Lock the budget account: two approvals at once must not both see the same balance.
    row = uow.execute("SELECT balance FROM ledger_accounts WHERE code = :c FOR UPDATE", {"c": acc.BUDGET}).first()
    available = int(row.balance) if row else 0
    if available < need:
        raise Conflict("PLATFORM_BUDGET_INSUFFICIENT",
                       f"平台预算不足：需要 {need / 100:.2f} 元，当前余额 {available / 100:.2f} 元")
    post(uow, "fund_escrow", f"budget:task:{task_id}", [(acc.BUDGET, need), *[(a, -x) for a, x in targets]],
         memo="platform task funded from the budget")
    uow.execute("UPDATE task_milestones SET state = 'funded', funded_at = :now, updated_at = :now"
                " WHERE task_id = :t AND state = 'awaiting_funding'", {"now": uow.now, "t": task_id})
    merchant = uow.execute("SELECT merchant_id FROM tasks WHERE id = :t", {"t": task_id}).scalar_one()
    uow.publish(EscrowFunded(task_id=task_id, merchant_id=merchant, reward_fen=need, source="platform_budget"))


def top_up_budget(uow: UnitOfWork, admin_id: int, data: s.TopUpIn) -> s.BudgetOut:
    """Money the company paid into the WeChat Pay merchant balance for platform tasks: clearing debit, budget credit.
    Idempotent on the transfer's reference."""
    posted = post(uow, "budget_topup", f"topup:{data.reference}",
                  [(acc.CLEARING, data.amount_fen), (acc.BUDGET, -data.amount_fen)], memo=data.note)
    if posted is not None:
        uow.publish(AdminAudited(admin_id=admin_id, action="budget.top_up", entity_name="ledger_transaction",
                                 entity_id=posted.transaction_id, reason=data.note,
                                 after={"amount_fen": data.amount_fen, "reference": data.reference}))
    return s.BudgetOut(balance_fen=balance(uow, acc.BUDGET), posted=posted is not None)


def budget(uow: UnitOfWork) -> s.BudgetOut:
    return s.BudgetOut(balance_fen=balance(uow, acc.BUDGET), posted=None)


# --------------------------------------------------------------------------------------------------- reading


def order_out(row: Any, refunds: list[s.RefundOut] | None = None) -> s.OrderOut:
    return s.OrderOut(out_trade_no=row.out_trade_no, purpose=row.purpose, state=row.state,
                      state_name=ORDER_STATE_NAMES[row.state], task_id=row.task_id, milestone_id=row.milestone_id,
                      amount_fen=row.amount_fen, reward_fen=row.reward_fen, promotion_fee_fen=row.promotion_fee_fen,
                      promotion_days=row.promotion_days, paid_at=row.paid_at, expires_at=row.expires_at,
                      closed_at=row.closed_at, created_at=row.created_at, refunds=refunds or [])


def get_order(uow: UnitOfWork, user_id: int, out_trade_no: str) -> s.OrderOut:
    from shared.payments.refunds import refunds_where

    row = order_row(uow, "out_trade_no = :no", {"no": out_trade_no})
    if row is None or row.payer_id != user_id:
        # Not 403: whether someone else's order exists is itself private.
        raise NotFound("ORDER_NOT_FOUND", "订单不存在")
    return order_out(row, refunds_where(uow, "r.order_id = :o", {"o": row.id}))


def task_funding(uow: UnitOfWork, user_id: int, task_id: int) -> s.FundingOut:
    from shared.payments.refunds import refunds_where

    task = uow.session.get(Task, task_id)
    viewer = uow.session.get(User, user_id)
    if task is None or (task.merchant_id != user_id and not (viewer and viewer.has_role("admin"))):
        raise NotFound("TASK_NOT_FOUND", "任务不存在")
    milestones = ms.milestones_of(uow, task_id)
    codes = [acc.milestone_escrow(m.id) for m in milestones] or [acc.task_escrow(task_id)]
    held = sum(balance(uow, code) for code in codes)
    orders = uow.execute(f"SELECT {ORDER_COLUMNS} FROM payment_orders WHERE task_id = :t AND purpose IN"
                         " ('task_escrow', 'milestone_escrow') ORDER BY id DESC LIMIT 50", {"t": task_id}).all()
    return s.FundingOut(task_id=task_id, status=task.status, reward_fen=task.reward_fen,
                        funded=task.funded_at is not None, escrow_fen=held,
                        milestones=[ms.milestone_out(m) for m in milestones],
                        orders=[order_out(o) for o in orders],
                        refunds=refunds_where(uow, "r.task_id = :t", {"t": task_id}))


def refused_notifications(uow: UnitOfWork, limit: int = 100) -> list[s.RefusedNotification]:
    rows = uow.execute("SELECT id, event_type, ref, outcome, detail, attempts, first_seen_at, last_seen_at"
                       " FROM payment_notifications WHERE NOT done ORDER BY last_seen_at DESC LIMIT :n",
                       {"n": limit}).mappings().all()
    return [s.RefusedNotification.model_validate(dict(r)) for r in rows]


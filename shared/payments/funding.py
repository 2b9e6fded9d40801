"""Funding a task: the JSAPI order for its escrow (or one milestone's, plus any promotion bought with it) and the
signed parameters of wx.requestPayment.

External calls (WeChat Pay) never happen inside a database transaction: `fund_task` orchestrates short units of
work around them. An order row is committed *before* WeChat Pay hears of it, so any notification we receive is for
an order we know, and a crash between the steps leaves an unpaid order the orders timer closes (or the next tap
reuses):

    plan ──(changed amount)──▶ close the old order at WeChat ── crash_point("payin.after_close") ──
    replacement (or reused) order committed ── crash_point("payin.after_order") ──
    JSAPI order at WeChat ── crash_point("payin.after_create") ── prepay_id stored (shared/payments/checkout.py)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from sqlalchemy.exc import IntegrityError

from shared.adapters import clients
from shared.adapters import wechatpay as wxp
from shared.errors import Conflict, Forbidden, NotFound, ServiceUnavailable, ValidationFailed
from shared.faults import crash_point
from shared.payments import milestones as ms
from shared.payments import rules
from shared.payments import schemas as s
from shared.payments.checkout import create_order, request_payment, wall_now
from shared.payments.models import Order, mark_closed, open_escrow_order
from shared.payments.settle import settle_now
from shared.rules_config import load_rules
from shared.tasks import rules as task_rules
from shared.tasks.models import Task
from shared.uow import UnitOfWork, run

log = logging.getLogger("codelink.payments")


@dataclass
class FundingPlan:
    task_id: int
    milestone_id: int | None
    purpose: str
    reward_fen: int
    promotion_fee_fen: int
    promotion_days: int | None
    description: str
    existing: Order | None  # the unpaid order for this escrow
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
            milestone = next((m for m in milestones if m.state == rules.MILESTONE_UNFUNDED), None)
            if milestone is None:
                raise Conflict("ALREADY_FUNDED", "各里程碑赏金均已托管")
        if milestone.state != rules.MILESTONE_UNFUNDED:
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
    existing = open_escrow_order(uow, purpose, task_id, milestone.id if milestone else None, lock=lock)
    reusable = bool(
        existing is not None and existing.amount_fen == reward + fee and existing.reward_fen == reward
        and existing.promotion_days == data.promotion_days and existing.expires_at > uow.now + rules.REUSE_MARGIN
        and existing.wechat_time_expire > wall_now() + rules.REUSE_MARGIN)
    return FundingPlan(task_id, milestone.id if milestone else None, purpose, reward, fee, data.promotion_days,
                       description, existing, reusable)


def _open_order(uow: UnitOfWork, merchant_id: int, task_id: int, data: s.FundIn, closed_at_wechat: str | None
                ) -> tuple[Order, bool] | None:
    """Under the task's lock: reuse the unpaid order, or replace the one already closed at WeChat by a new one.
    None when the picture changed since the caller looked (another tap): the caller looks again."""
    plan = plan_funding(uow, merchant_id, task_id, data, lock=True)
    if plan.existing is not None:
        if plan.reusable:
            return plan.existing, True
        if plan.existing.out_trade_no != closed_at_wechat:
            return None
        mark_closed(uow, plan.existing.out_trade_no, "superseded")
    order = create_order(
        uow, purpose=plan.purpose, payer_id=merchant_id, amount_fen=plan.amount_fen, description=plan.description,
        task_id=task_id, milestone_id=plan.milestone_id, reward_fen=plan.reward_fen,
        promotion_fee_fen=plan.promotion_fee_fen, promotion_days=plan.promotion_days,
        breakdown={"reward_fen": plan.reward_fen, "promotion_fee_fen": plan.promotion_fee_fen})
    return order, False


def close_at_wechat(out_trade_no: str) -> None:
    """Close an unpaid order at WeChat so it can no longer be paid. If it was paid meanwhile, settle it now."""
    try:
        clients.wechatpay().close_order(out_trade_no)
    except wxp.NotFound:
        return  # WeChat never saw it (our create call failed): nothing to close
    except wxp.WeChatPayError as exc:
        if exc.code == "ORDERPAID":
            settle_now(out_trade_no)
            raise Conflict("ORDER_ALREADY_PAID", "该订单已支付，请刷新查看") from None
        log.warning("close_order %s failed: %s", out_trade_no, exc)
        raise ServiceUnavailable("PAYMENT_UNAVAILABLE", "微信支付暂时不可用，请稍后再试") from None


def fund_task(merchant_id: int, task_id: int, data: s.FundIn) -> s.FundOut:
    """POST /payments/tasks/{id}/fund: the order for the task's escrow (plus any promotion) and the signed
    parameters of wx.requestPayment. A double tap gets the same order; a changed amount closes the old one first."""
    for _ in range(4):
        plan = run(lambda uow: plan_funding(uow, merchant_id, task_id, data))
        closed = None
        if plan.existing is not None and not plan.reusable:
            close_at_wechat(plan.existing.out_trade_no)
            closed = plan.existing.out_trade_no
            # Closed at WeChat, still open here: the timer sees it CLOSED and closes it; a new tap replaces it.
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
        params = request_payment(order.out_trade_no, on_already_paid=settle_now)
        return s.FundOut(out_trade_no=order.out_trade_no, task_id=task_id, milestone_id=order.milestone_id,
                         amount_fen=order.amount_fen, reward_fen=order.reward_fen,
                         promotion_fee_fen=order.promotion_fee_fen, promotion_days=order.promotion_days,
                         expires_at=order.expires_at, reused=reused, payment_params=s.PaymentParams(**params))
    raise Conflict("FUNDING_BUSY", "支付请求过于频繁，请稍后再试")

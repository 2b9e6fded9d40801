"""The payments area's subscribers: money follows what happened to tasks, disputes and promotions, in the same
transaction (a task can never close with its escrow forgotten, nor a ruling be recorded without its refund)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.ledger.accounts import REVENUE
from shared.payments import milestones as ms
from shared.payments.budget import fund_platform_task as fund
from shared.payments.models import order_by_id
from shared.payments.refunds import refund_on_close, refund_order, request_refund
from shared.payments.schemas import MilestoneIn
from shared.tasks.models import Task

if TYPE_CHECKING:
    from shared.events import (
        DisputeRuled,
        PromotionUnusable,
        Stored,
        TaskApproved,
        TaskClosed,
        TaskPublished,
    )
    from shared.uow import UnitOfWork

_CLOSE_REASONS = {"cancelled": ("cancel", "任务已取消"), "expired": ("expire", "任务到期未选定开发者"),
                  "rejected": ("reject", "任务未通过审核")}


def create_milestones(uow: UnitOfWork, stored: Stored[TaskPublished]) -> None:
    """A task published with its reward split: the milestones, each to be funded on its own. A split that does not
    add up refuses the publication (422, the whole use case rolls back)."""
    e = stored.event
    if not e.milestones:
        return
    parts = [MilestoneIn.model_validate(m) for m in e.milestones]
    ms.check_milestones(parts, e.reward_fen)
    ms.create_milestones(uow, e.task_id, parts)


def fund_platform_task(uow: UnitOfWork, stored: Stored[TaskPublished] | Stored[TaskApproved]) -> None:
    """Operators' tasks are funded from the platform budget as soon as they wait for funding."""
    e = stored.event
    if e.is_platform and e.status == "awaiting_funding":
        fund(uow, e.task_id)


def refund_on_task_closed(uow: UnitOfWork, stored: Stored[TaskClosed]) -> None:
    """A task closed before work started gives back whatever its escrow holds (the task row is locked by the
    publisher)."""
    e = stored.event
    task = uow.session.get(Task, e.task_id)
    assert task is not None
    action, reason = _CLOSE_REASONS[e.reason]
    refund_on_close(uow, task, action=action, reason=reason, actor_id=e.actor_id)


def refund_ruling(uow: UnitOfWork, stored: Stored[DisputeRuled]) -> None:
    """The merchant's part of a dispute ruling, keyed by the dispute: deciding it again refunds nothing more."""
    e = stored.event
    if e.refund_fen:
        request_refund(uow, e.task_id, e.refund_fen, f"纠纷裁决退款（纠纷 #{e.dispute_id}）",
                       key=f"dispute:{e.dispute_id}", actor_id=e.admin_id)


def refund_promotion(uow: UnitOfWork, stored: Stored[PromotionUnusable]) -> None:
    """A promotion paid for a task that stopped recruiting: the fee (already revenue) goes back."""
    e = stored.event
    order = order_by_id(uow, e.order_id)
    assert order is not None
    refund_order(uow, order, REVENUE, e.amount_fen, "任务已停止招募，置顶推荐费用原路退回",
                 key=f"unusable:order:{e.out_trade_no}")

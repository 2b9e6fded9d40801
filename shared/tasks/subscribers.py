"""The tasks area's subscribers: a task's own columns follow what happened elsewhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.events import TaskOpened
from shared.tasks import texts
from shared.tasks.models import Task
from shared.tasks.transitions import next_status, set_status

if TYPE_CHECKING:
    from shared.events import ApplicationSubmitted, EscrowFunded, Stored
    from shared.uow import UnitOfWork


def count_application(uow: UnitOfWork, stored: Stored[ApplicationSubmitted]) -> None:
    """The task card's applicant count (the apply use case holds the task's row lock already)."""
    uow.execute("UPDATE tasks SET applications_count = applications_count + 1 WHERE id = :t",
                {"t": stored.event.task_id})


def open_when_funded(uow: UnitOfWork, stored: Stored[EscrowFunded]) -> None:
    """Escrow paid (or funded from the platform budget): the task is funded, and opens in the hall if it was only
    waiting for the money. Same transaction as the payment's posting (the payments area holds the task's lock)."""
    e = stored.event
    task = uow.session.get(Task, e.task_id, with_for_update=True)
    assert task is not None and task.id is not None
    if task.funded_at is None:
        task.funded_at = uow.now
        uow.session.add(task)
    reward = f"{e.reward_fen // 100}.{e.reward_fen % 100:02d}"
    if task.status == "awaiting_funding":
        set_status(uow, task, next_status(task, "fund"))
        uow.publish(TaskOpened(task_id=task.id, merchant_id=task.merchant_id, skill_tags=tuple(task.skill_tags),
                               difficulty=task.difficulty, reward_fen=task.reward_fen))
        notice = texts.ESCROW_FUNDED_LIVE
    elif e.milestone_id is not None:
        notice = texts.ESCROW_FUNDED_MILESTONE
    else:
        notice = texts.ESCROW_FUNDED_IN_REVIEW
    if e.source == "wechatpay":  # the operators funding their own task from the budget need no message
        uow.notify(task.merchant_id, *notice.render(title=task.title, reward=reward, position=e.milestone_position),
                   data={"task_id": task.id, "out_trade_no": e.out_trade_no},
                   dedupe_key=f"escrow_funded:{e.out_trade_no}")

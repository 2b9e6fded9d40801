"""The payouts area's subscribers: escrow releases and transfers, in the transaction of what caused them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from shared.payouts.release import release_on_completion, release_to_developer
from shared.payouts.transfers import on_real_name_set, on_transfer_notification
from shared.tasks.models import Task

if TYPE_CHECKING:
    from shared.events import DisputeRuled, MerchantTransferReported, RealNameSet, Stored, TaskCompleted
    from shared.uow import UnitOfWork

log = logging.getLogger("codelink.payouts")


def _task(uow: UnitOfWork, task_id: int) -> Task:
    task = uow.session.get(Task, task_id)  # the publisher holds the task's row lock
    assert task is not None
    return task


def release_on_task_completed(uow: UnitOfWork, stored: Stored[TaskCompleted]) -> None:
    """Acceptance and auto-acceptance release the escrow (developer share + commission) and queue the payout, in the
    acceptance's transaction. A dispute ruling released its own part (DisputeRuled)."""
    if stored.event.via != "dispute":
        release_on_completion(uow, _task(uow, stored.event.task_id))


def release_ruling(uow: UnitOfWork, stored: Stored[DisputeRuled]) -> None:
    """The developer's part of a dispute ruling, released like an acceptance (once per task: the ledger's ref)."""
    e = stored.event
    if e.payout_gross_fen:
        release_to_developer(uow, _task(uow, e.task_id), e.payout_gross_fen, source="dispute",
                             memo=f"dispute {e.dispute_id} ruling: {e.outcome}")


def resume_on_real_name(uow: UnitOfWork, stored: Stored[RealNameSet]) -> None:
    """Payouts that waited for the developer's real name go on at once."""
    on_real_name_set(uow, stored.event.user_id)


def settle_transfer(uow: UnitOfWork, stored: Stored[MerchantTransferReported]) -> None:
    """MCHTRANSFER.BILL.FINISHED: settle the transfer, or refuse it (raises the webhook's Refused: nothing is
    settled and WeChat sends it again)."""
    outcome = on_transfer_notification(uow, stored.event.resource)
    log.info("transfer %s: %s", stored.event.out_bill_no, outcome)

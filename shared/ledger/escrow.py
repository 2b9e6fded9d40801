"""What a task's escrow holds: read from the ledger (a library any area may call: payouts releases it, disputes rule
on it, payments refunds it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.ledger import accounts as acc

if TYPE_CHECKING:
    from shared.uow import UnitOfWork


def task_escrow_accounts(uow: UnitOfWork, task_id: int) -> list[tuple[str, int]]:
    """Every escrow account holding money for the task, with its balance: the task's own first, then its
    milestones' in order (milestone tasks fund each milestone separately, shared/payments)."""
    rows = uow.execute(
        "SELECT code, balance, 0 AS position FROM ledger_accounts WHERE code = :task AND balance > 0"
        " UNION ALL SELECT a.code, a.balance, m.position FROM task_milestones m"
        " JOIN ledger_accounts a ON a.code = 'escrow:milestone:' || m.id WHERE m.task_id = :id AND a.balance > 0"
        " ORDER BY position", {"task": acc.task_escrow(task_id), "id": task_id}).all()
    return [(r.code, int(r.balance)) for r in rows]


def escrow_held(uow: UnitOfWork, task_id: int) -> int:
    return sum(b for _, b in task_escrow_accounts(uow, task_id))

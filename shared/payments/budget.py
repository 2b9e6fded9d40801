"""The platform budget: operators' tasks are funded from `platform:budget` instead of a WeChat order, and the
operators top it up with what the company paid into the merchant balance."""

from __future__ import annotations

from shared.errors import Conflict
from shared.events import AdminAudited, EscrowFunded
from shared.ledger import accounts as acc
from shared.ledger.service import balance, post
from shared.payments import milestones as ms
from shared.payments import schemas as s
from shared.payments.rules import MILESTONE_UNFUNDED
from shared.uow import UnitOfWork


def fund_platform_task(uow: UnitOfWork, task_id: int) -> None:
    """A platform task (published by the operators) is funded from the platform budget, in the same transaction that
    publishes or approves it (payments' subscriber): no WeChat order. Refused when the budget cannot cover it."""
    milestones = ms.milestones_of(uow, task_id, lock=True)
    targets = [(acc.milestone_escrow(m.id), int(m.reward_fen)) for m in milestones if m.state == MILESTONE_UNFUNDED]
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
    ms.move(uow, "fund", task_id=task_id)
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

"""Releasing a task's escrow to its developer (acceptance, auto-acceptance, a dispute ruling) and recording the payout
it owes: the first step of the flow described in shared/payouts/transfers.py.

    accept / auto-accept / ruling ──(same transaction)──▶ release_escrow + payouts row (pending) + job payout_start
"""

from __future__ import annotations

import logging
import secrets
import string
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.billing.queries import is_enterprise
from shared.events import EscrowReleased, PayoutCreated
from shared.ledger import accounts as acc
from shared.ledger.escrow import escrow_held, task_escrow_accounts
from shared.ledger.service import balance, post
from shared.payments.rules import MILESTONE_TRANSITIONS, milestone_to
from shared.payouts.commission import split
from shared.payouts.rules import INITIAL
from shared.rules_config import Rules, load_rules
from shared.uow import UnitOfWork

if TYPE_CHECKING:
    from shared.tasks.models import Task

log = logging.getLogger("codelink.payouts")

_BILL_KEY_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Release:
    released: bool  # False: the task's escrow had been released already (nothing moved now)
    payout_id: int | None
    gross_fen: int
    commission_fen: int

    @property
    def share_fen(self) -> int:
        return self.gross_fen - self.commission_fen


def release_to_developer(uow: UnitOfWork, task: Task, gross_fen: int, *, source: str, rules: Rules | None = None,
                         memo: str = "") -> Release:
    """Release `gross_fen` of the task's escrow: the developer's share to their payable balance, the commission to
    platform revenue — ledger `release_escrow` ref task:<id>, at most once per task — and queue its payout.

    The caller holds the task's row lock (acceptance, auto-acceptance and rulings all do), so two releases of one
    task cannot interleave; the (kind, ref) uniqueness of the ledger would stop the second anyway."""
    assert task.id is not None and task.assignee_id is not None
    rules = rules or load_rules(uow)
    held = task_escrow_accounts(uow, task.id)
    if gross_fen <= 0 or gross_fen > sum(b for _, b in held):
        raise ValueError(f"cannot release {gross_fen} fen of task {task.id}: escrow holds {held}")
    enterprise = is_enterprise(uow, task.merchant_id, uow.now)  # the billing area's membership, read
    parts = split(gross_fen, enterprise, rules, platform_task=task.is_platform)
    # Take from the task's own escrow first, then milestones in order.
    entries: list[tuple[str, int]] = []
    left = gross_fen
    for code, held_fen in held:
        take = min(left, held_fen)
        if take:
            entries.append((code, take))  # debit: the escrow gives the money up
            left -= take
    entries += [(acc.payable(task.assignee_id), -parts.share_fen), (acc.REVENUE, -parts.commission_fen)]
    posted = post(uow, "release_escrow", f"task:{task.id}", entries,
                  memo=memo or f"commission {parts.commission_fen} fen{' (enterprise)' if enterprise else ''}")
    if posted is None:
        return Release(False, None, parts.gross_fen, parts.commission_fen)
    for code, _ in entries:
        if code.startswith("escrow:milestone:") and balance(uow, code) == 0:
            # The payments area's milestone state machine (its published rules), action `release`.
            uow.execute("UPDATE task_milestones SET state = :to, updated_at = :now WHERE id = :id"
                        " AND state = ANY(:from)",
                        {"to": milestone_to("release"), "from": sorted(MILESTONE_TRANSITIONS["release"]),
                         "now": uow.now, "id": int(code.rsplit(":", 1)[1])})
    payout_id = None
    if parts.share_fen > 0:
        payout_id = create_payout(uow, developer_id=task.assignee_id, ref=f"task:{task.id}", source=source,
                                  task_id=task.id, gross_fen=parts.gross_fen, commission_fen=parts.commission_fen)
    uow.publish(EscrowReleased(task_id=task.id, developer_id=task.assignee_id, gross_fen=parts.gross_fen,
                               commission_fen=parts.commission_fen, share_fen=parts.share_fen, enterprise=enterprise,
                               payout_id=payout_id))
    return Release(True, payout_id, parts.gross_fen, parts.commission_fen)


def release_on_completion(uow: UnitOfWork, task: Task) -> Release | None:
    """Acceptance and auto-acceptance (TaskCompleted; shared/payouts/subscribers.py), in their transaction.

    A task that was never funded through escrow (escrow switched off, or created before it was required) has nothing
    to release: that is not an error, the task simply completes without a payout from us."""
    assert task.id is not None
    held = escrow_held(uow, task.id)
    if held <= 0:
        log.info("task %s completed without escrow: nothing to release", task.id)
        return None
    gross = min(held, task.reward_fen)
    if held > task.reward_fen:
        # Never pay out more than the reward; what is left stays visible to `make ledger-check` as stuck escrow.
        log.error("task %s escrow holds %s fen, more than its reward %s", task.id, held, task.reward_fen)
    return release_to_developer(uow, task, gross, source="task")


def create_payout(uow: UnitOfWork, *, developer_id: int, ref: str, source: str, task_id: int | None,
                  gross_fen: int, commission_fen: int) -> int | None:
    """Record a payout owed (state pending) and queue its start. Idempotent on `ref`: None if it exists already."""
    bill_key = "".join(secrets.choice(_BILL_KEY_ALPHABET) for _ in range(6))
    row = uow.execute(
        "INSERT INTO payouts (developer_id, ref, source, task_id, amount_fen, gross_fen, commission_fen, state,"
        " bill_key, created_at, updated_at)"
        " VALUES (:d, :ref, :source, :task, :amount, :gross, :commission, :state, :key, :now, :now)"
        " ON CONFLICT (ref) DO NOTHING RETURNING id",
        {"d": developer_id, "ref": ref, "source": source, "task": task_id, "amount": gross_fen - commission_fen,
         "gross": gross_fen, "commission": commission_fen, "state": INITIAL, "key": bill_key, "now": uow.now},
    ).first()
    if row is None:
        return None
    uow.enqueue("payout_start", {"payout_id": row.id}, dedupe_key=f"payout:{row.id}:start")
    uow.publish(PayoutCreated(payout_id=row.id, developer_id=developer_id, ref=ref,
                              amount_fen=gross_fen - commission_fen, source=source))
    return int(row.id)


def wake(uow: UnitOfWork, payout_id: int) -> None:
    """Queue another start for a payout set back to pending (a retry, a real name given). Each wake-up is its own
    job; start_payout acts only from the state it finds, so an extra one is harmless."""
    uow.enqueue("payout_start", {"payout_id": payout_id}, dedupe_key=f"payout:{payout_id}:{uuid.uuid4().hex}")

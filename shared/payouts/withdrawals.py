"""Withdrawing: the developer pays out everything available in their payable balance (after failed or cancelled
transfers returned money to it)."""

from __future__ import annotations

import uuid

from shared.errors import Conflict
from shared.events import WithdrawalRequested
from shared.payouts import rules
from shared.payouts.queries import get_payout, payable_and_claims
from shared.payouts.release import create_payout
from shared.payouts.schemas import PayoutOut
from shared.uow import UnitOfWork


def withdraw(uow: UnitOfWork, developer_id: int) -> PayoutOut:
    """Pay out everything available in the payable balance: the balance less what payouts already count on."""
    # One withdrawal at a time per developer; the lock is released at commit.
    uow.execute("SELECT pg_advisory_xact_lock(7362004, :k)", {"k": developer_id % 2_147_483_647})
    # Asking to withdraw now beats waiting for the automatic retry: fold failed transfers' retries into this payout.
    folded = uow.execute(
        "UPDATE payouts SET next_retry_at = NULL, updated_at = :now WHERE developer_id = :d AND state = ANY(:retrying)"
        " AND next_retry_at IS NOT NULL RETURNING id",
        {"now": uow.now, "d": developer_id, "retrying": sorted(rules.RETRYING)}).all()
    payable, claims = payable_and_claims(uow, developer_id)
    available = payable - claims
    if available <= 0:
        raise Conflict("NOTHING_TO_WITHDRAW", "当前没有可提现的余额")
    payout_id = create_payout(uow, developer_id=developer_id, ref=f"withdraw:{uuid.uuid4().hex}", source="withdraw",
                              task_id=None, gross_fen=available, commission_fen=0)
    assert payout_id is not None
    uow.publish(WithdrawalRequested(payout_id=payout_id, developer_id=developer_id, amount_fen=available,
                                    folded=tuple(r.id for r in folded)))
    return get_payout(uow, developer_id, payout_id)

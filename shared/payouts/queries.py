"""The payouts area's read side: a developer's payouts and balance (read-only; other areas may read it too)."""

from __future__ import annotations

from typing import Any

from shared.errors import NotFound
from shared.ledger import accounts as acc
from shared.payouts import rules, settlement
from shared.payouts.models import PayoutView, own_payout_view, payout_views
from shared.payouts.schemas import STATE_HINTS, STATE_NAMES, BalanceOut, PayoutOut
from shared.payouts.settlement import SettlementStrategy
from shared.uow import UnitOfWork

# Money still in payable that a payout already counts on: queued or waiting for the developer, or a failed transfer
# with an automatic retry ahead (shared/payouts/rules.py). In-flight payouts moved theirs out of payable already.
# Its parameters: :d the developer, :queued, :retrying (`_claim_params`).
_CLAIMS = ("(SELECT coalesce(sum(amount_fen), 0) FROM payouts WHERE developer_id = :d"
           " AND (state = ANY(:queued) OR (state = ANY(:retrying) AND next_retry_at IS NOT NULL)))")


def _claim_params(developer_id: int) -> dict[str, Any]:
    return {"d": developer_id, "queued": sorted(rules.QUEUED), "retrying": sorted(rules.RETRYING)}


def payable_and_claims(uow: UnitOfWork, developer_id: int) -> tuple[int, int]:
    """The developer's payable balance and what payouts already count on of it, in ONE statement: one snapshot, so a
    payout starting concurrently (which moves its amount out of payable and stops being a claim in one transaction)
    is seen entirely or not at all."""
    row = uow.execute(f"SELECT (SELECT balance FROM ledger_accounts WHERE code = :c) AS payable, {_CLAIMS} AS claims",
                      {"c": acc.payable(developer_id), **_claim_params(developer_id)}).one()
    return int(row.payable or 0), int(row.claims)


def payout_out(view: PayoutView, strategy: SettlementStrategy | None = None) -> PayoutOut:
    waiting = view.state == rules.to("await_payee") and view.package_info
    params = None
    if waiting:
        assert view.package_info is not None
        params = (strategy or settlement.current()).confirm_params(view.package_info)
    return PayoutOut(
        id=view.id, source=view.source, task_id=view.task_id, task_title=view.task_title, amount_fen=view.amount_fen,
        gross_fen=view.gross_fen, commission_fen=view.commission_fen, state=view.state,
        state_name=STATE_NAMES[view.state], hint=STATE_HINTS[view.state], attempts=view.attempts,
        fail_reason=view.fail_reason, next_retry_at=view.next_retry_at,
        confirm_by=view.confirm_by if waiting else None, out_bill_no=view.out_bill_no,
        package_info=view.package_info if waiting else None, merchant_transfer_params=params, paid_at=view.paid_at,
        created_at=view.created_at, updated_at=view.updated_at)


def get_payout(uow: UnitOfWork, user_id: int, payout_id: int) -> PayoutOut:
    view = own_payout_view(uow, user_id, payout_id)
    if view is None:  # someone else's payout is as invisible as a missing one
        raise NotFound("PAYOUT_NOT_FOUND", "转账记录不存在")
    return payout_out(view)


def my_payouts(uow: UnitOfWork, user_id: int, cursor: str | None, limit: int) -> tuple[list[PayoutOut], str | None]:
    from shared.pagination import ID, decode_cursor, encode_cursor

    before = None
    if cursor:
        (last,) = decode_cursor(cursor, ID)
        before = int(last)
    views = payout_views(uow, user_id, before_id=before, limit=limit + 1)
    strategy = settlement.current() if any(v.state == rules.to("await_payee") for v in views) else None
    items = [payout_out(v, strategy) for v in views[:limit]]
    return items, encode_cursor(items[-1].id) if len(views) > limit else None


def my_balance(uow: UnitOfWork, user_id: int) -> BalanceOut:
    from shared.adapters.wechatpay import REAL_NAME_THRESHOLD_FEN

    row = uow.execute(
        f"SELECT (SELECT balance FROM ledger_accounts WHERE code = :c) AS payable, {_CLAIMS} AS claims,"
        " (SELECT coalesce(sum(amount_fen), 0) FROM payouts WHERE developer_id = :d"
        "   AND state = ANY(:in_flight)) AS in_flight,"
        " (SELECT coalesce(sum(amount_fen), 0) FROM payouts WHERE developer_id = :d AND state = :paid) AS paid,"
        " (SELECT real_name IS NOT NULL FROM developer_profiles WHERE user_id = :d) AS named",
        {"c": acc.payable(user_id), "in_flight": sorted(rules.IN_FLIGHT), "paid": rules.PAID,
         **_claim_params(user_id)}).one()
    payable = int(row.payable or 0)
    return BalanceOut(payable_fen=payable, available_fen=max(payable - int(row.claims), 0),
                      queued_fen=int(row.claims), in_flight_fen=int(row.in_flight), paid_total_fen=int(row.paid),
                      has_real_name=bool(row.named), real_name_required_from_fen=REAL_NAME_THRESHOLD_FEN)

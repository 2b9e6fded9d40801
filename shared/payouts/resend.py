"""An operator re-sends a payout whose transfer failed or was cancelled (the console's 资金异常 page,
POST /admin/payouts/{id}/resend): a new transfer attempt, through the same path as every other start.

    (1) one transaction: the payout `failed / cancelled ──resend──▶ pending` (rules.TRANSITIONS), audited with the
        operator's reason, a `payout_start` job queued
        ── crash_point("payout.resend.after_wake")  (the job, or the sweep's resumption of stuck payouts, starts it)
    (2) advance_payout: attempt N+1 under a new number (`rules.out_bill_no`), payout_start posted, WeChat called

Allowed only from the states the transition table lets `resend` leave; refused (409 PAYOUT_NOT_RESENDABLE) otherwise.
The failed / cancelled attempt returned its money to the developer's payable balance (`payout_reverted`); if the
developer has withdrawn it since, there is nothing left to re-send (409 PAYOUT_FUNDS_WITHDRAWN). The request names the
attempt it re-sends: asking again for the same attempt (a double click, a retried request) makes no second attempt.
"""

from __future__ import annotations

import logging

from shared.errors import Conflict, NotFound, ValidationFailed
from shared.events import AdminAudited, PayoutStateChanged
from shared.faults import crash_point
from shared.payouts import rules
from shared.payouts.errors import SettlementUnavailable
from shared.payouts.models import load_payout
from shared.payouts.queries import get_payout, payable_and_claims
from shared.payouts.release import wake
from shared.payouts.schemas import STATE_NAMES, AdminResendOut
from shared.payouts.settlement import SettlementStrategy
from shared.payouts.transfers import advance_payout, set_state
from shared.uow import UnitOfWork, run

log = logging.getLogger("codelink.payouts")

# The same advisory lock as a withdrawal (shared/payouts/withdrawals.py): one claim on a developer's payable at a time.
_WITHDRAW_LOCK = 7362004


class PayoutNotResendable(Conflict):
    code, message = "PAYOUT_NOT_RESENDABLE", "该转账当前状态不能重发（只有转账失败或已撤销的可以重发）"


class PayoutFundsWithdrawn(Conflict):
    code, message = "PAYOUT_FUNDS_WITHDRAWN", "该笔款项已退回开发者余额并已被提现，无需重发"


def _mark(uow: UnitOfWork, payout_id: int, attempt: int, admin_id: int, reason: str) -> bool:
    """Step (1). True when it set the payout up for a new attempt, False when that already happened."""
    found = load_payout(uow, payout_id)
    if found is None:
        raise NotFound("PAYOUT_NOT_FOUND", "转账记录不存在")
    uow.execute("SELECT pg_advisory_xact_lock(:ns, :k)",
                {"ns": _WITHDRAW_LOCK, "k": found.developer_id % 2_147_483_647})
    payout = load_payout(uow, payout_id, lock=True)
    assert payout is not None
    if attempt > payout.attempts:
        raise ValidationFailed.field("attempt", f"该转账只有 {payout.attempts} 次尝试")
    if payout.attempts > attempt or payout.state in rules.targets(rules.TRANSITIONS, "resend"):
        return False  # a newer attempt exists (or is about to start): this request was answered already
    if payout.state not in rules.RESENDABLE:
        raise PayoutNotResendable(message=f"该转账当前为「{STATE_NAMES.get(payout.state, payout.state)}」，"
                                          "只有转账失败或已撤销的可以重发")
    payable, claims = payable_and_claims(uow, payout.developer_id)
    own_claim = payout.amount_fen if payout.next_retry_at is not None else 0  # an automatic retry counts on it
    if payable - (claims - own_claim) < payout.amount_fen:
        raise PayoutFundsWithdrawn()
    set_state(uow, payout.id, "resend", next_retry_at=None)
    uow.publish(PayoutStateChanged(payout_id=payout.id, developer_id=payout.developer_id, step="resend",
                                   actor_id=admin_id))
    uow.publish(AdminAudited(
        admin_id=admin_id, action="payout.resend", entity_name="payout", entity_id=payout.id,
        subject_user_id=payout.developer_id,
        before={"state": payout.state, "attempts": payout.attempts, "fail_reason": payout.fail_reason},
        after={"state": rules.to("resend"), "next_attempt": payout.attempts + 1}, reason=reason))
    wake(uow, payout.id)
    return True


def resend_payout(payout_id: int, attempt: int, *, admin_id: int, reason: str,
                  strategy: SettlementStrategy | None = None) -> AdminResendOut:
    """Re-send payout `payout_id` whose attempt `attempt` failed or was cancelled; returns the payout afterwards."""
    resent = run(lambda uow: _mark(uow, payout_id, attempt, admin_id, reason))
    if resent:
        crash_point("payout.resend.after_wake")
        try:
            advance_payout(payout_id, strategy)
        except SettlementUnavailable:  # the queued job (and the sweep) start it again with the same number
            log.warning("payout %s: re-sent, start deferred to its job", payout_id, exc_info=True)

    def read(uow: UnitOfWork) -> AdminResendOut:
        payout = load_payout(uow, payout_id)
        assert payout is not None
        view = get_payout(uow, payout.developer_id, payout_id)
        return AdminResendOut(**view.model_dump(), developer_id=payout.developer_id, resent=resent)

    return run(read)

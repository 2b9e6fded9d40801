"""The payouts sweep (timer `payouts_sweep`): what no job or notification moved on gets moved here.

    1. transfers unconfirmed past their `confirm_by` ── marked cancelling ── crash_point("payout.cancel.after_mark")
       ── cancel at WeChat ── crash_point("payout.cancel.after_api") ── applied
    2. cancels with no final answer after CANCEL_RECHECK_AFTER (a lost notification, a crash above): cancel again
       (idempotent at WeChat) and apply what it says
    3. pending / transferring payouts untouched for STUCK_AFTER (a crashed job, a dead letter): resumed
    4. failed payouts whose back-off is over: woken ── crash_point("payout.retry.after_wake") ── started under a new
       number (a crash in between leaves a pending payout that step 3 resumes)
    5. payouts waiting for a WeChat account whose owner has one now: resumed
"""

from __future__ import annotations

import logging
from datetime import timedelta

from shared.events import PayoutStateChanged
from shared.faults import crash_point
from shared.payouts import rules, settlement
from shared.payouts.errors import SettlementRejected, SettlementUnavailable
from shared.payouts.settlement import SettlementStrategy
from shared.payouts.transfers import advance_payout, apply
from shared.uow import UnitOfWork, run

log = logging.getLogger("codelink.payouts")

STUCK_AFTER = timedelta(minutes=10)  # a pending / transferring payout untouched this long lost its job: resume it
CANCEL_RECHECK_AFTER = timedelta(minutes=5)  # a cancel with no final answer this long ago: ask again


def sweep_payouts(batch: int = 50, strategy: SettlementStrategy | None = None) -> dict[str, int]:
    """Timer: cancel transfers unconfirmed past the limit, re-check cancels, resume payouts a crash or a lost job
    left behind, retry failed ones whose back-off is over, and wake payouts waiting for a WeChat account."""
    strategy = strategy or settlement.current()
    counts = {"cancelled": 0, "settled": 0, "resumed": 0, "retried": 0, "errors": 0}

    # 1. Unconfirmed too long: mark cancelling (so nobody else cancels too), then cancel at WeChat.
    overdue = run(lambda uow: _mark_overdue(uow, batch))
    for number in overdue:
        # Marked cancelling, WeChat not asked yet: the re-check of stale cancels (step 2) sends it later.
        crash_point("payout.cancel.after_mark")
        state = _cancel(strategy, number)  # the CANCELLED notification may have settled it first: look at the state
        if state is None:
            counts["errors"] += 1
        elif state in (rules.to("cancelled"), rules.to("cancel")):
            counts["cancelled"] += 1
        else:  # the developer confirmed (or it failed) just before the cancel
            counts["settled"] += 1

    # 2. Cancels sent a while ago with no final answer (a lost notification, a failed call): ask again.
    for number in run(lambda uow: _stale_cancels(uow, batch)):
        state = _cancel(strategy, number)
        counts["settled"] += state in (rules.to("cancelled"), rules.PAID, rules.to("fail"))
        counts["errors"] += state is None

    # 3. Payouts nobody moved for a while: a crashed job, a dead letter, a kick that never came.
    for payout_id in run(lambda uow: _stuck(uow, batch)):
        counts["resumed"] += _advance_quietly(payout_id, strategy, counts)

    # 4. Failed transfers whose back-off is over: try again under a new number.
    for payout_id in run(lambda uow: _due_retries(uow, batch)):
        # Woken (pending again, no job queued for it): the resumption of stuck payouts (step 3) picks it up.
        crash_point("payout.retry.after_wake")
        counts["retried"] += _advance_quietly(payout_id, strategy, counts)

    # 5. Payouts waiting for a WeChat account whose owner has one now.
    for payout_id in run(lambda uow: _wechat_bound(uow, batch)):
        counts["resumed"] += _advance_quietly(payout_id, strategy, counts)
    return counts


def _advance_quietly(payout_id: int, strategy: SettlementStrategy, counts: dict[str, int]) -> int:
    try:
        advance_payout(payout_id, strategy)
        return 1
    except SettlementUnavailable as exc:
        log.warning("payout %s: WeChat Pay unavailable, next sweep retries: %s", payout_id, exc)
    except Exception:  # one broken payout must not stop the sweep of the others
        log.exception("payout %s could not be advanced", payout_id)
    counts["errors"] += 1
    return 0


def _mark_overdue(uow: UnitOfWork, batch: int) -> list[str]:
    rows = uow.execute(
        "SELECT t.id, t.out_bill_no, t.payout_id, p.developer_id FROM payout_transfers t"
        " JOIN payouts p ON p.id = t.payout_id"
        " WHERE t.state = :waiting AND t.confirm_by <= :now ORDER BY t.confirm_by LIMIT :n"
        " FOR UPDATE OF p, t SKIP LOCKED", {"waiting": rules.TRANSFER_AWAITING_PAYEE, "now": uow.now, "n": batch}).all()
    for r in rows:
        uow.execute("UPDATE payout_transfers SET state = :s, cancel_requested_at = :now, updated_at = :now"
                    " WHERE id = :id", {"s": rules.TRANSFER_CANCELLING, "now": uow.now, "id": r.id})
        uow.execute("UPDATE payouts SET state = :s, updated_at = :now WHERE id = :id AND state = :waiting",
                    {"s": rules.to("cancel"), "waiting": rules.to("await_payee"), "now": uow.now,
                     "id": r.payout_id})
        uow.publish(PayoutStateChanged(payout_id=r.payout_id, developer_id=r.developer_id, step="cancel_requested",
                                       out_bill_no=r.out_bill_no))
    return [r.out_bill_no for r in rows]


def _stale_cancels(uow: UnitOfWork, batch: int) -> list[str]:
    rows = uow.execute(
        "SELECT out_bill_no FROM payout_transfers WHERE state = :s"
        " AND coalesce(cancel_requested_at, updated_at) <= :cutoff ORDER BY id LIMIT :n",
        {"s": rules.TRANSFER_CANCELLING, "cutoff": uow.now - CANCEL_RECHECK_AFTER, "n": batch}).all()
    return [r.out_bill_no for r in rows]


def _cancel(strategy: SettlementStrategy, number: str) -> str | None:
    """Cancel at WeChat and settle whatever final state it reports; the payout's state after, None on an error.
    WeChat answers CANCELING and sends the CANCELLED notification shortly after; one query right away usually
    settles it without waiting."""
    try:
        result = strategy.cancel(number)
        if not result.status.final:
            result = strategy.query(number)
    except SettlementRejected:
        # Already final the other way (the developer confirmed in the last minute, or it failed): ask what it is.
        try:
            result = strategy.query(number)
        except (SettlementRejected, SettlementUnavailable):
            log.warning("transfer %s: cancel refused and query failed", number, exc_info=True)
            return None
    except SettlementUnavailable:
        log.warning("transfer %s: cancel not sent, next sweep retries", number, exc_info=True)
        return None
    # WeChat has cancelled, we have not applied it: its notification, or the re-check of stale cancels, does.
    crash_point("payout.cancel.after_api")
    return run(lambda uow: apply(uow, number, result, via="query")).state


def _stuck(uow: UnitOfWork, batch: int) -> list[int]:
    rows = uow.execute(
        "SELECT id FROM payouts WHERE state = ANY(:resumable) AND updated_at <= :cutoff"
        " ORDER BY updated_at LIMIT :n",
        {"resumable": sorted(rules.RESUMABLE), "cutoff": uow.now - STUCK_AFTER, "n": batch}).all()
    return [r.id for r in rows]


def _due_retries(uow: UnitOfWork, batch: int) -> list[int]:
    rows = uow.execute(
        # A MATERIALIZED pick (not `IN (SELECT … LIMIT)`, which PostgreSQL may re-run) keeps the batch bounded.
        "WITH picked AS MATERIALIZED (SELECT id FROM payouts WHERE state = ANY(:retrying) AND next_retry_at <= :now"
        " ORDER BY next_retry_at LIMIT :n FOR UPDATE SKIP LOCKED)"
        " UPDATE payouts SET state = :to, next_retry_at = NULL, updated_at = :now"
        " FROM picked WHERE payouts.id = picked.id RETURNING payouts.id, developer_id",
        {"retrying": sorted(rules.RETRYING), "to": rules.to("retry"), "now": uow.now, "n": batch}).all()
    for r in rows:
        uow.publish(PayoutStateChanged(payout_id=r.id, developer_id=r.developer_id, step="retry"))
    return [r.id for r in rows]


def _wechat_bound(uow: UnitOfWork, batch: int) -> list[int]:
    rows = uow.execute(
        "WITH picked AS MATERIALIZED (SELECT p.id FROM payouts p JOIN users u ON u.id = p.developer_id"
        " WHERE p.state = ANY(:waiting) AND u.openid IS NOT NULL LIMIT :n FOR UPDATE OF p SKIP LOCKED)"
        " UPDATE payouts SET state = :to, updated_at = :now FROM picked WHERE payouts.id = picked.id"
        " RETURNING payouts.id",
        {"waiting": sorted(rules.sources(rules.TRANSITIONS, "wechat_bound")), "to": rules.to("wechat_bound"),
         "now": uow.now, "n": batch}).all()
    return [r.id for r in rows]

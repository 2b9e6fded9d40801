"""Transfers: from a payout owed to money in the developer's WeChat balance, with nothing lost or paid twice.

    release (shared/payouts/release.py) ──▶ payouts row (pending) + job payout_start
    payout_start job:  (a) payout_start posted, transfer row, state transferring
                           ── crash_point("payout.after_ledger")
                       (b) settlement.start(out_bill_no)  (idempotent at WeChat on the number)
                           ── crash_point("payout.after_api")
                       (c) state wait_user_confirm + package_info, developer notified
    developer confirms in the mini-program ──▶ MCHTRANSFER.BILL.FINISHED ──▶ on_transfer_notification:
                       SUCCESS → payout_done (paid);  FAIL / CANCELLED → payout_reverted (money back in payable)
    sweep (shared/payouts/sweep.py): unconfirmed after 24 h → cancel;  stuck transferring / pending → resumed;
                       failed → retried with back-off up to N attempts, then the developer withdraws.

Every step re-reads the payout under a row lock and acts only from the state it expects (shared/payouts/rules.py),
so a retried job, a duplicate or late notification, the sweep and a crash at any point all converge: each ledger
transaction is also idempotent on (kind, ref). Locks are always taken payout row first, then its transfer row.

External calls (WeChat Pay) never run inside a database transaction: a slow API must not hold row locks, and a
transaction that rolls back must not leave a transfer behind that we forgot — hence the number is written (a) before
the call (b), and (b) is safe to repeat.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shared.errors import NotFound, ServiceUnavailable
from shared.events import PayoutCancelled, PayoutFailed, PayoutSettled, PayoutStateChanged
from shared.faults import crash_point
from shared.ledger import accounts as acc
from shared.ledger.accounts import yuan
from shared.ledger.service import post
from shared.payments.errors import Refused
from shared.payouts import rules, settlement, texts
from shared.payouts.errors import SettlementNotFound, SettlementRejected, SettlementUnavailable
from shared.payouts.models import Payout, Transfer, current_transfer, load_payout, load_transfer, own_payout_view
from shared.payouts.release import wake
from shared.payouts.settlement import PayoutOrder, SettlementResult, SettlementStrategy, Status
from shared.rules_config import load_rules
from shared.uow import UnitOfWork, run

log = logging.getLogger("codelink.payouts")

# The action (of both the payout and the transfer state machines) each final settlement status is.
_FINAL = {Status.SUCCEEDED: "succeed", Status.FAILED: "fail", Status.CANCELLED: "cancelled"}


# --------------------------------------------------------------------------------------------------- start


@dataclass(frozen=True)
class _Started:
    payout_id: int
    order: PayoutOrder


@dataclass(frozen=True)
class _Payee:
    openid: str | None
    real_name: str | None


def _payee(uow: UnitOfWork, developer_id: int) -> _Payee:
    row = uow.execute(
        "SELECT u.openid, p.real_name FROM users u LEFT JOIN developer_profiles p ON p.user_id = u.id"
        " WHERE u.id = :d", {"d": developer_id}).one()
    return _Payee(row.openid, row.real_name)


def set_state(uow: UnitOfWork, payout_id: int, action: str, **fields: Any) -> str:
    """Move a payout by `action` of the state machine (the caller has checked it applies); returns the new state."""
    state = rules.to(action)
    sets = ", ".join(f"{k} = :{k}" for k in fields)
    uow.execute(f"UPDATE payouts SET state = :state, updated_at = :now{', ' + sets if sets else ''} WHERE id = :id",
                {"state": state, "now": uow.now, "id": payout_id, **fields})
    return state


def _begin(uow: UnitOfWork, payout_id: int, strategy: SettlementStrategy) -> _Started | None:
    """Step (a): move the money to in-flight and fix the attempt's number — or find the attempt a crash left."""
    payout = load_payout(uow, payout_id, lock=True)
    if payout is None:
        log.warning("payout %s does not exist", payout_id)
        return None
    payee = _payee(uow, payout.developer_id)
    if payout.state in rules.targets(rules.TRANSITIONS, "start"):  # resume: same number, same parameters
        transfer = current_transfer(uow, payout)
        if transfer is None or transfer.state != rules.TRANSFER_INITIAL:
            return None
        assert payee.openid is not None
        name = payee.real_name if transfer.with_real_name else None
        return _Started(payout.id, PayoutOrder(transfer.out_bill_no, payee.openid, transfer.amount_fen,
                                               rules.remark(payout.task_id), name))
    if payout.state not in rules.TRANSITIONS["start"]:
        return None  # waiting for the developer, in flight, or finished: nothing to start
    if not payee.openid:
        set_state(uow, payout.id, "need_wechat")
        uow.notify(payout.developer_id, *texts.NEEDS_WECHAT.render(yuan=yuan(payout.amount_fen)),
                   data={"payout_id": payout.id}, dedupe_key=f"payout_needs_wechat:{payout.id}")
        return None
    needs_name = strategy.needs_real_name(payout.amount_fen)
    if needs_name and not payee.real_name:
        set_state(uow, payout.id, "need_real_name")
        uow.publish(PayoutStateChanged(payout_id=payout.id, developer_id=payout.developer_id, step="needs_real_name"))
        uow.notify(payout.developer_id, *texts.NEEDS_REAL_NAME.render(yuan=yuan(payout.amount_fen)),
                   data={"payout_id": payout.id}, dedupe_key=f"payout_needs_real_name:{payout.id}")
        return None
    attempt = payout.attempts + 1
    number = rules.out_bill_no(payout.id, payout.bill_key, attempt)
    uow.execute(
        "INSERT INTO payout_transfers (payout_id, attempt, out_bill_no, amount_fen, strategy, with_real_name,"
        " created_at, updated_at) VALUES (:p, :a, :no, :amount, :strategy, :named, :now, :now)",
        {"p": payout.id, "a": attempt, "no": number, "amount": payout.amount_fen, "strategy": strategy.name,
         "named": needs_name, "now": uow.now})
    post(uow, rules.POSTS["start"], f"transfer:{number}",
         [(acc.payable(payout.developer_id), payout.amount_fen), (acc.PAYOUTS_IN_FLIGHT, -payout.amount_fen)],
         memo=f"payout {payout.id} attempt {attempt}")
    set_state(uow, payout.id, "start", attempts=attempt, next_retry_at=None)
    uow.publish(PayoutStateChanged(payout_id=payout.id, developer_id=payout.developer_id, step="transfer_started",
                                   out_bill_no=number))
    return _Started(payout.id, PayoutOrder(number, payee.openid, payout.amount_fen, rules.remark(payout.task_id),
                                           payee.real_name if needs_name else None))


def start_payout(payload: dict[str, Any]) -> None:
    """The `payout_start` job."""
    advance_payout(int(payload["payout_id"]))


def advance_payout(payout_id: int, strategy: SettlementStrategy | None = None) -> str | None:
    """Take a payout as far as it can go now: start (or resume) its transfer. Returns the state it ends in.

    Raises SettlementUnavailable when WeChat Pay cannot be reached: the payout stays `transferring` with its number,
    and the job's retry (or the sweep) calls again with the same number."""
    strategy = strategy or settlement.current()
    started = run(lambda uow: _begin(uow, payout_id, strategy))
    if started is None:
        return run(lambda uow: _state(uow, payout_id))
    crash_point("payout.after_ledger")
    number = started.order.out_bill_no
    try:
        result = strategy.start(started.order)
    except SettlementRejected as exc:
        # Refused for good: nothing exists at WeChat under this number. Return the money and let the retry policy
        # (or the developer's withdrawal) take it from there, under a new number.
        log.warning("payout %s transfer %s refused: %s", payout_id, number, exc)
        failed = SettlementResult(number, Status.FAILED, fail_reason=exc.code, raw_state="REFUSED")
        return run(lambda uow: apply(uow, number, failed, via="start")).state
    crash_point("payout.after_api")
    return run(lambda uow: apply(uow, number, result, via="start")).state


def _state(uow: UnitOfWork, payout_id: int) -> str | None:
    payout = load_payout(uow, payout_id)
    return payout.state if payout else None


# --------------------------------------------------------------------------------------------------- settle


@dataclass(frozen=True)
class Applied:
    outcome: str  # started, waiting, paid, failed, cancelled, cancelling, duplicate, unknown, ignored, mismatch
    state: str | None = None


def apply(uow: UnitOfWork, number: str, result: SettlementResult, *, via: str) -> Applied:
    """Bring our records in line with what the provider says about transfer `number`. Idempotent: a final
    transfer never changes again, and every ledger transaction is keyed by the number."""
    unlocked = load_transfer(uow, number)
    if unlocked is None:
        return Applied("unknown")
    payout = load_payout(uow, unlocked.payout_id, lock=True)
    transfer = load_transfer(uow, number, lock=True)
    assert payout is not None and transfer is not None
    if transfer.state in rules.FINAL_TRANSFER_STATES:
        return Applied("duplicate", payout.state)
    current = transfer.attempt == payout.attempts
    status = result.status
    if status.final:
        return _finish(uow, payout, transfer, result, via=via, current=current)
    # Only a start answer carries package_info (a query does not): without it the developer could not confirm.
    if status is Status.AWAITING_PAYEE and transfer.state == rules.TRANSFER_INITIAL and result.package_info:
        conf = load_rules(uow)
        confirm_by = uow.now + timedelta(hours=conf.payout_confirm_hours)
        uow.execute(
            "UPDATE payout_transfers SET state = :s, transfer_bill_no = :bill, package_info = :pkg,"
            " confirm_by = :by, updated_at = :now WHERE id = :id",
            {"s": rules.TRANSFER_AWAITING_PAYEE, "bill": result.external_id, "pkg": result.package_info,
             "by": confirm_by, "now": uow.now, "id": transfer.id})
        if current and payout.state in rules.TRANSITIONS["await_payee"]:
            set_state(uow, payout.id, "await_payee")
            uow.notify(payout.developer_id,
                       *texts.CONFIRM.render(yuan=yuan(payout.amount_fen), hours=conf.payout_confirm_hours),
                       data={"payout_id": payout.id}, dedupe_key=f"payout_confirm:{number}")
        return Applied("waiting", rules.to("await_payee"))
    if status is Status.CANCELLING and transfer.state in rules.TRANSFER_TRANSITIONS["cancel"]:
        uow.execute("UPDATE payout_transfers SET state = :s, updated_at = :now WHERE id = :id",
                    {"s": rules.TRANSFER_CANCELLING, "now": uow.now, "id": transfer.id})
        if current and payout.state in rules.TRANSITIONS["cancel"]:
            set_state(uow, payout.id, "cancel")
        return Applied("cancelling", rules.to("cancel"))
    if result.external_id and not transfer.transfer_bill_no:
        uow.execute("UPDATE payout_transfers SET transfer_bill_no = :bill, updated_at = :now WHERE id = :id",
                    {"bill": result.external_id, "now": uow.now, "id": transfer.id})
    return Applied("ignored", payout.state)  # PROCESSING, or a state we already know: nothing changes


def _finish(uow: UnitOfWork, payout: Payout, transfer: Transfer, result: SettlementResult, *, via: str,
            current: bool) -> Applied:
    number, amount = transfer.out_bill_no, transfer.amount_fen
    status = result.status
    action = _FINAL[status]
    transfer_state = rules.transfer_to(action)
    uow.execute(
        "UPDATE payout_transfers SET state = :s, fail_reason = :reason, settled_via = :via, finished_at = :now,"
        " transfer_bill_no = coalesce(transfer_bill_no, :bill), updated_at = :now WHERE id = :id",
        {"s": transfer_state, "reason": result.fail_reason, "via": via, "now": uow.now,
         "bill": result.external_id, "id": transfer.id})
    # The transfer marked final, nothing posted yet: a crash rolls both back, and the notification's retry or the
    # sweep's query settles it again.
    crash_point("payout.settle")
    dev = payout.developer_id
    if status is Status.SUCCEEDED:
        post(uow, rules.POSTS[action], f"transfer:{number}",
             [(acc.PAYOUTS_IN_FLIGHT, amount), (acc.CLEARING, -amount)], memo=f"payout {payout.id}")
        if not current:  # cannot happen by construction (a new attempt starts only after the last one ended)
            log.error("payout %s: old transfer %s succeeded", payout.id, number)
        set_state(uow, payout.id, action, paid_at=uow.now, fail_reason=None, next_retry_at=None)
        uow.publish(PayoutSettled(payout_id=payout.id, developer_id=dev, amount_fen=amount, out_bill_no=number,
                                  via=via, task_id=payout.task_id))
        uow.notify(dev, *texts.PAID.render(yuan=yuan(amount)),
                   data={"payout_id": payout.id}, dedupe_key=f"payout_paid:{number}")
        return Applied("paid", rules.PAID)
    post(uow, rules.POSTS[action], f"transfer:{number}",
         [(acc.PAYOUTS_IN_FLIGHT, amount), (acc.payable(dev), -amount)],
         memo=f"payout {payout.id}: {result.raw_state} {result.fail_reason or ''}".strip())
    if not current:
        return Applied("duplicate", payout.state)
    if status is Status.CANCELLED:
        state = set_state(uow, payout.id, action, fail_reason=result.fail_reason, next_retry_at=None)
        uow.publish(PayoutCancelled(payout_id=payout.id, developer_id=dev, out_bill_no=number, via=via))
        uow.notify(dev, *texts.CANCELLED.render(yuan=yuan(amount)),
                   data={"payout_id": payout.id}, dedupe_key=f"payout_cancelled:{number}")
        return Applied("cancelled", state)
    conf = load_rules(uow)
    delay = rules.retry_delay(payout.attempts, conf.payout_max_attempts, conf.payout_retry_minutes)
    retry_at = uow.now + delay if delay is not None else None
    state = set_state(uow, payout.id, action, fail_reason=result.fail_reason or result.raw_state,
                      next_retry_at=retry_at)
    uow.publish(PayoutFailed(payout_id=payout.id, developer_id=dev, out_bill_no=number, reason=result.fail_reason,
                             retry_at=retry_at.isoformat() if retry_at else None, via=via))
    then = texts.THEN_RETRY if retry_at else texts.THEN_WITHDRAW
    uow.notify(dev, *texts.FAILED.render(yuan=yuan(amount), reason=result.fail_reason or texts.UNKNOWN_REASON,
                                         then=then),
               data={"payout_id": payout.id}, dedupe_key=f"payout_failed:{number}")
    return Applied("failed", state)


def on_transfer_notification(uow: UnitOfWork, resource: dict[str, Any]) -> str:
    """MCHTRANSFER.BILL.FINISHED, verified and decrypted by the payments webhook, in its transaction.

    Returns what happened (paid, failed, cancelled, duplicate, ignored). Duplicates and late arrivals are no-ops. An
    unknown number, an unknown state or an amount that differs from what we sent raises the webhook's `Refused`:
    nothing is settled, the notification is kept (not done) for admins, and WeChat sends it again."""
    number = str(resource.get("out_bill_no") or "")
    try:
        status = settlement.transfer_status(str(resource.get("state") or ""))
    except ValueError:
        raise Refused(400, "unknown_transfer_state", f"转账单 {number} 状态未知：{resource.get('state')!r}") from None
    known = load_transfer(uow, number)
    if known is None:
        raise Refused(404, "unknown_transfer", f"未知转账单 {number}")
    amount = resource.get("transfer_amount")
    if amount is not None and int(amount) != int(known.amount_fen):
        # Never settle money that does not match what we sent. Refused: kept for admins to see; a query by the
        # sweep or the developer's refresh settles the real transfer.
        raise Refused(400, "amount_mismatch", f"转账单 {number} 金额 {amount} 分，应为 {known.amount_fen} 分")
    result = SettlementResult(number, status, external_id=resource.get("transfer_bill_no"),
                              fail_reason=resource.get("fail_reason") or None, raw_state=str(resource.get("state")))
    return apply(uow, number, result, via="notify").outcome


def refresh_payout(user_id: int, payout_id: int, strategy: SettlementStrategy | None = None) -> None:
    """The developer says they confirmed (or wants the latest state): ask WeChat Pay now, instead of waiting for the
    notification. The caller reads the payout afterwards (shared/payouts/queries.py)."""
    strategy = strategy or settlement.current()
    payout = run(lambda uow: own_payout_view(uow, user_id, payout_id))
    if payout is None:  # someone else's payout is as invisible as a missing one
        raise NotFound("PAYOUT_NOT_FOUND", "转账记录不存在")
    try:
        if payout.state in rules.RESUMABLE:
            # Not waiting for the developer yet: (re)start it — idempotent, and only a start answer carries the
            # package the mini-program needs.
            advance_payout(payout_id, strategy)
        elif payout.state in rules.AWAITING_ANSWER and payout.out_bill_no:
            number = payout.out_bill_no
            result = strategy.query(number)
            run(lambda uow: apply(uow, number, result, via="query"))
    except SettlementUnavailable:
        raise ServiceUnavailable("PAYOUT_QUERY_UNAVAILABLE", "暂时无法查询转账结果，请稍后再试") from None
    except SettlementNotFound:
        log.warning("payout %s: transfer %s unknown at WeChat Pay", payout_id, payout.out_bill_no)


# --------------------------------------------------------------------------------------------------- developer


def on_real_name_set(uow: UnitOfWork, developer_id: int) -> int:
    """The developer gave their real name (shared/profiles, RealNameSet): payouts that waited for it go on."""
    moves = rules.TRANSITIONS["real_name_given"]
    rows = uow.execute(
        "UPDATE payouts SET state = :to, updated_at = :now WHERE developer_id = :d AND state = ANY(:from)"
        " RETURNING id",
        {"to": rules.to("real_name_given"), "from": sorted(moves), "now": uow.now, "d": developer_id}).all()
    for r in rows:
        uow.publish(PayoutStateChanged(payout_id=r.id, developer_id=developer_id, step="real_name_given",
                                       actor_id=developer_id))
        wake(uow, r.id)
    return len(rows)

"""Payouts: from an accepted task to money in the developer's WeChat balance, with nothing lost or paid twice.

    accept / auto-accept / ruling ──(same transaction)──▶ release_escrow + payouts row (pending) + job payout_start
    payout_start job:  (a) payout_start posted, transfer row, state transferring
                           ── crash_point("payout.after_ledger")
                       (b) settlement.start(out_bill_no)  (idempotent at WeChat on the number)
                           ── crash_point("payout.after_api")
                       (c) state wait_user_confirm + package_info, developer notified
    developer confirms in the mini-program ──▶ MCHTRANSFER.BILL.FINISHED ──▶ on_transfer_notification:
                       SUCCESS → payout_done (paid);  FAIL / CANCELLED → payout_reverted (money back in payable)
    sweep (timer):     unconfirmed after 24 h → cancel;  stuck transferring / pending → resumed;
                       failed → retried with back-off up to N attempts, then the developer withdraws.

Every step re-reads the payout under a row lock and acts only from the state it expects, so a retried job, a
duplicate or late notification, the sweep and a crash at any point all converge: each ledger transaction is also
idempotent on (kind, ref). Locks are always taken payout row first, then its transfer row.

External calls (WeChat Pay) never run inside a database transaction: a slow API must not hold row locks, and a
transaction that rolls back must not leave a transfer behind that we forgot — hence the number is written (a) before
the call (b), and (b) is safe to repeat.
"""

from __future__ import annotations

import logging
import secrets
import string
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from shared.billing.queries import is_enterprise
from shared.errors import Conflict, NotFound
from shared.events import (
    EscrowReleased,
    PayoutCancelled,
    PayoutCreated,
    PayoutFailed,
    PayoutSettled,
    PayoutStateChanged,
    WithdrawalRequested,
)
from shared.faults import crash_point
from shared.ledger import accounts as acc
from shared.ledger.accounts import yuan
from shared.ledger.escrow import escrow_held, task_escrow_accounts
from shared.ledger.service import balance, post
from shared.payments.errors import Refused
from shared.payouts import settlement
from shared.payouts.commission import split
from shared.payouts.schemas import STATE_HINTS, STATE_NAMES, BalanceOut, PayoutOut
from shared.payouts.settlement import PayoutOrder, SettlementResult, SettlementStrategy, Status
from shared.rules_config import Rules, load_rules
from shared.uow import UnitOfWork, run

if TYPE_CHECKING:
    from shared.tasks.models import Task

log = logging.getLogger("codelink.payouts")

IN_FLIGHT_STATES = ("transferring", "wait_user_confirm", "cancelling")
FINAL_TRANSFER_STATES = ("success", "fail", "cancelled")
STUCK_AFTER = timedelta(minutes=10)  # a pending / transferring payout untouched this long lost its job: resume it
CANCEL_RECHECK_AFTER = timedelta(minutes=5)  # a cancel with no final answer this long ago: ask again
_BILL_KEY_ALPHABET = string.ascii_uppercase + string.digits


def out_bill_no(payout_id: int, bill_key: str, attempt: int) -> str:
    """Our number for one transfer attempt: 'PO' + payout id + bill key + 'A' + attempt (alphanumeric, ≤ 32)."""
    return f"PO{payout_id}{bill_key}A{attempt}"


# --------------------------------------------------------------------------------------------------- release


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
            uow.execute("UPDATE task_milestones SET state = 'released', updated_at = :now WHERE id = :id"
                        " AND state = 'funded'", {"now": uow.now, "id": int(code.rsplit(":", 1)[1])})
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
        " VALUES (:d, :ref, :source, :task, :amount, :gross, :commission, 'pending', :key, :now, :now)"
        " ON CONFLICT (ref) DO NOTHING RETURNING id",
        {"d": developer_id, "ref": ref, "source": source, "task": task_id, "amount": gross_fen - commission_fen,
         "gross": gross_fen, "commission": commission_fen, "key": bill_key, "now": uow.now},
    ).first()
    if row is None:
        return None
    uow.enqueue("payout_start", {"payout_id": row.id}, dedupe_key=f"payout:{row.id}:start")
    uow.publish(PayoutCreated(payout_id=row.id, developer_id=developer_id, ref=ref,
                              amount_fen=gross_fen - commission_fen, source=source))
    return int(row.id)


def _wake(uow: UnitOfWork, payout_id: int) -> None:
    """Queue another start for a payout set back to pending (a retry, a real name given). Each wake-up is its own
    job; start_payout acts only from the state it finds, so an extra one is harmless."""
    uow.enqueue("payout_start", {"payout_id": payout_id}, dedupe_key=f"payout:{payout_id}:{uuid.uuid4().hex}")


# --------------------------------------------------------------------------------------------------- start


@dataclass(frozen=True)
class _Started:
    payout_id: int
    order: PayoutOrder


def _lock_payout(uow: UnitOfWork, payout_id: int) -> Any:
    return uow.execute("SELECT * FROM payouts WHERE id = :id FOR UPDATE", {"id": payout_id}).first()


def _current_transfer(uow: UnitOfWork, payout: Any, *, lock: bool = True) -> Any:
    return uow.execute(
        "SELECT * FROM payout_transfers WHERE payout_id = :p AND attempt = :a" + (" FOR UPDATE" if lock else ""),
        {"p": payout.id, "a": payout.attempts}).first()


def _payee(uow: UnitOfWork, developer_id: int) -> Any:
    return uow.execute(
        "SELECT u.openid, p.real_name FROM users u LEFT JOIN developer_profiles p ON p.user_id = u.id"
        " WHERE u.id = :d", {"d": developer_id}).first()


def _remark(payout: Any) -> str:
    # Shown to the payee in WeChat; part of the bill's identity, so it must not change between retries of a number.
    return f"CodeLink 任务#{payout.task_id} 报酬" if payout.task_id else "CodeLink 余额提现"


def _set_state(uow: UnitOfWork, payout_id: int, state: str, **fields: Any) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in fields)
    uow.execute(f"UPDATE payouts SET state = :state, updated_at = :now{', ' + sets if sets else ''} WHERE id = :id",
                {"state": state, "now": uow.now, "id": payout_id, **fields})


def _begin(uow: UnitOfWork, payout_id: int, strategy: SettlementStrategy) -> _Started | None:
    """Step (a): move the money to in-flight and fix the attempt's number — or find the attempt a crash left."""
    payout = _lock_payout(uow, payout_id)
    if payout is None:
        log.warning("payout %s does not exist", payout_id)
        return None
    payee = _payee(uow, payout.developer_id)
    if payout.state == "transferring":  # resume: same number, same parameters
        transfer = _current_transfer(uow, payout)
        if transfer is None or transfer.state != "created":
            return None
        name = payee.real_name if transfer.with_real_name else None
        return _Started(payout.id, PayoutOrder(transfer.out_bill_no, payee.openid, transfer.amount_fen,
                                               _remark(payout), name))
    if payout.state != "pending":
        return None  # waiting for the developer, in flight, or finished: nothing to start
    if not payee.openid:
        _set_state(uow, payout.id, "needs_wechat")
        uow.notify(payout.developer_id, "payout_needs_wechat", "收款需要微信账号",
                   f"有一笔 {yuan(payout.amount_fen)} 元的款项待转出，请使用微信登录小程序后收款。",
                   data={"payout_id": payout.id}, dedupe_key=f"payout_needs_wechat:{payout.id}")
        return None
    needs_name = strategy.needs_real_name(payout.amount_fen)
    if needs_name and not payee.real_name:
        _set_state(uow, payout.id, "needs_real_name")
        uow.publish(PayoutStateChanged(payout_id=payout.id, developer_id=payout.developer_id, step="needs_real_name"))
        uow.notify(payout.developer_id, "payout_needs_real_name", "请补充收款实名",
                   f"有一笔 {yuan(payout.amount_fen)} 元的款项待转出。单笔达到 2000 元时微信要求收款人实名，"
                   "请在「收款实名」中填写与微信实名一致的姓名，填写后自动继续转账。",
                   data={"payout_id": payout.id}, dedupe_key=f"payout_needs_real_name:{payout.id}")
        return None
    attempt = payout.attempts + 1
    number = out_bill_no(payout.id, payout.bill_key, attempt)
    uow.execute(
        "INSERT INTO payout_transfers (payout_id, attempt, out_bill_no, amount_fen, strategy, with_real_name,"
        " created_at, updated_at) VALUES (:p, :a, :no, :amount, :strategy, :named, :now, :now)",
        {"p": payout.id, "a": attempt, "no": number, "amount": payout.amount_fen, "strategy": strategy.name,
         "named": needs_name, "now": uow.now})
    post(uow, "payout_start", f"transfer:{number}",
         [(acc.payable(payout.developer_id), payout.amount_fen), (acc.PAYOUTS_IN_FLIGHT, -payout.amount_fen)],
         memo=f"payout {payout.id} attempt {attempt}")
    _set_state(uow, payout.id, "transferring", attempts=attempt, next_retry_at=None)
    uow.publish(PayoutStateChanged(payout_id=payout.id, developer_id=payout.developer_id, step="transfer_started",
                                   out_bill_no=number))
    return _Started(payout.id, PayoutOrder(number, payee.openid, payout.amount_fen, _remark(payout),
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
    except settlement.SettlementRejected as exc:
        # Refused for good: nothing exists at WeChat under this number. Return the money and let the retry policy
        # (or the developer's withdrawal) take it from there, under a new number.
        log.warning("payout %s transfer %s refused: %s", payout_id, number, exc)
        failed = SettlementResult(number, Status.FAILED, fail_reason=exc.code, raw_state="REFUSED")
        return run(lambda uow: _apply(uow, number, failed, via="start")).state
    crash_point("payout.after_api")
    return run(lambda uow: _apply(uow, number, result, via="start")).state


def _state(uow: UnitOfWork, payout_id: int) -> str | None:
    return uow.execute("SELECT state FROM payouts WHERE id = :id", {"id": payout_id}).scalar()


# --------------------------------------------------------------------------------------------------- settle


@dataclass(frozen=True)
class Applied:
    outcome: str  # started, waiting, paid, failed, cancelled, cancelling, duplicate, unknown, ignored, mismatch
    state: str | None = None


def _apply(uow: UnitOfWork, number: str, result: SettlementResult, *, via: str) -> Applied:
    """Bring our records in line with what the provider says about transfer `number`. Idempotent: a final
    transfer never changes again, and every ledger transaction is keyed by the number."""
    link = uow.execute("SELECT payout_id FROM payout_transfers WHERE out_bill_no = :n", {"n": number}).first()
    if link is None:
        return Applied("unknown")
    payout = _lock_payout(uow, link.payout_id)
    transfer = uow.execute("SELECT * FROM payout_transfers WHERE out_bill_no = :n FOR UPDATE", {"n": number}).first()
    if transfer.state in FINAL_TRANSFER_STATES:
        return Applied("duplicate", payout.state)
    current = transfer.attempt == payout.attempts
    status = result.status
    if status.final:
        return _finish(uow, payout, transfer, result, via=via, current=current)
    # Only a start answer carries package_info (a query does not): without it the developer could not confirm.
    if status is Status.AWAITING_PAYEE and transfer.state == "created" and result.package_info:
        rules = load_rules(uow)
        confirm_by = uow.now + timedelta(hours=rules.payout_confirm_hours)
        uow.execute(
            "UPDATE payout_transfers SET state = 'wait_user_confirm', transfer_bill_no = :bill, package_info = :pkg,"
            " confirm_by = :by, updated_at = :now WHERE id = :id",
            {"bill": result.external_id, "pkg": result.package_info, "by": confirm_by, "now": uow.now,
             "id": transfer.id})
        if current and payout.state == "transferring":
            _set_state(uow, payout.id, "wait_user_confirm")
            uow.notify(payout.developer_id, "payout_confirm", "请确认收款",
                       f"{yuan(payout.amount_fen)} 元报酬已发起转账，请在 {rules.payout_confirm_hours} 小时内打开"
                       "小程序「我的收入」确认收款，逾期将自动撤销并退回可提现余额。",
                       data={"payout_id": payout.id}, dedupe_key=f"payout_confirm:{number}")
        return Applied("waiting", "wait_user_confirm")
    if status is Status.CANCELLING and transfer.state != "cancelling":
        uow.execute("UPDATE payout_transfers SET state = 'cancelling', updated_at = :now WHERE id = :id",
                    {"now": uow.now, "id": transfer.id})
        if current and payout.state in IN_FLIGHT_STATES:
            _set_state(uow, payout.id, "cancelling")
        return Applied("cancelling", "cancelling")
    if result.external_id and not transfer.transfer_bill_no:
        uow.execute("UPDATE payout_transfers SET transfer_bill_no = :bill, updated_at = :now WHERE id = :id",
                    {"bill": result.external_id, "now": uow.now, "id": transfer.id})
    return Applied("ignored", payout.state)  # PROCESSING, or a state we already know: nothing changes


def _finish(uow: UnitOfWork, payout: Any, transfer: Any, result: SettlementResult, *, via: str,
            current: bool) -> Applied:
    number, amount = transfer.out_bill_no, transfer.amount_fen
    status = result.status
    transfer_state = {Status.SUCCEEDED: "success", Status.FAILED: "fail", Status.CANCELLED: "cancelled"}[status]
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
        post(uow, "payout_done", f"transfer:{number}", [(acc.PAYOUTS_IN_FLIGHT, amount), (acc.CLEARING, -amount)],
             memo=f"payout {payout.id}")
        if not current:  # cannot happen by construction (a new attempt starts only after the last one ended)
            log.error("payout %s: old transfer %s succeeded", payout.id, number)
        _set_state(uow, payout.id, "paid", paid_at=uow.now, fail_reason=None, next_retry_at=None)
        uow.publish(PayoutSettled(payout_id=payout.id, developer_id=dev, amount_fen=amount, out_bill_no=number,
                                  via=via, task_id=payout.task_id))
        uow.notify(dev, "payout_paid", "报酬已到账", f"{yuan(amount)} 元已转入你的微信零钱。",
                   data={"payout_id": payout.id}, dedupe_key=f"payout_paid:{number}")
        return Applied("paid", "paid")
    post(uow, "payout_reverted", f"transfer:{number}", [(acc.PAYOUTS_IN_FLIGHT, amount), (acc.payable(dev), -amount)],
         memo=f"payout {payout.id}: {result.raw_state} {result.fail_reason or ''}".strip())
    if not current:
        return Applied("duplicate", payout.state)
    if status is Status.CANCELLED:
        _set_state(uow, payout.id, "cancelled", fail_reason=result.fail_reason, next_retry_at=None)
        uow.publish(PayoutCancelled(payout_id=payout.id, developer_id=dev, out_bill_no=number, via=via))
        uow.notify(dev, "payout_cancelled", "转账已撤销",
                   f"{yuan(amount)} 元的转账未在规定时间内确认，已撤销，资金已退回你的可提现余额，可随时申请提现。",
                   data={"payout_id": payout.id}, dedupe_key=f"payout_cancelled:{number}")
        return Applied("cancelled", "cancelled")
    rules = load_rules(uow)
    retry_at = None
    if payout.attempts < rules.payout_max_attempts:
        retry_at = uow.now + timedelta(minutes=rules.payout_retry_minutes * 2 ** (payout.attempts - 1))
    _set_state(uow, payout.id, "failed", fail_reason=result.fail_reason or result.raw_state, next_retry_at=retry_at)
    uow.publish(PayoutFailed(payout_id=payout.id, developer_id=dev, out_bill_no=number, reason=result.fail_reason,
                             retry_at=retry_at.isoformat() if retry_at else None, via=via))
    then = "系统将稍后自动重试" if retry_at else "请检查微信账号状态后在「我的收入」中申请提现"
    uow.notify(dev, "payout_failed", "转账失败",
               f"{yuan(amount)} 元转账失败（{result.fail_reason or '未知原因'}），资金已退回你的可提现余额，{then}。",
               data={"payout_id": payout.id}, dedupe_key=f"payout_failed:{number}")
    return Applied("failed", "failed")


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
    known = uow.execute("SELECT amount_fen FROM payout_transfers WHERE out_bill_no = :n", {"n": number}).first()
    if known is None:
        raise Refused(404, "unknown_transfer", f"未知转账单 {number}")
    amount = resource.get("transfer_amount")
    if amount is not None and int(amount) != int(known.amount_fen):
        # Never settle money that does not match what we sent. Refused: kept for admins to see; a query by the
        # sweep or the developer's refresh settles the real transfer.
        raise Refused(400, "amount_mismatch", f"转账单 {number} 金额 {amount} 分，应为 {known.amount_fen} 分")
    result = SettlementResult(number, status, external_id=resource.get("transfer_bill_no"),
                              fail_reason=resource.get("fail_reason") or None, raw_state=str(resource.get("state")))
    return _apply(uow, number, result, via="notify").outcome


def refresh_payout(user_id: int, payout_id: int, strategy: SettlementStrategy | None = None) -> PayoutOut:
    """The developer says they confirmed (or wants the latest state): ask WeChat Pay now, instead of waiting for the
    notification."""
    from shared.errors import ServiceUnavailable

    strategy = strategy or settlement.current()
    payout = run(lambda uow: _own_payout(uow, user_id, payout_id))
    try:
        if payout.state in ("pending", "transferring"):
            # Not waiting for the developer yet: (re)start it — idempotent, and only a start answer carries the
            # package the mini-program needs.
            advance_payout(payout_id, strategy)
        elif payout.state in ("wait_user_confirm", "cancelling") and payout.out_bill_no:
            number = payout.out_bill_no
            result = strategy.query(number)
            run(lambda uow: _apply(uow, number, result, via="query"))
    except settlement.SettlementUnavailable:
        raise ServiceUnavailable("PAYOUT_QUERY_UNAVAILABLE", "暂时无法查询转账结果，请稍后再试") from None
    except settlement.SettlementNotFound:
        log.warning("payout %s: transfer %s unknown at WeChat Pay", payout_id, payout.out_bill_no)
    return run(lambda uow: _own_payout(uow, user_id, payout_id))


# --------------------------------------------------------------------------------------------------- sweep


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
        elif state in ("cancelled", "cancelling"):
            counts["cancelled"] += 1
        else:  # the developer confirmed (or it failed) just before the cancel
            counts["settled"] += 1

    # 2. Cancels sent a while ago with no final answer (a lost notification, a failed call): ask again.
    for number in run(lambda uow: _stale_cancels(uow, batch)):
        state = _cancel(strategy, number)
        counts["settled"] += state in ("cancelled", "paid", "failed")
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
    except settlement.SettlementUnavailable as exc:
        log.warning("payout %s: WeChat Pay unavailable, next sweep retries: %s", payout_id, exc)
    except Exception:  # one broken payout must not stop the sweep of the others
        log.exception("payout %s could not be advanced", payout_id)
    counts["errors"] += 1
    return 0


def _mark_overdue(uow: UnitOfWork, batch: int) -> list[str]:
    rows = uow.execute(
        "SELECT t.id, t.out_bill_no, t.payout_id, p.developer_id FROM payout_transfers t"
        " JOIN payouts p ON p.id = t.payout_id"
        " WHERE t.state = 'wait_user_confirm' AND t.confirm_by <= :now ORDER BY t.confirm_by LIMIT :n"
        " FOR UPDATE OF p, t SKIP LOCKED", {"now": uow.now, "n": batch}).all()
    for r in rows:
        uow.execute("UPDATE payout_transfers SET state = 'cancelling', cancel_requested_at = :now, updated_at = :now"
                    " WHERE id = :id", {"now": uow.now, "id": r.id})
        uow.execute("UPDATE payouts SET state = 'cancelling', updated_at = :now"
                    " WHERE id = :id AND state = 'wait_user_confirm'", {"now": uow.now, "id": r.payout_id})
        uow.publish(PayoutStateChanged(payout_id=r.payout_id, developer_id=r.developer_id, step="cancel_requested",
                                       out_bill_no=r.out_bill_no))
    return [r.out_bill_no for r in rows]


def _stale_cancels(uow: UnitOfWork, batch: int) -> list[str]:
    rows = uow.execute(
        "SELECT out_bill_no FROM payout_transfers WHERE state = 'cancelling'"
        " AND coalesce(cancel_requested_at, updated_at) <= :cutoff ORDER BY id LIMIT :n",
        {"cutoff": uow.now - CANCEL_RECHECK_AFTER, "n": batch}).all()
    return [r.out_bill_no for r in rows]


def _cancel(strategy: SettlementStrategy, number: str) -> str | None:
    """Cancel at WeChat and settle whatever final state it reports; the payout's state after, None on an error.
    WeChat answers CANCELING and sends the CANCELLED notification shortly after; one query right away usually
    settles it without waiting."""
    try:
        result = strategy.cancel(number)
        if not result.status.final:
            result = strategy.query(number)
    except settlement.SettlementRejected:
        # Already final the other way (the developer confirmed in the last minute, or it failed): ask what it is.
        try:
            result = strategy.query(number)
        except (settlement.SettlementRejected, settlement.SettlementUnavailable):
            log.warning("transfer %s: cancel refused and query failed", number, exc_info=True)
            return None
    except settlement.SettlementUnavailable:
        log.warning("transfer %s: cancel not sent, next sweep retries", number, exc_info=True)
        return None
    # WeChat has cancelled, we have not applied it: its notification, or the re-check of stale cancels, does.
    crash_point("payout.cancel.after_api")
    return run(lambda uow: _apply(uow, number, result, via="query")).state


def _stuck(uow: UnitOfWork, batch: int) -> list[int]:
    rows = uow.execute(
        "SELECT id FROM payouts WHERE state IN ('pending', 'transferring') AND updated_at <= :cutoff"
        " ORDER BY updated_at LIMIT :n", {"cutoff": uow.now - STUCK_AFTER, "n": batch}).all()
    return [r.id for r in rows]


def _due_retries(uow: UnitOfWork, batch: int) -> list[int]:
    rows = uow.execute(
        # A MATERIALIZED pick (not `IN (SELECT … LIMIT)`, which PostgreSQL may re-run) keeps the batch bounded.
        "WITH picked AS MATERIALIZED (SELECT id FROM payouts WHERE state = 'failed' AND next_retry_at <= :now"
        " ORDER BY next_retry_at LIMIT :n FOR UPDATE SKIP LOCKED)"
        " UPDATE payouts SET state = 'pending', next_retry_at = NULL, updated_at = :now"
        " FROM picked WHERE payouts.id = picked.id RETURNING payouts.id, developer_id",
        {"now": uow.now, "n": batch}).all()
    for r in rows:
        uow.publish(PayoutStateChanged(payout_id=r.id, developer_id=r.developer_id, step="retry"))
    return [r.id for r in rows]


def _wechat_bound(uow: UnitOfWork, batch: int) -> list[int]:
    rows = uow.execute(
        "WITH picked AS MATERIALIZED (SELECT p.id FROM payouts p JOIN users u ON u.id = p.developer_id"
        " WHERE p.state = 'needs_wechat' AND u.openid IS NOT NULL LIMIT :n FOR UPDATE OF p SKIP LOCKED)"
        " UPDATE payouts SET state = 'pending', updated_at = :now FROM picked WHERE payouts.id = picked.id"
        " RETURNING payouts.id", {"now": uow.now, "n": batch}).all()
    return [r.id for r in rows]


# --------------------------------------------------------------------------------------------------- developer


def on_real_name_set(uow: UnitOfWork, developer_id: int) -> int:
    """The developer gave their real name (shared/profiles, RealNameSet): payouts that waited for it go on."""
    rows = uow.execute(
        "UPDATE payouts SET state = 'pending', updated_at = :now WHERE developer_id = :d AND state = 'needs_real_name'"
        " RETURNING id", {"now": uow.now, "d": developer_id}).all()
    for r in rows:
        uow.publish(PayoutStateChanged(payout_id=r.id, developer_id=developer_id, step="real_name_given",
                                       actor_id=developer_id))
        _wake(uow, r.id)
    return len(rows)


def _claims_sql() -> str:
    # Money still in payable that a payout already counts on: queued, waiting for the developer, or a failed
    # transfer with an automatic retry ahead. In-flight payouts moved theirs out of payable already.
    return ("SELECT coalesce(sum(amount_fen), 0) FROM payouts WHERE developer_id = :d"
            " AND (state IN ('pending', 'needs_real_name', 'needs_wechat') OR next_retry_at IS NOT NULL)")


def withdraw(uow: UnitOfWork, developer_id: int) -> PayoutOut:
    """Pay out everything available in the payable balance (after failed or cancelled transfers returned money)."""
    # One withdrawal at a time per developer; the lock is released at commit.
    uow.execute("SELECT pg_advisory_xact_lock(7362004, :k)", {"k": developer_id % 2_147_483_647})
    # Asking to withdraw now beats waiting for the automatic retry: fold failed transfers' retries into this payout.
    folded = uow.execute(
        "UPDATE payouts SET next_retry_at = NULL, updated_at = :now WHERE developer_id = :d AND state = 'failed'"
        " AND next_retry_at IS NOT NULL RETURNING id", {"now": uow.now, "d": developer_id}).all()
    # Balance and claims in ONE statement: one snapshot, so a payout starting concurrently (which moves its amount
    # out of payable and stops being a claim in one transaction) is seen entirely or not at all.
    row = uow.execute(f"SELECT (SELECT balance FROM ledger_accounts WHERE code = :c) AS payable, ({_claims_sql()})"
                      " AS claims", {"c": acc.payable(developer_id), "d": developer_id}).one()
    available = int(row.payable or 0) - int(row.claims)
    if available <= 0:
        raise Conflict("NOTHING_TO_WITHDRAW", "当前没有可提现的余额")
    payout_id = create_payout(uow, developer_id=developer_id, ref=f"withdraw:{uuid.uuid4().hex}", source="withdraw",
                              task_id=None, gross_fen=available, commission_fen=0)
    assert payout_id is not None
    uow.publish(WithdrawalRequested(payout_id=payout_id, developer_id=developer_id, amount_fen=available,
                                    folded=tuple(r.id for r in folded)))
    return _own_payout(uow, developer_id, payout_id)


_PAYOUT_SELECT = (
    "SELECT p.*, t.title AS task_title, pt.out_bill_no, pt.package_info, pt.confirm_by, pt.state AS transfer_state"
    " FROM payouts p LEFT JOIN tasks t ON t.id = p.task_id"
    " LEFT JOIN payout_transfers pt ON pt.payout_id = p.id AND pt.attempt = p.attempts")


def _payout_out(row: Any, strategy: SettlementStrategy | None = None) -> PayoutOut:
    waiting = row.state == "wait_user_confirm" and row.package_info
    params = None
    if waiting:
        params = (strategy or settlement.current()).confirm_params(row.package_info)
    return PayoutOut(
        id=row.id, source=row.source, task_id=row.task_id, task_title=row.task_title, amount_fen=row.amount_fen,
        gross_fen=row.gross_fen, commission_fen=row.commission_fen, state=row.state,
        state_name=STATE_NAMES[row.state], hint=STATE_HINTS[row.state], attempts=row.attempts,
        fail_reason=row.fail_reason, next_retry_at=row.next_retry_at,
        confirm_by=row.confirm_by if waiting else None, out_bill_no=row.out_bill_no,
        package_info=row.package_info if waiting else None, merchant_transfer_params=params, paid_at=row.paid_at,
        created_at=row.created_at, updated_at=row.updated_at)


def _own_payout(uow: UnitOfWork, user_id: int, payout_id: int) -> PayoutOut:
    row = uow.execute(_PAYOUT_SELECT + " WHERE p.id = :id AND p.developer_id = :u",
                      {"id": payout_id, "u": user_id}).first()
    if row is None:  # someone else's payout is as invisible as a missing one
        raise NotFound("PAYOUT_NOT_FOUND", "转账记录不存在")
    return _payout_out(row)


def get_payout(uow: UnitOfWork, user_id: int, payout_id: int) -> PayoutOut:
    return _own_payout(uow, user_id, payout_id)


def my_payouts(uow: UnitOfWork, user_id: int, cursor: str | None, limit: int) -> tuple[list[PayoutOut], str | None]:
    from shared.pagination import ID, decode_cursor, encode_cursor

    sql = _PAYOUT_SELECT + " WHERE p.developer_id = :u"
    params: dict[str, Any] = {"u": user_id, "n": limit + 1}
    if cursor:
        (last,) = decode_cursor(cursor, ID)
        sql += " AND p.id < :c"
        params["c"] = int(last)
    rows = uow.execute(sql + " ORDER BY p.id DESC LIMIT :n", params).all()
    strategy = settlement.current() if any(r.state == "wait_user_confirm" for r in rows) else None
    items = [_payout_out(r, strategy) for r in rows[:limit]]
    return items, encode_cursor(items[-1].id) if len(rows) > limit else None


def my_balance(uow: UnitOfWork, user_id: int) -> BalanceOut:
    from shared.adapters.wechatpay import REAL_NAME_THRESHOLD_FEN

    row = uow.execute(
        f"SELECT (SELECT balance FROM ledger_accounts WHERE code = :c) AS payable, ({_claims_sql()}) AS claims,"
        " (SELECT coalesce(sum(amount_fen), 0) FROM payouts WHERE developer_id = :d"
        "   AND state IN ('transferring', 'wait_user_confirm', 'cancelling')) AS in_flight,"
        " (SELECT coalesce(sum(amount_fen), 0) FROM payouts WHERE developer_id = :d AND state = 'paid') AS paid,"
        " (SELECT real_name IS NOT NULL FROM developer_profiles WHERE user_id = :d) AS named",
        {"c": acc.payable(user_id), "d": user_id}).one()
    payable = int(row.payable or 0)
    return BalanceOut(payable_fen=payable, available_fen=max(payable - int(row.claims), 0),
                      queued_fen=int(row.claims), in_flight_fen=int(row.in_flight), paid_total_fen=int(row.paid),
                      has_real_name=bool(row.named), real_name_required_from_fen=REAL_NAME_THRESHOLD_FEN)
